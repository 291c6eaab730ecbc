"""engrate.report: a training report drawn as one self-contained HTML page.

    engrate-report REPORT.json -o REPORT.html [--lang ja]
    python3 -m engrate.report REPORT.json -o REPORT.html

REPORT.json is what `engrate-train --report-json` writes (or engrate.train's report); the
page has the data and the model in a few lines, then figures drawn with matplotlib and
embedded as SVG (no other file, nothing fetched): predicted against actual and the
interval's coverage by decile of the held-out prediction, the cross-validation curve
with the lambda chosen, each numeric input's curve with its standard-error band (and a
panel per level, the MAX_CURVES largest, when it varies by a level), each categorical
and set input's effects (dot and whisker, sorted), residuals by level, the rows skipped,
the levels dropped and the notes. --lang ja labels everything in Japanese,
levels by their Japanese names, in a font Debian ships (fonts-noto-cjk).

In Jupyter, engrate.Report(path_or_json) shows the same page inline (_repr_html_).

This module needs only the standard library and matplotlib (Debian: python3-matplotlib),
not libengrate: engrate-report runs it from its directory, without the package, so it
draws a report wherever the JSON came from. Figures are made with matplotlib's object API inside rc_context, so
nothing of the host's pyplot state or settings is touched.
"""

import argparse
import html
import io
import json
import math
import os
import re
import sys
import tempfile

__all__ = ["Report", "render", "main"]

if __package__:
    from ._report_text import PERIODS, SYMBOLS, TEXT
else:  # run as a file, or loaded by engrate-report with its directory on the path
    from _report_text import PERIODS, SYMBOLS, TEXT

BLUE, LIGHT, ORANGE, GREY = "#1f5fbf", "#a9c4ec", "#d9730d", "#8a8a8a"
MAX_ROWS = 60  # levels per dot-and-whisker figure
MAX_CURVES = 12  # levels' curves drawn for a curve that varies by a level


class Error(Exception):
    """A report that cannot be read or drawn; the message says why."""


def load(source):
    """The report as Python data, from a dict, JSON text, a path or an open file."""
    if isinstance(source, dict):
        return source
    name = "the report"
    try:
        if hasattr(source, "read"):
            text = source.read()
        elif isinstance(source, (bytes, str)) and str(source).lstrip().startswith("{"):
            text = source
        else:
            name = os.fspath(source)
            with open(name, "rb") as f:
                text = f.read()
        data = json.loads(text)
    except OSError as e:
        raise Error("%s: %s" % (name, e.strerror or e)) from e
    except (ValueError, UnicodeDecodeError) as e:
        raise Error("%s: not JSON (%s)" % (name, e)) from e
    if not isinstance(data, dict) or "n" not in data or "coefficients" not in data:
        raise Error("%s: not an engrate training report (no \"n\" or \"coefficients\")" % name)
    return data


# ---- Numbers and names -------------------------------------------------------------------

class _Ctx:
    """What every figure needs: the language, the scale, the words, a figure counter."""

    def __init__(self, data, lang, prefix):
        self.d, self.lang, self.t = data, lang, TEXT[lang]
        self.log = data.get("transform") == "log"
        model = data.get("model") or {}
        self.currency = model.get("currency") or ""
        self.period = model.get("period") or ""
        self.prefix = prefix
        self.count = 0

    def money(self, x):
        if x is None or not math.isfinite(x):
            return "–"
        if self.currency == "JPY" and self.lang == "ja":
            return "%s万円" % _num(x / 10000, 1)
        sym = SYMBOLS.get(self.currency)
        if sym:
            return sym + "{:,.0f}".format(x)
        return "{:,.0f}".format(x) + ("" if self.currency in ("", "XXX") else " " + self.currency)

    def input_name(self, inp):
        key = "label_ja" if self.lang == "ja" else "label_en"
        return inp.get(key) or inp.get("label") or inp.get("id") or "?"

    def level_name(self, lv):
        key = "name_ja" if self.lang == "ja" else "name_en"
        return lv.get(key) or lv.get("label") or lv.get("id") or "?"

    def scale_word(self):
        return "log" if self.log else ("目的変数の" if self.lang == "ja" else "target")

    def scale_name(self):
        return self.t["scale"] % self.scale_word()

    def per_period(self):
        words = PERIODS.get(self.lang, {})
        return " / " + words.get(self.period, self.period) if self.period else ""

    def pct(self, v):
        """An effect or residual on the transformed scale as the figures show it."""
        return 100 * math.expm1(v) if self.log else v


def _num(x, digits=3):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, int) or (abs(x) >= 1 and float(x).is_integer() and abs(x) < 1e15):
        return "{:,}".format(int(x))
    if digits == 1:
        return "{:,.1f}".format(x)
    return "%.*g" % (digits + 1, x)


def _esc(s):
    return html.escape(str(s), quote=True)


# ---- Drawing -------------------------------------------------------------------------------

def _fonts(lang):
    """Font families: Noto Sans CJK JP (fonts-noto-cjk) first for Japanese, else DejaVu
    Sans with the CJK font behind it for labels written in Japanese."""
    from matplotlib import font_manager
    have = {f.name for f in font_manager.fontManager.ttflist}
    order = ["Noto Sans CJK JP", "DejaVu Sans"] if lang == "ja" else ["DejaVu Sans",
                                                                       "Noto Sans CJK JP"]
    fams = [f for f in order if f in have]
    return fams or ["sans-serif"]


def _rc(lang):
    return {"font.family": _fonts(lang), "font.size": 9, "svg.fonttype": "path",
            "svg.hashsalt": "engrate-report", "axes.spines.top": False,
            "axes.spines.right": False, "axes.grid": True, "grid.color": "#e4e4e4",
            "grid.linewidth": 0.6, "axes.axisbelow": True, "axes.titlesize": 10,
            "axes.titleweight": "bold", "legend.fontsize": 8, "legend.frameon": False}


def _svg(ctx, fig, label):
    """The figure as inline SVG: ids prefixed so that several figures (and several
    reports in one notebook) never share one, the metadata dropped, a label for readers."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    ctx.count += 1
    p = "%sf%d-" % (ctx.prefix, ctx.count)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: 'id="%s%s"' % (p, m.group(1)), svg)
    svg = re.sub(r'(xlink:href|href)="#([^"]+)"',
                 lambda m: '%s="#%s%s"' % (m.group(1), p, m.group(2)), svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: "url(#%s%s)" % (p, m.group(1)), svg)
    return svg.replace("<svg ", '<svg role="img" aria-label="%s" ' % _esc(label), 1)


def _figure(w, h):
    from matplotlib.figure import Figure
    return Figure(figsize=(w, h), layout="constrained")


def _money_axis(ctx, axis):
    from matplotlib.ticker import FuncFormatter
    axis.set_major_formatter(FuncFormatter(lambda v, _: ctx.money(v)))


def _calibration(ctx):
    d, t = ctx.d, ctx.t
    cal = d.get("calibration") or {}
    bins = cal.get("bins") or []
    iv = d.get("interval") or {}
    level, low, high = iv.get("level"), iv.get("low"), iv.get("high")
    conv = math.exp if ctx.log else (lambda v: v)
    fig = _figure(9.4, 3.8)
    a, b = fig.subplots(1, 2)
    xs = [conv(x["predicted"]) for x in bins]
    ys = [conv(x["actual"]) for x in bins]
    if xs:
        lo, hi = min(xs + ys), max(xs + ys)
        pad = 0.08 * (hi - lo or abs(hi) or 1)
        grid = [lo - pad + (hi - lo + 2 * pad) * i / 50 for i in range(51)]
        if low is not None and high is not None:
            band = ((lambda g: g * math.exp(low)), (lambda g: g * math.exp(high))) if ctx.log \
                else ((lambda g: g + low), (lambda g: g + high))
            a.fill_between(grid, [band[0](g) for g in grid], [band[1](g) for g in grid],
                           color=LIGHT, alpha=0.45, lw=0,
                           label=t["cal_band"] % _num(100 * level, 2))
        a.plot(grid, grid, color=GREY, lw=1, ls="--", label=t["cal_ideal"])
        a.plot(xs, ys, "o", color=BLUE, ms=5)
        for x, y, bn in zip(xs, ys, bins):
            a.annotate(str(bn["decile"]), (x, y), textcoords="offset points", xytext=(4, -9),
                       fontsize=7, color=GREY)
        a.legend(loc="upper left")
    if ctx.currency or ctx.log:
        _money_axis(ctx, a.xaxis)
        _money_axis(ctx, a.yaxis)
    a.set_xlabel(t["cal_x"])
    a.set_ylabel(t["cal_y"])
    a.tick_params(axis="x", labelrotation=20)
    held = cal.get("held_out")
    covs = [x.get("coverage") for x in bins]
    if held and any(c is not None for c in covs):
        deciles = [x["decile"] for x in bins]
        b.bar(deciles, [100 * (c or 0) for c in covs], color=BLUE, width=0.7)
        for x, c in zip(deciles, covs):
            if c is not None:
                b.text(x, 100 * c - 2, "%.0f" % (100 * c), ha="center", va="top", fontsize=7,
                       color="white")
        b.axhline(100 * level, color=ORANGE, lw=1.5)
        b.set_title(t["cov_nominal"] % _num(100 * level, 2), loc="right", fontsize=8,
                    fontweight="normal", color=ORANGE)
        b.set_ylim(0, 108)
        b.set_xlim(0.4, 10.6)
        b.set_xticks(range(1, 11))
    else:
        b.text(0.5, 0.5, t["cov_none"], ha="center", va="center", transform=b.transAxes,
               color=GREY)
        b.set_xticks([])
    b.set_xlabel(t["cov_x"])
    b.set_ylabel(t["cov_y"] + " (%)")
    return fig


def _cv(ctx):
    d, t = ctx.d, ctx.t
    cv = d.get("cv") or {}
    grid = [g for g in (cv.get("lambda_grid") or []) if g[1] is not None and math.isfinite(g[1])]
    how = d.get("lambda_selection")
    fig = _figure(6.2, 3.4)
    ax = fig.subplots()
    if grid:
        ax.plot([g[0] for g in grid], [g[1] for g in grid], "-o", color=BLUE, ms=3, lw=1.2)
        ax.set_xscale("log")
        ax.axvline(d["lambda"], color=ORANGE, lw=1.5, ls="--",
                   label=t["cv_chosen"] % _num(d["lambda"]))
        ax.legend(loc="upper left")
        ylab = t["cv_y"].get(how, t["cv_y"]["cv"])
        ax.set_ylabel(ylab % ctx.scale_word() if "%s" in ylab else ylab)
    else:
        ax.text(0.5, 0.5, t["cv_given"] % _num(d.get("lambda")), ha="center", va="center",
                transform=ax.transAxes, color=GREY)
    ax.set_xlabel(t["cv_x"])
    return fig


def _curve(ctx, inp):
    t = ctx.t
    pts = inp.get("curve") or []
    fig = _figure(6.2, 3.4)
    ax = fig.subplots()
    xs = [p[0] for p in pts]
    conv, ylab = _curve_conv(ctx, ax)
    ax.fill_between(xs, [conv(p[1] - 1.96 * p[2]) for p in pts],
                    [conv(p[1] + 1.96 * p[2]) for p in pts], color=LIGHT, alpha=0.6, lw=0,
                    label=t["curve_band"])
    ax.plot(xs, [conv(p[1]) for p in pts], color=BLUE, lw=1.8)
    for i, k in enumerate(k for k in inp.get("knots") or [] if xs and xs[0] < k < xs[-1]):
        ax.axvline(k, color=GREY, lw=0.8, ls=":", label=t["knots"] if i == 0 else None)
    ref = inp.get("reference")
    if ref is not None:
        ax.plot([ref], [conv(0.0)], "o", color=ORANGE, ms=6, label=t["reference"])
    ax.set_xlabel(ctx.input_name(inp))
    ax.set_ylabel(ylab)
    ax.set_title(ctx.input_name(inp), loc="left")
    ax.legend(loc="best")
    return fig


def _curve_conv(ctx, ax):
    """How a curve's effects are shown: as the typical listing's estimate (in money) when
    the report has it, else as effects; and the axis label."""
    base = ctx.d.get("base")
    if base is not None and math.isfinite(base):
        _money_axis(ctx, ax.yaxis)
        return ((lambda v: base * math.exp(v)) if ctx.log else (lambda v: base + v),
                ctx.t["curve_y"])
    return (lambda v: v), ctx.t["curve_eff"] % ctx.scale_word()


def _clip(s, width):
    """s cut to `width` columns (a wide character, as in Japanese, counts two), with an
    ellipsis when cut: a small panel's title."""
    import unicodedata
    cols = [2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s]
    if sum(cols) <= width:
        return s
    used = n = 0
    while used + cols[n] <= width - 1:
        used += cols[n]
        n += 1
    return s[:n] + "…"


def _by_level(ctx, inp, by):
    """A curve that varies by a level: small panels, one per level (those with most rows,
    at most MAX_CURVES), each with its band and the pooled curve dashed; the caption."""
    t = ctx.t
    levels = inp["level_curves"]  # the largest levels first
    shown = levels[:MAX_CURVES]
    cols = min(4, len(shown))
    rows = (len(shown) + cols - 1) // cols
    fig = _figure(9.4, 0.6 + 2.0 * rows)
    fig.suptitle(t["by_title"] % (ctx.input_name(inp), ctx.input_name(by)), x=0.01,
                 ha="left", fontsize=10, fontweight="bold")
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
    pooled = inp.get("curve") or []
    for k, ax in enumerate(axes.flat):
        if k >= len(shown):
            ax.set_visible(False)
            continue
        lv = shown[k]
        conv, ylab = _curve_conv(ctx, ax)
        pts = lv["curve"]
        xs = [p[0] for p in pts]
        if all(p[2] is not None for p in pts):
            ax.fill_between(xs, [conv(p[1] - 1.96 * p[2]) for p in pts],
                            [conv(p[1] + 1.96 * p[2]) for p in pts], color=LIGHT, alpha=0.6,
                            lw=0)
        else:
            ax.text(0.02, 0.04, t["by_noband"], transform=ax.transAxes, fontsize=6.5,
                    color=GREY)
        ax.plot([p[0] for p in pooled], [conv(p[1]) for p in pooled], color=GREY, lw=1,
                ls="--")
        ax.plot(xs, [conv(p[1]) for p in pts], color=BLUE, lw=1.6)
        ax.set_title("%s (%s)" % (_clip(ctx.level_name(lv), 22), _num(lv.get("count"))),
                     loc="left", fontsize=8.5)
        if k % cols == 0:
            ax.set_ylabel(ylab, fontsize=7.5)
        if k >= len(shown) - cols:
            ax.set_xlabel(ctx.input_name(inp), fontsize=7.5)
        ax.tick_params(labelsize=7)
    most = t["by_most"] % (len(shown), len(levels)) if len(levels) > len(shown) \
        else t["by_all"]
    return fig, t["by_note"] % (ctx.input_name(inp), most)


def _rows(rows, cut_text, keep):
    """At most MAX_ROWS of the sorted rows for a dot-and-whisker figure, and the caption's
    remark: the two ends (a row saying how many are left out between them), or those
    with most rows, in their order."""
    if len(rows) <= MAX_ROWS:
        return rows, ""
    if keep == "ends":
        h = MAX_ROWS // 2
        gap = ("⋯ %d ⋯" % (len(rows) - MAX_ROWS), None, None, None, 0, False)
        return rows[:h] + [gap] + rows[-h:], cut_text % (len(rows) - MAX_ROWS)
    most = set(sorted(range(len(rows)), key=lambda i: -rows[i][4])[:MAX_ROWS])
    return [r for i, r in enumerate(rows) if i in most], cut_text % MAX_ROWS


def _dot_rows(ax, rows, dropped_label):
    """Dots and whiskers on ax, one per (label, value, low, high, n, hollow); value None:
    a row that only says something is left out."""
    ys = range(len(rows))
    for hollow in (False, True):
        sel = [(y, r) for y, r in zip(ys, rows) if r[5] == hollow and r[1] is not None]
        if not sel:
            continue
        col = GREY if hollow else BLUE
        ax.hlines([y for y, _ in sel], [r[2] for _, r in sel], [r[3] for _, r in sel],
                  color=col, lw=1.4)
        ax.plot([r[1] for _, r in sel], [y for y, _ in sel], "o", ms=4.5,
                mfc="white" if hollow else col, mec=col,
                label=dropped_label if hollow and dropped_label else None)
    for y, r in zip(ys, rows):
        if r[1] is None:
            ax.axhline(y, color=GREY, lw=0.8, ls=(0, (4, 3)))
    ax.axvline(0, color=GREY, lw=0.8)
    ax.set_yticks(list(ys))
    ax.set_yticklabels([r[0] for r in rows])
    ax.set_ylim(len(rows) - 0.3, -0.7)  # the first row at the top
    ax.grid(axis="y", visible=False)


def _dots(ctx, rows, title, xlabel, dropped_label=None):
    """A dot-and-whisker figure, the rows from the top down."""
    fig = _figure(6.6, 1.1 + 0.21 * max(len(rows), 2))
    ax = fig.subplots()
    _dot_rows(ax, rows, dropped_label)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    if dropped_label and any(r[5] for r in rows):
        ax.legend(loc="best")
    return fig


def _effects(ctx, inp):
    t = ctx.t
    rows = []
    for lv in inp.get("levels") or []:
        if lv.get("status") not in ("fitted", "reference") or lv.get("estimate") is None:
            continue
        b, se = lv["estimate"], lv.get("std_error") or 0.0
        label = "%s (%s)" % (ctx.level_name(lv), _num(lv.get("count")))
        rows.append((label, ctx.pct(b), ctx.pct(b - 1.96 * se), ctx.pct(b + 1.96 * se),
                     lv.get("count") or 0, lv["status"] == "reference"))
    if not rows:
        return None, ""
    rows.sort(key=lambda r: -r[1])
    rows, cut = _rows(rows, t["eff_cut"], "ends")
    return _dots(ctx, rows, ctx.input_name(inp), t["eff_x_log"] if ctx.log else t["eff_x"],
                 t["eff_ref"]), cut


def _residuals(ctx, inp):
    """Per level (and for the rows without one): the mean residual with its 95% band
    (1.96 SD / sqrt(n)), and beside it the residuals' spread (their SD)."""
    t = ctx.t
    rows, spread = [], {}
    groups = [(lv.get("residual"), ctx.level_name(lv), lv.get("status") == "dropped")
              for lv in inp.get("levels") or []]
    groups.append((inp.get("without_level"), t["res_none"], False))
    for r, name, dropped in groups:
        if not r:
            continue
        m, sd, n = r["mean"], r.get("sd") or 0.0, r["n"]
        half = 1.96 * sd / math.sqrt(n)
        label = "%s (%s)" % (name, _num(n))
        rows.append((label, ctx.pct(m), ctx.pct(m - half), ctx.pct(m + half), n, dropped))
        spread[label] = sd
    if not rows:
        return None, ""
    rows.sort(key=lambda r: -r[1])
    rows, cut = _rows(rows, t["res_cut"], "most")
    fig = _figure(8.2, 1.1 + 0.21 * max(len(rows), 2))
    a, b = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [2.2, 1]})
    _dot_rows(a, rows, t["res_dropped"])
    a.set_xlabel(t["res_x_log"] if ctx.log else t["res_x"])
    a.set_title(ctx.input_name(inp), loc="left")
    if any(r[5] for r in rows):
        a.legend(loc="best")
    b.barh(range(len(rows)), [spread[r[0]] for r in rows],
           color=[GREY if r[5] else LIGHT for r in rows], height=0.6)
    b.set_xlabel(t["res_sd"] % ctx.scale_word())
    b.grid(axis="y", visible=False)
    return fig, cut


# ---- The page ------------------------------------------------------------------------------

CSS = """
.engrate-report{font-family:"Noto Sans CJK JP","DejaVu Sans",system-ui,sans-serif;
 color:#1d1d1f;max-width:1000px;margin:0 auto;padding:0 16px 40px;line-height:1.45}
.engrate-report h1{font-size:1.5em;margin:.8em 0 .3em}
.engrate-report h2{font-size:1.15em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd}
.engrate-report table{border-collapse:collapse;font-size:.92em}
.engrate-report td,.engrate-report th{padding:2px 12px 2px 0;text-align:left;
 vertical-align:top}
.engrate-report th{color:#555;font-weight:normal}
.engrate-report figure{margin:.6em 0 1.2em}
.engrate-report svg{max-width:100%;height:auto}
.engrate-report figcaption{font-size:.85em;color:#555}
.engrate-report .summary td:first-child{color:#555;white-space:nowrap}
.engrate-report ul.notes{font-size:.9em;padding-left:1.2em}
"""


def _summary(ctx):
    d, t = ctx.d, ctx.t
    model = d.get("model") or {}
    cv = d.get("cv") or {}
    iv = d.get("interval") or {}
    rows = [(t["model"], " · ".join(x for x in (model.get("name"), model.get("description"),
                                               model.get("currency"), model.get("period"),
                                               model.get("as_of")) if x))]
    rows.append((t["data"], d.get("data") or "–"))
    rows.append((t["target"], "%s (%s)" % (d.get("target"), d.get("transform"))))
    used = t["rows_of"] % (_num(d.get("n")), _num(d.get("rows_read")))
    if d.get("rows_skipped"):
        used += ", %s %s" % (_num(d["rows_skipped"]), t["skipped"])
    if d.get("rows_empty"):
        used += ", %s %s" % (_num(d["rows_empty"]), t["empty"])
    rows.append((t["rows"], used))
    rows.append((t["terms"], _num(d.get("p"))))
    how = t["how"].get(d.get("lambda_selection"), d.get("lambda_selection"))
    rows.append((t["lambda"], "%s (%s)" % (_num(d.get("lambda")), how)))
    fit = "%s %s, %s %s (%s)" % (t["r2"], _num(d.get("r_squared"), 4), t["sd"],
                                 _num(d.get("residual_sd")), ctx.scale_name())
    if cv.get("folds"):
        fit += "; %s %s" % (t["cv"] % _num(cv["folds"]), _num(cv.get("rmse")))
    if cv.get("mape") is not None:
        fit += "; %s %s%%" % (t["mape"], _num(100 * cv["mape"], 1))
    rows.append((t["fit"], fit))
    if iv.get("level") is not None:
        text = "[%+.4g, %+.4g] (%s)" % (iv["low"], iv["high"], ctx.scale_name())
        if cv.get("coverage") is not None:
            text += "; %s %s%%" % (t["coverage"], _num(100 * cv["coverage"], 1))
        rows.append((t["interval"] % _num(100 * iv["level"], 2), text))
    if d.get("base") is not None:
        rows.append((t["base"], ctx.money(d["base"]) + ctx.per_period()))
    return "<table class=\"summary\">%s</table>" % "".join(
        "<tr><td>%s</td><td>%s</td></tr>" % (_esc(k), _esc(v)) for k, v in rows)


def _fig_html(ctx, fid, fig, title, caption=""):
    svg = _svg(ctx, fig, title)
    cap = "<figcaption>%s</figcaption>" % _esc(caption) if caption else ""
    return '<figure id="%s%s" data-figure="%s">%s%s</figure>' % (ctx.prefix, fid, fid, svg,
                                                                  cap)


def _tables(ctx):
    d, t = ctx.d, ctx.t
    out = ["<h2 id=\"%sskipped\">%s</h2>" % (ctx.prefix, _esc(t["skipped_title"]))]
    skipped = d.get("skipped") or {}
    if skipped:
        out.append("<table><tr><th>%s</th><th>%s</th></tr>%s</table>" % (
            _esc(t["reason"]), _esc(t["count"]), "".join(
                "<tr><td>%s</td><td>%s</td></tr>" % (_esc(k), _num(v))
                for k, v in sorted(skipped.items(), key=lambda kv: -kv[1]))))
    else:
        out.append("<p>%s</p>" % _esc(t["none_skipped"]))
    out.append("<h2 id=\"%sdropped\">%s</h2>" % (ctx.prefix, _esc(
        t["dropped_title"] % _num(d.get("min_count")))))
    dropped = []
    for inp in d.get("inputs") or []:
        lv = [x for x in inp.get("levels") or [] if x.get("status") == "dropped"]
        if lv:
            dropped.append("<tr><th>%s (%d)</th><td>%s</td></tr>" % (
                _esc(ctx.input_name(inp)), len(lv), _esc(", ".join(
                    "%s (%s)" % (ctx.level_name(x), _num(x.get("count"))) for x in lv))))
    out.append("<table>%s</table>" % "".join(dropped) if dropped
               else "<p>%s</p>" % _esc(t["none_dropped"]))
    notes = d.get("notes") or []
    out.append("<h2 id=\"%snotes\">%s</h2>" % (ctx.prefix, _esc(t["notes"])))
    out.append("<ul class=\"notes\">%s</ul>" % "".join("<li>%s</li>" % _esc(n) for n in notes))
    return "".join(out)


def _body(ctx):
    d, t = ctx.d, ctx.t
    name = (d.get("model") or {}).get("name") or d.get("target") or "model"
    out = ["<h1>%s</h1>" % _esc(t["title"] % name), _summary(ctx)]
    if "calibration" not in d:
        out.append("<p>%s</p>" % _esc(t["old"]))
    else:
        held = (d.get("calibration") or {}).get("held_out")
        out.append("<h2>%s</h2>" % _esc(t["calibration"]))
        out.append(_fig_html(ctx, "fig-calibration", _calibration(ctx), t["calibration"],
                             "" if held else t["in_sample"]))
    out.append("<h2>%s</h2>" % _esc(t["cv_title"]))
    out.append(_fig_html(ctx, "fig-cv", _cv(ctx), t["cv_title"]))
    inputs = d.get("inputs") or []
    numeric = [i for i in inputs if i.get("kind") == "numeric" and i.get("curve")]
    if numeric:
        out.append("<h2>%s</h2>" % _esc(t["curves"]))
    for inp in numeric:
        cap = t["missing"] % _num(inp["missing"]) if inp.get("missing") else ""
        out.append(_fig_html(ctx, "fig-curve-" + inp["id"], _curve(ctx, inp),
                             ctx.input_name(inp), cap))
        if inp.get("by") and inp.get("level_curves"):
            by = next((i for i in inputs if i.get("id") == inp["by"]), {"id": inp["by"]})
            fig, cap = _by_level(ctx, inp, by)
            title = t["by_title"] % (ctx.input_name(inp), ctx.input_name(by))
            out.append(_fig_html(ctx, "fig-curve-%s-by-%s" % (inp["id"], inp["by"]), fig,
                                 title, cap))
    levelled = [i for i in inputs if i.get("kind") in ("categorical", "set")]
    for title, draw, what, note in ((t["effects"], _effects, "effects", t["eff_note"]),
                                    (t["residuals"], _residuals, "residuals",
                                     t["res_note"] % _num((d.get("calibration") or {})
                                                          .get("rows")))):
        figs = []
        for inp in levelled:
            fig, cut = draw(ctx, inp)
            if fig is not None:
                figs.append(_fig_html(ctx, "fig-%s-%s" % (what, inp["id"]), fig,
                                      "%s: %s" % (title, ctx.input_name(inp)), cut))
        if figs:
            out.append("<h2>%s</h2><p class=\"note\">%s</p>" % (_esc(title), _esc(note)))
            out.extend(figs)
    out.append(_tables(ctx))
    return "".join(out)


def render(report, lang="en", fragment=False, prefix=""):
    """The report (anything load() takes) as HTML: a whole page, or with fragment=True a
    <div> for a notebook. prefix goes before every id (several reports on one page)."""
    try:
        import matplotlib
    except ImportError as e:
        raise Error("matplotlib is not installed (on Debian: apt-get install "
                    "python3-matplotlib)") from e
    if lang not in TEXT:
        raise Error("unknown language %r (en or ja)" % lang)
    data = load(report)
    ctx = _Ctx(data, lang, prefix)
    with matplotlib.rc_context(_rc(lang)):
        body = _body(ctx)
    style = "<style>%s</style>" % CSS
    if fragment:
        return '<div class="engrate-report" lang="%s">%s%s</div>' % (lang, style, body)
    name = (data.get("model") or {}).get("name") or "model"
    return ("<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>%s</title>%s</head><body><main class=\"engrate-report\">%s</main>"
            "</body></html>\n" % (lang, _esc(TEXT[lang]["title"] % name), style, body))


class Report:
    """A training report that shows itself: Report("report.json"), Report(json_text) or
    Report(dict); .html() is the page, .save(path) writes it, and in Jupyter the report
    is drawn inline."""

    def __init__(self, report, lang="en"):
        self.data = load(report)
        self.lang = lang

    def html(self, lang=None):
        return render(self.data, lang or self.lang)

    def save(self, path, lang=None):
        """Write the page to path: to a temporary file beside it, then renamed, so that
        path is the old page or the whole new one."""
        _write_atomic(os.fspath(path), self.html(lang))

    def _repr_html_(self):
        return render(self.data, self.lang, fragment=True, prefix="r%x-" % id(self))

    def __repr__(self):
        return "<engrate.Report %s: n=%s>" % ((self.data.get("model") or {}).get("name"),
                                               self.data.get("n"))


def _write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".engrate-report-", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="engrate-report",
        description="Draw an engrate training report (engrate-train --report-json) as one "
                    "self-contained HTML page.")
    p.add_argument("report", help="the JSON report; - for standard input")
    p.add_argument("-o", "--output", help="the HTML file (default: REPORT with .html; - for "
                   "standard output)")
    p.add_argument("--lang", choices=sorted(TEXT), default="en",
                   help="the language of the page and of the levels' names (default en)")
    a = p.parse_args(argv)
    out = a.output or ("-" if a.report == "-" else re.sub(r"(\.json)?$", ".html",
                                                          a.report, count=1))
    try:
        source = sys.stdin.buffer if a.report == "-" else a.report
        page = render(load(source), a.lang)
        if out == "-":
            sys.stdout.write(page)
        else:
            _write_atomic(out, page)
    except (Error, OSError) as e:
        print("engrate-report: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
