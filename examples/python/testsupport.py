"""testsupport.py: what the Python suites share: where the source and build trees are (make
check sets srcdir and top_builddir; by hand they default to this tree), the data they
use, and LIGHT, set under valgrind (ENGRATE_TEST_LIGHT=1), which asks for fewer rounds."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SRCDIR = os.path.abspath(os.environ.get("srcdir") or REPO)
BUILDDIR = os.path.abspath(os.environ.get("top_builddir") or REPO)
EXAMPLE = os.path.join(SRCDIR, "models", "example.model")
LINEAR = os.path.join(SRCDIR, "tests", "data", "model", "valid", "linear", "input.model")
BAD_NUMBER = os.path.join(SRCDIR, "tests", "data", "model", "invalid", "bad-number",
                          "input.model")
ESTIMATOR = os.path.join(BUILDDIR, "examples", "engrate-estimate")
LIGHT = os.environ.get("ENGRATE_TEST_LIGHT") == "1"


def rounds(full, light):
    """How many rounds a stress test makes: fewer under valgrind."""
    return light if LIGHT else full


def child_env():
    """The environment for a child Python: this package first on its path, this build's
    library."""
    env = dict(os.environ)
    env["PYTHONPATH"] = HERE + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["top_builddir"] = BUILDDIR  # absolute: the child may run elsewhere
    return env
