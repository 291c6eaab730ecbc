"""engrate._raw: the raw layer. It finds libengrate, checks its major version and declares
every C prototype of include/engrate.h in one table, and does nothing else: the classes,
exceptions and ownership rules are in the friendly modules beside it.

The library is looked for, in this order:
  1. $ENGRATE_LIB, a path to the shared library (when set, the only place tried);
  2. a build tree: $top_builddir/lib/.libs when top_builddir is set (make check), then
     the tree this package sits in (examples/python/engrate -> lib/.libs);
  3. the libdir configure chose, which `make install` writes into engrate/_paths.py, so
     that an installed package finds its library without LD_LIBRARY_PATH;
  4. the installed library by name (ctypes.util.find_library, then libengrate.so.0).
The ImportError raised when none loads lists every place tried and why each failed.

libengrate-train, the trainer, is found the same way ($ENGRATE_TRAIN_LIB first, then
lib/train/.libs of a build tree, beside the libengrate that was loaded, configure's libdir,
by name) by load_train(), only when training is asked for: importing engrate loads neither
the trainer nor GSL.
"""

import ctypes
import ctypes.util
import os
import sys
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_int,
                    c_size_t, c_uint, c_void_p)

# The library major version this binding is written for (engrate_version_major()).
EXPECTED_MAJOR = 0

# ---- Constants of include/engrate.h (the C enums have no symbols to look up) -----------

OK = 0
E_INVALID = -1
E_NOMEM = -2
E_IO = -3
E_SYNTAX = -4
E_VERSION = -5
E_LIMIT = -6
E_DUPLICATE = -7
E_UNKNOWN_KEY = -8
E_NUMBER = -9
E_MISSING = -10
E_UTF8 = -11
E_UNKNOWN_NAME = -12
E_DATA = -13
E_SINGULAR = -14

CATEGORICAL = 1
SET = 2
NUMERIC = 3
TRANSFORM_NONE = 0
TRANSFORM_LOG = 1
LEVEL_NO_EVIDENCE = 1 << 0
STRICT = 1 << 0
FLAG_UNKNOWN = 1 << 0
FLAG_CLAMPED = 1 << 1
FLAG_DEFAULTED = 1 << 2
FLAG_NO_EVIDENCE = 1 << 3
FLAG_MISSING = 1 << 4
FLAG_REFERENCE = 1 << 5
NAME_UNKNOWN = 1 << 0
NAME_ALIASED = 1 << 1
NAME_BLANK = 1 << 2
NO_INDEX = (1 << (8 * ctypes.sizeof(c_size_t))) - 1  # ENGRATE_NO_INDEX, (size_t)-1
CHANGE_ADD = 1
CHANGE_LEVEL = 2
CHANGE_NUMBER = 3
WHATIF_NO_EVIDENCE = 1 << 1
WHATIF_MAX_STEPS = 16

ERROR_SOURCE_MAX = 160
ERROR_TEXT_MAX = 320


class engrate_error(Structure):
    _fields_ = [("code", c_int), ("line", c_int), ("column", c_int),
                ("source", c_char * ERROR_SOURCE_MAX), ("text", c_char * ERROR_TEXT_MAX)]


# Opaque handles: distinct pointer types, so that ctypes refuses a result where a model
# is expected.
class engrate_model(Structure):
    pass


class engrate_query(Structure):
    pass


class engrate_result(Structure):
    pass


class engrate_whatif(Structure):
    pass


class engrate_train_options(Structure):
    pass


class engrate_train_report(Structure):
    pass


model_p = POINTER(engrate_model)
query_p = POINTER(engrate_query)
result_p = POINTER(engrate_result)
whatif_p = POINTER(engrate_whatif)
options_p = POINTER(engrate_train_options)
report_p = POINTER(engrate_train_report)
error_p = POINTER(engrate_error)
names_p = POINTER(c_char_p)  # const char *const *
progress_fn = CFUNCTYPE(None, c_double, c_void_p)

# ---- Every prototype: (name, return type, argument types) ------------------------------

PROTOTYPES = [
    # Errors and version
    ("engrate_strerror", c_char_p, [c_int]),
    ("engrate_error_size", c_size_t, []),
    ("engrate_no_index", c_size_t, []),
    ("engrate_version_string", c_char_p, []),
    ("engrate_version_major", c_int, []),
    # Models
    ("engrate_model_load", model_p, [c_char_p, c_uint, error_p]),
    ("engrate_model_load_buffer", model_p, [c_char_p, c_size_t, c_char_p, c_uint, error_p]),
    ("engrate_model_load_default", model_p, [c_uint, error_p]),
    ("engrate_model_default_path", c_char_p, []),
    ("engrate_model_free", None, [model_p]),
    ("engrate_model_save", c_int, [model_p, c_char_p, c_uint, error_p]),
    # char * owned by the caller: kept as an address, read, then engrate_string_free
    ("engrate_model_to_string", c_void_p, [model_p, POINTER(c_size_t), error_p]),
    ("engrate_string_free", None, [c_void_p]),
    ("engrate_model_meta", c_char_p, [model_p, c_char_p]),
    ("engrate_model_transform", c_int, [model_p]),
    ("engrate_model_intercept", c_double, [model_p]),
    ("engrate_model_source_count", c_size_t, [model_p]),
    ("engrate_model_source", c_char_p, [model_p, c_size_t]),
    ("engrate_model_training", c_double, [model_p, c_char_p]),
    ("engrate_model_interval_level", c_double, [model_p]),
    ("engrate_model_interval_low", c_double, [model_p]),
    ("engrate_model_interval_high", c_double, [model_p]),
    ("engrate_model_has_reference", c_int, [model_p]),
    ("engrate_model_base", c_double, [model_p]),
    # Inputs and levels
    ("engrate_model_input_count", c_size_t, [model_p]),
    ("engrate_model_input_index", c_int, [model_p, c_char_p, POINTER(c_size_t)]),
    ("engrate_model_find_input", c_int, [model_p, c_char_p, POINTER(c_size_t)]),
    ("engrate_input_id", c_char_p, [model_p, c_size_t]),
    ("engrate_input_kind", c_int, [model_p, c_size_t]),
    ("engrate_input_label", c_char_p, [model_p, c_size_t, c_char_p]),
    ("engrate_input_level_count", c_size_t, [model_p, c_size_t]),
    ("engrate_input_min", c_double, [model_p, c_size_t]),
    ("engrate_input_max", c_double, [model_p, c_size_t]),
    ("engrate_input_default", c_double, [model_p, c_size_t]),
    ("engrate_input_knot_count", c_size_t, [model_p, c_size_t]),
    ("engrate_input_knot", c_double, [model_p, c_size_t, c_size_t]),
    ("engrate_input_coef", c_double, [model_p, c_size_t, c_size_t]),
    ("engrate_input_reference", c_double, [model_p, c_size_t]),
    ("engrate_input_reference_effect", c_double, [model_p, c_size_t]),
    ("engrate_input_by", c_size_t, [model_p, c_size_t]),
    ("engrate_input_deviation", c_double, [model_p, c_size_t, c_size_t, c_size_t]),
    ("engrate_input_curve", c_double, [model_p, c_size_t, c_size_t, c_double]),
    ("engrate_level_id", c_char_p, [model_p, c_size_t, c_size_t]),
    ("engrate_level_name", c_char_p, [model_p, c_size_t, c_size_t, c_char_p]),
    ("engrate_level_coef", c_double, [model_p, c_size_t, c_size_t]),
    ("engrate_level_flags", c_uint, [model_p, c_size_t, c_size_t]),
    ("engrate_level_alias_count", c_size_t, [model_p, c_size_t, c_size_t]),
    ("engrate_level_alias", c_char_p, [model_p, c_size_t, c_size_t, c_size_t]),
    ("engrate_model_find_level", c_int,
     [model_p, c_size_t, c_char_p, POINTER(c_size_t), POINTER(c_uint)]),
    ("engrate_model_suggest", c_int, [model_p, c_size_t, c_char_p, POINTER(c_size_t)]),
    ("engrate_fold_name", c_int, [c_char_p, c_void_p, c_size_t, POINTER(c_size_t)]),
    # Queries
    ("engrate_query_new", query_p, [model_p, error_p]),
    ("engrate_query_free", None, [query_p]),
    ("engrate_query_reset", None, [query_p]),
    ("engrate_query_add", c_int, [query_p, c_char_p, c_char_p, POINTER(c_uint), error_p]),
    ("engrate_query_add_list", c_int, [query_p, c_char_p, c_char_p, POINTER(c_uint), error_p]),
    ("engrate_query_set_number", c_int, [query_p, c_char_p, c_double, error_p]),
    ("engrate_query_add_level", c_int, [query_p, c_size_t, c_size_t, error_p]),
    ("engrate_query_set_number_at", c_int, [query_p, c_size_t, c_double, error_p]),
    # Results
    ("engrate_result_new", result_p, [model_p, error_p]),
    ("engrate_result_free", None, [result_p]),
    ("engrate_estimate", c_int, [query_p, c_uint, result_p, error_p]),
    ("engrate_estimate_profile", c_int,
     [model_p, c_char_p, names_p, c_size_t, names_p, c_size_t, POINTER(c_double), c_uint,
      result_p, error_p]),
    ("engrate_result_estimate", c_double, [result_p]),
    ("engrate_result_low", c_double, [result_p]),
    ("engrate_result_high", c_double, [result_p]),
    ("engrate_result_level", c_double, [result_p]),
    ("engrate_result_flags", c_uint, [result_p]),
    ("engrate_result_contribution_count", c_size_t, [result_p]),
    ("engrate_result_contribution_amount", c_double, [result_p, c_size_t]),
    ("engrate_result_contribution_input", c_size_t, [result_p, c_size_t]),
    ("engrate_result_contribution_level", c_size_t, [result_p, c_size_t]),
    ("engrate_result_contribution_value", c_double, [result_p, c_size_t]),
    ("engrate_result_contribution_curve_level", c_size_t, [result_p, c_size_t]),
    ("engrate_result_contribution_flags", c_uint, [result_p, c_size_t]),
    ("engrate_result_unknown_count", c_size_t, [result_p]),
    ("engrate_result_unknown_name", c_char_p, [result_p, c_size_t]),
    ("engrate_result_unknown_input", c_size_t, [result_p, c_size_t]),
    ("engrate_result_aliased_count", c_size_t, [result_p]),
    ("engrate_result_aliased_given", c_char_p, [result_p, c_size_t]),
    ("engrate_result_aliased_input", c_size_t, [result_p, c_size_t]),
    ("engrate_result_aliased_level", c_size_t, [result_p, c_size_t]),
    # Batches
    ("engrate_estimate_batch", c_int,
     [model_p, c_size_t, names_p, names_p, POINTER(c_size_t), names_p, POINTER(c_size_t),
      POINTER(c_double), c_uint, POINTER(c_double), POINTER(c_double), POINTER(c_double),
      POINTER(c_uint), POINTER(c_int), POINTER(c_size_t), error_p]),
    # What-if
    ("engrate_whatif_new", whatif_p, [model_p, error_p]),
    ("engrate_whatif_free", None, [whatif_p]),
    ("engrate_whatif_set_inputs", c_int, [whatif_p, POINTER(c_size_t), c_size_t, error_p]),
    ("engrate_whatif_set_steps", c_int, [whatif_p, POINTER(c_double), c_size_t, error_p]),
    ("engrate_whatif_run", c_int, [whatif_p, query_p, c_size_t, c_uint, error_p]),
    ("engrate_whatif_target", c_int,
     [whatif_p, query_p, c_double, c_size_t, c_uint, error_p]),
    ("engrate_whatif_reached", c_int, [whatif_p]),
    ("engrate_whatif_result", result_p, [whatif_p]),
    ("engrate_whatif_count", c_size_t, [whatif_p]),
    ("engrate_whatif_change", c_int, [whatif_p, c_size_t]),
    ("engrate_whatif_input", c_int, [whatif_p, c_size_t, POINTER(c_size_t)]),
    ("engrate_whatif_level", c_int, [whatif_p, c_size_t, POINTER(c_size_t)]),
    ("engrate_whatif_value", c_double, [whatif_p, c_size_t]),
    ("engrate_whatif_step", c_double, [whatif_p, c_size_t]),
    ("engrate_whatif_estimate", c_double, [whatif_p, c_size_t]),
    ("engrate_whatif_low", c_double, [whatif_p, c_size_t]),
    ("engrate_whatif_high", c_double, [whatif_p, c_size_t]),
    ("engrate_whatif_delta", c_double, [whatif_p, c_size_t]),
    ("engrate_whatif_delta_pct", c_double, [whatif_p, c_size_t]),
    ("engrate_whatif_flags", c_uint, [whatif_p, c_size_t]),
]

# libengrate-train's prototypes (include/engrate_train.h), bound by load_train() the first
# time training is asked for: importing engrate never loads the trainer or GSL.
TRAIN_PROTOTYPES = [
    ("engrate_train_options_new", options_p, []),
    ("engrate_train_options_free", None, [options_p]),
    ("engrate_train_options_set", c_int, [options_p, c_char_p, c_char_p, error_p]),
    ("engrate_train_options_set_progress", c_int, [options_p, progress_fn, c_void_p]),
    ("engrate_train_csv", model_p, [c_char_p, options_p, POINTER(report_p), error_p]),
    ("engrate_train_csv_buffer", model_p,
     [c_char_p, c_size_t, c_char_p, options_p, POINTER(report_p), error_p]),
    ("engrate_train_report_free", None, [report_p]),
    ("engrate_train_report_value", c_double, [report_p, c_char_p]),
    ("engrate_train_report_term_count", c_size_t, [report_p]),
    ("engrate_train_report_term", c_char_p, [report_p, c_size_t]),
    ("engrate_train_report_estimate", c_double, [report_p, c_size_t]),
    ("engrate_train_report_std_error", c_double, [report_p, c_size_t]),
    ("engrate_train_report_note_count", c_size_t, [report_p]),
    ("engrate_train_report_note", c_char_p, [report_p, c_size_t]),
    ("engrate_train_report_json", c_char_p, [report_p]),
    ("engrate_train_report_summary", c_char_p, [report_p]),
]

# ---- Finding the libraries ----------------------------------------------------------------

_HERE = os.path.dirname(os.path.abspath(__file__))


def _file(name):
    """The file a link finds (libengrate.so) and the run-time name (libengrate.so.0)."""
    if sys.platform == "darwin":
        return "lib%s.dylib" % name, "lib%s.0.dylib" % name
    if sys.platform == "win32":
        return "lib%s-0.dll" % name, "lib%s-0.dll" % name
    return "lib%s.so" % name, "lib%s.so.0" % name


def installed_libdir():
    """The libdir configure chose, which `make install` writes into engrate/_paths.py;
    None for the package in the source tree (which has no _paths.py)."""
    try:
        from . import _paths
    except ImportError:
        return None
    return _paths.LIBDIR or None


def candidates(name="engrate", env="ENGRATE_LIB", subdir=("lib",), beside=None):
    """The places to try for library `name`, in order, as (description, path or name)
    pairs: the environment variable `env` (alone when set), the build tree, the directory
    of `beside` (a library already loaded), configure's libdir, the installed name."""
    value = os.environ.get(env)
    if value:
        return [("$" + env, value)]
    f, soname = _file(name)
    places = []
    builddir = os.environ.get("top_builddir")
    if builddir:
        places.append(("$top_builddir",
                       os.path.join(os.path.abspath(builddir), *subdir, ".libs", f)))
    tree = os.path.normpath(os.path.join(_HERE, "..", "..", "..", *subdir, ".libs", f))
    if not places or places[0][1] != tree:
        places.append(("the build tree", tree))
    if beside and os.sep in beside:
        places.append(("beside libengrate",
                       os.path.join(os.path.dirname(os.path.abspath(beside)), soname)))
    libdir = installed_libdir()
    if libdir:
        places.append(("the installed libdir", os.path.join(libdir, soname)))
    found = ctypes.util.find_library(name)
    if found:
        places.append(("the installed library", found))
    if found != soname:
        places.append(("the installed library", soname))
    return places


def _load(name="engrate", env="ENGRATE_LIB", subdir=("lib",), error=ImportError,
          beside=None):
    tried = []
    for what, where in candidates(name, env, subdir, beside):
        if os.sep in where and not os.path.exists(where):
            tried.append("%s: %s (no such file)" % (what, where))
            continue
        try:
            return ctypes.CDLL(where), where
        except OSError as e:
            tried.append("%s: %s (%s)" % (what, where, e))
    raise error("engrate: cannot load lib%s; tried:\n  %s\nSet %s to the library's path, "
                "or install it." % (name, "\n  ".join(tried), env))


def _bind(handle, where, prototypes, error=ImportError):
    """Bind each prototype as a module-level function of the same name."""
    missing = []
    for name, restype, argtypes in prototypes:
        try:
            f = getattr(handle, name)
        except AttributeError:
            missing.append(name)
            continue
        f.restype = restype
        f.argtypes = argtypes
        globals()[name] = f
    if missing:
        raise error("engrate: %s lacks %s: it is not the library this binding is for"
                    % (where, ", ".join(missing)))


lib, path = _load()
_bind(lib, path, PROTOTYPES)
train_lib = None
train_path = None


def load_train():
    """Load libengrate-train and bind its prototypes as functions of this module, once.
    Raises OSError, naming every place tried, when it cannot be loaded."""
    global train_lib, train_path
    if train_lib is None:
        handle, where = _load("engrate-train", "ENGRATE_TRAIN_LIB", ("lib", "train"), OSError,
                              beside=path)
        _bind(handle, where, TRAIN_PROTOTYPES, OSError)
        train_lib, train_path = handle, where
    return train_lib


_major = lib.engrate_version_major()
if _major != EXPECTED_MAJOR:
    raise ImportError("engrate: %s is libengrate %s (major %d); this binding needs major %d"
                      % (path, lib.engrate_version_string().decode(), _major, EXPECTED_MAJOR))
if lib.engrate_no_index() != NO_INDEX:
    raise ImportError("engrate: %s has another ENGRATE_NO_INDEX" % path)
if lib.engrate_error_size() != ctypes.sizeof(engrate_error):
    raise ImportError("engrate: %s has an engrate_error of %d bytes, the binding %d"
                      % (path, lib.engrate_error_size(), ctypes.sizeof(engrate_error)))
