#!/usr/bin/env python3
"""make-data.py: turns the shared table of published market figures into the training
data of the jp-freelance model, and checks the hand-written name catalogue.

    python3 models/jp-freelance/make-data.py [SHARED_CSV]          write the CSVs
    python3 models/jp-freelance/make-data.py --check [SHARED_CSV]  compare, write nothing
    python3 models/jp-freelance/make-data.py --fit [--lambda L] [SHARED_CSV]

SHARED_CSV defaults to ../shared/market/market-stats.csv relative to the repository root
(the folder two levels above this script). Writes, next to this script:

    figures.csv   one row per published figure the model uses, after conversion
    excluded.csv  every other row of the shared file, with the reason it is left out
    train.csv     one training row per figure, in yen, for engrate-train

--check regenerates everything in memory, compares it with the committed files, and checks
names.csv and aliases-test.csv (ids, collisions after folding, every trained level named,
every typed alias resolving). --fit fits the log-linear model the trainer fits (weighted
ridge, intercept unpenalised) in plain Python and prints each role and skill figure next to
the fitted estimate: a sanity check only, the real model is fitted by engrate-train.

Every rule below is documented in README.md; the choices per row are in FIGURES and
EXCLUDED. The script checks that each row it uses still says what it said when the choice
was made (kind, key, basis tag), so a reordered or edited shared file fails loudly instead
of silently training on the wrong figure. Standard library only; output is deterministic.
"""
import csv
import io
import math
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SHARED = os.path.join(REPO, "..", "shared", "market", "market-stats.csv")

# The years at which a published average is taken to apply: past the point where the
# experience curve levels off (see README.md, "Experience").
REF_YEARS = 5
# ITSS level k is placed at k * 1.5 years: the iSRF level guide gives level 1 as
# "PG, 1-2 years"; its midpoint 1.5 is used as the width of every step from 0 to 3.
YEARS_PER_ITSS_LEVEL = 1.5
# Years at which the "no further change" statement (row 109) is entered.
PLATEAU_YEARS = (10, 30)

# ---- The figures used --------------------------------------------------------------
#
# id: the figure's id (train.csv's `figure` column); row: 1-based data row of the shared
# file; kind/key/tag: what that row must still say; level: the model level; rule: how the
# monthly listing-basis value is obtained (see convert()).
FIGURES = [
    # Roles: listing means
    dict(id="role:pmo", row=1, kind="role", key="pmo", tag="LISTING_MEAN", level="pmo", rule="none"),
    dict(id="role:pm:a", row=3, kind="role", key="pm", tag="ANNUAL", level="pm", rule="annual/12"),
    dict(id="role:pm:b", row=76, kind="role", key="pm", tag="LISTING_RANGE", level="pm", rule="note listing mean annual/12"),
    dict(id="role:ml_engineer", row=88, kind="role", key="ml_engineer", tag="LISTING", level="ml_engineer", rule="none"),
    # Roles: HiPro Tech means (basis not stated; treated as listing basis)
    dict(id="role:dx_consultant", row=19, kind="role", key="dx_consultant", tag="LISTING_OR_CONTRACT_MEAN", level="dx_consultant", rule="none"),
    dict(id="role:it_consultant", row=20, kind="role", key="it_consultant", tag="LISTING_OR_CONTRACT_MEAN", level="it_consultant", rule="none"),
    dict(id="role:po_pdm", row=21, kind="role", key="po_pdm", tag="LISTING_OR_CONTRACT_MEAN", level="po_pdm", rule="none"),
    # Roles: modal bands of listings, entered at their midpoint
    dict(id="role:se", row=48, kind="role", key="se", tag="LISTING_MODE_BAND", level="se", rule="band midpoint"),
    dict(id="role:in_house_se", row=49, kind="role", key="in_house_se", tag="LISTING_MODE_BAND", level="in_house_se", rule="band midpoint"),
    dict(id="role:tech_support", row=50, kind="role", key="tech_support", tag="LISTING_MODE_BAND", level="tech_support", rule="band midpoint"),
    dict(id="role:server_side", row=51, kind="role", key="server_side", tag="LISTING_MODE_BAND", level="server_side", rule="band midpoint"),
    dict(id="role:application_engineer", row=52, kind="role", key="application_engineer", tag="LISTING_MODE_BAND", level="application_engineer", rule="band midpoint"),
    dict(id="role:frontend", row=53, kind="role", key="frontend", tag="LISTING_MODE_BAND", level="frontend", rule="band midpoint"),
    dict(id="role:backend", row=54, kind="role", key="backend", tag="LISTING_MODE_BAND", level="backend", rule="band midpoint"),
    dict(id="role:infra", row=55, kind="role", key="infra", tag="LISTING_MODE_BAND", level="infra", rule="band midpoint"),
    dict(id="role:embedded", row=56, kind="role", key="embedded", tag="LISTING_MODE_BAND", level="embedded", rule="band midpoint"),
    dict(id="role:network", row=74, kind="role", key="network", tag="LISTING_MODE_BAND", level="network", rule="band midpoint"),
    # Roles: SOKUDAN full-time equivalents, only where no other listing figure exists
    dict(id="role:data_scientist", row=25, kind="role", key="data_scientist", tag="ANNUAL", level="data_scientist", rule="annual/12"),
    dict(id="role:mobile", row=26, kind="role", key="mobile_app_ios_android", tag="ANNUAL", level="mobile", rule="annual/12"),
    # Roles: programmer, by PE-BANK's PG:PM ratio applied to the model's PM listing value
    dict(id="role:pg", row=42, kind="role", key="pg", tag="ANNUAL_CONTRACT", level="pg", rule="ratio to row 41 x pm", ref_row=41),
    # Skills: HiPro Tech 2023 table (LISTING_OR_CONTRACT_MEAN)
    dict(id="skill:ruby", row=4, kind="skill", key="ruby", tag="LISTING_OR_CONTRACT_MEAN", level="ruby", rule="none"),
    dict(id="skill:typescript", row=5, kind="skill", key="typescript", tag="LISTING_OR_CONTRACT_MEAN", level="typescript", rule="none"),
    dict(id="skill:swift", row=6, kind="skill", key="swift", tag="LISTING_OR_CONTRACT_MEAN", level="swift", rule="none"),
    dict(id="skill:python", row=7, kind="skill", key="python", tag="LISTING_OR_CONTRACT_MEAN", level="python", rule="none"),
    dict(id="skill:go", row=8, kind="skill", key="go", tag="LISTING_OR_CONTRACT_MEAN", level="go", rule="none"),
    dict(id="skill:objective-c", row=9, kind="skill", key="objective_c", tag="LISTING_OR_CONTRACT_MEAN", level="objective-c", rule="none"),
    dict(id="skill:kotlin", row=10, kind="skill", key="kotlin", tag="LISTING_OR_CONTRACT_MEAN", level="kotlin", rule="none"),
    dict(id="skill:c#", row=11, kind="skill", key="csharp", tag="LISTING_OR_CONTRACT_MEAN", level="c#", rule="none"),
    dict(id="skill:sql", row=12, kind="skill", key="sql", tag="LISTING_OR_CONTRACT_MEAN", level="sql", rule="none"),
    dict(id="skill:javascript", row=13, kind="skill", key="javascript", tag="LISTING_OR_CONTRACT_MEAN", level="javascript", rule="none"),
    dict(id="skill:java", row=14, kind="skill", key="java", tag="LISTING_OR_CONTRACT_MEAN", level="java", rule="none"),
    dict(id="skill:c#.net", row=15, kind="skill", key="csharp_dotnet", tag="LISTING_OR_CONTRACT_MEAN", level="c#.net", rule="none"),
    dict(id="skill:asp.net", row=16, kind="skill", key="asp_dotnet", tag="LISTING_OR_CONTRACT_MEAN", level="asp.net", rule="none"),
    dict(id="skill:c", row=17, kind="skill", key="c", tag="LISTING_OR_CONTRACT_MEAN", level="c", rule="none"),
    # Skills: freelance-attack 2019 listing means
    dict(id="skill:php", row=70, kind="skill", key="php", tag="LISTING_MEAN", level="php", rule="none"),
    dict(id="skill:cobol", row=72, kind="skill", key="cobol", tag="LISTING_MEAN", level="cobol", rule="none"),
    # Experience: iSRF vendor billing by ITSS level, used only as ratios to level 3
    dict(id="years:itss0", row=110, kind="experience", key="itss_level_0", tag="VENDOR_BILLING", level="years", rule="itss ratio", itss=0),
    dict(id="years:itss1", row=111, kind="experience", key="itss_level_1", tag="VENDOR_BILLING", level="years", rule="itss ratio", itss=1),
    dict(id="years:itss2", row=112, kind="experience", key="itss_level_2", tag="VENDOR_BILLING", level="years", rule="itss ratio", itss=2),
    dict(id="years:itss3", row=113, kind="experience", key="itss_level_3", tag="VENDOR_BILLING", level="years", rule="itss ratio", itss=3),
    # Experience: no change after 4-5 years (ISSUE, 1,500+ rate diagnoses)
    dict(id="years:plateau10", row=109, kind="experience", key="years_beyond_3_5", tag="QUALITATIVE", level="years", rule="plateau", years=PLATEAU_YEARS[0]),
    dict(id="years:plateau30", row=109, kind="experience", key="years_beyond_3_5", tag="QUALITATIVE", level="years", rule="plateau", years=PLATEAU_YEARS[1]),
]
ITSS_REFERENCE_ROW = 113  # level 3: the ratio denominator

# Figures found on public pages that are not in the shared file: each entry is a FIGURES
# entry with row=None and an `added` dict holding the columns of a shared row (kind, key,
# statistic, value_man_yen, low_man_yen, high_man_yen, n, as_of, publisher, url, note; the
# note starting with its basis tag). They are written to figures.csv with shared_row empty.
# None so far: every figure used comes from the shared file.
ADDED = []

# ---- The rows left out -------------------------------------------------------------
#
# (rows, reason). Every shared row that is not the `row` of a figure above must be here,
# exactly once; the script refuses to run otherwise.
SOKUDAN_FTE = ("SOKUDAN's figures are full-time equivalents of hourly listing rates "
               "(hourly x 8 h x 21 days), from listings that are often 2-3 days a week")
EXCLUDED = [
    ([2], "duplicate: a secondary write-up of the same report as row 1 (same figure)"),
    ([18], "an industry segment (consulting industry), not a role or skill: the model has no industry input"),
    ([22], "another basis and a better one exists: " + SOKUDAN_FTE + "; the machine learning role uses the aggregator listing figure of row 88"),
    ([23], "no matching role in the catalogue: SOKUDAN's own category (executive consultant), not a role a 単価診断 offers; " + SOKUDAN_FTE),
    ([24, 35], "another basis and better ones exist: " + SOKUDAN_FTE + "; PM uses the listing means of rows 3 and 76"),
    ([27], "another basis and a better one exists: " + SOKUDAN_FTE + "; infrastructure uses the listing band of row 55"),
    ([28, 29, 30, 31, 32], "disagreeing source of another basis: " + SOKUDAN_FTE + "; for the same five languages they run 18-35% above HiPro Tech's table (rows 5-8 and 10), which the model uses for skills"),
    ([33, 34], "disagreeing source of another basis: SOKUDAN's Python monthly figures are hourly x 168 h (many part-time listings), 104 (mean) vs HiPro Tech's 85.8 (row 7)"),
    ([36, 37, 38, 39, 40], "another basis: PE-BANK members' annual contract income (what freelancers received, after agency margin), not a listing rate; no role or skill"),
    ([41], "reference only: the denominator of the PG:PM ratio used for figure role:pg (row 42); on its own it is contract income, not a listing rate"),
    ([43, 44, 45], "another basis (contract income) and an age bracket, not years of experience"),
    ([46], "another basis: distribution of PE-BANK members' annual income"),
    ([47], "a rate change when starting a new Java project (contract basis), not a skill premium"),
    (list(range(57, 68)), "EDITORIAL_RESEARCH without a stated method, from 2015 (ten years older than the figures used); its categories do not match the catalogue's roles"),
    ([68, 69], "EDITORIAL range without method or date"),
    ([71], "median of the same listings whose mean (row 70) is used; the model uses means, and one data set is entered once"),
    ([73], "median of the same listings whose mean (row 72) is used; the model uses means, and one data set is entered once"),
    ([75], "EDITORIAL: an agency's target rate, not a measured figure; the listing mean of the same page (row 76) is used"),
    ([77, 78], "EDITORIAL range without method; the listing mean of row 1 is used for PMO"),
    (list(range(79, 84)), "EDITORIAL minimum rates by consulting-firm title (no method, undated); titles are not years of experience"),
    ([84], "FREELANCER_REGISTRANTS: rates of people registered with an agency, not listings"),
    ([85, 86, 87], "EDITORIAL from a personal blog, without method"),
    ([89], "EDITORIAL income guide from a blog (income, not a listing rate), undated"),
    ([90], "EDITORIAL range without method; COBOL uses the listing mean of row 72"),
    ([91], "AGENCY_RECEIPT: what an agency is paid, from a sample of a few dozen listings; Java uses HiPro Tech's row 14"),
    ([92], "FREELANCER_PAYOUT: what the freelancer receives after margin, not a listing rate"),
    ([93, 94, 95], "EDITORIAL, undated and of low confidence; the listing figures of rows 7, 14 and 70 are used"),
    ([96], "EDITORIAL, undated, without method; the range is stated as take-home (手取り)"),
    ([97], "EDITORIAL range, undated, without method"),
    ([98], "EDITORIAL summary of other surveys (no own data); used only to compare the model's market centre in README.md"),
    ([99], "EDITORIAL typical budget (not a computed mean), 2017"),
    ([100], "VENDOR_BILLING/EDITORIAL: company-to-client 人月単価, undated"),
    ([101, 102, 103], "FREELANCER_SURVEY: contract income reported by 226 freelancers, not listing rates"),
    ([104], "FREELANCER_SURVEY of freelancers aged 40-60 (current income bands), not listing rates; year not shown"),
    ([105, 106, 107, 108], "HOURLY tiers of a side-job platform including intern and part-time work, from a table its publisher replaced in 2024-12 by one without an experience axis (row 109, which is used)"),
    ([114, 115], "ITSS levels 4-5 are reached by responsibility rather than years (lead, architect, PM: what the role input carries), and years stop predicting the rate after 4-5 years (row 109); levels 0-3 are used"),
    (list(range(116, 129)), "USER_SURVEY: the rate enterprise buyers called fair in 2007, high ITSS levels; not listings"),
    (list(range(129, 134)), "VENDOR_BILLING by large vendors in 2003: company-to-client rates, not freelance listings"),
    (list(range(134, 144)), "VENDOR_BILLING/EDITORIAL level tables (company-to-client), undated"),
    (list(range(144, 154)), "ANNUAL_EMPLOYEE: employees' annual pay (2017), not contract rates"),
    (list(range(154, 163)), "EMPLOYEE_WAGE: employees' monthly base wage, not contract rates; not used even as ratios (employee pay scales with age and rank, which freelance rates flatten: see README.md)"),
    (list(range(163, 166)), "SALARY_SURVEY_PREMIUM: PMP holders' employee salary abroad, not a freelance rate premium; certifications are recognised with no premium"),
    (list(range(166, 177)), "EMPLOYER_BONUS: one-time pass bonuses paid to employees, not a rate premium; certifications are recognised with no premium"),
    ([177], "EMPLOYER_ALLOWANCE: monthly qualification allowance for employees, not a rate premium; certifications are recognised with no premium"),
]

FIGURE_COLUMNS = ["id", "shared_row", "kind", "level", "basis_tag", "published", "value_man_yen",
                  "conversion", "weight", "years", "profile", "publisher", "as_of", "url"]
EXCLUDED_COLUMNS = ["shared_row", "kind", "key", "basis_tag", "publisher", "as_of", "reason"]
TRAIN_COLUMNS = ["role", "skills", "certs", "years", "rate", "weight", "figure"]


class DataError(Exception):
    pass


def tag_of(note):
    m = re.match(r"([A-Z_+/]+)", note)
    return m.group(1) if m else ""


def num(text):
    """A decimal number as text: shortest form, at most 4 decimals, no trailing zeros."""
    s = "%.4f" % text
    s = s.rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def note_number(row, pattern):
    m = re.search(pattern, row["note"])
    if not m:
        raise DataError("row %s: note lacks %r" % (row["_n"], pattern))
    return float(m.group(1).replace(",", ""))


def read_shared(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for i, r in enumerate(rows, 1):
        r["_n"] = i
    return rows


def source_row(spec, shared):
    """The row a figure comes from: the shared file's, or the figure's own for an added one."""
    if spec.get("added") is not None:
        return dict(spec["added"], _n="added:" + spec["id"])
    return shared[spec["row"] - 1]


def check_row(spec, row):
    if row["kind"] != spec["kind"] or row["key"] != spec["key"] or tag_of(row["note"]) != spec["tag"]:
        raise DataError("row %s is %s/%s/%s, expected %s/%s/%s for figure %s" % (
            spec["row"], row["kind"], row["key"], tag_of(row["note"]),
            spec["kind"], spec["key"], spec["tag"], spec["id"]))


RULES = {"none", "annual/12", "note listing mean annual/12", "band midpoint",
         "ratio to row 41 x pm", "itss ratio", "plateau"}


def weight_key(spec):
    """Figures sharing a key share weight 1: a role or skill level's figures, or the rows
    entered for one experience figure."""
    if spec["kind"] == "experience":
        return (spec["kind"], spec["row"] or spec["id"])
    return (spec["kind"], spec["level"])


def build(shared):
    """Returns (figures, excluded, train, centre): three lists of dicts in output order
    and the market centre in 万円."""
    n = len(shared)
    used = {}
    for spec in FIGURES + ADDED:
        if spec["rule"] not in RULES:
            raise DataError("figure %s: unknown rule %r" % (spec["id"], spec["rule"]))
        if spec.get("added") is not None:
            check_row(spec, source_row(spec, shared))
            continue
        if not 1 <= spec["row"] <= n:
            raise DataError("figure %s: no shared row %d" % (spec["id"], spec["row"]))
        check_row(spec, shared[spec["row"] - 1])
        used.setdefault(spec["row"], []).append(spec["id"])
    reasons = {}
    for rows, reason in EXCLUDED:
        for r in rows:
            if r in reasons or r in used:
                raise DataError("shared row %d is listed twice (used or excluded)" % r)
            reasons[r] = reason
    missing = [r for r in range(1, n + 1) if r not in used and r not in reasons]
    extra = [r for r in reasons if r > n]
    if missing or extra:
        raise DataError("rows neither used nor excluded: %s; excluded rows not in the file: %s"
                        % (missing, extra))

    figures_all = FIGURES + ADDED

    # Pass 1: figures with a value of their own (not derived from other levels).
    values, published, conversion = {}, {}, {}
    for spec in figures_all:
        row = source_row(spec, shared)
        rule, fid = spec["rule"], spec["id"]
        if rule == "none":
            v = float(row["value_man_yen"])
            published[fid] = "%s %s" % (row["statistic"], row["value_man_yen"])
            conversion[fid] = "none"
        elif rule == "annual/12":
            a = note_number(row, r"annual_man_yen=([0-9.,]+)")
            v = a / 12
            published[fid] = "annual %s" % num(a)
            conversion[fid] = "annual/12"
        elif rule == "note listing mean annual/12":
            a = note_number(row, r"listing mean annual ~([0-9,]+)")
            v = a / 12
            published[fid] = "annual %s (listing mean x12, stated in the note)" % num(a)
            conversion[fid] = "annual/12"
        elif rule == "band midpoint":
            lo, hi = float(row["low_man_yen"]), float(row["high_man_yen"])
            v = (lo + hi) / 2
            published[fid] = "modal band %s-%s" % (row["low_man_yen"], row["high_man_yen"])
            conversion[fid] = "band midpoint"
        else:
            continue
        values[fid] = v

    def level_value(level):
        """Weighted geometric mean of a level's figures (equal weights)."""
        vs = [values[s["id"]] for s in figures_all if s["level"] == level and s["id"] in values]
        return math.exp(sum(math.log(v) for v in vs) / len(vs))

    # Pass 2: programmer, by ratio to PM within one publisher.
    for spec in figures_all:
        if spec["rule"] != "ratio to row 41 x pm":
            continue
        row, ref = source_row(spec, shared), shared[spec["ref_row"] - 1]
        if ref["key"] != "pm" or ref["publisher"] != row["publisher"] or ref["as_of"] != row["as_of"]:
            raise DataError("row %d is not PE-BANK's PM figure of the same date" % spec["ref_row"])
        pg = note_number(row, r"annual_man_yen=([0-9.,]+)")
        pm = note_number(ref, r"annual_man_yen=([0-9.,]+)")
        pm_listing = level_value("pm")
        values[spec["id"]] = pm_listing * pg / pm
        published[spec["id"]] = "annual %s (PE-BANK PG, contract income)" % num(pg)
        conversion[spec["id"]] = ("ratio: row %d / row %d (%s/%s, same publisher and date) x PM listing value %s"
                                  % (spec["row"], spec["ref_row"], num(pg), num(pm), num(pm_listing)))

    # The market centre A: geometric mean over the role and skill levels with figures, one
    # vote per level. It is where a profile with no role and no skill lands past the
    # experience plateau, and what the experience ratios are applied to.
    levels = []
    for spec in figures_all:
        if spec["kind"] in ("role", "skill") and (spec["kind"], spec["level"]) not in levels:
            levels.append((spec["kind"], spec["level"]))
    centre = math.exp(sum(math.log(level_value(lv)) for _, lv in levels) / len(levels))

    # Pass 3: experience, as ratios to ITSS level 3 applied to the centre.
    ref3 = shared[ITSS_REFERENCE_ROW - 1]
    if ref3["key"] != "itss_level_3":
        raise DataError("row %d is not ITSS level 3" % ITSS_REFERENCE_ROW)
    v3 = float(ref3["value_man_yen"])
    for spec in figures_all:
        fid = spec["id"]
        if spec["rule"] == "itss ratio":
            row = source_row(spec, shared)
            v = float(row["value_man_yen"])
            values[fid] = centre * v / v3
            published[fid] = "vendor billing %s (ITSS level %d)" % (row["value_man_yen"], spec["itss"])
            conversion[fid] = ("ratio %s/%s (ITSS level %d / level 3, row %d) x market centre %s"
                               % (row["value_man_yen"], num(v3), spec["itss"], ITSS_REFERENCE_ROW, num(centre)))
            spec_years = spec["itss"] * YEARS_PER_ITSS_LEVEL
        elif spec["rule"] == "plateau":
            values[fid] = centre
            published[fid] = "qualitative: no change after 4-5 years"
            conversion[fid] = "ratio 1 (same as ITSS level 3) x market centre %s" % num(centre)
            spec_years = spec["years"]
        else:
            continue
        spec["_years"] = spec_years

    # Weights: one per published figure; a level with k figures gives each 1/k, so every
    # level counts once. The plateau statement is one figure entered at two years.
    count = {}
    for spec in figures_all:
        count[weight_key(spec)] = count.get(weight_key(spec), 0) + 1

    figures, train = [], []
    for spec in figures_all:
        row = source_row(spec, shared)
        fid = spec["id"]
        weight = 1.0 / count[weight_key(spec)]
        v = values[fid]
        if spec["kind"] == "role":
            years, profile = REF_YEARS, "role=%s years=%s" % (spec["level"], num(REF_YEARS))
            t_role, t_skills = spec["level"], ""
        elif spec["kind"] == "skill":
            years, profile = REF_YEARS, "skills=%s years=%s" % (spec["level"], num(REF_YEARS))
            t_role, t_skills = "", spec["level"]
        else:
            years = spec["_years"]
            profile = "years=%s" % num(years)
            t_role, t_skills = "", ""
        figures.append({
            "id": fid, "shared_row": "" if spec.get("added") is not None else str(spec["row"]),
            "kind": spec["kind"], "level": spec["level"],
            "basis_tag": tag_of(row["note"]), "published": published[fid], "value_man_yen": num(v),
            "conversion": conversion[fid], "weight": num(weight), "years": num(years),
            "profile": profile, "publisher": row["publisher"], "as_of": row["as_of"], "url": row["url"],
        })
        # The rate is the rounded figure itself, so figures.csv and train.csv agree to the yen.
        rate = int(round(float(num(v)) * 10000))
        train.append({"role": t_role, "skills": t_skills, "certs": "", "years": num(years),
                      "rate": str(rate), "weight": num(weight), "figure": fid})

    excluded = []
    for r in sorted(reasons):
        row = shared[r - 1]
        excluded.append({"shared_row": str(r), "kind": row["kind"], "key": row["key"],
                         "basis_tag": tag_of(row["note"]), "publisher": row["publisher"],
                         "as_of": row["as_of"], "reason": reasons[r]})
    return figures, excluded, train, centre


def to_csv(columns, rows):
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return out.getvalue()


# ---- Names -------------------------------------------------------------------------

def fold(name):
    """The library's name folding (models/FORMAT.md, "Name matching"; lib/fold.c): the
    compatibility decomposition with case folding, less the separators, the spaces and the
    default ignorables (approximated here by format characters), then composed again. The
    library takes its tables from utf8proc, this from Python's unicodedata: the two can
    differ on characters newer than the older of their Unicode versions, never on the
    names of this catalogue."""
    d = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
    kept = [ch for ch in d
            if ch not in " \t\n\r\v\f-_./\u30fb\u2212" and not 0x2010 <= ord(ch) <= 0x2015
            and unicodedata.category(ch) not in ("Zs", "Zl", "Zp", "Cf")]
    return unicodedata.normalize("NFC", "".join(kept))


ID_RE = re.compile(r"^[a-z0-9_+#.\-]{1,64}$")
MINIMUM = {"role": 20, "skills": 40, "certs": 20}


def check_names(names_path, aliases_path, train):
    problems, warnings = [], []
    with open(names_path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    index = {}          # (input, folded) -> level
    levels = {}         # input -> {level: evidence}
    labels = set()
    for i, r in enumerate(rows, 2):
        inp, lv = r["input"], r["level"]
        if inp not in ("role", "skills", "certs", "years"):
            problems.append("names.csv:%d: unknown input %r" % (i, inp))
            continue
        if not r["name_en"] or not r["name_ja"]:
            problems.append("names.csv:%d: a display name is missing" % i)
        if lv == "":
            labels.add(inp)
            continue
        if inp == "years":
            problems.append("names.csv:%d: years takes no levels" % i)
            continue
        if not ID_RE.match(lv):
            problems.append("names.csv:%d: bad level id %r" % (i, lv))
        if lv in levels.setdefault(inp, {}):
            problems.append("names.csv:%d: level %s given twice" % (i, lv))
        if r["evidence"] not in ("", "none"):
            problems.append("names.csv:%d: evidence must be empty or none" % i)
        levels[inp][lv] = r["evidence"]
        aliases = [a for a in r["aliases"].split("|")] if r["aliases"] else []
        seen_here = {}
        for kind, name in [("id", lv), ("name_en", r["name_en"]), ("name_ja", r["name_ja"])] + \
                [("alias", a) for a in aliases]:
            key = fold(name)
            if not key:
                problems.append("names.csv:%d: %s %r folds to nothing" % (i, kind, name))
                continue
            if len(name.encode("utf-8")) > 256:
                problems.append("names.csv:%d: %s %r is longer than 256 bytes" % (i, kind, name))
            other = index.get((inp, key))
            if other is not None and other != lv:
                problems.append("names.csv:%d: %s %r of %s folds to %r, already a name of %s"
                                % (i, kind, name, lv, key, other))
            if kind == "alias" and key in seen_here:
                warnings.append("names.csv:%d: alias %r of %s is redundant with %s %r (same folded form)"
                                % (i, name, lv, seen_here[key][0], seen_here[key][1]))
            seen_here.setdefault(key, (kind, name))
            index[(inp, key)] = lv
        if len(aliases) > 64:
            problems.append("names.csv:%d: more than 64 aliases" % i)
    for inp in ("role", "skills", "certs", "years"):
        if inp not in labels:
            problems.append("names.csv: no label row for input %s" % inp)
    for inp, k in MINIMUM.items():
        if len(levels.get(inp, {})) < k:
            problems.append("names.csv: %s has %d levels, fewer than %d" % (inp, len(levels.get(inp, {})), k))
    trained = {"role": set(), "skills": set(), "certs": set()}
    for t in train:
        if t["role"]:
            trained["role"].add(t["role"])
        for col in ("skills", "certs"):
            for lv in filter(None, t[col].split(";")):
                trained[col].add(lv)
    for inp, lvs in trained.items():
        for lv in sorted(lvs):
            ev = levels.get(inp, {}).get(lv)
            if ev is None:
                problems.append("train.csv level %s=%s is not in names.csv" % (inp, lv))
            elif ev == "none":
                problems.append("names.csv marks %s=%s evidence none, but train.csv has rows for it" % (inp, lv))
        for lv, ev in sorted(levels.get(inp, {}).items()):
            if ev == "" and lv not in lvs:
                problems.append("names.csv: %s=%s has no training row: mark it evidence none" % (inp, lv))
    n_alias = 0
    with open(aliases_path, encoding="utf-8", newline="") as f:
        for i, r in enumerate(csv.DictReader(f), 2):
            n_alias += 1
            got = index.get((r["input"], fold(r["typed"])))
            if got != r["level"]:
                problems.append("aliases-test.csv:%d: %s %r resolves to %s, expected %s"
                                % (i, r["input"], r["typed"], got, r["level"]))
    if n_alias < 60:
        problems.append("aliases-test.csv has %d forms, fewer than 60" % n_alias)
    return problems, warnings, levels


# ---- Self-check fit ----------------------------------------------------------------

def fit(train, lam, knots):
    """Weighted ridge on log(rate): intercept unpenalised, columns as the trainer's.
    Returns (names, beta, predict)."""
    roles = sorted({t["role"] for t in train if t["role"]})
    skills = sorted({s for t in train for s in t["skills"].split(";") if s})
    names = ["(intercept)"] + ["role=" + r for r in roles] + ["skills=" + s for s in skills] + \
            ["years"] + ["years>%s" % num(k) for k in knots]

    def design(role, skill_set, years):
        x = [1.0] + [1.0 if role == r else 0.0 for r in roles] + \
            [1.0 if s in skill_set else 0.0 for s in skills] + \
            [years] + [max(0.0, years - k) for k in knots]
        return x

    p = len(names)
    A = [[0.0] * p for _ in range(p)]
    b = [0.0] * p
    for t in train:
        x = design(t["role"], set(filter(None, t["skills"].split(";"))), float(t["years"]))
        w, y = float(t["weight"]), math.log(float(t["rate"]))
        for i in range(p):
            b[i] += w * x[i] * y
            for j in range(p):
                A[i][j] += w * x[i] * x[j]
    for i in range(1, p):
        A[i][i] += lam
    # Gaussian elimination with partial pivoting.
    M = [A[i][:] + [b[i]] for i in range(p)]
    for c in range(p):
        piv = max(range(c, p), key=lambda r: abs(M[r][c]))
        if abs(M[piv][c]) < 1e-12:
            raise DataError("singular design at column %s" % names[c])
        M[c], M[piv] = M[piv], M[c]
        for r in range(p):
            if r != c and M[r][c] != 0.0:
                f = M[r][c] / M[c][c]
                for k in range(c, p + 1):
                    M[r][k] -= f * M[c][k]
    beta = [M[i][p] / M[i][i] for i in range(p)]

    def predict(role, skill_set, years):
        x = design(role, skill_set, years)
        return math.exp(sum(a * c for a, c in zip(x, beta)))
    return names, beta, predict


def parse_profile(profile):
    role, skills, years = "", set(), REF_YEARS
    for part in profile.split():
        k, _, v = part.partition("=")
        if k == "role":
            role = v
        elif k == "skills":
            skills = set(v.split(";"))
        elif k == "years":
            years = float(v)
    return role, skills, years


def self_check(figures, train, lam):
    knots = [YEARS_PER_ITSS_LEVEL * k for k in (1, 2, 3)]
    names, beta, predict = fit(train, lam, knots)
    worst = 0.0
    lines = []
    for f in figures:
        role, skills, years = parse_profile(f["profile"])
        est = predict(role, skills, years) / 10000
        fig = float(f["value_man_yen"])
        dev = est / fig - 1
        if f["kind"] in ("role", "skill"):
            worst = max(worst, abs(dev))
        lines.append("%-24s %-32s figure %8.3f  fit %8.3f  %+6.2f%%" % (f["id"], f["profile"], fig, est, 100 * dev))
    return lines, worst, names, beta


# ---- Main --------------------------------------------------------------------------

def main(argv):
    args = argv[1:]
    mode, lam, shared_path = "write", 1e-6, DEFAULT_SHARED
    while args:
        a = args.pop(0)
        if a == "--check":
            mode = "check"
        elif a == "--fit":
            mode = "fit"
        elif a == "--lambda":
            lam = float(args.pop(0))
        elif a.startswith("-"):
            sys.stderr.write(__doc__)
            return 2
        else:
            shared_path = a
    try:
        shared = read_shared(shared_path)
        figures, excluded, train, centre = build(shared)
    except (OSError, DataError) as e:
        sys.stderr.write("make-data.py: %s\n" % e)
        return 1
    outputs = {
        "figures.csv": to_csv(FIGURE_COLUMNS, figures),
        "excluded.csv": to_csv(EXCLUDED_COLUMNS, excluded),
        "train.csv": to_csv(TRAIN_COLUMNS, train),
    }
    if mode == "write":
        for name, text in outputs.items():
            with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="") as f:
                f.write(text)
        print("make-data.py: %d figures, %d excluded rows, %d training rows; market centre %s 万円"
              % (len(figures), len(excluded), len(train), num(centre)))
        return 0
    if mode == "fit":
        lines, worst, names, beta = self_check(figures, train, lam)
        print("\n".join(lines))
        print("lambda %g: largest deviation of a role or skill figure %.2f%%" % (lam, 100 * worst))
        for n, b in zip(names, beta):
            print("  %-28s %+.5f" % (n, b))
        return 0 if worst <= 0.10 else 1
    ok = True
    for name, text in outputs.items():
        try:
            with open(os.path.join(HERE, name), encoding="utf-8", newline="") as f:
                have = f.read()
        except OSError:
            have = None
        if have != text:
            print("make-data.py: %s differs from what the shared file gives: run make-data.py" % name)
            ok = False
    problems, warnings, levels = check_names(os.path.join(HERE, "names.csv"),
                                             os.path.join(HERE, "aliases-test.csv"), train)
    for w in warnings:
        print("warning: " + w)
    for p in problems:
        print(p)
    ok = ok and not problems
    lines, worst, _, _ = self_check(figures, train, 1e-6)
    if worst > 0.10:
        print("self-check fit misses a figure by %.2f%%" % (100 * worst))
        ok = False
    counts = ", ".join("%s %d (%d without evidence)" % (k, len(v), sum(1 for e in v.values() if e == "none"))
                       for k, v in sorted(levels.items()))
    print("make-data.py --check: %s; levels: %s" % ("ok" if ok else "FAILED", counts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
