"""engrate._batch: many profiles at once, from columns (estimate_columns), mappings
(estimate_many) or a table (predict: a pandas DataFrame, a dict of columns, a list of
dicts).

A table of the usual inputs (role, skills, certs, years) crosses into C once, through
engrate_estimate_batch, with its arrays made by engrate._columns, and the C outputs are
the arrays returned. Any other model's inputs go one row at a time through a query.
Missing values and set strings mean what engrate._values says, as in a single estimate."""

from array import array
from ctypes import byref, c_double, c_int, c_size_t, c_uint
from itertools import repeat

from . import _raw
from ._errors import Error, error_for_code, from_c
from ._columns import cells_of, number_column, role_column, set_column
from ._estimate import estimate_values, gather_rows, profile_inputs, query_estimate
from ._inputs import resolve
from ._result import FLAG_SETS, Estimate, EstimateColumns

__all__ = ["estimate_columns", "estimate_many", "run", "check_lengths"]

_NAN = float("nan")
_ZERO_D = array("d", [0.0])
_ZERO_I = array("i", [0])


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
        """Row i as {input index: value} (the columns read as lists the first time)."""
        for index, values in self.rows.items():
            if type(values) is not list:
                self.rows[index] = cells_of(values)
        return {index: cells[i] for index, cells in self.rows.items()}


def _c_batch(model, hold, cols, n, strict):
    inputs = model.inputs
    keep, out = [], _Out(n)
    role = years = None
    sets = {"skills": (None, None), "certs": (None, None)}
    for index, values in cols.items():
        id = inputs[index].id
        out.rows[index] = values
        if id == "years":
            years = number_column(values, id, keep)
        elif id == "role":
            role = role_column(values, id, keep)
        else:
            sets[id] = set_column(values, n, id, keep)
    err = _raw.engrate_error()
    n_failed = c_size_t(0)
    rc = _raw.engrate_estimate_batch(
        hold.ptr, n, role, sets["skills"][0], sets["skills"][1], sets["certs"][0],
        sets["certs"][1], years, _raw.STRICT if strict else 0,
        (c_double * n).from_buffer(out.estimate), (c_double * n).from_buffer(out.low),
        (c_double * n).from_buffer(out.high), (c_uint * n).from_buffer(out.flags),
        (c_int * n).from_buffer(out.status), byref(n_failed), byref(err))
    del keep
    out.failed = failed = n_failed.value
    if rc < 0 and not failed:  # the call refused: nothing estimated
        raise from_c(err)
    if failed:
        first = next(i for i, s in enumerate(out.status) if s < 0)
        out.first = from_c(err, index=first)
    return out


def _query_rows(model, hold, cols, n, strict):
    """The batch one row at a time, for inputs engrate_estimate_batch does not take."""
    out = _Out(n)
    out.rows = {index: cells_of(values) for index, values in cols.items()}
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
    rows = list(profiles)
    out = run(model, gather_rows(model, rows), len(rows), strict)
    if out.failed and not return_errors:
        raise out.first
    result = list(map(tuple.__new__, repeat(Estimate),
                      zip(out.estimate, out.low, out.high, map(FLAG_SETS.__getitem__,
                                                               out.flags))))
    if out.failed:
        for i, e in _row_errors(model, out, strict).items():
            result[i] = e
    return result
