"""engrate._estimate: one estimate, with its breakdown. The inputs come by id or label,
from a mapping and keywords (gather). A profile of the usual inputs (role, skills, certs,
years) goes to C in one call (engrate_estimate_profile); any other model's inputs go
through a query (engrate_query_add, engrate_query_set_number_at, engrate_estimate). The C
result is then copied into a Result, which holds no C memory."""

from ctypes import byref, c_char_p, c_double
from itertools import chain

from . import _raw
from ._errors import from_c
from ._inputs import resolve, suggest_level
from ._result import (Aliased, Contribution, Curve, Result, Suggestion, contribution_flag_set,
                      flag_set)
from ._values import encode, is_missing, number, one_name, set_names

__all__ = ["estimate", "estimate_values", "gather", "gather_rows", "PROFILE", "profile_inputs",
           "fill_query", "query_estimate"]

# The inputs engrate_estimate_profile and engrate_estimate_batch take, with their kinds.
PROFILE = {"role": "categorical", "skills": "set", "certs": "set", "years": "numeric"}


def _empty(value):
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return not value
    try:
        return is_missing(value)
    except Exception:
        return False


def gather(model, profile, inputs, others="raise"):
    """{input index: value} from a mapping (a dict, a pandas row) and keywords, keys by
    input id or label. A key the model has no input for raises UnknownNameError, unless
    its value is empty (None, NaN, "", []): so that role=None, certs=[] may be given to a
    model without those inputs; with others="ignore" such keys are left out, as they are
    for a pandas row (its other columns: a name, a rate) and in predict()."""
    items = []
    if profile is not None:
        if isinstance(profile, (str, bytes)) or not hasattr(profile, "items"):
            raise TypeError("estimate() takes a mapping of inputs (a dict, a pandas row) or "
                            "keywords (role=..., skills=...), not %s" % type(profile).__name__)
        if hasattr(profile, "iloc"):  # a pandas row: read as predict() reads its table
            others = "ignore"
        items.extend(profile.items())
    items.extend(inputs.items())
    values, keys = {}, {}
    for key, value in items:
        try:
            index = resolve(model, key)
        except KeyError:
            if others == "ignore" or _empty(value):
                continue
            raise
        if index in values:
            raise ValueError("input '%s' given twice (as %r and %r)"
                             % (model.inputs[index].id, keys[index], key))
        values[index], keys[index] = value, key
    return values


def gather_rows(model, rows, others="raise"):
    """{input index: column} for a list of mappings, each key resolved once for all rows
    (gather, row by row, only when two keys of the rows name one input)."""
    for r in rows:
        if isinstance(r, (str, bytes)) or not hasattr(r, "keys"):
            raise TypeError("rows must be mappings (dicts, pandas rows), not %s"
                            % type(r).__name__)
    keys = dict.fromkeys(chain.from_iterable(r.keys() for r in rows))
    by_index = {}
    for key in keys:
        try:
            index = resolve(model, key)
        except KeyError:
            if others == "ignore" or all(_empty(r.get(key)) for r in rows):
                continue
            raise
        by_index.setdefault(index, []).append(key)
    if any(len(k) > 1 for k in by_index.values()):
        values = [gather(model, r, {}, others) for r in rows]
        return {i: [v.get(i) for v in values] for i in by_index}
    return {i: [r.get(k[0]) for r in rows] for i, k in by_index.items()}


def profile_inputs(model, indexes):
    """True when every input given is one of the profile's, with its kind."""
    inputs = model.inputs
    return all(PROFILE.get(inputs[i].id) == inputs[i].kind for i in indexes)


def _name_array(names):
    return (c_char_p * len(names))(*names) if names else None


def _profile_call(model, h, values, flags, r, err):
    inputs = model.inputs
    role, skills, certs, years = None, [], [], None
    for i, v in values.items():
        id = inputs[i].id
        if id == "role":
            role = one_name(v, id)
        elif id == "skills":
            skills = [encode(s) for s in set_names(v, id)]
        elif id == "certs":
            certs = [encode(s) for s in set_names(v, id)]
        else:
            years = number(v, id)
    return _raw.engrate_estimate_profile(
        h, None if role is None else encode(role), _name_array(skills), len(skills),
        _name_array(certs), len(certs), None if years is None else byref(c_double(years)),
        flags, r, byref(err))


def fill_query(model, values, q, err):
    """Give query q the values {input index: value}; the C return code. Unknown names are
    read from the result later, not from what adding them said."""
    inputs = model.inputs
    _raw.engrate_query_reset(q)
    for i, v in values.items():
        inp = inputs[i]
        if inp.kind == "numeric":
            x = number(v, inp.id)
            rc = 0 if x is None else _raw.engrate_query_set_number_at(q, i, x, byref(err))
        else:
            names = set_names(v, inp.id) if inp.kind == "set" else [one_name(v, inp.id)]
            rc, id = 0, encode(inp.id)
            for name in names:
                if name is not None:
                    rc = _raw.engrate_query_add(q, id, encode(name), None, byref(err))
                    if rc < 0:
                        break
        if rc < 0:
            return rc
    return 0


def query_estimate(model, values, q, flags, r, err):
    """Estimate {input index: value} through query q into r; the C return code."""
    rc = fill_query(model, values, q, err)
    return rc if rc < 0 else _raw.engrate_estimate(q, flags, r, byref(err))


def estimate(model, profile, values, strict, lang, more=None):
    """Model.estimate; `more` its inputs= pairs."""
    gathered = gather(model, profile, values)
    if more:
        add_pairs(model, gathered, more)
    return estimate_values(model, gathered, strict, lang)


def add_pairs(model, values, pairs):
    """Give {input index: value} more inputs, a mapping or (name, value) pairs, after it:
    a set's names are added to those it has; a level or a number replaces."""
    inputs = model.inputs
    for name, value in (pairs.items() if hasattr(pairs, "items") else pairs):
        i = resolve(model, name)
        if inputs[i].kind == "set" and i in values:
            values[i] = (set_names(values[i], inputs[i].id)
                         + set_names(value, inputs[i].id))
        else:
            values[i] = value


def estimate_values(model, values, strict, lang="en"):
    """A Result for {input index: value}."""
    hold = model._live()
    flags = _raw.STRICT if strict else 0
    err = _raw.engrate_error()
    r = hold.result()
    try:
        if profile_inputs(model, values):
            rc = _profile_call(model, hold.ptr, values, flags, r, err)
        else:
            q = hold.query()
            try:
                rc = query_estimate(model, values, q, flags, r, err)
            finally:
                hold.queries.append(q)
        if rc < 0:
            raise from_c(err)
        return read(model, hold.ptr, r, lang)
    finally:
        hold.results.append(r)


def _contribution(model, h, r, i, lang):
    """Term i of a C result's breakdown. The base and the reference rows (which take an
    input's typical effect out, when the model has a reference profile) are named as
    engrate-estimate --json names them: "base", or the typical listing ("typical listing",
    「平均的な案件」)."""
    raw = _raw
    f = raw.engrate_result_contribution_flags(r, i)
    amount = raw.engrate_result_contribution_amount(r, i)
    input = raw.engrate_result_contribution_input(r, i)
    flags = contribution_flag_set(f)
    no_evidence = bool(f & raw.FLAG_NO_EVIDENCE)
    if input == raw.NO_INDEX:
        return Contribution(None, None, model._typical(h, lang) if f & raw.FLAG_REFERENCE
                            else "base", None, amount, no_evidence, flags)
    inp = model._inputs[input]
    lev = raw.engrate_result_contribution_level(r, i)
    if f & raw.FLAG_REFERENCE:
        return Contribution(inp.id, None, model._typical(h, lang), None, amount, no_evidence,
                            flags)
    if lev != raw.NO_INDEX:
        return Contribution(inp.id, inp.levels_of(h)[lev].id,
                            model._level_name(h, inp._index, lev, lang), None, amount,
                            no_evidence, flags)
    curve = None
    if inp.by is not None:  # the level whose curve the term used, if any
        by = model._inputs[inp._by_index]
        lv = raw.engrate_result_contribution_curve_level(r, i)
        curve = Curve(by.id, None, None) if lv == raw.NO_INDEX else Curve(
            by.id, by.levels_of(h)[lv].id, model._level_name(h, by._index, lv, lang))
    return Contribution(inp.id, None, model._input_label(h, inp._index, lang),
                        raw.engrate_result_contribution_value(r, i), amount, no_evidence, flags,
                        curve)


def read(model, h, r, lang):
    """Copy a C result into a Result. What the model alone determines (ids, names) comes
    from caches, so that few calls cross into C."""
    raw = _raw
    inputs = model._inputs
    meta = model._meta or model._cache_meta(h)
    contributions = [_contribution(model, h, r, i, lang)
                     for i in range(raw.engrate_result_contribution_count(r))]
    unknown, suggestions = [], []
    for i in range(raw.engrate_result_unknown_count(r)):
        given = raw.engrate_result_unknown_name(r, i)
        inp = inputs[raw.engrate_result_unknown_input(r, i)]
        k = suggest_level(h, inp._index, given)
        unknown.append(given.decode())
        suggestions.append(Suggestion(inp.id, unknown[-1],
                                      None if k is None else inp.levels_of(h)[k].id))
    aliased = []
    for i in range(raw.engrate_result_aliased_count(r)):
        inp = inputs[raw.engrate_result_aliased_input(r, i)]
        lev = raw.engrate_result_aliased_level(r, i)
        aliased.append(Aliased(raw.engrate_result_aliased_given(r, i).decode(), inp.id,
                               inp.levels_of(h)[lev].id,
                               model._level_name(h, inp._index, lev, lang)))
    return Result(meta[0], raw.engrate_result_estimate(r), raw.engrate_result_low(r),
                  raw.engrate_result_high(r), meta[3], meta[1], meta[2],
                  flag_set(raw.engrate_result_flags(r)), contributions, unknown, suggestions,
                  aliased, lang)
