"""test_pandas.py: numpy and pandas as a data scientist hands them over. Any sequence,
numpy array or pandas Series is a column; None, NaN and pd.NA mean "not known" in a single
estimate and a batch alike; a set given as one string is split on , 、 ， ; ； ､ and never on
/ or spaces; predict() takes a DataFrame whose columns are named by input id or label in
any language and answers on its index; coefficients() is a table. Batch numbers are
checked bit for bit against single estimates, and those against sums of
models/example.model's coefficients worked out here. The classes that need numpy or pandas
skip without them; what must work without them runs in a child that cannot import them."""

import math
import os
import struct
import subprocess
import sys
import unittest

from testsupport import BAD_NUMBER, EXAMPLE, VERSION2, child_env, rounds

import engrate
from engrate._values import split_flat, split_names

try:
    import numpy as np
    import pandas as pd
except ImportError:
    np = pd = None

needs_pandas = unittest.skipIf(pd is None, "needs numpy and pandas")

# A model with inputs other than role/skills/certs/years, named in Japanese too.
GENERIC = """engrate-model 1

[model]
name = generic
currency = EUR
period = day
transform = none
intercept = 100

[interval]
level = 0.8
low = -10
high = 10

[input region]
kind = categorical
label.en = Region
label.ja = 地域
levels = 2

[level tokyo]
coef = 50

[level osaka]
coef = 20

[input tools]
kind = set
label.en = Tools
label.ja = ツール
levels = 2

[level git]
coef = 5

[level docker]
coef = 7

[input hours]
kind = numeric
label.en = Hours per week
label.ja = 稼働時間
min = 0
max = 60
default = 40
coef = 2
"""


def bits(x):
    return struct.pack("<d", x)


def years_eta(y):
    """The years term of example.model: slope 0.06, -0.04 after 3, -0.02 after 10."""
    return 0.06 * y - 0.04 * max(y - 3, 0) - 0.02 * max(y - 10, 0)


class NotKnownAndSplitting(unittest.TestCase):
    def setUp(self):
        self.model = engrate.Model(EXAMPLE)

    def test_missing_values_in_a_single_estimate(self):
        m = self.model
        plain = m.estimate(role="pm").estimate
        self.assertAlmostEqual(plain, math.exp(13.4 + 0.3 + years_eta(5)), delta=1e-6)
        missing = [None, float("nan"), ""]
        if pd is not None:
            missing += [np.nan, np.float64("nan"), pd.NA, pd.NaT]
        for x in missing:
            r = m.estimate(role="pm", years=x, skills=x, certs=x)
            self.assertEqual(bits(r.estimate), bits(plain), repr(x))
            self.assertIn("defaulted", r.flags)
            self.assertEqual(r.unknown, [])
            self.assertEqual(bits(m.estimate(role=x, years=8).estimate),
                             bits(m.estimate(years=8).estimate), repr(x))

    def test_splitting_one_string(self):
        self.assertEqual(split_names("C/C++, Objective-C；Visual Basic、 ;;"),
                         ["C/C++", "Objective-C", "Visual Basic"])
        m = self.model
        want = m.estimate(role="pm", skills=["java", "python"], years=8).estimate
        # 13.4 + 0.3 + 0.02 + 0.05 + years
        self.assertAlmostEqual(want, math.exp(13.77 + years_eta(8)), delta=1e-6)
        for s in ("java;python", "Java、Python", "java，python", "java; python", "java；python",
                  "java､python", " java ,python, ", ";java;;python;"):
            r = m.estimate(role="pm", skills=s, years=8)
            self.assertEqual((bits(r.estimate), r.unknown), (bits(want), []), s)
        # a list is taken as it is: its items are not split
        self.assertEqual(m.estimate(skills=["java;python"]).unknown, ["java;python"])
        many = m.estimate_columns(["pm"] * 4, ["java;python", "java、python", " java ; python",
                                               ["java", "python"]], None, [8] * 4)
        self.assertEqual([bits(x) for x in many.estimate], [bits(want)] * 4)

    def test_many_strings_split_at_once_as_one_by_one(self):
        # The batch splits all of a column's strings in a few passes over their joined
        # text (split_flat); split_names, one string at a time, is the reference.
        import random
        rng = random.Random(13)
        parts = ["java", "C/C++", "Visual Basic", " ", "\u3000", "\t", "\n", ",", "、", "，",
                 ";", "；", "､", "", "ｐｙ", "x y", "\x85", "\u2028"]
        for _ in range(rounds(20000, 2000)):
            texts = ["".join(rng.choice(parts) for _ in range(rng.randint(0, 8)))
                     for _ in range(rng.randint(1, 6))]
            want = [split_names(t) for t in texts]
            self.assertEqual(split_flat(texts), ([x for w in want for x in w],
                                                 [len(w) for w in want]), texts)
        self.assertIsNone(split_flat(["java\0python"]))

    def test_inputs_by_label_in_any_language(self):
        m = self.model
        r = m.estimate({"職種": "PMO", "スキル": ["Java"]})
        self.assertAlmostEqual(r.estimate, math.exp(13.4 + 0.25 + 0.02 + years_eta(5)),
                               delta=1e-6)
        self.assertEqual(bits(r.estimate),
                         bits(m.estimate(role="pmo", skills=["java"]).estimate))
        self.assertEqual(bits(m.estimate({"Role": "pm", "Years of experience": 8}).estimate),
                         bits(m.estimate(role="pm", years=8).estimate))
        with self.assertRaises(KeyError) as cm:
            m.estimate({"colour": "blue"})
        self.assertIsInstance(cm.exception, engrate.Error)
        self.assertIn("no input 'colour'", str(cm.exception))
        with self.assertRaisesRegex(ValueError, "given twice"):
            m.estimate({"role": "pm", "職種": "se"})
        with self.assertRaises(TypeError):
            m.estimate("pm")

    def test_any_model_s_inputs(self):
        with engrate.Model.from_string(GENERIC) as g:
            # 100 + 50 (tokyo) + 5 (git) + 7 (docker) + 2 * 20 (hours)
            r = g.estimate({"地域": "tokyo", "ツール": "git；docker", "稼働時間": 20})
            self.assertEqual(r.estimate, 202)
            self.assertEqual([c.level for c in r.contributions], [None, "tokyo", "git",
                                                                   "docker", None])
            self.assertEqual(g.estimate(region="osaka", tools=["gti"]).unknown, ["gti"])
            self.assertEqual(g.estimate(region="osaka").estimate, 100 + 20 + 80)
            with self.assertRaises(KeyError):
                g.estimate(region="osaka", tools=["gti"], strict=True)
            rows = [{"Region": "tokyo", "hours": 20, "Tools": "git,docker"},
                    {"region": "osaka", "hours": float("nan")},
                    {"region": None, "tools": None, "hours": 60}]
            self.assertEqual(list(g.predict(rows)), [202, 200, 220])
            self.assertEqual([e.estimate for e in g.estimate_many(rows)], [202, 200, 220])
            bad = rows + [{"hours": float("inf")}]
            with self.assertRaises(ValueError) as cm:
                g.predict(bad)
            self.assertEqual((cm.exception.index, cm.exception.code), (3, engrate.E_INVALID))
            out = g.predict(bad, errors="nan")
            self.assertTrue(math.isnan(out[3]))

    def test_a_model_trained_from_japanese_columns(self):
        # tests/data/model/valid/version2: inputs named by the data's own column names;
        # 13.1 + 0.3 (システムエンジニア) - 0.05 - 0.05 with years not known, as
        # tests/check_model.c works it out
        with engrate.Model(VERSION2) as m:
            table = {"職種": ["システムエンジニア", "SE", None], "経験年数": [None, 8, 8]}
            got = list(m.predict(table))
            self.assertAlmostEqual(got[0], math.exp(13.1 + 0.3 - 0.05 - 0.05), delta=1e-6)
            self.assertAlmostEqual(got[1], math.exp(13.1 + 0.32 - 0.06), delta=1e-6)
            self.assertEqual(got, [m.estimate({"職種": r, "経験年数": y}).estimate
                                   for r, y in zip(*table.values())])

    def test_exceptions_are_the_standard_ones(self):
        with self.assertRaises(FileNotFoundError) as cm:
            engrate.Model("no/such/file.model")
        self.assertIsInstance(cm.exception, engrate.Error)
        self.assertEqual(cm.exception.code, engrate.E_IO)
        self.assertEqual(cm.exception.filename, "no/such/file.model")
        with self.assertRaises(ValueError) as cm:
            engrate.Model(BAD_NUMBER)
        self.assertEqual((cm.exception.line, cm.exception.column), (7, 13))
        with self.assertRaises(KeyError) as cm:
            self.model.estimate(role="pm", skills="jva", strict=True)
        self.assertEqual(str(cm.exception), "unknown skills 'jva' (did you mean 'Java'?)")
        with self.assertRaises(ValueError):
            self.model.estimate(years="5年")

    def test_accessors(self):
        m = self.model
        self.assertEqual((m.intercept, m.transform), (13.4, "log"))
        self.assertEqual(m.interval, (0.8, -0.2, 0.2))
        self.assertEqual(m.metadata["currency"], "JPY")
        self.assertEqual(m.metadata["as_of"], "2026-01")
        self.assertEqual(m.sources, ("Written by hand for engrate's examples and tests",))
        rows = m.coefficients(as_frame=False)
        self.assertEqual(len(rows), 1 + 4 + 5 + 2 + 3)
        self.assertEqual(rows[0], (None, None, "(intercept)", 13.4, True))
        self.assertEqual(rows[1], ("role", "pm", "Project manager", 0.3, True))
        self.assertIn(("certs", "pmp", "PMP", 0.0, False), rows)
        self.assertEqual([r[1:4:2] for r in rows[-3:]],
                         [(None, 0.06), (">3", -0.04), (">10", -0.02)])


class WithoutNumpy(unittest.TestCase):
    def test_the_standard_library_is_enough(self):
        code = (
            "import sys\n"
            "sys.modules['numpy'] = sys.modules['pandas'] = None  # cannot be imported\n"
            "import engrate\n"
            "m = engrate.Model(%r)\n"
            "out = m.predict({'role': ['pm', None], 'years': [8, float('nan')]})\n"
            "print(type(out).__name__, len(out), out[0] == m.estimate(role='pm', years=8)"
            ".estimate)\n"
            "skills = ['java;python', None, ' ruby、c++ ', ['c#'], '']\n"
            "for col in (skills, skills[:3] + skills[4:]):\n"
            "    out = m.predict({'skills': col, 'role': ['pm'] * len(col)})\n"
            "    assert list(out) == [m.estimate(role='pm', skills=s).estimate for s in col]\n"
            "p = m.predict([{'role': 'pm'}], interval=True, flags=True)\n"
            "print(type(p).__name__, p.flags['defaulted'], type(m.coefficients()).__name__)\n"
            % EXAMPLE)
        p = subprocess.run([sys.executable, "-c", code], env=child_env(),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual((p.returncode, p.stdout), (0, "array 2 True\nPrediction [True] "
                                                       "list\n"), p.stderr)

    def test_import_loads_neither(self):
        p = subprocess.run([sys.executable, "-c", "import sys, engrate\nprint(sorted(m for m "
                            "in sys.modules if m.split('.')[0] in ('numpy', 'pandas')))"],
                           env=child_env(), capture_output=True, text=True, timeout=120)
        self.assertEqual((p.returncode, p.stdout), (0, "[]\n"), p.stderr)


@needs_pandas
class Frames(unittest.TestCase):
    def setUp(self):
        self.model = engrate.Model(EXAMPLE)
        rows = [("pm", ["java", "python"], ["pmp"], 8), ("プロマネ", "java;jva", None, 3.5),
                (None, "ruby、c++", "ipa_pm", np.nan), ("se", [], [], 55), (np.nan, None,
                pd.NA, None), ("PMO", np.array(["cpp", "c#"]), "", 0),
                ("pg", " java\t；\u3000ｐｙｔｈｏｎ ,, ", "  ", 2),
                ("se", "C/C++, ruby", "PMP", 7)] * 5
        self.df = pd.DataFrame(rows, columns=["role", "skills", "certs", "years"],
                               index=[f"r{i}" for i in range(len(rows))][::-1])

    def singles(self, df):
        return [self.model.estimate(row).estimate for _, row in df.iterrows()]

    def test_predict_equals_single_estimates(self):
        got = self.model.predict(self.df)
        self.assertIsInstance(got, np.ndarray)
        self.assertEqual([bits(x) for x in got], [bits(x) for x in self.singles(self.df)])
        # row 0: 13.4 + 0.3 + 0.02 + 0.05 + 0 (pmp) + years 8
        self.assertAlmostEqual(got[0], math.exp(13.77 + years_eta(8)), delta=1e-6)
        self.df["rate"] = self.model.predict(self.df)
        self.assertEqual(self.df["rate"].iloc[0], got[0])
        # a row's columns that are no input (rate) are left out, as predict leaves them
        self.assertEqual([bits(x) for x in self.singles(self.df)], [bits(x) for x in got])
        with self.assertRaises(KeyError):  # a dict must name inputs only
            self.model.estimate(dict(self.df.iloc[0]))

    def test_set_strings_by_every_path(self):
        # Strings alone (one buffer for the column), with missing values, with tabs and
        # ideographic spaces (the regular expression), beside lists (one by one): each
        # row as its single estimate.
        cases = [["java;python", "ruby、 c++", "", "jva,java"],
                 ["java;python", None, np.nan, pd.NA, "c#"],
                 ["java\t;\tpython", "\u3000ruby\u3000", "c++ ; ; c#"],
                 ["java;python", ["ruby", "c++"], None, "c#"]]
        for skills in cases:
            got = self.model.predict({"role": ["pm"] * len(skills), "skills": skills})
            want = [self.model.estimate(role="pm", skills=s).estimate for s in skills]
            self.assertEqual([bits(x) for x in got], [bits(x) for x in want], skills)

    def test_columns_of_every_kind(self):
        df = self.df
        want = [bits(x) for x in self.model.predict(df)]
        kinds = {
            "lists": {c: df[c].tolist() for c in df.columns},
            "arrays": {c: df[c].to_numpy() for c in df.columns},
            "tuples": {c: tuple(df[c]) for c in df.columns},
            "categorical role, nullable years": {
                "role": df.role.astype("category"), "skills": df.skills, "certs": df.certs,
                "years": pd.array([None if pd.isna(y) else y for y in df.years],
                                  dtype="Float64")},
        }
        for name, cols in kinds.items():
            self.assertEqual([bits(x) for x in self.model.predict(cols)], want, name)
        c = self.model.estimate_columns(df.role, df.skills, df.certs, df.years)
        self.assertEqual([bits(x) for x in c.estimate], want)
        c = self.model.estimate_columns(df.role.to_numpy(), df.skills.to_numpy(),
                                        df.certs.to_numpy(), df.years.to_numpy())
        self.assertEqual([bits(x) for x in c.estimate], want)
        whole = pd.DataFrame({"role": ["pm"] * 3, "years": pd.array([8, None, 2],
                                                                     dtype="Int64")})
        self.assertEqual([bits(x) for x in self.model.predict(whole)],
                         [bits(self.model.estimate(role="pm", years=y).estimate)
                          for y in (8, None, 2)])

    def test_interval_flags_and_index(self):
        out = self.model.predict(self.df, interval=True, flags=True)
        self.assertIsInstance(out, pd.DataFrame)
        self.assertEqual(list(out.index), list(self.df.index))
        self.assertEqual(list(out.columns), ["estimate", "low", "high", "unknown", "clamped",
                                             "defaulted", "no_evidence", "missing"])
        for (label, row), r in zip(out.iterrows(), (self.model.estimate(row) for _, row
                                                     in self.df.iterrows())):
            self.assertEqual((row.estimate, row.low, row.high), (r.estimate, r.low, r.high))
            self.assertEqual({f for f in r.flags}, {f for f, _ in engrate.FLAG_NAMES
                                                    if row[f]}, label)
        self.assertTrue(out.unknown.iloc[1])  # jva
        self.assertAlmostEqual(out.high.iloc[0] / out.estimate.iloc[0], math.exp(0.2),
                               delta=1e-9)

    def test_japanese_and_mapped_columns(self):
        ja = self.df.rename(columns={"role": "職種", "skills": "スキル", "certs": "資格",
                                     "years": "経験年数"})
        ja["氏名"] = "x"  # not an input: left out
        want = [bits(x) for x in self.model.predict(self.df)]
        self.assertEqual([bits(x) for x in self.model.predict(ja)], want)
        other = self.df.rename(columns={"role": "job"})
        self.assertEqual([bits(x) for x in self.model.predict(other,
                                                               columns={"job": "role"})], want)
        with self.assertRaises(KeyError):
            self.model.predict(other, columns={"job": "rôle"})
        with self.assertRaisesRegex(ValueError, "no column is an input"):
            self.model.predict(pd.DataFrame({"name": ["a"]}))
        with self.assertRaisesRegex(ValueError, "both give"):
            self.model.predict(pd.DataFrame({"role": ["pm"], "職種": ["se"]}))

    def test_strict_and_errors(self):
        with self.assertRaises(engrate.UnknownNameError) as cm:
            self.model.predict(self.df, strict=True)
        self.assertEqual(cm.exception.index, 1)
        out = self.model.predict(self.df, strict=True, errors="nan")
        self.assertTrue(math.isnan(out[1]))
        self.assertFalse(math.isnan(out[0]))
        with self.assertRaises(ValueError):
            self.model.predict(self.df, errors="ignore")

    def test_coefficients_frame(self):
        table = self.model.coefficients(lang="ja")
        self.assertIsInstance(table, pd.DataFrame)
        self.assertEqual(list(table.columns), ["input", "level", "name", "coefficient",
                                               "evidence"])
        pm = table[(table.input == "role") & (table.level == "pm")].iloc[0]
        self.assertEqual((pm["name"], pm.coefficient), ("プロジェクトマネージャー", 0.3))
        self.assertEqual(table.evidence.sum(), len(table) - 1)

    def test_train_from_a_frame_text_and_path(self):
        import tempfile
        roles = ["pm", "se", "pg"]
        rows = []
        for i in range(60):
            role, years = roles[i % 3], i % 15
            rate = 500000 * (1.3 if role == "pm" else 1.0) * (1 + 0.03 * years)
            rows.append((role, ["java"] if i % 2 else ["python", "ruby"], years,
                         round(rate * (1 + 0.01 * ((i * 7) % 5 - 2)))))
        df = pd.DataFrame(rows, columns=["role", "skills", "years", "rate"])
        opts = dict(folds=0, min_count=1, categorical="role", set="skills", numeric="years")
        model, report = engrate.train(df, **opts)
        csv = "role,skills,years,rate\n" + "".join(
            "%s,%s,%d,%d\n" % (r, ";".join(s), y, x) for r, s, y, x in rows)
        from_text, _ = engrate.train(csv, **opts)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "data.csv")
            with open(path, "w") as f:
                f.write(csv)
            from_path, _ = engrate.train(path, **opts)
        self.assertEqual(report.value("n"), 60)
        self.assertEqual(model.to_string(), from_text.to_string())
        self.assertEqual(model.to_string(), from_path.to_string())
        with self.assertRaises(FileNotFoundError):
            engrate.train(os.path.join(os.path.dirname(EXAMPLE), "no-such.csv"))


if __name__ == "__main__":
    unittest.main()
