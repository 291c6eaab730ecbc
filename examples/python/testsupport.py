"""testsupport.py: what the Python suites share: where the source and build trees are (make
check sets srcdir and top_builddir; by hand they default to this tree), the data they
use, and LIGHT, set under valgrind (ENGRATE_TEST_LIGHT=1), which asks for fewer rounds."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SRCDIR = os.path.abspath(os.environ.get("srcdir") or REPO)
BUILDDIR = os.path.abspath(os.environ.get("top_builddir") or REPO)
EXAMPLE = os.path.join(SRCDIR, "models", "example.model")
LINEAR = os.path.join(SRCDIR, "tests", "data", "model", "valid", "linear", "input.model")
VERSION2 = os.path.join(SRCDIR, "tests", "data", "model", "valid", "version2", "input.model")
BY_LEVEL = os.path.join(SRCDIR, "tests", "data", "model", "valid", "by-level", "input.model")
BAD_NUMBER = os.path.join(SRCDIR, "tests", "data", "model", "invalid", "bad-number",
                          "input.model")
ESTIMATOR = os.path.join(BUILDDIR, "examples", "engrate-estimate")
ESTIMATE_PY = os.path.join(HERE, "estimate.py")
# The default model, built from models/jp-freelance by make (None before it is).
DEFAULT_MODEL = os.path.join(BUILDDIR, "models", "jp-freelance.model")
if not os.path.exists(DEFAULT_MODEL):
    DEFAULT_MODEL = None
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


def run_both(test, args, env=None):
    """Run engrate-estimate and estimate.py with args; test asserts that they exit alike
    and print the same bytes (the messages less the program's name); the status."""
    c = subprocess.run([ESTIMATOR] + args, capture_output=True, env=env)
    p = subprocess.run([sys.executable, ESTIMATE_PY] + args, capture_output=True, env=env)
    test.assertEqual(p.returncode, c.returncode, args)
    test.assertEqual(p.stdout.decode(), c.stdout.decode(), args)
    # getopt names the program by its path; the messages after it must agree
    strip = [line.split(b": ", 1)[-1] for line in c.stderr.splitlines()]
    test.assertEqual([line.split(b": ", 1)[-1] for line in p.stderr.splitlines()], strip,
                     args)
    return c.returncode
