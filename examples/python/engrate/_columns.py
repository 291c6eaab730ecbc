"""engrate._columns: a column of a batch as the C arrays engrate_estimate_batch takes, made
without a Python object per row where that can be helped, since a table of 100,000 rows
is the usual size. With numpy, a set column of strings becomes one UTF-8 buffer in which
every name is a C string where it lies, and its arrays are computed from the positions
of the separators; a role column is factorized (by pandas when it is loaded) and each
distinct role encoded once; numbers from numpy and pandas go to C as they are. Without
numpy each distinct cell is read once and the arrays are the standard library's. What
the values mean is engrate._values' business.

Each function appends to `keep` what must outlive the C call."""

import ctypes
import sys
from array import array
from ctypes import POINTER, c_char_p, c_double, c_size_t, c_void_p
from itertools import accumulate, chain

from ._values import (encode, is_missing, joined_names, number, one_name, set_names,
                      split_flat)

__all__ = ["cells_of", "role_column", "set_column", "number_column"]

_NAN = float("nan")
_ADDRESS = next(t for t in "LQI" if array(t).itemsize == ctypes.sizeof(c_void_p))
_SIZE = next(t for t in "LQI" if array(t).itemsize == ctypes.sizeof(c_size_t))
_LISTS = frozenset((list, tuple))
_STR = frozenset((str,))
_NUMBERS = frozenset((float, int))
_NUMBERS_OR_NONE = frozenset((float, int, type(None)))


def cells_of(values):
    """A column's cells as a list (numpy arrays and pandas Series through tolist())."""
    if type(values) is list:
        return values
    tolist = getattr(values, "tolist", None)
    if tolist is not None:
        cells = tolist()
        if isinstance(cells, list):
            return cells
    return list(values)


def _numpy():
    """numpy when the caller has imported it (it is never imported here), with a size_t
    it can hold offsets in; else None."""
    np = sys.modules.get("numpy")
    if np is None or np.dtype(np.uintp).itemsize != ctypes.sizeof(c_size_t):
        return None
    return np


def _addresses(names, keep):
    """{name: address} for distinct names (None: NULL), encoded into one buffer."""
    encoded = {name: encode(name) for name in names if name is not None}
    buf = b"\0".join(encoded.values()) + b"\0"
    keep.append(buf)
    at, offset = {None: 0}, ctypes.cast(c_char_p(buf), c_void_p).value
    for name, b in encoded.items():
        at[name] = offset
        offset += len(b) + 1
    return at


def _pointers(items, name_of, keep):
    """A char *[] for items: name_of(item) (a str, or None for NULL) of each distinct
    item, the same address for the same name."""
    names = {item: name_of(item) for item in dict.fromkeys(items)}
    at = _addresses(dict.fromkeys(names.values()), keep)
    address = {item: at[name] for item, name in names.items()}
    addresses = array(_ADDRESS, map(address.__getitem__, items))
    keep.append(addresses)
    return (c_char_p * len(items)).from_buffer(addresses)


def role_column(values, what, keep):
    """A char *[] with one name or NULL per row."""
    cells = cells_of(values)
    try:
        np = _numpy()
        if np is None:
            return _pointers(cells, lambda c: one_name(c, what), keep)
        codes, distinct = _factorize(np, values, cells)
    except TypeError as e:
        if "unhashable" not in str(e):
            raise
        odd = next(c for c in cells if getattr(c, "__hash__", None) is None)
        raise TypeError("%s takes one name per row (a str), not a %s"
                        % (what, type(odd).__name__)) from None
    names = [one_name(c, what) for c in distinct]
    at = _addresses(dict.fromkeys(names), keep)
    pointers = np.array([at[name] for name in names] + [0], dtype=np.uintp)[codes]
    keep.append(pointers)
    return pointers.ctypes.data_as(POINTER(c_char_p))


# ---- Sets ---------------------------------------------------------------------------------

def _csr(lists, n, keep):
    """Names and n + 1 offsets for a column of name lists (NULL, NULL when none)."""
    offsets = array(_SIZE, accumulate(map(len, lists), initial=0))
    if not offsets[-1]:
        return None, None
    keep.append(offsets)
    np = _numpy()
    names = None if np is None else _buffer_names(np, lists, offsets[-1], keep)
    if names is None:
        names = _pointers(list(chain.from_iterable(lists)), str, keep)
    return names, (c_size_t * (n + 1)).from_buffer(offsets)


def _buffer_names(np, lists, total, keep):
    """A char *[] of every name of lists, in order, with numpy: the names joined with
    NULs into one buffer, where each is a C string as it lies. None when a name holds a
    NUL (for encode to refuse)."""
    whole = "\0".join(chain.from_iterable(lists))
    if whole.count("\0") != total - 1:
        return None
    buf = bytearray(whole.encode("utf-8", "surrogateescape"))
    buf.append(0)
    ends = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 0)
    starts = np.empty(len(ends), dtype=np.uintp)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    starts += np.uintp(ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf)))
    keep += (buf, starts)
    return starts.ctypes.data_as(POINTER(c_char_p))


def _checked_lists(cells, what):
    """A column of lists as it is when every name is a non-blank str, else cleaned."""
    try:
        distinct = dict.fromkeys(chain.from_iterable(cells))
    except TypeError:
        distinct = None
    if distinct is not None and all(type(s) is str and s.strip() for s in distinct):
        return cells
    return [set_names(c, what) for c in cells]


def _one_by_one(cells, what):
    """Each row's names, for columns with unhashable cells (lists beside missing values or
    strings, numpy arrays): lists taken as they are, each string split once."""
    parsed, lists, none = {}, [], ()
    append = lists.append
    for c in cells:
        t = type(c)
        if t is list or t is tuple:
            append(c)
        elif c is None or (t is float and c != c):
            append(none)
        elif t is str:
            names = parsed.get(c)
            if names is None:
                names = parsed[c] = set_names(c, what)
            append(names)
        else:
            append(set_names(c.tolist() if hasattr(c, "tolist") else c, what))
    return _checked_lists(lists, what)


def _split_distinct(distinct, what):
    """(every name of the distinct cells in order, how many each has)."""
    kinds = set(map(type, distinct))
    if kinds <= _STR or all(type(c) is str or is_missing(c) for c in distinct):
        fast = split_flat(distinct if kinds <= _STR else
                          [c if type(c) is str else "" for c in distinct])
        if fast is not None:
            return fast
    lists = [set_names(c, what) for c in distinct]
    return list(chain.from_iterable(lists)), list(map(len, lists))


def _factorize(np, values, cells):
    """(codes, distinct): each row's index into the distinct cells, -1 for a missing
    value. pandas' factorize does it in one pass when pandas is loaded and the column is
    a Series or a flat array; else a dict. Raises TypeError for unhashable cells."""
    pd = sys.modules.get("pandas")
    if pd is not None and (isinstance(values, pd.Series) or
                           (isinstance(values, np.ndarray) and values.ndim == 1)):
        codes, uniques = pd.factorize(values)
        return np.asarray(codes, dtype=np.intp), list(uniques)
    position = {}
    for c in dict.fromkeys(cells):
        position[c] = len(position)
    codes = np.frombuffer(array("q", map(position.__getitem__, cells)), dtype=np.int64)
    return codes.astype(np.intp, copy=False), list(position)


def _texts(cells):
    """The cells as strings ("" for a missing value), or None when one is neither."""
    if set(map(type, cells)) <= _STR:
        return cells
    try:
        odd = {c for c in cells if type(c) is not str}
    except TypeError:  # unhashable: lists
        return None
    if not all(is_missing(c) for c in odd):
        return None
    return [c if type(c) is str else "" for c in cells]


def _text_csr(np, cells, n, keep):
    """The CSR arrays of a column of strings, with numpy and no Python object per name:
    the rows' names joined into one UTF-8 buffer (engrate._values.joined_names), every
    separator in it overwritten with a NUL so that each name is a C string where it
    lies, and the arrays computed from the separators' positions. None when a cell is
    neither a string nor missing, or a string holds a NUL."""
    texts = _texts(cells)
    whole = None if texts is None else joined_names(texts)
    if whole is None:
        return None
    buf = bytearray(whole.encode("utf-8", "surrogateescape"))
    buf.append(0)
    text = np.frombuffer(buf, dtype=np.uint8)
    ends = np.flatnonzero((text == 44) | (text == 0))  # after each name: "," or "\0"
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    row_end = text[ends] == 0
    row = np.cumsum(row_end) - row_end  # the row each name is in
    named = ends > starts  # an empty row is the only empty name joined_names leaves
    offsets = np.zeros(n + 1, dtype=np.uintp)
    offsets[1:] = np.cumsum(np.bincount(row[named], minlength=n))
    if not offsets[-1]:
        return None, None
    text[ends] = 0
    base = ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))
    pointers = starts[named].astype(np.uintp) + np.uintp(base)
    keep += (buf, offsets, pointers)
    return (pointers.ctypes.data_as(POINTER(c_char_p)),
            offsets.ctypes.data_as(POINTER(c_size_t)))


def set_column(values, n, what, keep):
    """(names, offsets) of a set column: one string per row split on the set separators,
    or a list of names, or missing."""
    cells = cells_of(values)
    if set(map(type, cells)) <= _LISTS:
        return _csr(_checked_lists(cells, what), n, keep)
    np = _numpy()
    if np is not None:
        arrays = _text_csr(np, cells, n, keep)
        return _csr(_one_by_one(cells, what), n, keep) if arrays is None else arrays
    try:
        distinct = list(dict.fromkeys(cells))
    except TypeError:  # unhashable cells
        return _csr(_one_by_one(cells, what), n, keep)
    flat, counts = _split_distinct(distinct, what)
    per, at = {}, 0
    for c, k in zip(distinct, counts):
        per[c] = flat[at:at + k]
        at += k
    return _csr(list(map(per.__getitem__, cells)), n, keep)


# ---- Numbers ----------------------------------------------------------------------------

def number_column(values, what, keep):
    """A double * of the column, NaN for "not known": numpy and pandas numbers as they
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
    cells = cells_of(values)
    kinds = set(map(type, cells))
    if kinds <= _NUMBERS:
        ys = array("d", cells)
    elif kinds <= _NUMBERS_OR_NONE:
        ys = array("d", [_NAN if c is None else c for c in cells])
    else:  # strings, numpy numbers, pandas' NA, a bool to refuse: one by one
        ys = array("d", [_NAN if x is None else x
                         for x in (number(c, what) for c in cells)])
    keep.append(ys)
    return (c_double * len(ys)).from_buffer(ys) if len(ys) else None
