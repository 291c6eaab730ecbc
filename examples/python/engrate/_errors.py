"""engrate._errors: the exceptions. Every failure the library reports is an engrate.Error,
with the library's code, line, column, source and text, and is also the standard exception
a Python programmer would catch for it: a missing model file is a FileNotFoundError, a bad
value or a malformed file a ValueError, an unknown name (in strict mode) a KeyError, no
memory a MemoryError. Errors pickle with everything they carry, so that a worker process
that fails hands its error to the parent (multiprocessing)."""

import errno
import os

from . import _raw

__all__ = ["Error", "DataError", "UnknownNameError", "FileError", "FileMissingError",
           "NoMemoryError", "error_for_code"]


class Error(Exception):
    """A failure reported by libengrate: `code` is the negative ENGRATE_E_* code (see the
    E_* constants), `text` the full message ("jp.model:41:17: unknown key ..."), `line`
    and `column` 1-based or 0 where they do not apply, `source` the file or buffer name.
    `index` is the profile's position when the error comes from a batch, `report` the
    TrainReport when training failed after reading the data."""

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

    def __str__(self):
        # KeyError and OSError would otherwise quote or decorate the message.
        return self.text

    def __repr__(self):
        return "engrate.%s(%d, %r)" % (type(self).__name__, self.code, self.text)

    def __reduce__(self):
        # Rebuilt from its fields, whatever the standard base's constructor wants.
        state = {k: v for k, v in self.__dict__.items()
                 if k not in ("code", "text", "line", "column", "source", "index")}
        return (_rebuild, (type(self), self.code, self.text, self.line, self.column,
                           self.source, self.index), state or None)

    @property
    def reason(self):
        """The library's short description of the code ("unknown name", ...)."""
        return _raw.engrate_strerror(self.code).decode()


def _rebuild(cls, code, text, line, column, source, index):
    return cls(code, text, line, column, source, index)


class DataError(Error, ValueError):
    """A value, file or row the library refuses: a malformed or newer model file, a bad
    number, text that is not UTF-8, an argument out of range, data that cannot be fitted."""


class UnknownNameError(Error, KeyError):
    """A name the model does not know: a level in strict mode, or an input id."""


class FileError(Error, OSError):
    """A file that could not be opened, read or written."""

    def __init__(self, code, text, line=0, column=0, source="", index=None):
        super().__init__(code, text, line, column, source, index)
        self.filename = source or None
        self.strerror = text


class FileMissingError(FileError, FileNotFoundError):
    """A file that does not exist (a model or CSV path)."""

    def __init__(self, code, text, line=0, column=0, source="", index=None):
        super().__init__(code, text, line, column, source, index)
        self.errno = errno.ENOENT


class NoMemoryError(Error, MemoryError):
    """The library ran out of memory."""


_CLASSES = {_raw.E_IO: FileError, _raw.E_NOMEM: NoMemoryError,
            _raw.E_UNKNOWN_NAME: UnknownNameError}


def error_for_code(code, text, line=0, column=0, source="", index=None, path=None):
    """The Error subclass for a code, built. `path`, for an E_IO error on a file the caller
    named, makes it a FileMissingError when the file does not exist."""
    cls = _CLASSES.get(code, DataError)
    if cls is FileError and path is not None and not os.path.lexists(path):
        cls = FileMissingError
    return cls(code, text, line, column, source, index)


def from_c(err, code=None, index=None, path=None):
    """The Error for a filled engrate_error (code overrides an empty one)."""
    code = err.code if code is None or err.code else code
    text = err.text.decode("utf-8", "replace") or _raw.engrate_strerror(code).decode()
    return error_for_code(code, text, err.line, err.column,
                          err.source.decode("utf-8", "replace"), index, path)
