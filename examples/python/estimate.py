#!/usr/bin/env python3
"""estimate.py: engrate-estimate written in Python on the engrate package. It takes the
same flags and prints the same bytes (text, --json, --list, --whatif, --target-rate,
--help, --version) with the same exit statuses, so it doubles as an example of the
package and as a test of it. The what-if questions are in estimate_whatif.py, as the C
program keeps them in engrate-estimate-whatif.c.

    python3 examples/python/estimate.py --role pmo --years 8 --skill java --cert pmp
"""

import math
import re
import sys

import engrate
import estimate_whatif

EXIT_LOAD, EXIT_USAGE = 1, 2

USAGE = """\
Usage: engrate-estimate [--model FILE] --role ROLE [--skill NAME]... [--cert NAME]...
                        [--years N] [--input NAME=VALUE]... [--strict] [--json]
                        [--lang en|ja] [--whatif [N]] [--target-rate R [--max-changes K]]
                        [--vary INPUTS] [--with-no-evidence]
       engrate-estimate [--model FILE] --list inputs|roles|skills|certs|INPUT [--json]

Estimate an IT engineer's monthly rate with an engrate model.

  -m, --model FILE   model file (default: $ENGRATE_MODEL, else the installed default)
  -r, --role ROLE    the role, e.g. pmo, PM, プロマネ
  -s, --skill NAMES  a skill; repeat the option or separate names with , ; 、 or ，
  -c, --cert NAMES   a certification; repeat or separate as for --skill
  -y, --years N      years of experience ('' or nan: not known)
  -i, --input NAME=VALUE  any input of the model, by its id or label (e.g. 職種=PMO);
                     a set's names separated as for --skill, a number NA if not known
      --strict       fail (exit 2) on a name the model does not know
      --json         print one JSON object
      --lang en|ja   language of names and amounts (ja: amounts in 万円)
  -l, --list WHAT    the model's inputs (inputs), or an input's levels or range
                     (roles, skills, certs, or any input's id or label)
      --whatif [N]   the N single changes (default 5) that raise the estimate most:
                     a skill or cert added, another role, 1, 3 or 5 more years
      --target-rate R  the fewest additions (skills, certs, years) that reach R,
                     e.g. 1000000 or 100万
      --max-changes K  at most K additions for --target-rate (default 5)
      --vary INPUTS  change only these inputs, e.g. skills,certs (default: all)
      --with-no-evidence  also try levels the model has no evidence for
  -h, --help         this help
  -V, --version      the version

Exit status: 0 success, 1 the model cannot be loaded, 2 usage error or unknown name
with --strict.
"""

SHORT = {"m": True, "r": True, "s": True, "c": True, "y": True, "l": True, "i": True,
         "h": False, "V": False}
# True: takes an argument; False: none; None: an optional one (--name=value only).
LONG = {"model": ("m", True), "role": ("r", True), "skill": ("s", True),
        "cert": ("c", True), "years": ("y", True), "strict": ("S", False),
        "json": ("j", False), "lang": ("L", True), "list": ("l", True),
        "help": ("h", False), "version": ("V", False), "input": ("i", True),
        "whatif": ("W", None), "target-rate": ("T", True), "max-changes": ("K", True),
        "vary": ("v", True), "with-no-evidence": ("E", False)}


def getopt_long(argv):
    """Parse as glibc's getopt_long does with the C program's options: options anywhere
    (the others are kept, in order, for after them), clusters (-hV, -mFILE), long options
    by unique prefix, --name=value, and "--" to end options. Returns the options as
    (key, value) pairs, and (None, message) at an error, then the other arguments. An
    option with an optional argument is given the rest of argv as its value, a list, to
    take its argument from as the C program takes it from argv[optind]."""
    prog, out, rest, i = argv[0], [], [], 1
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            rest += argv[i:]
            break
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            found = [name] if name in LONG else [n for n in LONG if n.startswith(name)]
            if not found:
                return out + [(None, "%s: unrecognized option '%s'" % (prog, a))], rest
            if len(found) > 1:
                return out + [(None, "%s: option '%s' is ambiguous; possibilities:%s" % (
                    prog, a, "".join(" '--%s'" % n for n in found)))], rest
            key, takes = LONG[found[0]]
            if takes is None:  # optional: --whatif=N, or the next argument if a count
                if eq:
                    out.append((key, value))
                elif i < len(argv) and argv[i][:1].isdigit() and argv[i][:1].isascii():
                    out.append((key, argv[i]))
                    i += 1
                else:
                    out.append((key, None))
                continue
            if not takes and eq:
                return out + [(None, "%s: option '--%s' doesn't allow an argument"
                               % (prog, found[0]))], rest
            if takes and not eq:
                if i == len(argv):
                    return out + [(None, "%s: option '--%s' requires an argument"
                                   % (prog, found[0]))], rest
                value = argv[i]
                i += 1
            out.append((key, value if takes else None))
        elif a.startswith("-") and a != "-":
            k = 1
            while k < len(a):
                c = a[k]
                k += 1
                if c not in SHORT:
                    return out + [(None, "%s: invalid option -- '%s'" % (prog, c))], rest
                if not SHORT[c]:
                    out.append((c, None))
                    continue
                if k < len(a):
                    out.append((c, a[k:]))
                elif i < len(argv):
                    out.append((c, argv[i]))
                    i += 1
                else:
                    return out + [(None, "%s: option requires an argument -- '%s'"
                                   % (prog, c))], rest
                break
        else:
            rest.append(a)
    return out, rest


# strtod's syntax (C locale): blanks, sign, then decimal, hexadecimal, inf or nan.
_STRTOD = re.compile(r"[ \t\n\v\f\r]*([+-]?)"
                     r"(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
                     r"|0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)"
                     r"|((?i:inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)))\Z", re.ASCII)
_DBL_MIN = 2.2250738585072014e-308


def parse_years(s):
    """The number; NaN for "not known" (blanks only, or a NaN); None where
    engrate-estimate refuses it: strtod would leave text over, or set ERANGE (overflow; a
    result below DBL_MIN that is not exact), or the value is infinite."""
    if not s.strip(" \t\n\v\f\r"):
        return math.nan
    m = _STRTOD.match(s)
    if m and m.group(4):
        return math.nan if m.group(4).lower().startswith("nan") else None
    if not m:
        return None
    sign, dec, hexa = m.groups()[:3]
    try:
        x = float(sign + dec) if dec else float.fromhex(sign + "0x" + hexa)
    except OverflowError:
        return None
    if math.isinf(x):
        return None
    if abs(x) < _DBL_MIN:
        mantissa = re.split("[eEpP]", dec or hexa)[0]
        if x == 0:
            if mantissa.strip("0.") != "":
                return None
        else:
            from fractions import Fraction
            if dec:
                exact = Fraction(dec)
            else:
                digits, _, exp = hexa.lower().partition("p")
                whole, _, frac = digits.partition(".")
                exact = (Fraction(int(whole + frac or "0", 16), 16 ** len(frac))
                         * Fraction(2) ** int(exp or "0"))
            if Fraction(abs(x)) != exact:
                return None
    return x


def split_names(arg):
    """The names of one --skill or --cert as engrate_query_add_list splits them: at each
    , ; 、 ， ； ､, each part's surrounding blanks trimmed (blank parts name nothing)."""
    return [t.strip(" \t\n\v\f\r\u00a0\u3000")
            for t in re.split("[,;\u3001\uff0c\uff1b\uff64]", arg)]


# ---- Output helpers (byte for byte those of examples/engrate-estimate.c) ----------------

def json_string(s):
    out = ['"']
    for ch in s or "":
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or o == 0x7F:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def json_number(x):
    return "%.17g" % x if x is not None and math.isfinite(x) else "null"


def format_grouped(x):
    digits = "%.0f" % abs(x)
    n = len(digits)
    return "".join(("," if i > 0 and (n - i) % 3 == 0 else "") + d
                   for i, d in enumerate(digits))


class View:
    def __init__(self, model, lang):
        self.m = model
        self.lang = lang
        self.ja = lang == "ja"
        self.currency = model.currency or "?"

    def amount(self, x, sign=False):
        if not math.isfinite(x):
            return "?"
        ja_yen = self.ja and self.currency == "JPY"
        # An amount that shows as 0 has no minus (a fraction of a yen from the typical
        # listing); C's round(), halves away from zero.
        shown = lround(abs(x) / 1000 if ja_yen else abs(x))
        s = "-" if x < 0 and shown > 0 else "+" if sign else ""
        if ja_yen:
            return "%s%.1f万円" % (s, abs(x) / 10000.0)
        if self.currency == "JPY":
            return "%s¥%s" % (s, format_grouped(x))
        return "%s%s %s" % (s, format_grouped(x), self.currency)


def display_width(s):
    """Terminal columns, as the C program counts them (over the UTF-8 bytes)."""
    b = s.encode("utf-8", "surrogateescape")
    w, p = 0, 0
    while p < len(b):
        c = b[p]
        n = 1 if c < 0x80 else 2 if c < 0xE0 else 3 if c < 0xF0 else 4
        cp = c if n == 1 else c & (0xFF >> (n + 1))
        for k in range(1, n):
            if p + k >= len(b) or b[p + k] == 0:
                break
            cp = (cp << 6) | (b[p + k] & 0x3F)
        w += 2 if (cp >= 0x1100 and (cp <= 0x115F or 0x2E80 <= cp <= 0xA4CF
                                     or 0xAC00 <= cp <= 0xD7A3 or 0xF900 <= cp <= 0xFAFF
                                     or 0xFE30 <= cp <= 0xFE4F or 0xFF00 <= cp <= 0xFF60
                                     or 0xFFE0 <= cp <= 0xFFE6)) else 1
        p += n
    return w


def utf8_len(s):
    return len(s.encode("utf-8", "surrogateescape"))


def lround(x):
    f = math.floor(x)
    return int(f) + (1 if x - f >= 0.5 else 0)


def bar(eighths):
    parts = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    e = lround(eighths)
    return "█" * (e // 8) + parts[e % 8]


def signed_bar(x, biggest, cells):
    """The bar of amount x where `biggest` takes `cells` cells, after a minus when x is
    negative and the bar shows."""
    eighths = abs(x) / biggest * cells * 8 if biggest > 0 else 0
    return ("-" if x < 0 and lround(eighths) > 0 else "") + bar(eighths)


def term_label(v, c):
    """"base", "Role: PMO", "Years of experience: 8"; with a reference profile
    "base: typical listing" and "Skills: less the typical listing's" (c.name is then the
    typical listing's name)."""
    reference = "reference" in c.flags
    if c.input is None:
        base = "基本額" if v.ja else "base"
        return "%s: %s" % (base, c.name) if reference else base
    label = v.m.input(c.input).label(v.lang)
    if reference:
        return ("%s: %sの分を差し引き" if v.ja else "%s: less the %s's") % (label, c.name)
    if c.level is not None:
        return "%s: %s" % (label, c.name)
    if c.curve is not None and c.curve.level is not None:  # the level whose curve it used
        return "%s: %g (%s)" % (label, c.value, c.curve.name)
    return "%s: %g" % (label, c.value)


def flag_note(v, flags):
    if "no_evidence" in flags:
        return " (根拠データなし)" if v.ja else " (no evidence: no premium)"
    if "clamped" in flags:
        return " (学習範囲外: 端の値を使用)" if v.ja else " (outside the data: clamped)"
    if "defaulted" in flags:
        return " (未指定: 既定値)" if v.ja else " (not given: default)"
    if "missing" in flags:
        return " (未指定)" if v.ja else " (not given)"
    return ""


def text(v, r):
    m, ja, o = v.m, v.ja, []
    o.append("%s %s (%s %s, %s %s)\n\n" % (
        "モデル:" if ja else "Model:", m.name or "?", v.currency,
        "/ 月" if ja else "per month", "時点" if ja else "as of", m.meta("as_of") or "?"))
    period = m.period
    if period and period != "month":
        o.append("  (%s: %s)\n" % ("期間" if ja else "amounts per", period))
    o.append("  %s  %s\n" % ("推定月額単価" if ja else "Estimate", v.amount(r.estimate)))
    o.append("  %s  %s – %s (%.0f%%)\n\n" % ("予測区間    " if ja else "Interval",
                                           v.amount(r.low), v.amount(r.high), r.level * 100))
    labels = [term_label(v, c) for c in r.contributions]
    biggest = max([abs(c.amount) for c in r.contributions] + [0])
    width = max([display_width(s) for s in labels] + [0])
    o.append("  %s\n" % ("内訳" if ja else "Breakdown"))
    for i, (c, label) in enumerate(zip(r.contributions, labels)):
        a = v.amount(c.amount, i > 0)
        field = 12 + utf8_len(a) - display_width(a)
        o.append("    " + label + " " * max(0, width + 2 - display_width(label)))
        o.append(" " * max(0, field - utf8_len(a)) + a + "  ")
        o.append(signed_bar(c.amount, biggest, 24))
        o.append(flag_note(v, c.flags) + "\n")
    if r.unknown:
        o.append("\n  %s\n" % ("見つからない名前 (無視しました):" if ja else "Unknown (ignored):"))
    for s in r.suggestions:
        inp = m.input(s.input)
        o.append("    %s '%s'" % (inp.label(v.lang), s.given))
        if s.suggestion is not None:
            o.append((" もしかして '%s'?" if ja else " (did you mean '%s'?)")
                     % inp.level(s.suggestion).name(v.lang))
        o.append("\n")
    if r.aliased:
        o.append("\n  %s\n" % ("別名で一致:" if ja else "Matched by another name:"))
    for a in r.aliased:
        o.append("    '%s' → %s\n" % (a.given, a.name))
    return "".join(o)


def json_curve(c):
    """', "curve": ...' for a term of an input whose curve varies by a level, else ''."""
    if "curve" not in c:
        return ""
    k = c["curve"]
    if k is None:
        return ', "curve": null'
    return ', "curve": {"input": %s, "level": %s, "name": %s}' % (
        json_string(k["input"]), json_string(k["level"]), json_string(k["name"]))


def as_json(v, r):
    d = r.as_dict()
    parts = ['{"model": ', json_string(d["model"]),
             ', "estimate": ', json_number(r.estimate), ', "low": ', json_number(r.low),
             ', "high": ', json_number(r.high), ', "level": ', json_number(r.level),
             ', "currency": ', json_string(v.currency),
             ', "period": ', json_string(d["period"]), ', "contributions": [']
    parts.append(", ".join(
        '{"input": %s, "level": %s, "name": %s, "value": %s, "amount": %s, '
        '"no_evidence": %s%s}' % (json_string(c["input"]),
                                  "null" if c["level"] is None else json_string(c["level"]),
                                  json_string(c["name"]), json_number(c["value"]),
                                  json_number(c["amount"]),
                                  "true" if c["no_evidence"] else "false", json_curve(c))
        for c in d["contributions"]))
    parts.append('], "unknown": [')
    parts.append(", ".join(json_string(u) for u in d["unknown"]))
    parts.append('], "suggestions": [')
    parts.append(", ".join(
        '{"input": %s, "given": %s, "suggestion": %s}' % (
            json_string(s["input"]), json_string(s["given"]),
            "null" if s["suggestion"] is None else json_string(s["suggestion"]))
        for s in d["suggestions"]))
    parts.append('], "aliased": [')
    parts.append(", ".join(
        '{"given": %s, "input": %s, "level": %s, "name": %s}' % (
            json_string(a["given"]), json_string(a["input"]), json_string(a["level"]),
            json_string(a["name"])) for a in d["aliased"]))
    parts.append('], "flags": [')
    parts.append(", ".join('"%s"' % f for f in d["flags"]))
    parts.append("]")  # the caller closes the object, after what-if's keys
    return "".join(parts)


def find_input(v, name, err):
    """The input a user names, by id or label, or None after saying which there are."""
    try:
        inp = v.m.find_input(name)
        what = "the model has no input"
    except engrate.Error:
        inp, what = None, "more than one input is called"
    if inp is None:
        err.append("engrate-estimate: %s '%s' (inputs:%s)\n"
                   % (what, name, "".join(" " + i.label(v.lang) for i in v.m.inputs)))
    return inp


def list_inputs(v, json, out):
    inputs = v.m.inputs
    if json:
        out.append("[" + ", ".join(
            '{"id": %s, "kind": "%s", "label": %s, "levels": %d}' % (
                json_string(i.id), i.kind, json_string(i.label(v.lang)), len(i.levels))
            for i in inputs) + "]\n")
        return 0
    for i in inputs:
        more = ("  (%g to %g, default %g)" % (i.min, i.max, i.default) if i.kind == "numeric"
                else "  (%d levels)" % len(i.levels))
        out.append("%-20s %-12s %s%s\n" % (i.id, i.kind, i.label(v.lang), more))
    return 0


def list_range(v, inp, json, out):
    if json:
        out.append('{"id": %s, "min": %s, "max": %s, "default": %s, "knots": [%s]}\n' % (
            json_string(inp.id), json_number(inp.min), json_number(inp.max),
            json_number(inp.default), ", ".join(json_number(k) for k in inp.knots)))
        return 0
    line = "%s: a number from %g to %g (default %g)" % (inp.label(v.lang), inp.min, inp.max,
                                                        inp.default)
    line += "".join(("; knots at " if k == 0 else ", ") + "%g" % x
                    for k, x in enumerate(inp.knots))
    out.append(line + "\n")
    return 0


def list_levels(v, what, json, out, err):
    m = v.m
    try:
        named = m.find_input(what) is not None
    except engrate.Error:
        named = True
    if what == "inputs" and not named:
        return list_inputs(v, json, out)
    inp = find_input(v, "role" if what == "roles" else what, err)
    if inp is None:
        return EXIT_USAGE
    if inp.kind == "numeric":
        return list_range(v, inp, json, out)
    if json:
        out.append("[")
    for k, lv in enumerate(inp.levels):
        if json:
            out.append('%s{"id": %s, "en": %s, "ja": %s, "coef": %s, "no_evidence": %s, '
                       '"aliases": [%s]}' % (
                           ", " if k else "", json_string(lv.id), json_string(lv.name("en")),
                           json_string(lv.name("ja")), json_number(lv.coef),
                           "true" if lv.no_evidence else "false",
                           ", ".join(json_string(a) for a in lv.aliases)))
            continue
        line = lv.id + " " * max(0, 20 - utf8_len(lv.id)) + " " + lv.name(v.lang)
        if lv.aliases:
            line += "  [" + ", ".join(lv.aliases) + "]"
        if lv.no_evidence:
            line += "  (no evidence)"
        out.append(line + "\n")
    if json:
        out.append("]\n")
    return 0


SEPARATORS = re.compile("[,;、，；]")


def set_names(value):
    """A set's names as the C program splits them (when the whole value is not a name):
    at , 、 ， ; ； without blanks (' ', U+3000) around each."""
    return [n for n in (t.strip(" \u3000") for t in SEPARATORS.split(value)) if n]


def input_pairs(v, args, err):
    """--input NAME=VALUE arguments as (name, value) pairs for Model.estimate, or None
    after the error message."""
    pairs = []
    for arg in args:
        name, eq, value = arg.partition("=")
        if not eq or not name or len(name.encode("utf-8", "surrogateescape")) >= 512:
            err.append("engrate-estimate: --input takes NAME=VALUE, not '%s'\n" % arg)
            return None
        inp = find_input(v, name, err)
        if inp is None:
            return None
        if inp.kind == "numeric":
            m = _STRTOD.match(value)
            if value in ("", "NA", "na", "Na", "nA") or (m and (m.group(4) or "").lower()
                                                          .startswith("nan")):
                continue  # not known: the model's default (and its `missing` term)
            x = parse_years(value)
            if x is None:
                err.append("engrate-estimate: --input %s: '%s' is not a number\n" % (name, value))
                return None
            pairs.append((inp.id, x))
        elif inp.kind == "set":  # the whole value when it is a level's name, else split
            whole = v.m.find(inp.id, value) is not None
            pairs.append((inp.id, [value] if whole else set_names(value)))
        else:
            pairs.append((inp.id, value))
    return pairs


def with_inputs(model, profile, pairs):
    """The profile with the --input pairs after it, as the C program gives them to its
    query after --role, --skill, --cert and --years: a set's names are added, a
    categorical input's level and a number replace what was there (a blank name names
    nothing and replaces nothing)."""
    for id, value in pairs:
        kind = model.input(id).kind
        if kind == "set":
            profile[id] = list(engrate_names(profile.get(id))) + list(value)
        elif kind == "numeric" or value.strip():
            profile[id] = value
    return profile


def engrate_names(value):
    return [] if value is None else [value] if isinstance(value, str) else value


def run(argv, out, err):
    """The program; fills out and err (lists of str) and returns the exit status."""
    opts, rest = getopt_long(argv)
    model_path = role = list_what = years = None
    lang, skills, certs, strict, json, given, inputs = "en", [], [], False, False, False, []
    wo = estimate_whatif.Options()
    for key, value in opts:
        if key is None:
            err.append(value + "\n" + USAGE)
            return EXIT_USAGE
        if key in "WTKvE":
            message = estimate_whatif.option(key, value, wo)
            if message:
                err.append(message)
                return EXIT_USAGE
        elif key == "m":
            model_path = value
        elif key == "r":
            role = value
        elif key in ("s", "c"):
            (skills if key == "s" else certs).extend(split_names(value))
            given = True
        elif key == "y":
            years = parse_years(value)
            if years is None:
                err.append("engrate-estimate: --years '%s' is not a number\n" % value)
                return EXIT_USAGE
            given = True
        elif key == "i":
            inputs.append(value)
            given = True
        elif key == "S":
            strict = True
        elif key == "j":
            json = True
        elif key == "L":
            if value not in ("en", "ja"):
                err.append("engrate-estimate: --lang takes en or ja, not '%s'\n" % value)
                return EXIT_USAGE
            lang = value
        elif key == "l":
            list_what = value
        elif key == "h":
            out.append(USAGE)
            return 0
        elif key == "V":
            out.append("engrate-estimate %s\n" % engrate.version())
            return 0
    if rest:
        err.append("engrate-estimate: unexpected argument '%s'\n%s" % (rest[0], USAGE))
        return EXIT_USAGE
    if list_what is None and role is None and not given:
        err.append("engrate-estimate: give a profile (--role, --skill, --cert, --years, "
                   "--input) or --list\n" + USAGE)
        return EXIT_USAGE
    try:
        model = engrate.Model.load(model_path)
    except engrate.Error as e:
        err.append("engrate-estimate: %s\n" % e.text)
        if model_path is None and e.code == engrate.E_IO:
            err.append("engrate-estimate: no default model; give --model FILE or set "
                       "ENGRATE_MODEL\n")
        return EXIT_LOAD
    with model:
        v = View(model, lang)
        if list_what is not None:
            return list_levels(v, list_what, json, out, err)
        pairs = input_pairs(v, inputs, err) if inputs else []
        if inputs and pairs is None:
            return EXIT_USAGE
        profile = with_inputs(v.m, dict(
            role=role, skills=skills, certs=certs,
            years=None if years is None or math.isnan(years) else years), pairs)
        try:
            r = model.estimate(profile, strict=strict, lang=lang)
        except engrate.Error as e:
            err.append("engrate-estimate: %s\n" % e.text)
            return EXIT_LOAD if e.code == engrate.E_NOMEM else EXIT_USAGE
        top = target = None
        if wo.wanted():
            top, target, failed = estimate_whatif.compute(model, wo, profile, strict, lang)
            if failed:
                err.append(failed[0])
                return failed[1]
        out.append(as_json(v, r) if json else text(v, r))
        out.append(estimate_whatif.text(v, wo, top, target, r, json, sys.modules[__name__]))
        if json:
            out.append("}\n")
    return 0


def main():
    out, err = [], []
    status = run(sys.argv, out, err)
    try:
        sys.stdout.buffer.write("".join(out).encode("utf-8", "surrogateescape"))
        sys.stdout.flush()
    except OSError:
        err.append("engrate-estimate: cannot write the output\n")
        status = EXIT_LOAD
    sys.stderr.buffer.write("".join(err).encode("utf-8", "surrogateescape"))
    sys.stderr.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
