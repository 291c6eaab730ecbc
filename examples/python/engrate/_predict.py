"""engrate._predict: Model.predict, a table in and estimates out, for the way a data
scientist holds data: a pandas DataFrame (or a dict of columns, or a list of dicts) whose
columns are named as the model's inputs are, by id or by label in any language (role,
Skills, 職種, 経験年数). Estimates come back as a numpy array in row order, or with the
interval and flags as a DataFrame on the same index. numpy and pandas are imported here
only when predict runs, and neither is needed."""

from ._batch import check_lengths, run
from ._estimate import gather_rows
from ._inputs import resolve
from ._result import FLAG_NAMES, Prediction

__all__ = ["predict"]

_ERRORS = ("raise", "nan")


def _optional(name):
    try:
        return __import__(name)
    except ImportError:
        return None


def _is_frame(data):
    return hasattr(data, "columns") and hasattr(data, "iloc")


def _columns_of(model, data, columns):
    """({input index: column}, number of rows or None, index or None) for a DataFrame or
    a mapping of columns: each column whose name (or its name in `columns`) is an input;
    other columns are left out, but a name `columns` gives must be one."""
    if _is_frame(data):
        names, n, index = list(data.columns), len(data), data.index
    else:
        names, n, index = list(data.keys()), None, None
    mapping = dict(columns or {})
    absent = [k for k in mapping if k not in names]
    if absent:
        raise KeyError("no column %s in the data" % ", ".join(map(repr, absent)))
    cols, given = {}, {}
    for name in names:
        try:
            i = resolve(model, mapping.get(name, name))
        except (KeyError, TypeError):
            if name in mapping:
                raise
            continue
        if i in cols:
            raise ValueError("columns %r and %r both give the input '%s'"
                             % (given[i], name, model.inputs[i].id))
        cols[i], given[i] = data[name], name
    if not cols:
        raise ValueError("no column is an input of the model: the columns are %s; the "
                         "inputs are %s (by id or label)"
                         % (", ".join(map(repr, names)) or "none",
                            ", ".join("%s (%s)" % (i.id, i.label("ja"))
                                      for i in model.inputs)))
    return cols, n, index


def _records_of(model, records, columns):
    """The same for a list of mappings (rows may name an input differently), keys that
    are no input left out."""
    mapping = dict(columns or {})
    if mapping:
        records = [{mapping.get(k, k): v for k, v in r.items()} for r in records]
    cols = gather_rows(model, records, others="ignore")
    if not cols and any(records):
        raise ValueError("no key of the rows is an input of the model; the inputs are %s "
                         "(by id or label)" % ", ".join(i.id for i in model.inputs))
    return cols, len(records), None


def predict(model, data, interval, flags, strict, errors, columns):
    """Model.predict."""
    if errors not in _ERRORS:
        raise ValueError("errors must be 'raise' or 'nan', not %r" % (errors,))
    if _is_frame(data) or hasattr(data, "keys"):
        cols, n, index = _columns_of(model, data, columns)
    elif isinstance(data, (str, bytes)) or not hasattr(data, "__iter__"):
        raise TypeError("predict() takes a DataFrame, a mapping of columns or a list of "
                        "mappings, not %s" % type(data).__name__)
    else:
        cols, n, index = _records_of(model, list(data), columns)
    length = check_lengths(cols)
    if n is None:
        n = length
    out = run(model, cols, n, strict)
    if out.failed and errors == "raise":
        raise out.first
    np = _optional("numpy")
    est = out.estimate if np is None else np.frombuffer(out.estimate, dtype=np.float64)
    if not (interval or flags):
        return est
    table = {"estimate": est}
    if interval:
        for name in ("low", "high"):
            a = getattr(out, name)
            table[name] = a if np is None else np.frombuffer(a, dtype=np.float64)
    if flags:
        bits = out.flags if np is None else np.frombuffer(out.flags, dtype=np.uint32)
        for name, bit in FLAG_NAMES:
            table[name] = [bool(f & bit) for f in bits] if np is None else (bits & bit) != 0
    pd = _optional("pandas")
    if pd is not None:
        return pd.DataFrame(table, index=index)
    flag_table = {name: table[name] for name, _ in FLAG_NAMES} if flags else None
    return Prediction(est, table.get("low"), table.get("high"), flag_table)
