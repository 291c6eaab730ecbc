"""engrate._batch: many profiles at once, from columns (estimate_columns), mappings
(estimate_many) or a table (predict: a pandas DataFrame, a dict of columns, a list of
dicts).

A table of the usual inputs (role, skills, certs, years) crosses into C once, through
engrate_estimate_batch, with its arrays built without a Python object per row where that
can be helped: each distinct cell (a role, a skills string) is read once and every row
then only points at it, numbers from numpy and pandas go to C as they are, and the C
outputs are the arrays returned. Any other model's inputs go one row at a time through a
query. Missing values and set strings mean what engrate._values says, as in a single
estimate."""

import ctypes
import sys
from array import array
from ctypes import POINTER, byref, c_char_p, c_double, c_int, c_size_t, c_uint, c_void_p
from itertools import accumulate, chain

from . import _raw
from ._errors import Error, error_for_code, from_c
from ._estimate import (estimate_values, gather, profile_inputs, query_estimate)
from ._inputs import resolve
from ._result import FLAG_SETS, Estimate, EstimateColumns
from ._values import encode, number, one_name, set_names, split_many

__all__ = ["estimate_columns", "estimate_many", "run", "check_lengths"]

_NAN = float("nan")
_ZERO_D = array("d", [0.0])
_ZERO_I = array("i", [0])
_ADDRESS = next(t for t in "LQI" if array(t).itemsize == ctypes.sizeof(c_void_p))
_SIZE = next(t for t in "LQI" if array(t).itemsize == ctypes.sizeof(c_size_t))
_LISTS = frozenset((list, tuple))


# ---- Columns as C arrays -------------------------------------------------------------------

def _cells(values):
    """A column's cells as a list (numpy arrays and pandas Series through tolist())."""
    if type(values) is list:
        return values
    tolist = getattr(values, "tolist", None)
    if tolist is not None:
        cells = tolist()
        if isinstance(cells, list):
            return cells
    return list(values)


def _pointers(items, name_of, keep):
    """A char *[] for items: name_of(item) (a str, or None for NULL) of each distinct item
    is encoded once, into one buffer the array points into. What must outlive the call
    goes to keep."""
    names = {item: name_of(item) for item in dict.fromkeys(items)}
    encoded = {}
    for name in names.values():
        if name is not None and name not in encoded:
            encoded[name] = encode(name)
    buf = b"\0".join(encoded.values()) + b"\0"
    at, offset = {None: 0}, ctypes.cast(c_char_p(buf), c_void_p).value
    for name, b in encoded.items():
        at[name] = offset
        offset += len(b) + 1
    address = {item: at[name] for item, name in names.items()}
    addresses = array(_ADDRESS, map(address.__getitem__, items))
    keep += (buf, addresses)
    return (c_char_p * len(items)).from_buffer(addresses)


def _role_column(cells, what, keep):
    try:
        return _pointers(cells, lambda c: one_name(c, what), keep)
    except TypeError as e:
        if "unhashable" not in str(e):
            raise
        raise TypeError("%s takes one name per row (a str), not a %s"
                        % (what, type(next(c for c in cells if not c.__hash__)).__name__)) \
            from None


def _set_lists(cells, what):
    """Each row's names as a list (or tuple)."""
    if set(map(type, cells)) <= _LISTS:  # lists of names already
        try:
            distinct = dict.fromkeys(chain.from_iterable(cells))
        except TypeError:
            distinct = None
        if distinct is not None and all(type(s) is str and s.strip() for s in distinct):
            return cells
        return [set_names(c, what) for c in cells]
    try:
        distinct = dict.fromkeys(cells)
    except TypeError:  # unhashable cells (lists beside strings, numpy arrays): one by one
        parsed = {}
        lists = []
        for c in cells:
            if type(c) is str:
                names = parsed.get(c)
                if names is None:
                    names = parsed[c] = set_names(c, what)
            else:
                names = set_names(c.tolist() if hasattr(c, "tolist") else c, what)
            lists.append(names)
        return lists
    strings = [c for c in distinct if type(c) is str]
    parsed = dict(zip(strings, split_many(strings)))
    if len(parsed) < len(distinct):
        parsed.update((c, set_names(c, what)) for c in distinct if type(c) is not str)
    return list(map(parsed.__getitem__, cells))


def _csr(lists, n, keep):
    """Names and n + 1 offsets for a column of name lists (NULL, NULL when none)."""
    offsets = array(_SIZE, accumulate(map(len, lists), initial=0))
    if not offsets[-1]:
        return None, None
    names = list(chain.from_iterable(lists))
    keep.append(offsets)
    return _pointers(names, str, keep), (c_size_t * (n + 1)).from_buffer(offsets)


def _number_column(values, what, keep):
    """A double * of the column, NaN for "not known"; numpy and pandas numbers as they
    are."""
    np = sys.modules.get("numpy")
    if np is not None:
        arr = None
        if isinstance(values, np.ndarray):
            arr = values
        elif hasattr(values, "to_numpy") and getattr(values.dtype, "kind", "O") in "fiu":
            arr = values.to_numpy(dtype=np.float64, na_value=np.nan)  # pandas, NA as NaN
        if arr is not None and arr.ndim == 1 and arr.dtype.kind in "fiu":
            arr = np.ascontiguousarray(arr, dtype=np.float64)
            keep.append(arr)
            return arr.ctypes.data_as(POINTER(c_double))
    cells = _cells(values)
    try:
        ys = array("d", cells)
    except TypeError:  # None, strings, pandas' NA: one by one
        ys = array("d", [_NAN if x is None else x
                         for x in (number(c, what) for c in cells)])
    keep.append(ys)
    return (c_double * len(ys)).from_buffer(ys) if len(ys) else None


# ---- The batch -------------------------------------------------------------------------

class _Out:
    """What a batch gives: arrays of n (estimate, low, high, flags, status), how many
    failed, the first failure, and how to rebuild row i for the error of a row."""

    def __init__(self, n):
        self.estimate, self.low, self.high = (array("d", _ZERO_D) * n for _ in range(3))
        self.flags = array("I", _ZERO_I) * n
        self.status = array("i", _ZERO_I) * n
        self.failed = 0
        self.first = None
        self.rows = {}

    def row(self, i):
        return {index: cells[i] for index, cells in self.rows.items()}


def _c_batch(model, hold, cols, n, strict):
    inputs = model.inputs
    keep, out = [], _Out(n)
    role = years = None
    sets = {"skills": (None, None), "certs": (None, None)}
    for index, values in cols.items():
        id = inputs[index].id
        if id == "years":
            years = _number_column(values, id, keep)
            out.rows[index] = values
        else:
            cells = _cells(values)
            if id == "role":
                role = _role_column(cells, id, keep)
            else:
                cells = _set_lists(cells, id)
                sets[id] = _csr(cells, n, keep)
            out.rows[index] = cells
    err = _raw.engrate_error()
    failed = _raw.engrate_estimate_batch(
        hold.ptr, n, role, sets["skills"][0], sets["skills"][1], sets["certs"][0],
        sets["certs"][1], years, _raw.STRICT if strict else 0,
        (c_double * n).from_buffer(out.estimate), (c_double * n).from_buffer(out.low),
        (c_double * n).from_buffer(out.high), (c_uint * n).from_buffer(out.flags),
        (c_int * n).from_buffer(out.status), byref(err))
    del keep
    if failed < 0:
        raise from_c(err)
    out.failed = failed
    if failed:
        first = next(i for i, s in enumerate(out.status) if s < 0)
        out.first = from_c(err, index=first)
    return out


def _query_rows(model, hold, cols, n, strict):
    """The batch one row at a time, for inputs engrate_estimate_batch does not take."""
    out = _Out(n)
    out.rows = {index: _cells(values) for index, values in cols.items()}
    flags = _raw.STRICT if strict else 0
    err = _raw.engrate_error()
    q, r = hold.query(), hold.result()
    try:
        for i in range(n):
            rc = query_estimate(model, out.row(i), q, flags, r, err)
            if rc < 0:
                out.status[i] = rc
                out.estimate[i] = out.low[i] = out.high[i] = _NAN
                if not out.failed:
                    e = from_c(err, index=i)
                    out.first = error_for_code(e.code, "profile %d: %s" % (i, e.text),
                                               e.line, e.column, e.source, i)
                out.failed += 1
                continue
            out.estimate[i] = _raw.engrate_result_estimate(r)
            out.low[i] = _raw.engrate_result_low(r)
            out.high[i] = _raw.engrate_result_high(r)
            out.flags[i] = _raw.engrate_result_flags(r)
    finally:
        hold.queries.append(q)
        hold.results.append(r)
    return out


def run(model, cols, n, strict):
    """Estimate n rows of {input index: column}."""
    hold = model._live()
    if n == 0:
        return _Out(0)
    if profile_inputs(model, cols):
        return _c_batch(model, hold, cols, n, strict)
    return _query_rows(model, hold, cols, n, strict)


def _row_errors(model, out, strict):
    """{index: Error} for the rows that failed, each with the single call's message."""
    errors = {}
    for i, s in enumerate(out.status):
        if s < 0:
            try:
                estimate_values(model, out.row(i), strict)
            except Error as e:
                errors[i] = error_for_code(s, e.text, e.line, e.column, e.source, i)
            else:
                errors[i] = error_for_code(s, _raw.engrate_strerror(s).decode(), index=i)
    return errors


def _length(values):
    try:
        return len(values)
    except TypeError:
        raise TypeError("a column must be a sequence, a numpy array or a pandas Series, not %s"
                        % type(values).__name__) from None


def check_lengths(cols):
    lengths = {index: _length(v) for index, v in cols.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError("the columns have different lengths: %s"
                         % sorted(lengths.values()))
    return next(iter(lengths.values()), 0)


# ---- The three ways in ---------------------------------------------------------------------

def estimate_columns(model, columns, strict, return_errors):
    """Model.estimate_columns: {input name: column or None}."""
    cols = {}
    for name, values in columns.items():
        if values is not None:
            cols[resolve(model, name)] = values
    n = check_lengths(cols)
    out = run(model, cols, n, strict)
    if out.failed and not return_errors:
        raise out.first
    errors = _row_errors(model, out, strict) if out.failed else {}
    return EstimateColumns(out.estimate, out.low, out.high,
                           list(map(FLAG_SETS.__getitem__, out.flags)), errors)


def estimate_many(model, profiles, strict, return_errors):
    """Model.estimate_many: a list of mappings."""
    rows = [gather(model, p, {}) for p in profiles]
    indexes = dict.fromkeys(chain.from_iterable(rows))
    cols = {index: [row.get(index) for row in rows] for index in indexes}
    out = run(model, cols, len(rows), strict)
    if out.failed and not return_errors:
        raise out.first
    result = list(map(Estimate._make, zip(out.estimate, out.low, out.high,
                                          map(FLAG_SETS.__getitem__, out.flags))))
    if out.failed:
        for i, e in _row_errors(model, out, strict).items():
            result[i] = e
    return result
