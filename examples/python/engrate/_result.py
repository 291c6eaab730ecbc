"""engrate._result: what estimates return, as plain Python data. Nothing here holds C
memory, so a result outlives its model, pickles, and crosses to other processes."""

import math
from collections import namedtuple

from . import _raw

__all__ = ["FLAG_NAMES", "Result", "Contribution", "Curve", "Aliased", "Suggestion", "Estimate",
           "EstimateColumns", "Coefficient", "Interval", "Prediction", "flag_set",
           "contribution_flag_set"]

# Result flags by the names engrate-estimate --json uses, in its order.
FLAG_NAMES = (("unknown", _raw.FLAG_UNKNOWN), ("clamped", _raw.FLAG_CLAMPED),
              ("defaulted", _raw.FLAG_DEFAULTED), ("no_evidence", _raw.FLAG_NO_EVIDENCE),
              ("missing", _raw.FLAG_MISSING))


class _FlagSets(dict):
    """Flag bits -> frozenset of their names, made once per combination."""

    def __missing__(self, bits):
        s = self[bits] = frozenset(name for name, bit in FLAG_NAMES if bits & bit)
        return s


FLAG_SETS = _FlagSets()
flag_set = FLAG_SETS.__getitem__


class _ContributionFlagSets(dict):
    """The same for a term of the breakdown, which may also be "reference": the base is
    the model's typical profile, or the term takes an input's typical effect out."""

    def __missing__(self, bits):
        s = self[bits] = FLAG_SETS[bits & ~_raw.FLAG_REFERENCE] | (
            {"reference"} if bits & _raw.FLAG_REFERENCE else set())
        return s


contribution_flag_set = _ContributionFlagSets().__getitem__

# One term of the breakdown. input: the input id, None for the base; level: the level id,
# None for the base, numeric inputs and reference rows; name: the level's display name,
# the input's label for a numeric input, "base" for the base, and for a model with a
# reference profile "typical listing" (or profile, in the language asked for) for the base
# and the rows that take an input's typical effect out; value: the number used for a
# numeric input, else None; amount: in currency; no_evidence: the level has no evidence
# for a premium; flags: the names of the flags that apply to the term ("reference" too);
# curve: for a numeric input whose curve varies by the level of a categorical input, the
# Curve it used, else None.
Contribution = namedtuple("Contribution",
                          "input level name value amount no_evidence flags curve",
                          defaults=(None,))
# The curve a numeric input's term used, when the curve varies by the level of a
# categorical input: that input's id, and the level's id and display name ("Years of
# experience: 8 (Germany)"); level and name are None when the input's own curve was used
# (the profile does not give the level, or the level has no curve of its own).
Curve = namedtuple("Curve", "input level name")
# A name that matched a level through a display name or alias rather than its id.
Aliased = namedtuple("Aliased", "given input level name")
# A name that matched nothing, with the closest level's id (None when none is close).
Suggestion = namedtuple("Suggestion", "input given suggestion")
# One profile of estimate_many: the numbers and the flag names, no breakdown.
Estimate = namedtuple("Estimate", "estimate low high flags")
# What estimate_columns returns: the numbers as arrays (NaN for a profile that failed),
# the flags as a list of frozensets, and the errors of the profiles that failed as
# {index: Error}.
EstimateColumns = namedtuple("EstimateColumns", "estimate low high flags errors")
# One row of Model.coefficients(): input id (None for the intercept), level id (None for
# the intercept and a numeric input's slope; ">K" for the change of slope after knot K),
# display name, coefficient on the model's scale, and whether the model has evidence for
# it (False for a level kept without evidence, whose coefficient is 0).
Coefficient = namedtuple("Coefficient", "input level name coefficient evidence")
# The model's prediction interval: nominal level, and its bounds on the model's scale
# (added to the linear predictor: exp(eta + low) .. exp(eta + high) for a log model).
Interval = namedtuple("Interval", "level low high")
# What Model.predict returns with interval or flags when pandas is not there: arrays, and
# the flags as {name: list of bool}.
Prediction = namedtuple("Prediction", "estimate low high flags")


def _contribution_dict(c, num):
    """A term as engrate-estimate --json prints it: "curve" only for an input whose curve
    varies by a level (null when its own curve was used)."""
    d = {"input": "(base)" if c.input is None else c.input, "level": c.level,
         "name": c.name, "value": c.value, "amount": num(c.amount),
         "no_evidence": c.no_evidence}
    if c.curve is not None:
        d["curve"] = None if c.curve.level is None else c.curve._asdict()
    return d


class Result:
    """One estimate with its breakdown. Plain data: it keeps no C memory and may outlive
    its model. estimate is the median rate in `currency` per `period`; [low, high] the
    prediction interval of nominal coverage `level`; contributions the breakdown (they
    add up to the estimate); unknown the names that matched nothing (ignored), with
    suggestions; aliased the names that matched through another name; flags a frozenset
    of "unknown", "clamped", "defaulted", "no_evidence", "missing"."""

    __slots__ = ("model_name", "estimate", "low", "high", "level", "currency", "period",
                 "flags", "contributions", "unknown", "suggestions", "aliased", "lang")

    def __init__(self, model_name, estimate, low, high, level, currency, period, flags,
                 contributions, unknown, suggestions, aliased, lang):
        self.model_name = model_name
        self.estimate = estimate
        self.low = low
        self.high = high
        self.level = level
        self.currency = currency
        self.period = period
        self.flags = flags
        self.contributions = contributions
        self.unknown = unknown
        self.suggestions = suggestions
        self.aliased = aliased
        self.lang = lang

    def __reduce__(self):
        return (Result, tuple(getattr(self, k) for k in Result.__slots__))

    def __eq__(self, other):
        if type(other) is not Result:
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in Result.__slots__)

    __hash__ = None

    def as_dict(self):
        """The result as engrate-estimate --json prints it (same keys, same order)."""
        def num(x):
            return None if x is None or math.isnan(x) else x
        return {
            "model": self.model_name,
            "estimate": num(self.estimate), "low": num(self.low), "high": num(self.high),
            "level": num(self.level), "currency": self.currency, "period": self.period,
            "contributions": [_contribution_dict(c, num) for c in self.contributions],
            "unknown": list(self.unknown),
            "suggestions": [s._asdict() for s in self.suggestions],
            "aliased": [a._asdict() for a in self.aliased],
            "flags": [name for name, _ in FLAG_NAMES if name in self.flags],
        }

    def __repr__(self):
        return "<engrate.Result %.0f %s (%.0f - %.0f)%s>" % (
            self.estimate, self.currency, self.low, self.high,
            " unknown: " + ", ".join(self.unknown) if self.unknown else "")
