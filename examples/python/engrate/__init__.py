"""engrate: estimate an IT engineer's monthly rate with libengrate, from Python.

    import engrate
    with engrate.Model() as model:          # the default model, or Model(path)
        r = model.estimate(role="pmo", skills=["java"], certs=["pmp"], years=8)
        print(r.estimate, r.low, r.high, r.currency)
        for c in r.contributions:
            print(c.name, c.amount)
        df["rate"] = model.predict(df)      # a pandas DataFrame: role, skills, 職種, ...

The package has two layers: engrate._raw finds the library and declares every C
prototype; the friendly layer (engrate._model and the modules beside it) gives models that
free their C memory safely, results as plain data, pandas and numpy as input, and
exceptions that are both engrate.Error (code, line, column, text) and the standard ones
(FileNotFoundError, ValueError, KeyError, MemoryError). numpy and pandas are used when
given, never needed. docs/bindings.md and docs/pandas.md have more.
"""

from . import _raw
from ._errors import (DataError, Error, FileError, FileMissingError, NoMemoryError,
                      UnknownNameError)
from ._inputs import Input, Level, fold_name
from ._model import Model
from ._raw import (E_DATA, E_DUPLICATE, E_INVALID, E_IO, E_LIMIT, E_MISSING, E_NOMEM,
                   E_NUMBER, E_SINGULAR, E_SYNTAX, E_UNKNOWN_KEY, E_UNKNOWN_NAME, E_UTF8,
                   E_VERSION, OK)
from ._result import (FLAG_NAMES, Aliased, Coefficient, Contribution, Curve, Estimate,
                      EstimateColumns, Interval, Prediction, Result, Suggestion)
from ._train import TrainReport, train
from ._whatif import Target, WhatIf
from ._values import SEPARATORS


def version():
    """The version of the loaded library, e.g. "0.1.0"."""
    return _raw.engrate_version_string().decode()


def library_path():
    """Where the loaded library was found."""
    return _raw.path


def default_model_path():
    """The installed default model's path (what Model() reads without ENGRATE_MODEL)."""
    return _raw.engrate_model_default_path().decode()


__version__ = version()


def __getattr__(name):
    # engrate.Report (engrate/report.py, the training report drawn) is imported when first
    # asked for, so that `python3 -m engrate.report` runs the module once.
    if name == "Report":
        from .report import Report
        return Report
    raise AttributeError("module 'engrate' has no attribute %r" % name)

__all__ = ["Model", "Result", "Contribution", "Curve", "Aliased", "Suggestion", "Estimate",
           "EstimateColumns", "Coefficient", "Interval", "Prediction", "Input", "Level",
           "Error", "DataError", "UnknownNameError", "FileError", "FileMissingError",
           "NoMemoryError", "TrainReport", "Report", "train", "WhatIf", "Target", "version",
           "library_path",
           "default_model_path", "fold_name", "FLAG_NAMES", "SEPARATORS", "OK",
           "E_INVALID", "E_NOMEM", "E_IO", "E_SYNTAX", "E_VERSION", "E_LIMIT",
           "E_DUPLICATE", "E_UNKNOWN_KEY", "E_NUMBER", "E_MISSING", "E_UTF8",
           "E_UNKNOWN_NAME", "E_DATA", "E_SINGULAR"]
