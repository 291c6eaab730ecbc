"""estimate_whatif.py: the what-if questions of estimate.py, as engrate-estimate-whatif.c
asks them of the C library, here through the package: --whatif [N] ranks the single
changes to the profile (Model.whatif), --target-rate R finds the fewest additions that
reach R (Model.whatif_target). The same options, messages and bytes as the C program."""

import math
import re

EXIT_LOAD, EXIT_USAGE = 1, 2

# strtod's syntax (C locale), the longest prefix it takes: blanks, sign, then hexadecimal,
# decimal, infinity or nan.
_STRTOD_PREFIX = re.compile(
    r"[ \t\n\v\f\r]*([+-]?)(?:0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
    r"(?:[pP][+-]?\d+)?)|(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|((?i:infinity|inf|nan(?:\([0-9A-Za-z_]*\))?)))", re.ASCII)
_DBL_MIN = 2.2250738585072014e-308


class Options:
    """What the what-if options asked for, as whatif_opts in engrate-estimate.h."""

    def __init__(self):
        self.top = 0              # --whatif N; 0: no --whatif
        self.target = math.nan    # --target-rate R
        self.max_changes = 5      # --max-changes K
        self.vary = None          # --vary INPUTS
        self.with_no_evidence = False

    def wanted(self):
        return self.top > 0 or not math.isnan(self.target)


def parse_count(s):
    """A count for --whatif N and --max-changes K: digits only, 1 to 1000; else None."""
    if not re.fullmatch("[0-9]+", s, re.ASCII):
        return None
    n = int(s)
    return n if 1 <= n <= 1000 else None


def _strtod(s):
    """(value, rest of s) as strtod reads the start of s; None when it reads nothing or
    sets ERANGE (overflow, or a result below DBL_MIN that is not exact)."""
    m = _STRTOD_PREFIX.match(s)
    if not m:
        return None
    sign, hexa, dec, word = m.groups()
    if word:
        return float(sign + ("nan" if word.lower().startswith("nan") else "inf")), s[m.end():]
    try:
        x = float(sign + dec) if dec else float.fromhex(sign + "0x" + hexa)
    except OverflowError:
        return None
    if math.isinf(x):
        return None
    if x != 0 and abs(x) < _DBL_MIN:
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
    return x, s[m.end():]


def parse_rate(arg):
    """A rate for --target-rate as people write one: "1000000", "1,000,000",
    "¥1,000,000", "100万", "100万円", "95.5万"; None when it is not one."""
    for yen in ("¥", "￥"):
        if arg.startswith(yen):
            arg = arg[len(yen):]
    b = arg.encode("utf-8", "surrogateescape")
    kept = bytearray()
    for k, c in enumerate(b):
        if len(kept) + 1 >= 128:  # the C program's buffer is full: refused
            return None
        if c != 0x2C:
            kept.append(c)
            continue
        # a thousands separator: a digit before it, three after, then no digit
        if not kept or not 0x30 <= kept[-1] <= 0x39:
            return None
        after = b[k + 1:k + 5]
        for j in range(4):
            digit = j < len(after) and 0x30 <= after[j] <= 0x39
            if (j < 3) != digit:
                return None
    read = _strtod(kept.decode("utf-8", "surrogateescape"))
    if read is None:
        return None
    x, end = read
    if not math.isfinite(x) or x <= 0:
        return None
    if end in ("万", "万円"):
        return x * 10000
    if end and end != "円":
        return None
    return x


def option(key, value, wo):
    """One of the what-if options into wo: None, or the message that refuses it."""
    if key == "W":
        wo.top = 5 if value is None else parse_count(value)
        if wo.top is None:
            wo.top = 5
            return "engrate-estimate: --whatif takes a count from 1 to 1000, not '%s'\n" % value
    elif key == "T":
        rate = parse_rate(value)
        if rate is None:
            return ("engrate-estimate: --target-rate '%s' is not a positive amount "
                    "(e.g. 1000000 or 100万)\n" % value)
        wo.target = rate
    elif key == "K":
        k = parse_count(value)
        if k is None:
            return ("engrate-estimate: --max-changes takes a count from 1 to 1000, not '%s'\n"
                    % value)
        wo.max_changes = k
    elif key == "v":
        wo.vary = value
    else:  # "E"
        wo.with_no_evidence = True
    return None


def vary_ids(model, spec):
    """The input ids --vary names ("roles" as --list takes it): (ids, None), or (None,
    the message)."""
    if len(spec.encode("utf-8", "surrogateescape")) >= 1024:
        return None, "engrate-estimate: --vary: too long\n"
    ids = [i.id for i in model.inputs]
    out = []
    for tok in (t for t in re.split("[, ]", spec) if t):
        tok_id = "role" if tok == "roles" else tok
        if tok_id not in ids or len(out) == 64:
            return None, ("engrate-estimate: --vary: the model has no input '%s' (inputs:%s)\n"
                          % (tok, "".join(" " + i for i in ids)))
        out.append(tok_id)
    if not out:
        return None, "engrate-estimate: --vary: give input ids, e.g. skills,certs\n"
    return out, None


def compute(model, wo, profile, strict, lang):
    """Run what the options ask for before anything is printed: (ranking, target, None),
    or (None, None, (message, exit status))."""
    import engrate
    vary = None
    if wo.vary is not None:
        vary, message = vary_ids(model, wo.vary)
        if message:
            return None, None, (message, EXIT_USAGE)
    opts = dict(vary=vary, with_no_evidence=wo.with_no_evidence, strict=strict, lang=lang)
    try:
        top = model.whatif(profile, limit=wo.top, **opts) if wo.top > 0 else None
        target = (model.whatif_target(wo.target, profile, max_changes=wo.max_changes, **opts)
                  if not math.isnan(wo.target) else None)
    except engrate.Error as e:
        return None, None, ("engrate-estimate: %s\n" % e.text,
                            EXIT_LOAD if e.code == engrate.E_NOMEM else EXIT_USAGE)
    return top, target, None


def _given_value(r, input_id):
    for c in r.contributions:
        if c.input == input_id:
            return math.nan if c.value is None else c.value
    return math.nan


def _label(v, w, r):
    """What change w does, as engrate-estimate says it; r is the profile's estimate."""
    label = v.m.input(w.input).label(v.lang)
    if w.change == "years":
        if v.ja:
            return "%sを%gにすると" % (label, w.value)
        return "%s: %g (now %g)" % (label, w.value, _given_value(r, w.input))
    if w.change == "add":
        return "%sを追加すると" % w.name if v.ja else "add %s to %s" % (w.name, label)
    return "%sを%sにすると" % (label, w.name) if v.ja else "%s: %s" % (label, w.name)


def changes_text(v, records, r, h):
    """The records as a ranked list with bars (h: the estimate module's text helpers)."""
    labels = [_label(v, w, r) for w in records]
    width = max([h.display_width(s) for s in labels] + [0])
    biggest = max([abs(w.delta) for w in records] + [0])
    out = []
    for i, (w, label) in enumerate(zip(records, labels)):
        d, e = v.amount(w.delta, True), v.amount(w.estimate)
        out.append("    %2d. " % (i + 1))
        out.append(label + " " * max(0, width + 2 - h.display_width(label)))
        out.append("%s %+7.1f%%  → %s  " % (
            " " * max(0, 11 - h.display_width(d)) + d, w.delta_pct,
            " " * max(0, 11 - h.display_width(e)) + e))
        out.append(h.signed_bar(w.delta, biggest, 16) + h.flag_note(v, w.flags) + "\n")
    return "".join(out)


def target_text(v, t, wo, r, h):
    a = v.amount(wo.target)
    out = [("\n  %sへの道筋 (追加は最大%d件、毎回いちばん上がるものを選択)\n" if v.ja else
            "\n  Path to %s (at most %d additions, each the one that raises it most)\n")
           % (a, wo.max_changes), changes_text(v, t.path, r, h)]
    n = len(t.path)
    b = v.amount(t.path[-1].estimate if n else r.estimate)
    last = t.path[-1].estimate if n else r.estimate
    if t.reached and n == 0:
        out.append(("    すでに%s以上です (%s)\n" if v.ja else
                    "    Already at %s or above (%s)\n") % (a, b))
    elif t.reached:
        out.append("  到達: %s (%d件の追加)\n" % (b, n) if v.ja else
                   "  Reached: %s with %d addition%s\n" % (b, n, "" if n == 1 else "s"))
    else:
        c = v.amount(wo.target - last)
        out.append("  届きません: %d件の追加で%s (あと%s)\n" % (n, b, c) if v.ja else
                   "  Not reached: %s with %d addition%s, %s short\n"
                   % (b, n, "" if n == 1 else "s", c))
    return "".join(out)


def changes_json(records, h):
    parts = []
    for w in records:
        d = w.as_dict()
        parts.append('{"change": "%s", "input": %s, "level": %s, "name": %s' % (
            d["change"], h.json_string(d["input"]),
            "null" if d["level"] is None else h.json_string(d["level"]),
            h.json_string(d["name"])))
        for k in ("estimate", "low", "high", "delta", "delta_pct", "value"):
            parts[-1] += ', "%s": %s' % (k, h.json_number(d[k]))
        parts[-1] += ', "no_evidence": %s}' % ("true" if d["no_evidence"] else "false")
    return "[" + ", ".join(parts) + "]"


def text(v, wo, top, target, r, json, h):
    """What compute found: text after the breakdown, or the JSON keys "whatif" and
    "target" inside the estimate's object."""
    out = []
    if top is not None and json:
        out.append(', "whatif": ' + changes_json(top, h))
    elif top is not None:
        out.append(("\n  もしも1つだけ変えると (上位%d件)\n" if v.ja else
                    "\n  What one change does (top %d)\n") % wo.top)
        out.append(changes_text(v, top, r, h))
        if not top:
            out.append("    %s\n" % ("(変えられるものがありません)" if v.ja
                                     else "(nothing to change)"))
    if target is not None and json:
        out.append(', "target": {"rate": %s, "reached": %s, "max_changes": %d, "path": %s}'
                   % (h.json_number(wo.target), "true" if target.reached else "false",
                      wo.max_changes, changes_json(target.path, h)))
    elif target is not None:
        out.append(target_text(v, target, wo, r, h))
    return "".join(out)
