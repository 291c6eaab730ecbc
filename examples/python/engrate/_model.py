"""engrate._model: the Model class and the one object that owns its C memory.

Ownership, so that nothing reachable from Python can touch freed memory: a _Handle owns
the C model and the C queries and results made for it, and frees them when the last
reference to it goes. The Model holds one reference until close(); every call holds
another while it runs, so close() in another thread, or the garbage collector, never frees
what a call is using. A _Handle refers to nothing that refers back, so reference counting
frees it at once, in any order relative to other objects. No lock is taken anywhere, so a
process may fork at any moment and the child may go on using its models.

Copies (copy.copy, copy.deepcopy) and pickles are made from the model's text: each is an
independent model with its own C memory."""

import math
import os
from ctypes import byref, c_size_t, string_at

from . import _batch, _raw, _whatif
from ._predict import predict as _predict
from ._errors import from_c
from ._estimate import estimate as _estimate
from ._inputs import Input, coefficients, find_input, find_level, resolve, suggest_level
from ._result import Interval
from ._values import encode, encode_path

__all__ = ["Model"]

_META_KEYS = ("name", "description", "currency", "period", "basis", "as_of")
_TRAINING_KEYS = ("rows", "terms", "lambda", "folds", "r_squared", "residual_sd", "cv_rmse",
                  "cv_mape", "coverage")


class _Handle:
    """One C model with the C queries, results and what-ifs made for it (reused, one per
    concurrent call). Freed when the last reference goes."""

    __slots__ = ("ptr", "results", "queries", "whatifs", "__weakref__")

    def __init__(self, ptr):
        self.ptr = ptr
        self.results = []
        self.queries = []
        self.whatifs = []

    def result(self):
        """A C result for one call; give it back with results.append."""
        try:
            return self.results.pop()
        except IndexError:
            pass
        err = _raw.engrate_error()
        r = _raw.engrate_result_new(self.ptr, byref(err))
        if not r:
            raise from_c(err)
        return r

    def query(self):
        """A C query for one call; give it back with queries.append."""
        try:
            return self.queries.pop()
        except IndexError:
            pass
        err = _raw.engrate_error()
        q = _raw.engrate_query_new(self.ptr, byref(err))
        if not q:
            raise from_c(err)
        return q

    def whatif(self):
        """A C what-if for one call; give it back with whatifs.append."""
        try:
            return self.whatifs.pop()
        except IndexError:
            pass
        err = _raw.engrate_error()
        w = _raw.engrate_whatif_new(self.ptr, byref(err))
        if not w:
            raise from_c(err)
        return w

    def __del__(self, free_result=_raw.engrate_result_free,
                free_query=_raw.engrate_query_free, free_whatif=_raw.engrate_whatif_free,
                free_model=_raw.engrate_model_free):
        # The functions are bound as defaults: at interpreter exit the module may be gone.
        ptr, self.ptr = self.ptr, None
        while self.whatifs:
            free_whatif(self.whatifs.pop())
        while self.results:
            free_result(self.results.pop())
        while self.queries:
            free_query(self.queries.pop())
        if ptr:
            free_model(ptr)


def _from_text(text, source):
    """Unpickling: a model from its text."""
    return Model.from_string(text, source)


class Model:
    """A loaded model: Model(path) or Model.load(path) reads a model file (None: the
    default model), Model.from_string(text) a model's text. Immutable, so any number of
    threads may estimate with one model at once. Its C memory is freed by close(), by
    leaving a `with` block, or when it is garbage collected, and never while a call in
    another thread still uses it. Copies and pickles are independent models."""

    def __init__(self, path=None):
        err = _raw.engrate_error()
        if path is None:
            ptr = _raw.engrate_model_load_default(0, byref(err))
            source = None
        else:
            ptr = _raw.engrate_model_load(encode_path(path), 0, byref(err))
            source = str(path)
        if not ptr:
            if path is None:
                path = (os.environ.get("ENGRATE_MODEL") or
                        _raw.engrate_model_default_path().decode())
            raise from_c(err, path=path)
        self._adopt(ptr, source)

    def _adopt(self, ptr, source):
        self._hold = _Handle(ptr)
        self._source = source
        self._inputs = None
        self._input_index = None
        self._meta = None
        self._names = {}
        self._labels = {}
        self._cache = {}

    @classmethod
    def _wrap(cls, ptr, source=None):
        model = cls.__new__(cls)
        model._adopt(ptr, source)
        return model

    @classmethod
    def load(cls, path=None):
        """Load a model file; with path None, the default model ($ENGRATE_MODEL, else
        the installed default). Raises engrate.FileMissingError (a FileNotFoundError) for
        a file that is not there, engrate.DataError (a ValueError) with line and column
        for one the loader refuses."""
        return cls(path)

    @classmethod
    def from_string(cls, text, source=None):
        """Load a model from its text (str or bytes); `source` names it in messages."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        err = _raw.engrate_error()
        ptr = _raw.engrate_model_load_buffer(data, len(data),
                                             None if source is None else encode(source), 0,
                                             byref(err))
        if not ptr:
            raise from_c(err)
        return cls._wrap(ptr, source)

    # -- lifetime, copies, pickles

    def close(self):
        """Release the C model: further use raises ValueError. Idempotent. The memory is
        freed now, or when the last call still running in another thread returns."""
        self._hold = None

    @property
    def closed(self):
        hold = self._hold
        return hold is None or hold.ptr is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _live(self):
        """The handle, held by the caller for the length of its call. (Its pointer is None
        only when the garbage collector has finalized it along with this model, and a
        finalizer of that same garbage then calls here.)"""
        hold = self._hold
        if hold is None or hold.ptr is None:
            raise ValueError("the engrate model is closed")
        return hold

    def __reduce__(self):
        return (_from_text, (self.to_string(), self._source))

    def __copy__(self):
        return Model.from_string(self.to_string(), self._source)

    def __deepcopy__(self, memo):
        return self.__copy__()

    # -- metadata

    def meta(self, key):
        """A [model] value by key ("name", "currency", "period", ...), or None."""
        hold = self._live()
        return _text(_raw.engrate_model_meta(hold.ptr, encode(key)))

    @property
    def metadata(self):
        """The [model] section as a dict: name, description, currency, period, basis,
        as_of (the keys the model has)."""
        hold = self._live()
        values = {k: _text(_raw.engrate_model_meta(hold.ptr, k.encode())) for k in _META_KEYS}
        return {k: v for k, v in values.items() if v is not None}

    @property
    def name(self):
        return self.meta("name")

    @property
    def currency(self):
        return self.meta("currency")

    @property
    def period(self):
        return self.meta("period")

    @property
    def intercept(self):
        """The intercept, on the model's scale (log of the rate for a log model)."""
        return _raw.engrate_model_intercept(self._live().ptr)

    @property
    def transform(self):
        """"log" (the model predicts log(rate)) or "none"."""
        t = _raw.engrate_model_transform(self._live().ptr)
        return "log" if t == _raw.TRANSFORM_LOG else "none"

    @property
    def has_reference(self):
        """True when the model has a reference profile (the typical row of its training
        data), from which the breakdown is measured."""
        return bool(_raw.engrate_model_has_reference(self._live().ptr))

    @property
    def base(self):
        """The breakdown's base in currency: the reference profile's estimate, or without
        one the inverse-transformed intercept."""
        return _raw.engrate_model_base(self._live().ptr)

    @property
    def interval(self):
        """Interval(level, low, high): the prediction interval's nominal level and its
        bounds on the model's scale."""
        h = self._live().ptr
        return Interval(_raw.engrate_model_interval_level(h),
                        _raw.engrate_model_interval_low(h),
                        _raw.engrate_model_interval_high(h))

    @property
    def interval_level(self):
        return _raw.engrate_model_interval_level(self._live().ptr)

    @property
    def sources(self):
        """The model's provenance: its `source` lines, in order."""
        h = self._live().ptr
        return tuple(_raw.engrate_model_source(h, i).decode()
                     for i in range(_raw.engrate_model_source_count(h)))

    def training(self, key=None):
        """A [training] number by key ("rows", "r_squared", ...), None when absent; with
        no key, all of them as a dict."""
        h = self._live().ptr
        if key is None:
            values = {k: _raw.engrate_model_training(h, k.encode()) for k in _TRAINING_KEYS}
            return {k: x for k, x in values.items() if not math.isnan(x)}
        x = _raw.engrate_model_training(h, encode(key))
        return None if math.isnan(x) else x

    def to_string(self):
        """The model's canonical text (what save() writes)."""
        hold = self._live()
        n = c_size_t()
        err = _raw.engrate_error()
        p = _raw.engrate_model_to_string(hold.ptr, byref(n), byref(err))
        if not p:
            raise from_c(err)
        try:
            return string_at(p, n.value).decode("utf-8")
        finally:
            _raw.engrate_string_free(p)

    def save(self, path):
        """Write the model in canonical form to path (atomically: a temporary file renamed
        over it)."""
        hold = self._live()
        err = _raw.engrate_error()
        if _raw.engrate_model_save(hold.ptr, encode_path(path), 0, byref(err)) < 0:
            raise from_c(err)

    # -- inputs and levels

    @property
    def inputs(self):
        """The model's inputs, in model order."""
        hold = self._live()
        if self._inputs is None:
            n = _raw.engrate_model_input_count(hold.ptr)
            inputs = tuple(Input(self, hold.ptr, i) for i in range(n))
            self._input_index = {inp.id: inp._index for inp in inputs}
            self._inputs = inputs
        return self._inputs

    def _input_index_of(self, id):
        self.inputs
        return self._input_index.get(id)

    def input(self, name):
        """The input with this id, or with this label in any language ("職種"); raises
        engrate.UnknownNameError (a KeyError) when the model has none."""
        return self.inputs[resolve(self, name)]

    def find_input(self, name):
        """The input people call `name` (its id, or any of its labels after folding), or
        None; engrate.DataError (E_DUPLICATE) when two inputs answer to it."""
        i = find_input(self, name)
        return None if i is None else self.inputs[i]

    def levels(self, input_name):
        """The levels of a categorical or set input, as Level objects."""
        return list(self.input(input_name).levels)

    def roles(self):
        return self.levels("role")

    def skills(self):
        return self.levels("skills")

    def certs(self):
        return self.levels("certs")

    def find(self, input_name, name):
        """The level a name matches (ids, display names, aliases, after folding), or None."""
        inp = self.input(input_name)
        hold = self._live()
        k = find_level(hold.ptr, inp._index, encode(name))
        return None if k is None else inp.levels[k]

    def suggest(self, input_name, name):
        """The level closest to an unknown name, or None when none is close."""
        inp = self.input(input_name)
        hold = self._live()
        k = suggest_level(hold.ptr, inp._index, encode(name))
        return None if k is None else inp.levels[k]

    def coefficients(self, lang="en", as_frame=None):
        """The model as a table of (input, level, name, coefficient, evidence): a pandas
        DataFrame when pandas is there, else a list of engrate.Coefficient."""
        return coefficients(self, lang, as_frame)

    # Names and labels are cached by (input, level, lang). The pointer comes from the
    # caller, who holds the handle: a call under way finishes even if close() comes.

    def _level_name(self, h, input, level, lang):
        key = (input, level, lang)
        s = self._names.get(key)
        if s is None:
            s = self._names[key] = _raw.engrate_level_name(h, input, level,
                                                           encode(lang)).decode()
        return s

    def _input_label(self, h, input, lang):
        key = (input, lang)
        s = self._labels.get(key)
        if s is None:
            s = self._labels[key] = _raw.engrate_input_label(h, input, encode(lang)).decode()
        return s

    def _typical(self, h, lang):
        """What the model's reference profile is called, as engrate-estimate calls it: its
        typical listing when the model measures listings, else its typical profile."""
        key = ("typical", lang == "ja")
        s = self._labels.get(key)
        if s is None:
            basis = _raw.engrate_model_meta(h, b"basis")
            listing = basis == b"listing"
            s = self._labels[key] = (("平均的な案件" if listing else "平均的なプロフィール")
                                     if lang == "ja" else
                                     ("typical listing" if listing else "typical profile"))
        return s

    def _cache_meta(self, h):
        self._meta = (_text(_raw.engrate_model_meta(h, b"name")),
                      _text(_raw.engrate_model_meta(h, b"currency")),
                      _text(_raw.engrate_model_meta(h, b"period")),
                      _raw.engrate_model_interval_level(h))
        return self._meta

    # -- estimates (engrate._estimate, engrate._batch)

    def estimate(self, profile=None, /, *, strict=False, lang="en", inputs=None, **values):
        """Estimate one profile. Inputs are given by keyword (role="pmo", skills=["java"],
        certs="PMP", years=8) or as a mapping (a dict, a pandas row) whose keys are input
        ids or labels in any language ({"職種": "PMO", "スキル": ["Java"]}). A set input
        takes a list or one string split on , 、 ， ; ； ､. None, NaN and pandas' NA mean
        "not known". `inputs`, a mapping or (name, value) pairs, gives more after those,
        as engrate-estimate's --input does: a set's names are added, a level or a number
        replaces. Unknown names are ignored and listed in the result, or raise
        engrate.UnknownNameError (a KeyError) when strict. `lang` is the language of the
        names in the breakdown. Returns a Result."""
        return _estimate(self, profile, values, strict, lang, inputs)

    def estimate_many(self, profiles, strict=False, return_errors=False):
        """Estimate many profiles (mappings, as estimate() takes) with one call into C.
        Returns a list of Estimate(estimate, low, high, flags), in order, with the same
        numbers estimate() gives. A profile that fails raises engrate.Error with its
        position in `index`; with return_errors=True its place holds that Error."""
        return _batch.estimate_many(self, profiles, strict, return_errors)

    def estimate_columns(self, roles=None, skills=None, certs=None, years=None,
                         strict=False, return_errors=False):
        """estimate_many with columns in and out: each column any sequence, numpy array or
        pandas Series (None: not given for any profile). Returns EstimateColumns:
        estimate, low and high as array('d') (NaN for a profile that failed), flags a list
        of frozensets, and errors, {index: Error}, empty unless return_errors=True (else
        the first failure raises)."""
        return _batch.estimate_columns(self, {"role": roles, "skills": skills, "certs": certs,
                                       "years": years}, strict, return_errors)

    def predict(self, data, *, interval=False, flags=False, strict=False, errors="raise",
                columns=None):
        """Estimates for a table: a pandas DataFrame, a mapping of columns, or a list of
        mappings. Columns are matched to inputs by id or label (role, skills, 職種, ...;
        `columns` maps others, {"job": "role"}); the rest are ignored. Returns the
        estimates as a numpy array (array('d') without numpy), in row order; with
        interval=True and/or flags=True a DataFrame aligned to the input's index with
        columns estimate, low, high and one bool column per flag. errors="nan" gives NaN
        for rows that fail instead of raising."""
        return _predict(self, data, interval, flags, strict, errors, columns)

    def whatif(self, profile=None, /, *, limit=5, vary=None, steps=None,
               with_no_evidence=False, strict=False, lang="en", **inputs):
        """What one change does: every single change to the profile (given as to
        estimate()) from the candidates (a level added to each set input, each other level
        of each categorical input, each numeric input raised by each step of `steps`, by
        default 1, 3 and 5), ranked by the estimate it gives, highest first; the best
        `limit` (0: all) as a list of WhatIf, the records engrate-estimate --whatif --json
        prints. `vary` names the inputs that may change (ids or labels; default all);
        levels without evidence are left out unless with_no_evidence."""
        return _whatif.whatif(self, profile, inputs, limit, dict(
            vary=vary, steps=steps, with_no_evidence=with_no_evidence, strict=strict,
            lang=lang))

    def whatif_target(self, rate, profile=None, /, *, max_changes=5, vary=None, steps=None,
                      with_no_evidence=False, strict=False, lang="en", **inputs):
        """The fewest additions (levels added to set inputs, numbers raised) that bring the
        profile's estimate to `rate` or above, at most max_changes (0: no limit), found
        greedily (the library's engrate_whatif_target, which says why that is also a
        shortest path for a model that adds its effects). Returns Target(rate, reached,
        max_changes, path), as engrate-estimate --target-rate --json prints it."""
        return _whatif.whatif_target(self, rate, profile, inputs, max_changes, dict(
            vary=vary, steps=steps, with_no_evidence=with_no_evidence, strict=strict,
            lang=lang))

    def __repr__(self):
        if self.closed:
            return "<engrate.Model (closed)>"
        return "<engrate.Model %s>" % self.name


def _text(b):
    return None if b is None else b.decode("utf-8")
