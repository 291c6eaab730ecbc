"""predict-bench.py: what `df["rate"] = model.predict(df)` costs on a pandas DataFrame of
100,000 rows (the target: under 0.3 s), from Python through engrate_estimate_batch.

  python3 bench/predict-bench.py [-m MODEL] [-n ROWS] [-r RUNS]     (or: make bench-predict)

The rows are drawn (with a fixed seed) from the model's own role, skill and certification
ids and names, with a few names it does not know, missing roles and missing years, as a
data scientist's table would have them. Skills and certifications are timed three ways:
lists of names, one string per row ("java;python"), and one string with mixed
separators and spaces ("Java、 Python, AWS"); then with interval=True (a DataFrame of
estimate, low and high). Each figure is the median of RUNS runs (default 7) of the whole
assignment, wall-clock and CPU time of this process, with the fastest and slowest beside
it. Before timing, a sample of rows is checked against single estimates, bit for bit."""

import argparse
import os
import random
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
srcdir = os.environ.get("srcdir") or os.path.join(here, "..")
sys.path.insert(0, os.path.join(srcdir, "examples", "python"))
import engrate  # noqa: E402

try:
    import numpy as np
    import pandas as pd
except ImportError:
    sys.exit("predict-bench: needs numpy and pandas (apt-get install python3-pandas)")


def frame(model, n, style, seed=20260101):
    """n rows; style: "lists", "strings" or "mixed" for the set columns."""
    rng = random.Random(seed)
    roles = [lv.id for lv in model.roles()] + [lv.name("ja") for lv in model.roles()[:5]]
    roles += ["PM", "Prgrammer", None]
    skills = [lv.id for lv in model.skills()] + [lv.name() for lv in model.skills()[:20]]
    skills += ["jva", "Cobol-85"]
    certs = [lv.id for lv in model.certs()]
    seps = [";", "、", ", ", "；", " ,"]

    def names(pool, most):
        return [rng.choice(pool) for _ in range(rng.randint(0, most))]

    def cell(xs):
        if style == "lists":
            return xs
        if style == "strings":
            return ";".join(xs)
        return "".join(x + rng.choice(seps) for x in xs).rstrip(",;、； ")

    rows = {"role": [rng.choice(roles) for _ in range(n)],
            "skills": [cell(names(skills, 5)) for _ in range(n)],
            "certs": [cell(names(certs, 2)) if rng.random() < 0.4 else None
                      for _ in range(n)],
            "years": [rng.choice([np.nan, None]) if rng.random() < 0.1 else
                      round(rng.uniform(0, 30), 1) for _ in range(n)]}
    return pd.DataFrame(rows, index=pd.RangeIndex(n) * 3 + 7)  # not 0..n-1


def check(model, df, sample=300):
    got = model.predict(df.iloc[:sample])
    want = [model.estimate(row).estimate for _, row in df.iloc[:sample].iterrows()]
    if got.tolist() != want:
        sys.exit("predict-bench: predict() and estimate() disagree")


def timed(fn, runs):
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
    walls.sort()
    cpus.sort()
    return walls[len(walls) // 2], walls[0], walls[-1], cpus[len(cpus) // 2]


def main():
    default = os.path.join(os.environ.get("top_builddir", "."), "models",
                           "jp-freelance.model")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-m", "--model", default=default)
    ap.add_argument("-n", "--rows", type=int, default=100_000)
    ap.add_argument("-r", "--runs", type=int, default=7)
    args = ap.parse_args()
    model = engrate.Model(args.model)
    print("engrate predict: %d rows of %s, median of %d runs (python %s, numpy %s, "
          "pandas %s)" % (args.rows, os.path.basename(args.model), args.runs,
                          sys.version.split()[0], np.__version__, pd.__version__))
    print("command: %s %s -m %s -n %d -r %d\n" % (sys.executable, sys.argv[0], args.model,
                                                  args.rows, args.runs))
    print("%-46s %9s %9s %9s %9s" % ("", "wall s", "fastest", "slowest", "cpu s"))
    for style in ("lists", "strings", "mixed"):
        df = frame(model, args.rows, style)
        check(model, df)

        def assign():
            df["rate"] = model.predict(df)

        label = 'df["rate"] = model.predict(df), sets as %s' % style
        print("%-46s %9.3f %9.3f %9.3f %9.3f" % ((label,) + timed(assign, args.runs)))
        if style == "strings":
            print("%-46s %9.3f %9.3f %9.3f %9.3f" % (
                ("model.predict(df, interval=True), %s" % style,)
                + timed(lambda: model.predict(df, interval=True), args.runs)))


if __name__ == "__main__":
    main()
