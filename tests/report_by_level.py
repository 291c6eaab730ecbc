"""report_by_level.py: a curve that varies by a level, as the JSON report draws it
(inputs[].curve and inputs[].level_curves), computed a second way with numpy.

Three groups with their own line and a change of slope at x = 5 (--numeric
x:knots=5:by=g:vary=knots), some noise, lambda 0 and no folds. With every piece free to
vary by group, the fit is the same as least squares on each group's rows alone: y on
[1, x, (x - 5)+]. The curve the report draws is f(x) - f(ref), ref the mean of x over
all rows, and its band the standard error of that difference, sqrt(g' V g) with
g = pieces(x) - pieces(ref) and V = s^2 (X_g'X_g)^-1 (the slope block), s^2 the sum of
squared residuals over all rows divided by n - 9 (three coefficients per group). The
most frequent group is the reference: its curve is the pooled one (inputs[].curve); the
others are the level curves, the largest first.

    python3 tests/report_by_level.py TOP_BUILDDIR

Exit status 0, 1 with a line per failure, 77 without numpy."""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("numpy is not installed: skipped")
    sys.exit(77)

KNOT = 5.0
# group: rows, intercept, slope, change of slope at the knot, x's range
GROUPS = {"a": (30, 100.0, 3.0, -2.0, (0, 12)), "b": (24, 50.0, 7.0, 1.5, (1, 10)),
          "c": (18, 20.0, -2.0, 4.0, (2, 9))}
fails = []


def check(name, got, want, tol=1e-7):
    if got is None or abs(got - want) > tol * (1 + abs(want)):
        fails.append("%s: %r, want %r" % (name, got, want))


def make_rows():
    rng = np.random.default_rng(17)
    rows = []
    for g, (n, a, s, c, (lo, hi)) in GROUPS.items():
        for i in range(n):
            x = round(lo + (hi - lo) * i / (n - 1), 3)
            y = a + s * x + c * max(0.0, x - KNOT) + round(float(rng.normal(0, 0.7)), 3)
            rows.append((g, x, round(y, 3)))
    return rows


def pieces(x):
    return np.array([x, max(0.0, x - KNOT)])


def expected(rows):
    """Per group: the slope coefficients and their covariance; and ref."""
    xs = np.array([r[1] for r in rows])
    sse, fits = 0.0, {}
    for g in GROUPS:
        X = np.array([[1.0, x, max(0.0, x - KNOT)] for h, x, _ in rows if h == g])
        y = np.array([v for h, _, v in rows if h == g])
        b, *_ = np.linalg.lstsq(X, y, rcond=None)
        sse += float(((y - X @ b) ** 2).sum())
        fits[g] = (b[1:], np.linalg.inv(X.T @ X)[1:, 1:])
    s2 = sse / (len(rows) - 3 * len(GROUPS))
    return {g: (b, s2 * V) for g, (b, V) in fits.items()}, float(xs.mean())


def compare(name, curve, b, V, ref):
    if not curve:
        fails.append(name + ": no curve")
        return
    for x, y, se in curve:
        d = pieces(x) - pieces(ref)
        check("%s at %g" % (name, x), y, float(b @ d))
        check("%s's band at %g" % (name, x), se, float(np.sqrt(max(d @ V @ d, 0.0))))


def main(builddir):
    rows = make_rows()
    with tempfile.TemporaryDirectory() as tmp:
        data, out = os.path.join(tmp, "g.csv"), os.path.join(tmp, "r.json")
        with open(data, "w") as f:
            f.write("g,x,y\n" + "".join("%s,%r,%r\n" % r for r in rows))
        subprocess.run([os.path.join(builddir, "tools", "engrate-train"), "-q", "-o",
                        os.path.join(tmp, "m.model"), "--categorical", "g", "--numeric",
                        "x:knots=5:by=g:vary=knots", "--target", "y", "--transform", "none",
                        "--lambda", "0", "--folds", "0", "--min-count", "1",
                        "--report-json", out, data], check=True)
        with open(out) as f:
            rep = json.load(f)
    fits, ref = expected(rows)
    x = [i for i in rep["inputs"] if i["id"] == "x"][0]
    check("reference", x["reference"], ref, 1e-12)
    if x["by"] != "g":
        fails.append("by: %r, want 'g'" % x["by"])
    compare("pooled curve (group a)", x["curve"], *fits["a"], ref)
    got = [(c["level"], c["count"]) for c in x["level_curves"]]
    if got != [("b", 24), ("c", 18)]:
        fails.append("level curves: %r, want b (24 rows) then c (18)" % got)
    for c in x["level_curves"]:
        compare("group %s's curve" % c["level"], c["curve"], *fits[c["level"]], ref)
    if any("points" in lv for cv in rep["curves_by_level"] for lv in cv["levels"]):
        fails.append("curves_by_level still draws the curves (points)")
    for f in fails:
        print("FAIL", f)
    print("%s: %d level curves, %d failures" % (os.path.basename(__file__),
                                               len(x["level_curves"]), len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("top_builddir", ".")))
