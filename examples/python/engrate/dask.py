"""engrate.dask: training spread over a Dask cluster (docs/distributed.md).

    from distributed import Client
    import engrate.dask
    client = Client("tcp://scheduler:8786")
    model, report = engrate.dask.train(["/shared/rates/part-0.csv", "/shared/rates/part-1.csv"],
                                       client=client, min_count=5, set=["skills:;", "certs:;"])

Each part of the data (a CSV file every worker can read, or a partition of a dask
DataFrame) is read on a worker through this binding: first a scan of its levels, the scans
merged in the parts' order into one schema; then the part's exact sums with that schema (a
partial accumulator). The partials are merged pairwise up a tree, in order, and the last
one is solved here by engrate.train. The model is the one engrate.train gives for all the
rows in one pass, byte for byte. Accumulators travel between processes as the bytes of the
accumulator file (docs/accumulator.md): a scan is a few kilobytes, a partial a few
megabytes (mostly the rows kept for calibrating the interval, the "sample" option).

scan(), partial() and merge() are the steps, for other schedulers (multiprocessing,
a job queue): each takes and gives plain bytes.
"""

import ctypes
from ctypes import byref, c_size_t

from . import _raw
from ._errors import from_c
from ._train import _data
from ._train import _set_options
from ._train import train as _train
from ._values import encode, encode_path

__all__ = ["train", "scan", "partial", "merge"]

# The options of the fit alone: given to the last step, not to the workers' passes (which
# take every other option, and which engrate_train_acc_finish takes from the sums).
_FIT_ONLY = {"lambda", "by-penalty", "interval", "no-intercept", "name", "meta", "source",
             "max-skipped"}


def _key(name):
    return name.rstrip("_").replace("_", "-")


def _load(data, name):
    err = _raw.engrate_error()
    acc = _raw.engrate_train_acc_load_buffer(data, len(data), encode(name), byref(err))
    if not acc:
        raise from_c(err)
    return acc


def _bytes(acc):
    err, n = _raw.engrate_error(), c_size_t()
    ptr = _raw.engrate_train_acc_to_buffer(acc, byref(n), byref(err))
    if not ptr:
        raise from_c(err)
    try:
        return ctypes.string_at(ptr, n.value)
    finally:
        _raw.engrate_train_acc_buffer_free(ptr)


def _options(options, schema):
    """The library's options from keyword options, with a schema's bytes if given."""
    _raw.load_train()
    opts = _raw.engrate_train_options_new()
    if not opts:
        raise MemoryError("engrate_train_options_new")
    err = _raw.engrate_error()
    try:
        _set_options(_raw, opts, options, err)
        if schema is not None:
            acc = _load(schema, "<schema>")
            try:
                if _raw.engrate_train_options_set_schema(opts, acc, byref(err)) < 0:
                    raise from_c(err)
            finally:
                _raw.engrate_train_acc_free(acc)
    except BaseException:
        _raw.engrate_train_options_free(opts)
        raise
    return opts


def _accumulate(part, options, schema, name, kind):
    path, buffer, source = _data(part, options)
    opts = _options(options, schema)
    err = _raw.engrate_error()
    try:
        if path is not None:
            fn = _raw.engrate_train_scan if kind == "scan" else _raw.engrate_train_partial
            acc = fn(encode_path(path), opts, byref(err))
        else:
            fn = (_raw.engrate_train_scan_buffer if kind == "scan"
                  else _raw.engrate_train_partial_buffer)
            acc = fn(buffer, len(buffer), encode(name or source), opts, byref(err))
        if not acc:
            raise from_c(err, path=path)
        try:
            return _bytes(acc)
        finally:
            _raw.engrate_train_acc_free(acc)
    finally:
        _raw.engrate_train_options_free(opts)


def scan(part, name=None, **options):
    """The scan of one part of the data (a CSV path, CSV text or bytes, or a pandas
    DataFrame): its levels, their spellings and counts, as bytes. `name` names a part
    given as text or a DataFrame in messages."""
    return _accumulate(part, options, None, name, "scan")


def partial(part, schema=None, name=None, **options):
    """The exact sums of one part (a partial accumulator), as bytes; with `schema` (the
    bytes of the parts' scans merged) the levels are those of the schema."""
    return _accumulate(part, options, schema, name, "partial")


def merge(first, *rest):
    """Accumulators (bytes) merged in the order given: the bytes of the accumulator of all
    their rows, as if read one after the other. Raises engrate.Error when they were made
    with different options (the message says which)."""
    _raw.load_train()
    into = _load(first, "<part 1>")
    try:
        for i, other in enumerate(rest):
            acc = _load(other, "<part %d>" % (i + 2))
            err = _raw.engrate_error()
            try:
                if _raw.engrate_train_acc_merge(into, acc, byref(err)) < 0:
                    raise from_c(err)
            finally:
                _raw.engrate_train_acc_free(acc)
        return _bytes(into)
    finally:
        _raw.engrate_train_acc_free(into)


# ---- On a cluster --------------------------------------------------------------------------

def _scan_task(part, options, name):
    return scan(part, name=name, **options)


def _partial_task(part, options, schema, name):
    return partial(part, schema=schema, name=name, **options)


def _merge_task(a, b):
    return merge(a, b)


def _tree(delayed, items):
    """Pairwise merges up a tree, each pair in order: log2(n) rounds."""
    while len(items) > 1:
        items = [delayed(_merge_task)(items[i], items[i + 1]) if i + 1 < len(items)
                 else items[i] for i in range(0, len(items), 2)]
    return items[0]


def _parts(data):
    """(part, name) pairs: a dask DataFrame's partitions, or paths (or texts)."""
    if hasattr(data, "to_delayed") and hasattr(data, "npartitions"):
        return [(p, "<partition %d>" % i) for i, p in enumerate(data.to_delayed())]
    if isinstance(data, (str, bytes)) or not hasattr(data, "__iter__"):
        data = [data]
    return [(p, None) for p in data]


def train(data, client=None, out_path=None, scan=True, **options):
    """Train a model from data spread over a Dask cluster: `data` is a list of CSV paths
    (on storage every worker reads) or a dask DataFrame; `client` a distributed.Client
    (None: dask's default scheduler, which is a Client's once one is made). The options are
    engrate.train's. With scan=True (the default) the parts are read twice: once to agree
    on the levels (so --min-count counts all the data and every partial has the same
    columns), once for the sums; scan=False reads them once, each partial keeping the
    levels it sees. Returns (model, report) as engrate.train does."""
    try:
        import dask
        from dask import delayed
    except ImportError as e:
        raise ImportError("engrate.dask needs dask (Debian: python3-dask; and "
                          "python3-distributed for a cluster)") from e
    worker = {k: v for k, v in options.items() if _key(k) not in _FIT_ONLY}
    fit = {k: v for k, v in options.items() if _key(k) in _FIT_ONLY}
    parts = _parts(data)
    if not parts:
        raise ValueError("engrate.dask.train: no data")
    schema = None
    if scan and "schema" not in {_key(k) for k in options}:
        schema = _tree(delayed, [delayed(_scan_task)(p, worker, name) for p, name in parts])
    total = _tree(delayed, [delayed(_partial_task)(p, worker, schema, name)
                            for p, name in parts])
    if client is not None:
        acc = client.compute(total).result()
    else:
        acc = dask.compute(total)[0]
    return _train(acc, out_path=out_path, **fit)
