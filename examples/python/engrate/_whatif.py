"""engrate._whatif: what one change does to an estimate (Model.whatif), and the fewest
additions that reach a rate (Model.whatif_target), through the library's what-if
(engrate_whatif_*). The records are those engrate-estimate --whatif --json prints under
"whatif" and "target", with the same keys, plus the step and the flags of each."""

import math
from collections import namedtuple
from ctypes import byref, c_double, c_size_t

from . import _raw
from ._errors import from_c
from ._estimate import fill_query, gather
from ._inputs import resolve
from ._result import flag_set

__all__ = ["WhatIf", "Target", "whatif", "whatif_target"]

_CHANGES = {_raw.CHANGE_ADD: "add", _raw.CHANGE_LEVEL: "role", _raw.CHANGE_NUMBER: "years"}
_JSON_KEYS = ("change", "input", "level", "name", "estimate", "low", "high", "delta",
              "delta_pct", "value", "no_evidence")


class WhatIf(namedtuple("WhatIf", _JSON_KEYS + ("step", "flags"))):
    """One change: change is "add" (a level added to a set input), "role" (another level
    of a categorical input) or "years" (a numeric input raised by a step), as
    engrate-estimate names them for any input; input and level are ids (level None for a
    number); name the level's name, or the input's label for a number; estimate, low and
    high with the change; delta in currency and delta_pct in percent from the estimate it
    is measured from; value the new number (None for a level) and step what was added to
    it; no_evidence and flags ("no_evidence", "clamped": the step was cut to the data)."""

    __slots__ = ()

    def as_dict(self):
        """The record as engrate-estimate --json prints it (same keys, same order)."""
        d = {k: getattr(self, k) for k in _JSON_KEYS}
        for k in ("estimate", "low", "high", "delta", "delta_pct"):
            if d[k] is not None and math.isnan(d[k]):
                d[k] = None
        return d


# What whatif_target found: the rate asked for, whether the path reaches it, the most
# additions allowed, and the path, one WhatIf per step (each delta from the step before).
Target = namedtuple("Target", "rate reached max_changes path")


def _number(x):
    return None if math.isnan(x) else x


def _record(model, h, w, i, lang):
    raw = _raw
    input, level = c_size_t(), c_size_t()
    raw.engrate_whatif_input(w, i, byref(input))
    inp = model._inputs[input.value]
    has_level = raw.engrate_whatif_level(w, i, byref(level)) == 0
    f = raw.engrate_whatif_flags(w, i)
    return WhatIf(
        _CHANGES[raw.engrate_whatif_change(w, i)], inp.id,
        inp.levels_of(h)[level.value].id if has_level else None,
        model._level_name(h, inp._index, level.value, lang) if has_level
        else model._input_label(h, inp._index, lang),
        raw.engrate_whatif_estimate(w, i), raw.engrate_whatif_low(w, i),
        raw.engrate_whatif_high(w, i), raw.engrate_whatif_delta(w, i),
        raw.engrate_whatif_delta_pct(w, i), _number(raw.engrate_whatif_value(w, i)),
        bool(f & raw.FLAG_NO_EVIDENCE), _number(raw.engrate_whatif_step(w, i)), flag_set(f))


def _options(model, w, vary, steps, err):
    """Which inputs vary (names: ids or labels; None: all) and the numeric steps (None:
    1, 3 and 5), set on what-if w, which may hold another call's options."""
    if isinstance(vary, str):
        vary = [vary]
    indexes = [resolve(model, name) for name in vary or ()]
    arr = (c_size_t * len(indexes))(*indexes) if indexes else None
    if _raw.engrate_whatif_set_inputs(w, arr, len(indexes), byref(err)) < 0:
        raise from_c(err)
    if isinstance(steps, (int, float)):
        steps = [steps]
    steps = [float(s) for s in steps or ()]
    arr = (c_double * len(steps))(*steps) if steps else None
    if _raw.engrate_whatif_set_steps(w, arr, len(steps), byref(err)) < 0:
        raise from_c(err)


def _run(model, profile, inputs, opts, ask):
    """Fill a query from the profile, set the options, run ask(w, q, flags, err) and read
    the records; (records, reached)."""
    hold = model._live()
    values = gather(model, profile, inputs)
    flags = (_raw.STRICT if opts["strict"] else 0) | (
        _raw.WHATIF_NO_EVIDENCE if opts["with_no_evidence"] else 0)
    err = _raw.engrate_error()
    q, w = hold.query(), hold.whatif()
    try:
        if fill_query(model, values, q, err) < 0:
            raise from_c(err)
        _options(model, w, opts["vary"], opts["steps"], err)
        if ask(w, q, flags, err) < 0:
            raise from_c(err)
        records = [_record(model, hold.ptr, w, i, opts["lang"])
                   for i in range(_raw.engrate_whatif_count(w))]
        return records, bool(_raw.engrate_whatif_reached(w))
    finally:
        hold.queries.append(q)
        hold.whatifs.append(w)


def whatif(model, profile, inputs, limit, opts):
    """Model.whatif."""
    if limit is None or limit < 0:
        raise ValueError("limit must be a count (0: every change), not %r" % (limit,))
    return _run(model, profile, inputs, opts,
                lambda w, q, flags, err: _raw.engrate_whatif_run(w, q, int(limit), flags,
                                                                 byref(err)))[0]


def whatif_target(model, rate, profile, inputs, max_changes, opts):
    """Model.whatif_target."""
    if max_changes is None or max_changes < 0:
        raise ValueError("max_changes must be a count (0: no limit), not %r" % (max_changes,))
    rate = float(rate)
    path, reached = _run(model, profile, inputs, opts,
                         lambda w, q, flags, err: _raw.engrate_whatif_target(
                             w, q, rate, int(max_changes), flags, byref(err)))
    return Target(rate, reached, max_changes, path)
