"""engrate._inputs: what a model asks for. Input and Level describe its inputs and levels;
find_input() and resolve() find an input by what a person or a spreadsheet calls it (its
id, or its label in any language the model has, after folding: "role", "Role", "職種");
coefficients() lays the model out as a table. The C lookups (level and suggestion indexes, which come back
through a size_t *) are wrapped here, in one place."""

import ctypes
import math
from ctypes import byref, c_size_t

from . import _raw
from ._errors import UnknownNameError, error_for_code
from ._result import Coefficient
from ._values import encode

__all__ = ["Input", "Level", "find_level", "suggest_level", "fold_name", "find_input",
           "resolve", "coefficients", "KINDS"]

KINDS = {_raw.CATEGORICAL: "categorical", _raw.SET: "set", _raw.NUMERIC: "numeric"}


def fold_name(name):
    """The name folded the way matching folds it (engrate_fold_name)."""
    b = encode(name)
    cap = 4 * len(b) + 16
    buf = ctypes.create_string_buffer(cap)
    n = c_size_t()
    rc = _raw.engrate_fold_name(b, buf, cap, byref(n))
    if rc < 0:
        raise error_for_code(rc, "cannot fold %r: %s"
                             % (name, _raw.engrate_strerror(rc).decode()))
    return buf.raw[:n.value].decode("utf-8")


def find_level(h, input, name):
    """The index of the level `name` (bytes) matches, or None; raises for bad arguments."""
    k = c_size_t()
    rc = _raw.engrate_model_find_level(h, input, name, byref(k), None)
    if rc == _raw.E_UNKNOWN_NAME:
        return None
    if rc < 0:
        raise error_for_code(rc, "cannot match %r: %s"
                             % (name.decode("utf-8", "replace"),
                                _raw.engrate_strerror(rc).decode()))
    return k.value


def suggest_level(h, input, name):
    """The index of the level closest to an unknown name (bytes), or None."""
    k = c_size_t()
    return k.value if _raw.engrate_model_suggest(h, input, name, byref(k)) == 0 else None


class Level:
    """A level of a categorical or set input: id, coef, aliases, no_evidence, and its
    display name in a language through name(lang)."""

    __slots__ = ("_model", "input", "index", "id", "coef", "aliases", "no_evidence")

    def __init__(self, model, h, input, index):
        i = input._index
        self._model = model
        self.input = input.id
        self.index = index
        self.id = _raw.engrate_level_id(h, i, index).decode()
        self.coef = _raw.engrate_level_coef(h, i, index)
        self.aliases = tuple(_raw.engrate_level_alias(h, i, index, k).decode()
                             for k in range(_raw.engrate_level_alias_count(h, i, index)))
        self.no_evidence = bool(_raw.engrate_level_flags(h, i, index)
                                & _raw.LEVEL_NO_EVIDENCE)

    def name(self, lang="en"):
        """Display name in `lang`; falls back to English, then to the id."""
        model = self._model
        key = (model._input_index[self.input], self.index, lang)
        s = model._names.get(key)  # what was read before needs no model
        return s if s is not None else model._level_name(model._live().ptr, *key)

    def __repr__(self):
        return "<engrate.Level %s.%s>" % (self.input, self.id)


class Input:
    """An input of the model: id, kind ("categorical", "set", "numeric"), its label in a
    language through label(lang), and levels (categorical and set) or min, max, default,
    knots and coefs (numeric); reference and reference_effect its part of the model's
    reference profile (None when the model has none); by, for a numeric input whose curve
    varies by the level of a categorical input, that input's id (else None): see
    deviations() and curve()."""

    __slots__ = ("_model", "_index", "id", "kind", "_levels", "min", "max", "default",
                 "knots", "coefs", "reference", "reference_effect", "by", "_by_index")

    def __init__(self, model, h, index):
        self._model = model
        self._index = index
        self.id = _raw.engrate_input_id(h, index).decode()
        self.kind = KINDS[_raw.engrate_input_kind(h, index)]
        self._levels = None
        if self.kind == "numeric":
            self.min = _raw.engrate_input_min(h, index)
            self.max = _raw.engrate_input_max(h, index)
            self.default = _raw.engrate_input_default(h, index)
            nk = _raw.engrate_input_knot_count(h, index)
            self.knots = tuple(_raw.engrate_input_knot(h, index, k) for k in range(nk))
            self.coefs = tuple(_raw.engrate_input_coef(h, index, k) for k in range(nk + 1))
        else:
            self.min = self.max = self.default = None
            self.knots = self.coefs = ()
        by = _raw.engrate_input_by(h, index)
        self._by_index = None if by == _raw.NO_INDEX else by
        self.by = None if by == _raw.NO_INDEX else _raw.engrate_input_id(h, by).decode()
        # The input's part of the reference profile (None without one): the typical value
        # of a number, the typical effect of levels; and its effect on the model's scale.
        ref = _raw.engrate_input_reference(h, index)
        self.reference = None if math.isnan(ref) else ref
        ref = _raw.engrate_input_reference_effect(h, index)
        self.reference_effect = None if math.isnan(ref) else ref

    def label(self, lang="en"):
        """Display label in `lang`; falls back to English, then to the id."""
        model = self._model
        s = model._labels.get((self._index, lang))  # what was read before needs no model
        return s if s is not None else model._input_label(model._live().ptr, self._index, lang)

    @property
    def levels(self):
        """The levels, in model order (empty for a numeric input)."""
        return self._levels or self.levels_of(self._model._live().ptr)

    def levels_of(self, h):
        """The levels, read through h (a pointer the caller holds) the first time."""
        if self._levels is None:
            n = _raw.engrate_input_level_count(h, self._index)
            self._levels = tuple(Level(self._model, h, self, k) for k in range(n))
        return self._levels

    def deviations(self):
        """A numeric input whose curve varies by a level: {level id: its deviation from
        coefs} for each level of `by` that has a curve of its own (the level's curve has
        coefficients coefs[k] + deviation[k]); {} for any other input."""
        if self.by is None:
            return {}
        h, out = self._model._live().ptr, {}
        for lv in self._model._inputs[self._by_index].levels_of(h):
            d = tuple(_raw.engrate_input_deviation(h, self._index, lv.index, k)
                      for k in range(len(self.coefs)))
            if not math.isnan(d[0]):
                out[lv.id] = d
        return out

    def curve(self, x, level=None):
        """The value on the model's scale of the curve at x (clamped to [min, max]): level
        `level`'s (an id of a level of `by`) when it has one of its own, else the input's.
        Raises ValueError for an input that is not numeric or a level `by` does not have."""
        if self.kind != "numeric":
            raise ValueError("%s is not a numeric input" % self.id)
        h, lv = self._model._live().ptr, _raw.NO_INDEX
        if level is not None:
            found = None if self.by is None else self._model._inputs[self._by_index].level(level)
            if found is None:
                raise ValueError("%s has no curve for level %r" % (self.id, level))
            lv = found.index
        return _raw.engrate_input_curve(h, self._index, lv, float(x))

    def level(self, id):
        """The level with this id, or None."""
        for lv in self.levels:
            if lv.id == id:
                return lv
        return None

    def __repr__(self):
        return "<engrate.Input %s (%s)>" % (self.id, self.kind)


def find_input(model, name):
    """The index of the input `name` means (engrate_model_find_input: its id, else its id
    or any of its labels after folding), or None; remembered per name. Two inputs that
    answer to it: DataError (E_DUPLICATE)."""
    index = model._input_index_of(name)
    if index is not None:
        return index
    if not isinstance(name, str):
        raise TypeError("an input name must be a str, not %s" % type(name).__name__)
    found = model._cache.setdefault("inputs by name", {})
    if name in found:
        return found[name]
    hold = model._live()
    i = c_size_t()
    rc = _raw.engrate_model_find_input(hold.ptr, encode(name), byref(i))
    if rc == _raw.E_UNKNOWN_NAME:
        index = None
    elif rc == _raw.E_DUPLICATE:
        raise error_for_code(rc, "'%s' names more than one input; give its id (%s)"
                             % (name, _inputs_known(model)))
    elif rc < 0:
        raise error_for_code(rc, "cannot find the input '%s': %s"
                             % (name, _raw.engrate_strerror(rc).decode()))
    else:
        index = i.value
    found[name] = index
    return index


def _inputs_known(model):
    return ", ".join("%s (%s)" % (i.id, ", ".join(dict.fromkeys(
        [i.label("en"), i.label("ja")]))) for i in model.inputs)


def resolve(model, key):
    """The index of the input `key` names, as find_input; raises UnknownNameError (a
    KeyError) naming the inputs there are when none does."""
    index = find_input(model, key)
    if index is None:
        raise UnknownNameError(_raw.E_UNKNOWN_NAME, "the model has no input '%s'; its inputs: "
                               "%s" % (key, _inputs_known(model)))
    return index


def coefficients(model, lang="en", as_frame=None):
    """The model as a table: the intercept, each level's coefficient, each numeric input's
    slope and its changes of slope after each knot (see Coefficient). A pandas DataFrame
    when pandas can be imported (as_frame=None) or as_frame=True, else a list of
    Coefficient."""
    rows = [Coefficient(None, None, "(intercept)", model.intercept, True)]
    for inp in model.inputs:
        if inp.kind == "numeric":
            label = inp.label(lang)
            rows.append(Coefficient(inp.id, None, label, inp.coefs[0], True))
            for knot, coef in zip(inp.knots, inp.coefs[1:]):
                rows.append(Coefficient(inp.id, ">%g" % knot,
                                        "%s: change of slope after %g" % (label, knot),
                                        coef, True))
        else:
            rows.extend(Coefficient(inp.id, lv.id, lv.name(lang), lv.coef,
                                    not lv.no_evidence) for lv in inp.levels)
    if as_frame is False:
        return rows
    try:
        import pandas
    except ImportError:
        if as_frame:
            raise
        return rows
    return pandas.DataFrame(rows, columns=Coefficient._fields)
