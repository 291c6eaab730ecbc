"""engrate._values: what a Python value means as an input. One place decides, for the
single estimate and the batch alike:
  - "not known": None, NaN (float or numpy), pandas' NA and NaT, and a blank string;
  - a set (skills, certs) given as one string is split on , 、 ， ; ； ､ (never on / or
    spaces: C/C++, Objective-C, "Visual Basic" stay whole); a list, tuple, set, numpy
    array or pandas Series of names is taken as it is, less its missing and blank items;
  - a number may be an int, a float, a numpy number or a numeric string ("8", " 7.5 ").
Names go to C as UTF-8 without NUL."""

import math
import numbers
import os
import re
from itertools import repeat
from operator import add

__all__ = ["encode", "encode_path", "is_missing", "split_names", "one_name", "set_names",
           "number", "joined_names", "split_flat", "SEPARATORS"]

# The separators of a set given as one string: ASCII and full-width comma and semicolon,
# and the ideographic comma that Japanese text lists with (full and half width).
SEPARATORS = ",、，;；､"
_SPLIT = re.compile("[" + SEPARATORS + "]")
_MISSING_TYPES = frozenset(("NAType", "NaTType"))


def encode(s):
    """A name as the C API takes it: UTF-8 bytes, no NUL inside. Bytes that were not
    UTF-8 (os.fsdecode's surrogate escapes, as in sys.argv) go through as they were, for
    the library to refuse with E_UTF8."""
    if not isinstance(s, str):
        raise TypeError("a name must be a str, not %s" % type(s).__name__)
    b = s.encode("utf-8", "surrogateescape")
    if b"\0" in b:
        raise ValueError("a name cannot contain NUL: %r" % s)
    return b


def encode_path(path):
    return os.fsencode(path)


def is_missing(x):
    """True for what means "not known": None, NaN, pandas' NA and NaT."""
    if x is None:
        return True
    if isinstance(x, float):
        return x != x
    if type(x).__name__ in _MISSING_TYPES:
        return True
    if isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral):
        return math.isnan(x)  # numpy floats, Decimal('NaN') and the like
    return False


def split_names(s):
    """A set given as one string, split and stripped, blanks dropped."""
    return [p for p in (part.strip() for part in _SPLIT.split(s)) if p]


# For joined_names: every separator as ",", white space around a separator or a string's
# end (\0 between strings), and the blank items that leaves.
_SPACE = re.compile(r"\s")
_ODD_SPACE = re.compile(r"[^\S ]")  # white space other than the ASCII space
_PLAIN = ((" ,", ","), (", ", ","), (" \0", "\0"), ("\0 ", "\0"))
_SPACED = re.compile(r"\s+(?=[,\0])|(?<=[,\0])\s+")
_COMMAS = re.compile(",+")
_EDGE = re.compile(",?\0,?")


def joined_names(texts):
    """Many strings ("" for none) as one text of their names: names separated by ",",
    strings by "\0", no blank around either and no blank name (an empty string stays
    empty). A few passes over all the text rather than a list per string; None when a
    string holds a NUL (split_names one by one is then right)."""
    whole = "\0".join(texts)
    if not texts or whole.count("\0") != len(texts) - 1:
        return None
    for sep in SEPARATORS[1:]:
        if sep in whole:
            whole = whole.replace(sep, ",")
    if " " in whole and not _ODD_SPACE.search(whole):  # the usual case: plain spaces
        for spaced, bare in _PLAIN:
            while spaced in whole:
                whole = whole.replace(spaced, bare)
        whole = whole.strip(" ")
    elif _SPACE.search(whole):
        whole = _SPACED.sub("", whole).strip()
    if ",," in whole or ",\0" in whole or "\0," in whole or whole[:1] == "," \
            or whole[-1:] == ",":
        whole = _EDGE.sub("\0", _COMMAS.sub(",", whole)).strip(",")
    return whole


def split_flat(texts):
    """split_names of many strings at once: (every name in order, how many each string
    has), or None as joined_names."""
    whole = joined_names(texts)
    if whole is None:
        return None
    rows = whole.split("\0")
    counts = list(map(add, map(str.count, rows, repeat(",")), map(bool, rows)))
    return list(filter(None, whole.replace("\0", ",").split(","))), counts


def one_name(value, what="role"):
    """The name given for a categorical input, or None when it is not known."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if is_missing(value):
        return None
    raise TypeError("%s takes one name (a str), not %s" % (what, type(value).__name__))


def set_names(value, what="skills"):
    """The names given for a set input, as a list (empty when none or not known)."""
    if isinstance(value, str):
        return split_names(value)
    if is_missing(value):
        return []
    if isinstance(value, (bytes, bytearray)) or not hasattr(value, "__iter__"):
        raise TypeError("%s takes names (a str, or a list of str), not %s"
                        % (what, type(value).__name__))
    names = []
    for v in value:
        if isinstance(v, str):
            if v.strip():
                names.append(v)
        elif not is_missing(v):
            raise TypeError("%s takes names (str), not %s: %r"
                            % (what, type(v).__name__, v))
    return names


def number(value, what="years"):
    """The number given for a numeric input, or None when it is not known. Infinities go
    through, for the library to refuse."""
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return None if value != value else float(value)
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        try:
            x = float(s)
        except ValueError:
            raise ValueError("%s: %r is not a number" % (what, value)) from None
        return None if x != x else x
    if is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s takes a number, not %s" % (what, type(value).__name__))
    x = float(value)
    return None if x != x else x
