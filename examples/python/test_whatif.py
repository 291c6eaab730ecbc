"""test_whatif.py: Model.whatif and Model.whatif_target against a second method, and the
estimator's what-if options against the C program's. The ranking must be what a loop over
every candidate change through Model.estimate gives, to the last bit: each set input's
levels the profile lacks added after its own, each other level of each categorical
input, each numeric input given plus 1, 3 and 5 (clamped to the data, repeats left out);
sorted by estimate, ties in that order. A target path must be the greedy one that loop
finds. The records are those engrate-estimate --whatif --json prints, key for key."""

import copy
import json
import math
import os
import pickle
import struct
import subprocess
import unittest

from testsupport import DEFAULT_MODEL, ESTIMATOR, EXAMPLE, run_both

import engrate

PROFILES = [dict(role="pmo", skills=["java"], certs=["pmp"], years=8),
            dict(role="pm", skills="java;python", years=2),
            dict(role="se", years=39),
            dict(skills=["ruby", "jva"]),
            dict(role="プロマネ", certs="ipa_pm", years=0.5),
            dict()]


def bits(x):
    return struct.pack("<d", x)


def candidates(model, profile, with_no_evidence=False, steps=(1, 3, 5), additions=False):
    """Every single change to the profile as (input, level or value, changed profile), in
    the library's candidate order; with additions, only those that add (sets, numbers)."""
    base = model.estimate(profile)
    out = []
    for inp in model.inputs:
        given = profile.get(inp.id)
        if inp.kind == "numeric":
            used = next((c.value for c in base.contributions if c.input == inp.id), None)
            if given is None or used is None:
                continue
            seen = {used}
            for step in steps:
                x = min(max(used + step, inp.min), inp.max)
                if x not in seen:
                    seen.add(x)
                    out.append((inp.id, x, dict(profile, **{inp.id: x})))
            continue
        if inp.kind == "categorical" and additions:
            continue
        have = {lv.id for lv in (model.find(inp.id, n) for n in _names(given)) if lv}
        for lv in inp.levels:
            if lv.id in have or (lv.no_evidence and not with_no_evidence):
                continue
            if inp.kind == "set":
                out.append((inp.id, lv.id, dict(profile, **{inp.id: _names(given) + [lv.id]})))
            else:
                out.append((inp.id, lv.id, dict(profile, **{inp.id: lv.id})))
    return base, out


def _names(given):
    if given is None:
        return []
    return engrate._values.set_names(given)


def brute_force(model, profile, **kw):
    base, cands = candidates(model, profile, **kw)
    scored = [(model.estimate(p).estimate, inp, what) for inp, what, p in cands]
    order = sorted(range(len(scored)), key=lambda i: -scored[i][0])  # stable: ties in order
    return base, [scored[i] for i in order]


class Ranking(unittest.TestCase):
    def models(self):
        yield engrate.Model(EXAMPLE)
        if DEFAULT_MODEL:
            yield engrate.Model(DEFAULT_MODEL)

    def test_equals_a_loop_over_every_candidate(self):
        for m in self.models():
            for p in PROFILES:
                for no_evidence in (False, True):
                    base, want = brute_force(m, p, with_no_evidence=no_evidence)
                    got = m.whatif(p, limit=0, with_no_evidence=no_evidence)
                    self.assertEqual(len(got), len(want), (m.name, p))
                    for w, (est, inp, what) in zip(got, want):
                        self.assertEqual((w.input, w.level if w.level else w.value),
                                         (inp, what), (m.name, p))
                        self.assertEqual(bits(w.estimate), bits(est), (m.name, p, w))
                        self.assertEqual(bits(w.delta), bits(est - base.estimate))
                        self.assertAlmostEqual(w.delta_pct, 100 * w.delta / base.estimate,
                                               delta=1e-9)
                    self.assertEqual(m.whatif(p, limit=3, with_no_evidence=no_evidence),
                                     got[:3])

    def test_candidates_counted_by_hand(self):
        # example.model, pmo with Java, PMP and 8 years: python, ruby, c++, c# added; ipa_pm
        # added (pmp, without evidence, is had); pm, se, pg; 9, 11, 13 years
        m = engrate.Model(EXAMPLE)
        got = m.whatif(PROFILES[0], limit=0)
        self.assertEqual(sorted((w.change, w.level or w.value) for w in got),
                         sorted([("add", s) for s in ("python", "ruby", "c++", "c#", "ipa_pm")]
                                + [("role", r) for r in ("pm", "se", "pg")]
                                + [("years", y) for y in (9, 11, 13)]))
        # the best: Ruby, +0.06 on the log scale; then pm instead of pmo, +0.05
        base = math.exp(13.4 + 0.25 + 0.02 + 0.06 * 8 - 0.04 * 5)
        self.assertEqual([(w.change, w.level) for w in got[:2]],
                         [("add", "ruby"), ("role", "pm")])
        self.assertAlmostEqual(got[0].estimate, base * math.exp(0.06), delta=1e-6)
        self.assertAlmostEqual(got[0].delta_pct, 100 * (math.exp(0.06) - 1), delta=1e-9)
        self.assertAlmostEqual(got[1].delta, base * (math.exp(0.05) - 1), delta=1e-6)
        no_evidence = m.whatif(role="pm", limit=0, with_no_evidence=True)
        self.assertIn(("add", "pmp", True), [(w.change, w.level, w.no_evidence)
                                             for w in no_evidence])
        self.assertNotIn("pmp", [w.level for w in m.whatif(role="pm", limit=0)])

    def test_options(self):
        m = engrate.Model(EXAMPLE)
        p = PROFILES[1]
        got = m.whatif(p, limit=0, vary=["スキル", "years"], steps=[2, -1])
        self.assertEqual({w.input for w in got}, {"skills", "years"})
        self.assertEqual(sorted(w.value for w in got if w.change == "years"), [1, 4])
        self.assertEqual(sorted(w.step for w in got if w.change == "years"), [-1, 2])
        # the options of one call do not stay for the next (the C what-if is reused)
        self.assertEqual(len(m.whatif(p, limit=0)), len(brute_force(m, p)[1]))
        with self.assertRaises(KeyError):
            m.whatif(p, vary=["colour"])
        with self.assertRaises(ValueError):
            m.whatif(p, steps=[0])
        with self.assertRaises(KeyError):
            m.whatif(role="pm", skills=["jva"], strict=True)
        with self.assertRaises(ValueError):
            m.whatif(p, limit=-1)
        # years at the top of the data: a step changes nothing, so no candidate
        self.assertFalse([w for w in m.whatif(role="pm", years=40, limit=0)
                          if w.change == "years"])
        clamped = [w for w in m.whatif(role="pm", years=38, limit=0) if w.change == "years"]
        self.assertEqual([(w.value, "clamped" in w.flags) for w in clamped],
                         [(39, False), (40, True)])

    def test_records_as_the_c_program_prints_them(self):
        if not os.access(ESTIMATOR, os.X_OK):
            self.skipTest("engrate-estimate not built")
        model_path = DEFAULT_MODEL or EXAMPLE
        m = engrate.Model(model_path)
        for lang in ("en", "ja"):
            args = [ESTIMATOR, "-m", model_path, "--role", "pmo", "--skill", "java",
                    "--years", "8", "--whatif", "7", "--target-rate", "2000000", "--json",
                    "--lang", lang, "--with-no-evidence"]
            c = json.loads(subprocess.run(args, capture_output=True, check=True).stdout)
            p = dict(role="pmo", skills=["java"], years=8)
            self.assertEqual([w.as_dict() for w in m.whatif(p, limit=7, lang=lang,
                                                            with_no_evidence=True)],
                             c["whatif"])
            t = m.whatif_target(2000000, p, lang=lang, with_no_evidence=True)
            self.assertEqual({"rate": t.rate, "reached": t.reached,
                              "max_changes": t.max_changes,
                              "path": [w.as_dict() for w in t.path]}, c["target"])


class Target(unittest.TestCase):
    def test_the_greedy_path(self):
        m = engrate.Model(DEFAULT_MODEL or EXAMPLE)
        p = dict(role="se", skills=["java"], years=3)
        start = m.estimate(p).estimate
        t = m.whatif_target(start * 1.4, p, max_changes=0)
        self.assertTrue(t.reached)
        profile, last = dict(p), start
        for step in t.path:  # each step is the best addition from where the path is
            _, want = brute_force(m, profile, additions=True)
            est, inp, what = want[0]
            self.assertEqual((step.input, step.level or step.value), (inp, what))
            self.assertEqual(bits(step.estimate), bits(est))
            self.assertEqual(bits(step.delta), bits(est - last))
            profile = next(cp for i, w, cp in candidates(m, profile, additions=True)[1]
                           if (i, w) == (inp, what))
            last = est
        self.assertGreaterEqual(last, start * 1.4)
        self.assertGreaterEqual(t.path[-2].estimate if len(t.path) > 1 else start, 0)
        if len(t.path) > 1:
            self.assertLess(t.path[-2].estimate, start * 1.4)
        short = m.whatif_target(start * 1.4, p, max_changes=1)
        self.assertEqual((short.reached, short.path), (len(t.path) <= 1, t.path[:1]))
        self.assertEqual(m.whatif_target(start, p), engrate.Target(start, True, 5, []))


class Lifetime(unittest.TestCase):
    def test_closed_copied_pickled(self):
        m = engrate.Model(EXAMPLE)
        want = m.whatif(PROFILES[0], limit=0)
        c = copy.copy(m)
        m.close()
        with self.assertRaisesRegex(ValueError, "closed"):
            m.whatif(PROFILES[0])
        with self.assertRaisesRegex(ValueError, "closed"):
            m.whatif_target(1e6, PROFILES[0])
        self.assertEqual(c.whatif(PROFILES[0], limit=0), want)
        self.assertEqual(pickle.loads(pickle.dumps(want)), want)
        self.assertTrue(math.isfinite(want[0].delta_pct))


@unittest.skipUnless(os.access(ESTIMATOR, os.X_OK), "engrate-estimate not built")
class SameOutput(unittest.TestCase):
    """estimate.py's what-if options print what engrate-estimate prints, byte for byte."""

    ARGS = [
        ["--role", "pmo", "--years", "8", "--skill", "java", "--whatif"],
        ["--role", "pmo", "--years", "8", "--whatif", "3", "--json"],
        ["--role", "pm", "--whatif=2", "--lang", "ja"],
        ["--role", "pm", "--years", "3", "--target-rate", "¥1,500,000", "--max-changes", "2"],
        ["--role", "pm", "--years", "3", "--target-rate", "150万円", "--json"],
        ["--role", "pm", "--years", "3", "--target-rate", "95.5万", "--lang", "ja"],
        ["--role", "pm", "--years", "40", "--target-rate", "1", "--whatif", "2"],
        ["--role", "pm", "--target-rate", "1e12", "--max-changes", "1", "--lang", "ja"],
        ["--role", "pm", "--whatif", "4", "--vary", "skills, years", "--years", "2"],
        ["--role", "pm", "--whatif", "--vary", "roles", "--with-no-evidence", "--json"],
        ["--role", "pm", "--whatif", "--vary", "colour"],
        ["--role", "pm", "--whatif", "--vary", " , "],
        ["--role", "pm", "--whatif", "0"],
        ["--role", "pm", "--whatif", "x"],
        ["--role", "pm", "--whatif=1001"],
        ["--role", "pm", "--target-rate", "1,3"],
        ["--role", "pm", "--target-rate", "-5"],
        ["--role", "pm", "--target-rate", "100ドル"],
        ["--role", "pm", "--max-changes", "two", "--target-rate", "1"],
        ["--role", "pm", "--skill", "jva", "--strict", "--whatif"],
        ["--role", "se", "--years", "39", "--whatif", "10"],
        ["--role", "pg", "--input", "職種=pm", "--input", "years=3", "--whatif", "2"],
        ["--skill", "ruby", "--input", "スキル=java、python", "--input", "years=NA",
         "--years", "4", "--target-rate", "150万", "--json"],
    ]

    def test_same_output(self):
        for args in self.ARGS:
            run_both(self, ["-m", EXAMPLE] + args)
            if DEFAULT_MODEL:
                run_both(self, ["-m", DEFAULT_MODEL] + args)


if __name__ == "__main__":
    unittest.main()
