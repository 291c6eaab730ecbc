"""The default model (models/jp-freelance) against the published figures it was built from.

Run by tests/jp-model.test. The expected values are the published figures themselves, read
from models/jp-freelance/figures.csv (each row traces to a row of the shared market file);
nothing here is copied from the model. Checks:
  1. every role and skill figure is reproduced within +-10% for the profile it describes
     (the `profile` column: e.g. "role=pmo years=5" = a PMO with 5 years, no skills);
  2. every typed form in aliases-test.csv resolves to its intended level;
  3. orderings the figures support hold in the model (a role published >5% above another
     is estimated above it);
  4. levels without published evidence are marked so, and levels with a figure are not;
  5. the model's metadata: JPY, month, as_of = the newest dated figure, every publisher
     credited in a source line;
  6. the estimator command in the README's first command prints an estimate;
  7. the breakdown starts from the typical listing: for PMO, 8 years, Java, PMP its base is
     the market centre (the geometric mean of the role and skill levels' figures) and the
     years amount is the difference from the training rows' mean years, both past the
     4.5-year plateau, so about 0; the amounts add up to the estimate.
"""
import csv
import json
import math
import os
import re
import subprocess
import sys

srcdir = os.environ.get("srcdir", ".")
builddir = os.environ.get("top_builddir", ".")
est = os.path.join(builddir, "examples", "engrate-estimate")
model = os.path.join(builddir, "models", "jp-freelance.model")
data = os.path.join(srcdir, "models", "jp-freelance")

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def run(args, want_status=0):
    p = subprocess.run([est, "-m", model] + args, capture_output=True, text=True)
    if p.returncode != want_status:
        raise SystemExit("engrate-estimate %s: status %d\n%s" % (args, p.returncode, p.stderr))
    return p.stdout


def estimate(args):
    return json.loads(run(args + ["--json", "--strict"]))


def profile_args(profile):
    args = []
    for part in profile.split():
        key, value = part.split("=", 1)
        flag = {"role": "--role", "skills": "--skill", "certs": "--cert", "years": "--years"}[key]
        args += [flag, value]
    return args


figures = list(csv.DictReader(open(os.path.join(data, "figures.csv"), encoding="utf-8")))

# 1. Role and skill figures within 10%.
by_role = {}
for f in figures:
    if f["kind"] not in ("role", "skill"):
        continue
    want = float(f["value_man_yen"]) * 10000
    got = estimate(profile_args(f["profile"]))["estimate"]
    err = got / want - 1
    print("%-28s %-34s published %9.0f  model %9.0f  %+6.2f%%" % (f["id"], f["profile"], want, got, 100 * err))
    check(abs(err) <= 0.10, "%s: %s is %.1f%% off" % (f["id"], f["profile"], 100 * err))
    if f["kind"] == "role":
        by_role.setdefault(f["level"], []).append((want, got))
check(len(by_role) >= 15, "role figures: only %d" % len(by_role))

# 2. Aliases.
aliases = list(csv.DictReader(open(os.path.join(data, "aliases-test.csv"), encoding="utf-8")))
check(len(aliases) >= 50, "only %d typed forms" % len(aliases))
flag = {"role": "--role", "skills": "--skill", "certs": "--cert"}
for a in aliases:
    if "," in a["typed"]:  # --skill splits on commas
        check(False, "typed form with a comma cannot be tested: %r" % a["typed"])
        continue
    r = json.loads(run([flag[a["input"]], a["typed"], "--json"]))
    # (a row of level null takes the typical listing's skills out of the breakdown)
    levels = [c["level"] for c in r["contributions"]
              if c["input"] == a["input"] and c["level"] is not None]
    check(levels == [a["level"]] and not r["unknown"],
          "%s %r resolved to %s (unknown %s), want %s" % (a["input"], a["typed"], levels, r["unknown"], a["level"]))

# 3. Orderings supported by the figures.
means = {k: (sum(w for w, _ in v) / len(v), sum(g for _, g in v) / len(v)) for k, v in by_role.items()}
pairs = 0
for a, (wa, ga) in means.items():
    for b, (wb, gb) in means.items():
        if wa > wb * 1.05:
            pairs += 1
            check(ga > gb, "published %s (%.0f) > %s (%.0f) but the model says %.0f <= %.0f" % (a, wa, b, wb, ga, gb))
check(pairs > 50, "only %d ordered pairs" % pairs)
for low in ("pg",):
    for high in ("pmo", "pm"):
        if low in means and high in means:
            check(means[high][0] > means[low][0] and means[high][1] > means[low][1], "%s above %s" % (high, low))

# 4. Evidence marks.
names = list(csv.DictReader(open(os.path.join(data, "names.csv"), encoding="utf-8")))
figure_levels = {(("skills" if f["kind"] == "skill" else f["kind"]), f["level"]) for f in figures}
listed = {}
for what, input_id in (("roles", "role"), ("skills", "skills"), ("certs", "certs")):
    for lv in json.loads(run(["--list", what, "--json"])):
        listed[(input_id, lv["id"])] = lv
for n in names:
    if not n["level"]:
        continue
    key = (n["input"], n["level"])
    check(key in listed, "level %s/%s missing from the model" % key)
    if key in listed:
        check(listed[key]["no_evidence"] == (n["evidence"] == "none"), "evidence mark of %s/%s" % key)
        if key in figure_levels:
            check(not listed[key]["no_evidence"], "%s/%s has a figure but no evidence" % key)
counts = {}
for (input_id, _) in listed:
    counts[input_id] = counts.get(input_id, 0) + 1
check(counts.get("role", 0) >= 20 and counts.get("skills", 0) >= 40 and counts.get("certs", 0) >= 20,
      "level counts %s" % counts)

# 5. Metadata.
text = open(model, encoding="utf-8").read()
meta = dict(re.findall(r"^(currency|period|as_of|basis) = (.*)$", text, re.M))
check(meta.get("currency") == "JPY" and meta.get("period") == "month", "currency/period %s" % meta)
newest = max(f["as_of"] for f in figures if f["as_of"])
check(meta.get("as_of") == newest, "as_of %s, newest figure %s" % (meta.get("as_of"), newest))
sources = re.findall(r"^source = (.*)$", text, re.M)
for publisher in sorted({f["publisher"] for f in figures}):
    check(any(s.startswith(publisher) for s in sources), "publisher %s not credited" % publisher)

# 6. The README's first command ends by running the estimator: its arguments work here.
readme = open(os.path.join(srcdir, "README"), encoding="utf-8").read()
m = re.search(r"&& engrate-estimate ([^\n]*)", readme)
check(m is not None, "no engrate-estimate in the README's first command")
if m:
    out = run(m.group(1).split())
    check(re.search(r"Estimate  ¥[0-9,]+", out) is not None, "README command printed:\n" + out)
    print(out)

# 7. The breakdown's base is the typical listing.
levels = {}
for f in figures:
    if f["kind"] in ("role", "skill"):
        levels.setdefault((f["kind"], f["level"]), []).append(math.log(float(f["value_man_yen"])))
centre = 10000 * math.exp(sum(sum(v) / len(v) for v in levels.values()) / len(levels))
rows = list(csv.DictReader(open(os.path.join(data, "train.csv"), encoding="utf-8")))
typical_years = sum(float(r["weight"]) * float(r["years"]) for r in rows) / \
    sum(float(r["weight"]) for r in rows)
r = estimate(["--role", "pmo", "--years", "8", "--skill", "java", "--cert", "pmp"])
c = r["contributions"]
print("breakdown: %s; market centre %.0f, typical years %.3f" %
      (", ".join("%s %+.0f" % (x["level"] or x["input"], x["amount"]) for x in c), centre,
       typical_years))
check(c[0]["input"] == "(base)" and c[0]["name"] == "typical listing", "base row %s" % c[0])
check(abs(c[0]["amount"] / centre - 1) < 0.02, "base %.0f, market centre %.0f" % (c[0]["amount"], centre))
years = [x for x in c if x["input"] == "years"]
check(len(years) == 1 and abs(years[0]["amount"]) < 0.005 * r["estimate"],
      "years amount %s at 8 years, typical %.2f" % (years, typical_years))
ref = re.search(r"^\[input years\]\n(?:[^\[].*\n)*?reference = (.*)$", text, re.M)
check(ref is not None and abs(float(ref.group(1)) - typical_years) < 1e-9,
      "years reference %s, rows' mean %.6f" % (ref and ref.group(1), typical_years))
check(abs(sum(x["amount"] for x in c) - r["estimate"]) < 1e-6 * r["estimate"], "amounts add up")

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
