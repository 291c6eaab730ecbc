"""engrate._train: train() and TrainReport. Training runs in the training library
(libengrate-train), which engrate._raw.load_train() loads on the first call here and not
before: a program that only estimates never loads it, nor GSL beneath it.

The data may be a CSV file's path, CSV text, a file object, or a pandas DataFrame, which
is written as CSV in memory (a list in a set column joined with that column's separator)
and handed to the library as a buffer."""

import json
import math
import os
from ctypes import byref

from . import _raw
from ._errors import from_c
from ._model import Model
from ._values import encode, encode_path, is_missing

__all__ = ["train", "TrainReport"]

_REPORT_KEYS = ("n", "p", "lambda", "r_squared", "residual_sd", "df", "condition_number",
                "rows_read", "rows_skipped", "folds", "cv_rmse", "cv_mape", "coverage",
                "interval_level", "interval_low", "interval_high", "rows_empty",
                "by_penalty", "cv_rmse_pooled")


class TrainReport:
    """What training found: values by key (value("r_squared"), ...), the terms with their
    estimates and standard errors, notes, the JSON report and engrate-train's summary.
    Plain data: it pickles."""

    def __init__(self, t, handle):
        self.terms = [(t.engrate_train_report_term(handle, i).decode(),
                       t.engrate_train_report_estimate(handle, i),
                       t.engrate_train_report_std_error(handle, i))
                      for i in range(t.engrate_train_report_term_count(handle))]
        self.notes = [t.engrate_train_report_note(handle, i).decode()
                      for i in range(t.engrate_train_report_note_count(handle))]
        self.json = _text(t.engrate_train_report_json(handle))
        self.summary = _text(t.engrate_train_report_summary(handle))
        self._values = {}
        for key in _REPORT_KEYS:
            x = t.engrate_train_report_value(handle, key.encode())
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


def _text(b):
    return None if b is None else b.decode("utf-8")


def _option_value(v):
    if v is True:
        return b"1"
    if v is False:
        return b"0"
    if v is None:
        return None
    return encode(v if isinstance(v, str) else repr(v) if isinstance(v, float) else str(v))


def _separators(options):
    """{column: separator} of the set columns the options name (default ';')."""
    seps = {}
    given = options.get("set", ())
    for spec in [given] if isinstance(given, str) else given:
        col, _, sep = str(spec).partition(":")
        seps[col] = sep or ";"
    if not given:
        seps.update(skills=";", certs=";")
    return seps


def _frame_csv(df, options):
    """A DataFrame as CSV text: lists in set columns joined with the column's separator,
    missing values as empty fields."""
    seps = _separators(options)
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            sep = seps.get(str(col), ";")
            out[col] = [sep.join(map(str, v)) if isinstance(v, (list, tuple, set, frozenset))
                        else "" if is_missing(v) else v for v in out[col].tolist()]
    return out.to_csv(index=False)


def _data(data, options):
    """(path, None, None) or (None, bytes, source name) for the library."""
    if hasattr(data, "to_csv") and hasattr(data, "columns"):
        return None, _frame_csv(data, options).encode("utf-8"), "<DataFrame>"
    if hasattr(data, "read"):
        content = data.read()
        return None, (content.encode("utf-8") if isinstance(content, str) else content), \
            getattr(data, "name", None) or "<file>"
    if isinstance(data, bytes):
        return None, data, "<buffer>"
    if isinstance(data, str) and ("\n" in data or "\r" in data):
        return None, data.encode("utf-8"), "<buffer>"
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data), None, None
    raise TypeError("train() takes a CSV path, CSV text, a file object or a DataFrame, not %s"
                    % type(data).__name__)


def _set_options(t, opts, options, err):
    for key, value in options.items():
        name = key.rstrip("_").replace("_", "-")
        for v in value if isinstance(value, (list, tuple)) else (value,):
            if t.engrate_train_options_set(opts, name.encode(), _option_value(v),
                                           byref(err)) < 0:
                raise from_c(err)


def train(data, out_path=None, progress=None, **options):
    """Train a model from data through the library (what engrate-train does) and, when
    out_path is given, save it there. `data` is a CSV file's path, CSV text (a str with a
    line break, or bytes), a file object, or a pandas DataFrame. Options are
    engrate-train's flags with dashes as underscores: train(df, target="rate",
    lambda_="auto", folds=5, set=["skills:;", "certs:;"], numeric="years:knots=3,10",
    meta=["currency=JPY"], skip_bad_rows=True). Options that add ("categorical", "set",
    "numeric", "meta", "source") take a list. `progress`, if given, is called with the
    fraction read. Without a name option the model is named after out_path, as
    engrate-train does. Returns (model, report); raises engrate.Error with the CSV line and
    column of a bad row (the report, when the data were read, is in the error's
    `report`), FileNotFoundError for a path that is not there."""
    path, buffer, source = _data(data, options)
    if out_path is not None and "name" not in options:  # as engrate-train names it
        base = os.path.basename(os.fspath(out_path))
        options["name"] = base[:-6] if base.endswith(".model") else base
    _raw.load_train()  # binds the trainer's functions in _raw, the first time
    t = _raw
    opts = t.engrate_train_options_new()
    if not opts:
        raise MemoryError("engrate_train_options_new")
    err = _raw.engrate_error()
    callback, raised = None, []
    try:
        _set_options(t, opts, options, err)
        if progress is not None:
            def report_progress(done, user):
                try:
                    progress(done)
                except BaseException as e:  # re-raised once training returns
                    raised.append(e)
            callback = _raw.progress_fn(report_progress)
            t.engrate_train_options_set_progress(opts, callback, None)
        report = _raw.report_p()
        if path is not None:
            h = t.engrate_train_csv(encode_path(path), opts, byref(report), byref(err))
        else:
            h = t.engrate_train_csv_buffer(buffer, len(buffer), encode(source), opts,
                                           byref(report), byref(err))
        rep = None
        if report:
            try:
                rep = TrainReport(t, report)
            finally:
                t.engrate_train_report_free(report)
        if not h:
            e = from_c(err, path=path)
            e.report = rep
            raise e
        model = Model._wrap(h, path or source)
        if raised:
            raise raised[0]
        if out_path is not None:
            model.save(out_path)
        return model, rep
    finally:
        t.engrate_train_options_free(opts)
        del callback
