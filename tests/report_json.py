"""report_json.py: the held-out parts of engrate-train's JSON report computed a second
way, with numpy, from the CSV file and the definitions in docs/training.md:

  - folds: row i (counted from 1) is in fold splitmix64(0x656e67726174650a ^ i) mod K;
  - each fold's fit: weighted ridge with an unpenalised intercept and the penalty
    lambda * s_j^2 (s_j^2 the weighted variance of a numeric piece, 1 for a level), on
    the other folds' rows, solved here with numpy's LU on the centred normal equations
    (engrate uses a Cholesky factor refined in double-double);
  - the interval of fold k: the weighted 10% and 90% quantiles (the smallest residual
    whose cumulative weight reaches q) of the other folds' out-of-fold residuals;
  - deciles: rows sorted by prediction (then target, weight, fold), decile d the rows
    whose cumulative weight at their middle is in [d/10, (d+1)/10) of the total.

It checks the deciles (rows, weight, mean prediction and target, coverage), the overall
coverage, residuals by level (the rows of dropped levels count as giving none), the
levels' coefficients, standard errors, counts and weights, and the base. The file has
fewer rows than the reservoir sample holds, so the sample is every row.

    python3 tests/report_json.py TOP_BUILDDIR

Exit status 0, 1 with a line per failure, 77 without numpy."""
import json
import math
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("numpy is not installed: skipped")
    sys.exit(77)

K, LAMBDA, MIN_COUNT, KNOTS, LEVEL = 5, 3.0, 3, (3.0, 8.0), 0.8
ROLES = ["pm", "se", "pg", "qa", "rare"]
SKILLS = ["java", "go", "sql", "aws"]
fails = []


def check(name, got, want, tol=1e-9):
    if not isinstance(want, (int, float)) or isinstance(want, bool) or got is None:
        ok = got == want
    else:
        ok = abs(got - want) <= tol * (1 + abs(want))
    if not ok:
        fails.append("%s: %r, want %r" % (name, got, want))


def splitmix64(x):
    m = (1 << 64) - 1
    x = (x + 0x9E3779B97F4A7C15) & m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def make_rows(n=400):
    rng = np.random.default_rng(2024)
    rows = []
    for i in range(n):
        role = ROLES[4] if i in (17, 230) else ROLES[rng.integers(0, 4)]
        skills = [s for s in SKILLS if rng.random() < 0.35]
        years = round(float(rng.uniform(0, 20)), 1)
        w = [0.5, 1.0, 2.0][rng.integers(0, 3)]
        eta = (13.2 + 0.1 * ROLES.index(role) + 0.04 * len(skills) + 0.03 * min(years, 8)
               + 0.15 * rng.standard_normal())
        rows.append((role, ";".join(skills), years, round(math.exp(eta)), w))
    return rows


def design(rows):
    """The columns engrate fits: levels seen MIN_COUNT times or more, the years pieces."""
    cols, kinds, names = [], [], []
    for inp, values in (("role", [[r[0]] for r in rows]),
                        ("skills", [r[1].split(";") if r[1] else [] for r in rows])):
        for lv in sorted({x for v in values for x in v}):
            col = np.array([1.0 if lv in v else 0.0 for v in values])
            if col.sum() >= MIN_COUNT:
                cols.append(col)
                kinds.append("level")
                names.append((inp, lv))
    x = np.array([r[2] for r in rows])
    pieces = [x] + [np.maximum(0.0, x - k) for k in KNOTS]
    for k, p in enumerate(pieces):
        cols.append(p)
        kinds.append("numeric")
        names.append(("years", k))
    return np.column_stack(cols), kinds, names


def ridge(X, y, w, pen):
    """Coefficients and intercept of weighted ridge with an unpenalised intercept."""
    sw = w.sum()
    xm = (w @ X) / sw
    ym = (w @ y) / sw
    Xc = X - xm
    C = Xc.T @ (Xc * w[:, None])
    c = Xc.T @ (w * (y - ym))
    b = np.linalg.solve(C + np.diag(pen), c)
    return b, ym - xm @ b, C, Xc, ym


def wquantile(r, w, q):
    order = np.argsort(r, kind="stable")
    total = w.sum()
    cum = 0.0
    for i in order:
        cum += w[i]
        if cum >= q * total * (1 - 1e-12):
            return r[i]
    return r[order[-1]]


def main(top):
    rows = make_rows()
    tmp = tempfile.mkdtemp(prefix="engrate-report-json-")
    csv = os.path.join(tmp, "data.csv")
    with open(csv, "w") as f:
        f.write("role,skills,years,rate,w\n")
        for r in rows:
            f.write("%s,%s,%s,%d,%s\n" % r)
    out = os.path.join(tmp, "r.json")
    cmd = [os.path.join(top, "tools", "engrate-train"), "-q", "-o", os.path.join(tmp, "m.model"),
           "--categorical", "role", "--set", "skills", "--numeric", "years:knots=3,8",
           "--weight", "w", "--folds-by", "order", "--lambda", str(LAMBDA), "--folds", str(K),
           "--min-count", str(MIN_COUNT), "--report-json", out, csv]
    subprocess.run(cmd, check=True)
    with open(out) as f:
        rep = json.load(f)

    X, kinds, names = design(rows)
    y = np.log([r[3] for r in rows])
    w = np.array([r[4] for r in rows])
    n = len(rows)
    sw = w.sum()
    var = [((w * (X[:, j] - (w @ X[:, j]) / sw) ** 2).sum() / sw) if k == "numeric" else 1.0
           for j, k in enumerate(kinds)]
    pen = LAMBDA * np.array(var)
    fold = np.array([splitmix64(0x656E67726174650A ^ i) % K for i in range(1, n + 1)])

    # Out-of-fold predictions: terms absent from the training folds are left out.
    pred = np.empty(n)
    for k in range(K):
        tr, te = fold != k, fold == k
        keep = X[tr].any(axis=0)
        b, b0, *_ = ridge(X[tr][:, keep], y[tr], w[tr], pen[keep])
        pred[te] = b0 + X[te][:, keep] @ b
    r = y - pred
    inside = np.zeros(n, dtype=bool)
    for k in range(K):
        o = fold != k
        lo = wquantile(r[o], w[o], (1 - LEVEL) / 2)
        hi = wquantile(r[o], w[o], (1 + LEVEL) / 2)
        inside[fold == k] = (r[fold == k] >= lo) & (r[fold == k] <= hi)
    check("cv.coverage", rep["cv"]["coverage"], w[inside].sum() / sw, 1e-12)

    order = sorted(range(n), key=lambda i: (pred[i], y[i], w[i], fold[i]))
    cal = rep["calibration"]
    check("calibration.held_out", cal["held_out"], True)
    check("calibration.rows", cal["rows"], n)
    bins = {}
    cum = 0.0
    for i in order:
        d = min(int((cum + 0.5 * w[i]) / sw * 10), 9)
        cum += w[i]
        bins.setdefault(d, []).append(i)
    check("number of deciles", len(cal["bins"]), len(bins))
    for got in cal["bins"]:
        idx = np.array(bins.get(got["decile"] - 1, []))
        ww = w[idx]
        name = "decile %d" % got["decile"]
        check(name + " n", got["n"], len(idx))
        check(name + " weight", got["weight"], ww.sum(), 1e-12)
        check(name + " predicted", got["predicted"], (ww @ pred[idx]) / ww.sum())
        check(name + " actual", got["actual"], (ww @ y[idx]) / ww.sum())
        check(name + " predicted_min", got["predicted_min"], pred[idx].min())
        check(name + " predicted_max", got["predicted_max"], pred[idx].max())
        check(name + " coverage", got["coverage"], ww[inside[idx]].sum() / ww.sum(), 1e-12)

    # The fit on all rows: coefficients, standard errors (s^2 H C H), base.
    b, b0, C, Xc, ym = ridge(X, y, w, pen)
    H = np.linalg.inv(C + np.diag(pen))
    df = np.trace(H @ C) + 1
    rss = (w * (y - ym - Xc @ b) ** 2).sum()
    V = rss / (n - df) * H @ C @ H
    est = {nm: (b[j], math.sqrt(V[j, j])) for j, nm in enumerate(names)}
    by_id = {i["id"]: i for i in rep["inputs"]}
    for inp, values in (("role", [[x[0]] for x in rows]),
                        ("skills", [x[1].split(";") if x[1] else [] for x in rows])):
        got_levels = {lv["label"]: lv for lv in by_id[inp]["levels"]}
        labels = sorted({x for v in values for x in v})
        check(inp + " levels", sorted(got_levels), labels)
        for lv in labels:
            g = got_levels.get(lv)
            if g is None:
                continue
            has = np.array([lv in v for v in values])
            name = "%s=%s" % (inp, lv)
            check(name + " count", g["count"], int(has.sum()))
            if (inp, lv) in est:
                check(name + " weight", g["weight"], w[has].sum(), 1e-12)
                check(name + " status", g["status"], "fitted")
                check(name + " estimate", g["estimate"], est[(inp, lv)][0])
                check(name + " std_error", g["std_error"], est[(inp, lv)][1])
            else:  # not in the model: no weight, and its rows give no level (below)
                check(name + " weight", g["weight"], None)
                check(name + " status", g["status"], "dropped")
                check(name + " estimate", g["estimate"], None)
                check(name + " residual", g["residual"], None)
                continue
            m = (w[has] @ r[has]) / w[has].sum()
            sd = math.sqrt((w[has] @ (r[has] - m) ** 2) / w[has].sum())
            check(name + " residual n", g["residual"]["n"], int(has.sum()))
            check(name + " residual mean", g["residual"]["mean"], m)
            check(name + " residual sd", g["residual"]["sd"], sd)
        kept = {lv for (i, lv) in est if i == inp}
        none = np.array([not kept.intersection(v) for v in values])
        got_none = by_id[inp]["without_level"]
        if none.any():
            m = (w[none] @ r[none]) / w[none].sum()
            check(inp + " without_level n", got_none["n"], int(none.sum()))
            check(inp + " without_level mean", got_none["mean"], m)
        else:
            check(inp + " without_level", got_none, None)
    xbar = (w @ X[:, kinds.index("numeric")]) / sw
    eta = b0 + sum(b[j] * (w @ X[:, j]) / sw for j, k in enumerate(kinds) if k == "level")
    eta += sum(b[j] * (xbar if nm[1] == 0 else max(0.0, xbar - KNOTS[nm[1] - 1]))
               for j, nm in enumerate(names) if nm[0] == "years")
    check("base", rep["base"], math.exp(eta))
    check("years reference", by_id["years"]["reference"], xbar, 1e-12)

    for f in fails:
        print("FAIL", f)
    print("%s: %d rows, %d deciles, %d failures" % (os.path.basename(__file__), n,
                                                   len(cal["bins"]), len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("top_builddir", ".")))
