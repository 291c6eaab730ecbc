"""engrate: estimate an IT engineer's monthly rate with libengrate, from Python.

    import engrate
    with engrate.Model.load() as model:          # the default model, or load(path)
        r = model.estimate(role="pmo", skills=["java"], certs=["pmp"], years=8)
        print(r.estimate, r.low, r.high, r.currency)
        for c in r.contributions:
            print(c.name, c.amount)

The package has two layers: engrate._raw finds the library and declares every C
prototype; this friendly layer (engrate._api) gives models that free their C memory,
results as plain data, and raises engrate.Error (code, text, line, column) for what the
library reports as an error. docs/bindings.md has more.
"""

from . import _raw  # noqa: F401 (engrate._raw: the raw layer, for who needs it)
from ._api import (FLAG_NAMES, Aliased, Contribution, Error, Estimate, EstimateColumns,
                   Input, Level, Model, Result, Suggestion, TrainReport, default_model_path,
                   fold_name, library_path, train, version)
from ._raw import (E_DATA, E_DUPLICATE, E_INVALID, E_IO, E_LIMIT, E_MISSING, E_NOMEM,
                   E_NUMBER, E_SINGULAR, E_SYNTAX, E_UNKNOWN_KEY, E_UNKNOWN_NAME, E_UTF8,
                   E_VERSION, OK)

__version__ = version()


def __getattr__(name):
    # engrate.Report (engrate/report.py, the training report drawn) is imported when first
    # asked for, so that `python3 -m engrate.report` runs the module once.
    if name == "Report":
        from .report import Report
        return Report
    raise AttributeError("module 'engrate' has no attribute %r" % name)

__all__ = ["Model", "Result", "Contribution", "Aliased", "Suggestion", "Estimate",
           "EstimateColumns", "Input",
           "Level", "Error", "TrainReport", "Report", "train", "version", "library_path",
           "default_model_path", "fold_name", "FLAG_NAMES", "OK", "E_INVALID", "E_NOMEM",
           "E_IO", "E_SYNTAX", "E_VERSION", "E_LIMIT", "E_DUPLICATE", "E_UNKNOWN_KEY",
           "E_NUMBER", "E_MISSING", "E_UTF8", "E_UNKNOWN_NAME", "E_DATA", "E_SINGULAR"]
