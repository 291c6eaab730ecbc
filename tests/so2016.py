#!/usr/bin/env python3
"""so2016.py: engrate-train on the Stack Overflow 2016 salaries (so2016-dev.csv, labels as
published) beside scikit-learn on the same design. Not run by `make check` (it needs the
file, numpy, pandas and scikit-learn, and takes a while); docs/training.md quotes its
output. Usage:

    python3 tests/so2016.py so2016-dev.csv [BUILDDIR]

It prints, as CV RMSE of log(pay):
  1. scikit-learn's RidgeCV, KFold(5, shuffle=True, random_state=1): the protocol of the
     file's README (0.5147 there);
  2. RidgeCV on engrate's own folds (row i of the file is in fold
     splitmix64(0x656e67726174650a ^ i) mod 5, i counted from 1);
  3. Ridge at the lambda engrate chose, with engrate's penalty (numeric columns scaled by
     their standard deviation, indicators not, the intercept free), on engrate's folds:
     a second computation of the figure engrate reports, which it must equal;
  4. engrate-train's own report (when BUILDDIR has tools/engrate-train);
  5. with every tenth row's years made NA and --missing impute --lambda 1.5: engrate's CV
     RMSE beside Ridge(alpha=1.5) on SimpleImputer(strategy="mean", add_indicator=True)
     of the same design (imputed on all rows, as engrate does; the indicator, like the
     levels, not scaled), on engrate's folds: the same number, computed twice.
  6. years varying by country (--numeric years:knots=1,3,5,10,20:by=country, each
     country's own slope, and with vary=knots its own change of slope at every knot too):
     engrate's CV RMSE beside Ridge on the same design computed here (each country's
     copies of the varying pieces, centred at the pieces' value at the mean years, scaled
     by the pooled piece's SD and by the square root of the penalty ratio engrate chose),
     at engrate's lambda, on engrate's folds: the same number, computed twice; and the
     80% interval coverage, which must stay within 2 points of 80%.
The design: role and country one-hot with the levels seen at least 5 times, skills and
certs multi-hot likewise, years and its hinges max(0, years - k) at 1, 3, 5, 10, 20."""

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import KFold

KNOTS = (1, 3, 5, 10, 20)
MIN_COUNT = 5
FLAGS = ["--categorical", "role", "--categorical", "country", "--set", "skills", "--set",
         "certs", "--numeric", "years:knots=1,3,5,10,20", "--min-count", "5",
         "--target", "pay"]


def design(d):
    cols, numeric = {}, []
    for col in ("role", "country"):
        counts = d[col].value_counts()
        for level in sorted(counts[counts >= MIN_COUNT].index):
            cols["%s=%s" % (col, level)] = (d[col] == level).astype(float).values
    for col in ("skills", "certs"):
        items = d[col].apply(lambda s: set(x.strip() for x in s.split(";") if x.strip()))
        counts = Counter(x for s in items for x in s)
        for level in sorted(k for k, v in counts.items() if v >= MIN_COUNT):
            cols["%s=%s" % (col, level)] = items.apply(lambda s, k=level: float(k in s)).values
    years = d["years"].values.astype(float)
    cols["years"] = years
    numeric.append("years")
    for k in KNOTS:
        cols["years>%g" % k] = np.maximum(0.0, years - k)
        numeric.append("years>%g" % k)
    return pd.DataFrame(cols), numeric


def splitmix64(x):
    m = (1 << 64) - 1
    x = (x + 0x9E3779B97F4A7C15) & m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def engrate_folds(n, k=5):
    return np.array([splitmix64(0x656E67726174650A ^ i) % k for i in range(1, n + 1)])


def cv_rmse(make, X, y, folds):
    sse = 0.0
    for f in range(folds.max() + 1):
        train, test = folds != f, folds == f
        model = make().fit(X[train], y[train])
        sse += float(((y[test] - model.predict(X[test])) ** 2).sum())
    return (sse / len(y)) ** 0.5


def run_engrate(builddir, path, more=(), flags=FLAGS):
    train = os.path.join(builddir, "tools", "engrate-train")
    if not os.access(train, os.X_OK):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        subprocess.run([train, "-q", "-o", os.path.join(tmp, "so.model"), "--report-json",
                        report] + list(flags) + list(more) + [path], check=True)
        with open(report, encoding="utf-8") as f:
            return json.load(f)


def penalty_scaled(X, numeric):
    """The columns as engrate penalises them: numeric ones divided by their SD."""
    A = X.values.copy()
    for j, name in enumerate(X.columns):
        if name in numeric:
            sd = A[:, j].std()
            A[:, j] /= sd if sd > 0 else 1.0
    return A


def imputed(d, builddir, y, ours):
    """Section 5: every tenth row's years NA, engrate --missing impute beside scikit-learn."""
    from sklearn.impute import SimpleImputer
    na = d.copy()
    na["years"] = na["years"].astype(object)
    na.loc[na.index % 10 == 3, "years"] = "NA"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "na.csv")
        na.to_csv(path, index=False)
        rep = run_engrate(builddir, path, ["--missing", "impute", "--lambda", "1.5"])
    X, numeric = design(d)
    years = na["years"].replace("NA", np.nan).astype(float).values.reshape(-1, 1)
    imp = SimpleImputer(strategy="mean", add_indicator=True).fit_transform(years)
    X["years"] = imp[:, 0]
    for k in KNOTS:
        X["years>%g" % k] = np.maximum(0.0, imp[:, 0] - k)
    X["years (missing)"] = imp[:, 1]
    B = penalty_scaled(X, numeric)
    print("5. --missing impute: engrate %.6f, SimpleImputer + Ridge(alpha=1.5) %.6f"
          % (rep["cv"]["rmse"], cv_rmse(lambda: Ridge(alpha=1.5), B, y, ours)))


def by_country(d, y, ours, builddir, path, vary):
    """Section 6: years varying by country, engrate beside Ridge on the same design."""
    flags = [f + ":by=country:vary=" + vary if f.startswith("years:") else f for f in FLAGS]
    rep = run_engrate(builddir, path, flags=flags)
    curve = rep["curves_by_level"][0]
    ratio, lam = curve["penalty_ratio"], rep["lambda"]
    X, numeric = design(d)
    B = penalty_scaled(X, numeric)
    years = d["years"].values.astype(float)
    ref = years.mean()
    pieces = [(years, ref)] + [(np.maximum(0.0, years - k), max(0.0, ref - k))
                               for k in KNOTS]
    if vary == "slope":
        pieces = pieces[:1]
    counts = d["country"].value_counts()
    extra = []
    for level in sorted(counts[counts >= MIN_COUNT].index):
        on = (d["country"] == level).values.astype(float)
        for col, centre in pieces:
            if ((col > 0) & (on > 0)).any():  # engrate makes a piece a level's rows have
                sd = col.std()
                extra.append(on * (col - centre) / (sd * ratio ** 0.5))
    A = np.hstack([B, np.array(extra).T])
    print("6. years by country (vary=%s): engrate CV RMSE %.6f (one curve for all %.6f, "
          "%.4f less), lambda %.6g, penalty ratio %.3g, 80%% coverage %.4f, %d coefficients; "
          "Ridge on the same design %.6f"
          % (vary, rep["cv"]["rmse"], curve["cv_rmse_pooled"], curve["cv_rmse_removed"], lam,
             ratio, rep["cv"]["coverage"], rep["p"],
             cv_rmse(lambda: Ridge(alpha=lam), A, y, ours)))


def main():
    path = sys.argv[1]
    builddir = sys.argv[2] if len(sys.argv) > 2 else None
    d = pd.read_csv(path, keep_default_na=False, dtype={"years": float, "pay": float})
    X, numeric = design(d)
    y = np.log(d["pay"].values)
    A = X.values
    alphas = np.logspace(-3, 3, 61)
    kf = np.zeros(len(y), dtype=int)
    for f, (_, test) in enumerate(KFold(5, shuffle=True, random_state=1).split(A)):
        kf[test] = f
    ours = engrate_folds(len(y))
    print("design: %d rows, %d columns" % A.shape)
    print("1. RidgeCV, KFold(5, shuffle, random_state=1):  %.4f"
          % cv_rmse(lambda: RidgeCV(alphas=alphas), A, y, kf))
    print("2. RidgeCV, engrate's folds:                   %.4f"
          % cv_rmse(lambda: RidgeCV(alphas=alphas), A, y, ours))
    rep = run_engrate(builddir, path) if builddir else None
    if rep is None:
        return
    lam = rep["lambda"]
    B = penalty_scaled(X, numeric)
    print("3. Ridge(alpha=%.6g), engrate's penalty, engrate's folds: %.6f"
          % (lam, cv_rmse(lambda: Ridge(alpha=lam), B, y, ours)))
    print("4. engrate-train: CV RMSE %.6f, lambda %.6g, 80%% interval coverage %.4f, "
          "%d coefficients" % (rep["cv"]["rmse"], lam, rep["cv"]["coverage"], rep["p"]))
    imputed(d, builddir, y, ours)
    for vary in ("slope", "knots"):
        by_country(d, y, ours, builddir, path, vary)


if __name__ == "__main__":
    main()
