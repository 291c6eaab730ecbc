"""engrate._api: the friendly layer over engrate._raw: models as objects that free their
C handle, results as plain Python data, C errors as engrate.Error."""

import ctypes
import json
import math
import os
import threading
import weakref
from array import array
from collections import namedtuple
from ctypes import byref, c_char_p, c_double, c_int, c_size_t, c_uint, c_void_p
from itertools import accumulate, chain, repeat

from . import _raw

__all__ = ["Error", "Model", "Result", "Contribution", "Aliased", "Suggestion", "Estimate",
           "EstimateColumns", "Input", "Level", "TrainReport", "train", "version", "library_path",
           "default_model_path", "fold_name", "FLAG_NAMES"]

_NAN = float("nan")
_PROFILE_KEYS = frozenset(("role", "skills", "certs", "years"))

# Result flags by the names engrate-estimate --json uses, in its order.
FLAG_NAMES = (("unknown", _raw.FLAG_UNKNOWN), ("clamped", _raw.FLAG_CLAMPED),
              ("defaulted", _raw.FLAG_DEFAULTED), ("no_evidence", _raw.FLAG_NO_EVIDENCE),
              ("missing", _raw.FLAG_MISSING))


class _FlagSets(dict):
    """Flag bits -> frozenset of their names, made once per combination."""

    def __missing__(self, bits):
        s = self[bits] = frozenset(name for name, bit in FLAG_NAMES if bits & bit)
        return s


_FLAG_SETS = _FlagSets()
_flag_set = _FLAG_SETS.__getitem__
_NONE = _flag_set(0)
_NO_EVIDENCE = _flag_set(_raw.FLAG_NO_EVIDENCE)


def version():
    """The version of the loaded library, e.g. "0.1.0"."""
    return _raw.engrate_version_string().decode()


def library_path():
    """Where the loaded library was found."""
    return _raw.path


def default_model_path():
    """The installed default model's path (what Model.load() reads without ENGRATE_MODEL)."""
    return _raw.engrate_model_default_path().decode()


# ---- Errors ------------------------------------------------------------------------------

class Error(Exception):
    """A failure reported by libengrate: `code` is the negative ENGRATE_E_* code (see the
    E_* constants), `text` the full message ("jp.model:41:17: unknown key ..."), `line`
    and `column` 1-based or 0 where they do not apply, `source` the file or buffer name.
    `index` is the profile's position when the error comes from estimate_many, `report`
    the TrainReport when training failed after reading the data."""

    index = None
    report = None

    def __init__(self, code, text, line=0, column=0, source="", index=None):
        super().__init__(text)
        self.code = code
        self.text = text
        self.line = line
        self.column = column
        self.source = source
        self.index = index

    @property
    def reason(self):
        """The library's short description of the code ("unknown name", ...)."""
        return _raw.engrate_strerror(self.code).decode()

    @classmethod
    def _from(cls, err, code=None, index=None):
        code = err.code if code is None or err.code else code
        text = err.text.decode("utf-8", "replace") or _raw.engrate_strerror(code).decode()
        return cls(code, text, err.line, err.column, err.source.decode("utf-8", "replace"),
                   index)

    def __repr__(self):
        return "engrate.Error(%d, %r)" % (self.code, self.text)


def _encode(s):
    """A name as the C API takes it: UTF-8 bytes, no NUL inside. Bytes that were not
    UTF-8 (os.fsdecode's surrogate escapes, as in sys.argv) go through as they were, for
    the library to refuse with E_UTF8."""
    if not isinstance(s, str):
        raise TypeError("a name must be a str, not %s" % type(s).__name__)
    b = s.encode("utf-8", "surrogateescape")
    if b"\0" in b:
        raise ValueError("a name cannot contain NUL: %r" % s)
    return b


def _encode_path(path):
    return os.fsencode(path)


def _names(values):
    """A list of names, or a single name given as a str, as encoded bytes."""
    if values is None:
        return []
    if isinstance(values, str):
        values = (values,)
    return [_encode(v) for v in values]


def _name_array(encoded):
    return (c_char_p * len(encoded))(*encoded) if encoded else None


def _as_list(v):
    return [] if v is None else [v] if isinstance(v, str) else v


_SEQUENCES = frozenset((list, tuple))
_ZERO_D = array("d", [0.0])
_ZERO_I = array("i", [0])
_ADDRESS = next(t for t in "LQI" if array(t).itemsize == ctypes.sizeof(c_void_p))
_SIZE = next(t for t in "LQI" if array(t).itemsize == ctypes.sizeof(c_size_t))


def _c_strings(names, keep):
    """A char *[] for a list of names (None: NULL) without a Python object per entry: the
    distinct names, encoded once, in one buffer, and an array of addresses into it.
    What must outlive the call is appended to keep."""
    distinct = dict.fromkeys(names)
    distinct.pop(None, None)
    encoded = [_encode(s) for s in distinct]
    buf = b"\0".join(encoded) + b"\0"
    base = ctypes.cast(c_char_p(buf), c_void_p).value
    at = {None: 0}
    offset = base
    for s, b in zip(distinct, encoded):
        at[s] = offset
        offset += len(b) + 1
    addresses = array(_ADDRESS, map(at.__getitem__, names))
    keep += (buf, addresses)
    return (c_char_p * len(names)).from_buffer(addresses) if names else None


def _c_name_lists(lists, n, keep):
    """Names and n + 1 offsets for a column of name lists (a str is one name, None none)."""
    if lists is None:
        return None, None
    if not set(map(type, lists)) <= _SEQUENCES:
        lists = [() if v is None else (v,) if isinstance(v, str) else v for v in lists]
    offsets = array(_SIZE, accumulate(map(len, lists), initial=0))
    keep.append(offsets)
    names = list(chain.from_iterable(lists))
    return (_c_strings(names, keep) if names else None,
            (c_size_t * (n + 1)).from_buffer(offsets))


def _text(b):
    return None if b is None else b.decode("utf-8")


def fold_name(name):
    """The name folded the way matching folds it (engrate_fold_name)."""
    b = _encode(name)
    cap = 4 * len(b) + 16
    buf = ctypes.create_string_buffer(cap)
    n = c_size_t(0)
    rc = _raw.engrate_fold_name(b, buf, cap, byref(n))
    if rc < 0:
        raise Error(rc, "cannot fold %r: %s" % (name, _raw.engrate_strerror(rc).decode()))
    return buf.raw[:n.value].decode("utf-8")


# ---- Results -----------------------------------------------------------------------------

# One term of the breakdown. input: the input id, None for the base; level: the level id,
# None for the base and numeric inputs; name: the level's display name, the input's label
# for a numeric input, "base" for the base (in the language asked for); value: the number
# used for a numeric input, else None; amount: in currency; no_evidence: the level has no
# evidence for a premium; flags: the names of the flags that apply to the term.
Contribution = namedtuple("Contribution", "input level name value amount no_evidence flags")
# A name that matched a level through a display name or alias rather than its id.
Aliased = namedtuple("Aliased", "given input level name")
# A name that matched nothing, with the closest level's id (None when none is close).
Suggestion = namedtuple("Suggestion", "input given suggestion")
# One profile of estimate_many: the numbers and the flag names, no breakdown.
Estimate = namedtuple("Estimate", "estimate low high flags")
# What estimate_columns returns: the numbers as array("d"), the flags as a list of
# frozensets, and the errors of the profiles that failed as {index: Error}.
EstimateColumns = namedtuple("EstimateColumns", "estimate low high flags errors")


class Result:
    """One estimate with its breakdown. Plain data: it keeps no C memory and may outlive
    its model. estimate is the median rate in `currency` per `period`; [low, high] the
    prediction interval of nominal coverage `level`; contributions the breakdown (they
    add up to the estimate); unknown the names that matched nothing (ignored), with
    suggestions; aliased the names that matched through another name; flags a frozenset
    of "unknown", "clamped", "defaulted", "no_evidence", "missing"."""

    __slots__ = ("model_name", "estimate", "low", "high", "level", "currency", "period",
                 "flags", "contributions", "unknown", "suggestions", "aliased", "lang")

    def __init__(self, model_name, estimate, low, high, level, currency, period, flags,
                 contributions, unknown, suggestions, aliased, lang):
        self.model_name = model_name
        self.estimate = estimate
        self.low = low
        self.high = high
        self.level = level
        self.currency = currency
        self.period = period
        self.flags = flags
        self.contributions = contributions
        self.unknown = unknown
        self.suggestions = suggestions
        self.aliased = aliased
        self.lang = lang

    def as_dict(self):
        """The result as engrate-estimate --json prints it (same keys, same order)."""
        def num(x):
            return None if x is None or math.isnan(x) else x
        return {
            "model": self.model_name,
            "estimate": num(self.estimate), "low": num(self.low), "high": num(self.high),
            "level": num(self.level), "currency": self.currency, "period": self.period,
            "contributions": [
                {"input": "(base)" if c.input is None else c.input, "level": c.level,
                 "name": c.name, "value": c.value, "amount": num(c.amount),
                 "no_evidence": c.no_evidence} for c in self.contributions],
            "unknown": list(self.unknown),
            "suggestions": [s._asdict() for s in self.suggestions],
            "aliased": [a._asdict() for a in self.aliased],
            "flags": [name for name, _ in FLAG_NAMES if name in self.flags],
        }

    def __repr__(self):
        return "<engrate.Result %.0f %s (%.0f - %.0f)%s>" % (
            self.estimate, self.currency, self.low, self.high,
            " unknown: " + ", ".join(self.unknown) if self.unknown else "")


# ---- Introspection -------------------------------------------------------------------------

_KINDS = {_raw.CATEGORICAL: "categorical", _raw.SET: "set", _raw.NUMERIC: "numeric"}


class Level:
    """A level of a categorical or set input: id, coef, aliases, no_evidence, and its
    display name in a language through name(lang)."""

    __slots__ = ("_model", "input", "index", "id", "coef", "aliases", "no_evidence")

    def __init__(self, model, input, index):
        h, i = model._h, input._index
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
        return self._model._level_name(self._model._input_index[self.input], self.index,
                                       lang)

    def __repr__(self):
        return "<engrate.Level %s.%s>" % (self.input, self.id)


class Input:
    """An input of the model: id, kind ("categorical", "set", "numeric"), its label in a
    language through label(lang), and levels (categorical and set) or min, max, default,
    knots and coefs (numeric)."""

    __slots__ = ("_model", "_index", "id", "kind", "_levels", "min", "max", "default",
                 "knots", "coefs")

    def __init__(self, model, index):
        h = model._h
        self._model = model
        self._index = index
        self.id = _raw.engrate_input_id(h, index).decode()
        self.kind = _KINDS[_raw.engrate_input_kind(h, index)]
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

    def label(self, lang="en"):
        """Display label in `lang`; falls back to the label as the training data wrote it,
        then to English, then to the id."""
        return self._model._input_label(self._index, lang)

    @property
    def levels(self):
        """The levels, in model order (empty for a numeric input)."""
        if self._levels is None:
            n = _raw.engrate_input_level_count(self._model._handle(), self._index)
            self._levels = tuple(Level(self._model, self, k) for k in range(n))
        return self._levels

    def level(self, id):
        """The level with this id, or None."""
        for lv in self.levels:
            if lv.id == id:
                return lv
        return None

    def __repr__(self):
        return "<engrate.Input %s (%s)>" % (self.id, self.kind)


# ---- Models --------------------------------------------------------------------------------

def _free_model(handle, pool):
    """Free a model's pooled C results, then the model (weakref.finalize, close())."""
    while pool:
        _raw.engrate_result_free(pool.pop())
    _raw.engrate_model_free(handle)


class Model:
    """A loaded model. Immutable, so any number of threads may estimate with one model at
    once. Its C memory is freed by close(), by leaving a `with` block, or when the object
    is garbage collected, whichever comes first."""

    def __init__(self, handle):
        # Not for callers: use Model.load() or Model.from_string().
        self._h = handle
        # C results to estimate into, one per concurrent caller, reused (see _acquire).
        self._pool = []
        self._lock = threading.Lock()
        self._busy = 0
        self._finalizer = weakref.finalize(self, _free_model, handle, self._pool)
        self._inputs = None
        self._input_index = None
        self._meta = None
        self._names = {}
        self._labels = {}

    @classmethod
    def load(cls, path=None):
        """Load a model file; with path None, the default model ($ENGRATE_MODEL, else
        the installed default). Raises engrate.Error (code, line, column, text)."""
        err = _raw.engrate_error()
        if path is None:
            h = _raw.engrate_model_load_default(0, byref(err))
        else:
            h = _raw.engrate_model_load(_encode_path(path), 0, byref(err))
        if not h:
            raise Error._from(err)
        return cls(h)

    @classmethod
    def from_string(cls, text, source=None):
        """Load a model from its text (str or bytes); `source` names it in messages."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        err = _raw.engrate_error()
        h = _raw.engrate_model_load_buffer(data, len(data),
                                           None if source is None else _encode(source), 0,
                                           byref(err))
        if not h:
            raise Error._from(err)
        return cls(h)

    # -- lifetime

    def close(self):
        """Free the C model now. Further use raises ValueError. Idempotent. If other
        threads are still estimating, the memory is freed when the last one finishes."""
        with self._lock:
            if self._h is None:
                return
            self._h = None
            if self._busy:
                return  # _release frees it
        self._finalizer()

    @property
    def closed(self):
        return self._h is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _handle(self):
        h = self._h
        if h is None:
            raise ValueError("the engrate model is closed")
        return h

    def _acquire(self):
        """A C result of this model for one estimate; also keeps the model from being
        freed by close() in another thread until _release."""
        with self._lock:
            if self._h is None:
                raise ValueError("the engrate model is closed")
            self._busy += 1
            if self._pool:
                return self._h, self._pool.pop()
            h = self._h
        err = _raw.engrate_error()
        r = _raw.engrate_result_new(h, byref(err))
        if not r:
            self._release(None)
            raise Error._from(err)
        return h, r

    def _release(self, r):
        with self._lock:
            self._busy -= 1
            if r is not None:
                self._pool.append(r)
            closed_now = self._h is None and self._busy == 0
        if closed_now:
            self._finalizer()

    # -- metadata

    def meta(self, key):
        """A [model] value by key ("name", "currency", "period", ...), or None."""
        return _text(_raw.engrate_model_meta(self._handle(), _encode(key)))

    @property
    def name(self):
        return self.meta("name")

    @property
    def currency(self):
        return self.meta("currency")

    @property
    def period(self):
        return self.meta("period")

    def training(self, key):
        """A [training] number by key ("rows", "r_squared", ...); None when absent."""
        x = _raw.engrate_model_training(self._handle(), _encode(key))
        return None if math.isnan(x) else x

    @property
    def interval_level(self):
        return _raw.engrate_model_interval_level(self._handle())

    def to_string(self):
        """The model's canonical text (what save() writes)."""
        n = c_size_t()
        err = _raw.engrate_error()
        p = _raw.engrate_model_to_string(self._handle(), byref(n), byref(err))
        if not p:
            raise Error._from(err)
        try:
            return ctypes.string_at(p, n.value).decode("utf-8")
        finally:
            _raw.engrate_string_free(p)

    def save(self, path):
        """Write the model in canonical form to path (atomically: a temporary file renamed
        over it)."""
        err = _raw.engrate_error()
        if _raw.engrate_model_save(self._handle(), _encode_path(path), 0, byref(err)) < 0:
            raise Error._from(err)

    # -- inputs and levels

    @property
    def inputs(self):
        """The model's inputs, in model order."""
        h = self._handle()
        if self._inputs is None:
            inputs = tuple(Input(self, i) for i in range(_raw.engrate_model_input_count(h)))
            self._input_index = {inp.id: inp._index for inp in inputs}
            self._inputs = inputs
        return self._inputs

    def input(self, id):
        """The input with this id; KeyError when the model has none."""
        self.inputs
        return self._inputs[self._input_index[id]]

    def find_input(self, name):
        """The input people call `name`: its id, or any of its labels compared after
        folding (an input trained from a column 職種 answers to 職種), or None. Raises
        engrate.Error (E_DUPLICATE) when two inputs answer to it."""
        i = c_size_t()
        rc = _raw.engrate_model_find_input(self._handle(), _encode(name), byref(i))
        if rc == _raw.E_UNKNOWN_NAME:
            return None
        if rc < 0:
            raise Error(rc, "cannot find the input %r: %s"
                        % (name, _raw.engrate_strerror(rc).decode()))
        return self.inputs[i.value]

    def levels(self, input_id):
        """The levels of a categorical or set input, as Level objects."""
        return list(self.input(input_id).levels)

    def roles(self):
        return self.levels("role")

    def skills(self):
        return self.levels("skills")

    def certs(self):
        return self.levels("certs")

    def find(self, input_id, name):
        """The level a name matches (ids, display names, aliases, after folding), or None."""
        inp = self.input(input_id)
        k = c_size_t()
        rc = _raw.engrate_model_find_level(self._handle(), inp._index, _encode(name),
                                           byref(k), None)
        if rc == _raw.E_UNKNOWN_NAME:
            return None
        if rc < 0:
            raise Error(rc, "cannot match %r for %s: %s"
                        % (name, input_id, _raw.engrate_strerror(rc).decode()))
        return inp.levels[k.value]

    def suggest(self, input_id, name):
        """The level closest to an unknown name, or None when none is close."""
        inp = self.input(input_id)
        k = c_size_t()
        rc = _raw.engrate_model_suggest(self._handle(), inp._index, _encode(name), byref(k))
        return inp.levels[k.value] if rc == 0 else None

    def _level_name(self, input, level, lang):
        key = (input, level, lang)
        s = self._names.get(key)
        if s is None:
            s = self._names[key] = _raw.engrate_level_name(
                self._handle(), input, level, _encode(lang)).decode()
        return s

    def _input_label(self, input, lang):
        key = (input, lang)
        s = self._labels.get(key)
        if s is None:
            s = self._labels[key] = _raw.engrate_input_label(
                self._handle(), input, _encode(lang)).decode()
        return s

    # -- estimates

    def estimate(self, role=None, skills=(), certs=(), years=None, strict=False,
                 lang="en", inputs=None):
        """Estimate one profile. skills and certs are lists of names (or one name as a
        str); years a number or None (not known: the model's default is used). Unknown
        names are ignored and listed in the result, or raise engrate.Error
        (E_UNKNOWN_NAME) when strict. `lang` is the language of the names in the
        breakdown. NaN years mean "not known", as None does. Raises engrate.Error for bad
        input (e.g. infinite years: E_INVALID).
        inputs gives any of the model's inputs, by id or label (find_input): a mapping or
        (name, value) pairs, the value a name (categorical), a name or a list of names
        (set), or a number or None (numeric): {"職種": "PMO", "経験年数": 5}."""
        if inputs:
            return self._estimate_inputs(role, skills, certs, years, inputs, strict, lang)
        s = _names(skills)
        c = _names(certs)
        y = None if years is None else byref(c_double(years))
        rb = None if role is None else _encode(role)
        err = _raw.engrate_error()
        h, r = self._acquire()
        try:
            rc = _raw.engrate_estimate_profile(h, rb, _name_array(s), len(s), _name_array(c),
                                               len(c), y, _raw.STRICT if strict else 0, r,
                                               byref(err))
            if rc < 0:
                raise Error._from(err)
            return self._read(h, r, lang)
        finally:
            self._release(r)

    def _estimate_inputs(self, role, skills, certs, years, inputs, strict, lang):
        """estimate() through a query: the shortcuts, then every input given."""
        pairs = list(inputs.items()) if hasattr(inputs, "items") else list(inputs)
        named = []
        for name, value in pairs:
            inp = self.find_input(name)
            if inp is None:
                raise Error(_raw.E_UNKNOWN_NAME, "the model has no input %r" % name)
            named.append((inp, value))
        err = _raw.engrate_error()
        h, r = self._acquire()
        q = _raw.engrate_query_new(h, byref(err))
        try:
            if not q:
                raise Error._from(err)
            calls = [(b"role", n) for n in _names(role)]
            calls += [(b"skills", n) for n in _names(skills)]
            calls += [(b"certs", n) for n in _names(certs)]
            if years is not None:
                calls.append((b"years", float(years)))
            for inp, value in named:
                if inp.kind == "numeric":
                    calls += [] if value is None else [(inp.id.encode(), float(value))]
                else:
                    calls += [(inp.id.encode(), n) for n in _names(value)]
            for id, value in calls:
                if isinstance(value, float):
                    rc = _raw.engrate_query_set_number(q, id, value, byref(err))
                else:
                    rc = _raw.engrate_query_add(q, id, value, None, byref(err))
                if rc < 0:
                    raise Error._from(err)
            if _raw.engrate_estimate(q, _raw.STRICT if strict else 0, r, byref(err)) < 0:
                raise Error._from(err)
            return self._read(h, r, lang)
        finally:
            _raw.engrate_query_free(q)
            self._release(r)

    def _read(self, h, r, lang):
        """Copy a C result into a Result (the C result is reused afterwards). What the
        model alone determines (ids, names, a level's no-evidence flag) comes from caches,
        so that few calls cross into C."""
        raw = _raw
        inputs = self._inputs or self.inputs
        meta = self._meta or self._cache_meta()
        n = raw.engrate_result_contribution_count(r)
        contributions = [Contribution(None, None, "base", None,
                                      raw.engrate_result_contribution_amount(r, 0), False,
                                      _flag_set(0))] if n else []
        for i in range(1, n):
            inp = inputs[raw.engrate_result_contribution_input(r, i)]
            lev = raw.engrate_result_contribution_level(r, i)
            amount = raw.engrate_result_contribution_amount(r, i)
            if lev != raw.NO_INDEX:
                level = inp.levels[lev]
                contributions.append(Contribution(
                    inp.id, level.id, self._level_name(inp._index, lev, lang), None, amount,
                    level.no_evidence, _NO_EVIDENCE if level.no_evidence else _NONE))
            else:
                f = raw.engrate_result_contribution_flags(r, i)
                contributions.append(Contribution(
                    inp.id, None, self._input_label(inp._index, lang),
                    raw.engrate_result_contribution_value(r, i), amount,
                    bool(f & raw.FLAG_NO_EVIDENCE), _flag_set(f)))
        unknown, suggestions = [], []
        for i in range(raw.engrate_result_unknown_count(r)):
            given = raw.engrate_result_unknown_name(r, i)
            inp = inputs[raw.engrate_result_unknown_input(r, i)]
            k = c_size_t()
            found = raw.engrate_model_suggest(h, inp._index, given, byref(k)) == 0
            unknown.append(given.decode())
            suggestions.append(Suggestion(inp.id, unknown[-1],
                                          inp.levels[k.value].id if found else None))
        aliased = []
        for i in range(raw.engrate_result_aliased_count(r)):
            inp = inputs[raw.engrate_result_aliased_input(r, i)]
            lev = raw.engrate_result_aliased_level(r, i)
            aliased.append(Aliased(raw.engrate_result_aliased_given(r, i).decode(), inp.id,
                                   inp.levels[lev].id,
                                   self._level_name(inp._index, lev, lang)))
        return Result(meta[0], raw.engrate_result_estimate(r), raw.engrate_result_low(r),
                      raw.engrate_result_high(r), meta[3], meta[1], meta[2],
                      _flag_set(raw.engrate_result_flags(r)), contributions, unknown,
                      suggestions, aliased, lang)

    def _cache_meta(self):
        h = self._handle()
        self._meta = (_text(_raw.engrate_model_meta(h, b"name")),
                      _text(_raw.engrate_model_meta(h, b"currency")),
                      _text(_raw.engrate_model_meta(h, b"period")),
                      _raw.engrate_model_interval_level(h))
        return self._meta

    def estimate_many(self, profiles, strict=False, return_errors=False):
        """Estimate many profiles with one call into C (engrate_estimate_batch). Each
        profile is a mapping with any of the keys role, skills, certs, years, taking what
        estimate() takes (years None or NaN: not known). Returns a list of Estimate
        (estimate, low, high, flags), in order, with the same numbers estimate() gives.
        A profile that fails (an unknown name when strict, infinite years, ...) raises
        engrate.Error for the first such profile, with its position in `index`; with
        return_errors=True its place in the list holds that Error instead."""
        roles, skills, certs, years = [], [], [], []
        add_role, add_skills, add_certs, add_years = (roles.append, skills.append,
                                                      certs.append, years.append)
        keys = _PROFILE_KEYS
        for p in profiles:
            if not p.keys() <= keys:
                raise TypeError("unknown profile keys: %s"
                                % ", ".join(sorted(map(str, set(p.keys()) - keys))))
            get = p.get
            add_role(get("role"))
            add_skills(get("skills"))
            add_certs(get("certs"))
            add_years(get("years"))
        cols = self.estimate_columns(roles, skills, certs, years, strict, return_errors)
        out = list(map(tuple.__new__, repeat(Estimate),
                       zip(cols.estimate, cols.low, cols.high, cols.flags)))
        for i, e in cols.errors.items():
            out[i] = e
        return out

    def estimate_columns(self, roles=None, skills=None, certs=None, years=None,
                         strict=False, return_errors=False):
        """estimate_many with columns in and out, the fastest way: roles a list of names
        (None: no role), skills and certs lists of lists of names (or of single names),
        years a list of numbers (None or NaN: not known). A column may be None (not given
        for any profile); the others have one entry per profile. Returns EstimateColumns:
        estimate, low and high as array('d') (NaN for a profile that failed), flags a list
        of frozensets, and errors, {index: Error} for the profiles that failed, which is
        empty unless return_errors=True (else the first failure raises)."""
        given = [c for c in (roles, skills, certs, years) if c is not None]
        n = len(given[0]) if given else 0
        if any(len(c) != n for c in given):
            raise ValueError("the columns have different lengths: %s"
                             % [len(c) for c in given])
        est, low, high = (array("d", _ZERO_D) * n for _ in range(3))
        flags, status = array("I", _ZERO_I) * n, array("i", _ZERO_I) * n
        if n == 0:
            return EstimateColumns(est, low, high, [], {})
        keep = []
        role_p = _c_strings(roles, keep) if roles is not None else None
        skill_p, skill_off = _c_name_lists(skills, n, keep)
        cert_p, cert_off = _c_name_lists(certs, n, keep)
        if years is None:
            years_p = None
        else:
            ys = array("d", [_NAN if y is None else y for y in years]
                       if None in years else years)
            years_p = (c_double * n).from_buffer(ys)
        err = _raw.engrate_error()
        n_failed = c_size_t(0)
        rc = _raw.engrate_estimate_batch(
            self._handle(), n, role_p, skill_p, skill_off, cert_p, cert_off, years_p,
            _raw.STRICT if strict else 0, (c_double * n).from_buffer(est),
            (c_double * n).from_buffer(low), (c_double * n).from_buffer(high),
            (c_uint * n).from_buffer(flags), (c_int * n).from_buffer(status),
            byref(n_failed), byref(err))
        del keep
        failed = n_failed.value
        if rc < 0 and not failed:  # refused: nothing estimated
            raise Error._from(err)
        if failed and not return_errors:
            first = next(i for i, s in enumerate(status) if s < 0)
            raise Error._from(err, index=first)
        errors = {}
        if failed:  # each failure's Error, with the single call's message
            for i, s in enumerate(status):
                if s < 0:
                    errors[i] = self._profile_error(
                        i, s, None if roles is None else roles[i],
                        _as_list(skills[i]) if skills is not None else [],
                        _as_list(certs[i]) if certs is not None else [],
                        None if years is None else years[i], strict)
        return EstimateColumns(est, low, high, list(map(_FLAG_SETS.__getitem__, flags)),
                               errors)

    def _profile_error(self, i, code, role, skills, certs, years, strict):
        """The Error of failed profile i, with the single call's message."""
        if years is not None and math.isnan(years):
            years = None
        try:
            self.estimate(role, skills, certs, years, strict)
        except Error as e:
            return Error(code, e.text, e.line, e.column, e.source, i)
        return Error(code, _raw.engrate_strerror(code).decode(), index=i)

    def __repr__(self):
        if self._h is None:
            return "<engrate.Model (closed)>"
        return "<engrate.Model %s>" % self.name


# ---- Training ------------------------------------------------------------------------------

class TrainReport:
    """What training found: values by key (value("r_squared"), ...), the terms with their
    estimates and standard errors, notes, the JSON report and engrate-train's summary."""

    def __init__(self, handle):
        h, raw = handle, _raw
        self._values = {}
        self.terms = [(raw.engrate_train_report_term(h, i).decode(),
                       raw.engrate_train_report_estimate(h, i),
                       raw.engrate_train_report_std_error(h, i))
                      for i in range(raw.engrate_train_report_term_count(h))]
        self.notes = [raw.engrate_train_report_note(h, i).decode()
                      for i in range(raw.engrate_train_report_note_count(h))]
        self.json = _text(raw.engrate_train_report_json(h))
        self.summary = _text(raw.engrate_train_report_summary(h))
        for key in ("n", "p", "lambda", "r_squared", "residual_sd", "df", "condition_number",
                    "rows_read", "rows_skipped", "folds", "cv_rmse", "cv_mape", "coverage",
                    "interval_level", "interval_low", "interval_high"):
            x = raw.engrate_train_report_value(h, key.encode())
            self._values[key] = None if math.isnan(x) else x

    def value(self, key):
        """A number from the report by key (see engrate_train_report_value), or None."""
        return self._values.get(key)

    def as_dict(self):
        """The JSON report as Python data."""
        return json.loads(self.json)

    def report(self, lang="en"):
        """The report drawn (engrate.Report: .html(), .save(path), inline in Jupyter)."""
        from .report import Report
        return Report(self.json, lang)

    def _repr_html_(self):
        return self.report()._repr_html_()


def _option_value(v):
    if v is True:
        return b"1"
    if v is False:
        return b"0"
    if v is None:
        return None
    return _encode(v if isinstance(v, str) else repr(v) if isinstance(v, float) else str(v))


def train(csv_path, out_path=None, progress=None, **options):
    """Train a model from a CSV file through the library (what engrate-train does) and,
    when out_path is given, save it there. Options are engrate-train's flags with
    dashes as underscores: train(path, out, target="rate", lambda_="auto", folds=5,
    set=["skills:;", "certs:;"], numeric="years:knots=3,10", meta=["currency=JPY"],
    skip_bad_rows=True). Options that add ("categorical", "set", "numeric", "meta",
    "source") take a list. `progress`, if given, is called with the fraction read.
    Without a name option the model is named after out_path, as engrate-train does.
    Returns (model, report); raises engrate.Error with the CSV line and column of a bad
    row (the report, when the data were read, is in the error's `report`)."""
    if out_path is not None and "name" not in options:  # as engrate-train names it
        base = os.path.basename(os.fspath(out_path))
        options["name"] = base[:-6] if base.endswith(".model") else base
    _raw.load_train()
    opts = _raw.engrate_train_options_new()
    if not opts:
        raise MemoryError("engrate_train_options_new")
    err = _raw.engrate_error()
    keep = None
    try:
        for key, value in options.items():
            name = key.rstrip("_").replace("_", "-")
            for v in value if isinstance(value, (list, tuple)) else (value,):
                if _raw.engrate_train_options_set(opts, name.encode(), _option_value(v),
                                                  byref(err)) < 0:
                    raise Error._from(err)
        if progress is not None:
            keep = _raw.progress_fn(lambda done, user: progress(done))
            _raw.engrate_train_options_set_progress(opts, keep, None)
        report = _raw.report_p()
        h = _raw.engrate_train_csv(_encode_path(csv_path), opts, byref(report), byref(err))
        rep = None
        if report:
            try:
                rep = TrainReport(report)
            finally:
                _raw.engrate_train_report_free(report)
        if not h:
            e = Error._from(err)
            e.report = rep
            raise e
        model = Model(h)
        if out_path is not None:
            model.save(out_path)
        return model, rep
    finally:
        _raw.engrate_train_options_free(opts)
        del keep
