"""ffi-bench.py: the Python side of bench/ffi-bench.sh. It times, on the profiles of a
file written by the driver, the package's calls and the raw calls beneath them, and prints
the time per profile in nanoseconds:

  ffi-bench.py MODEL PROFILES RUNS MS

  single        Model.estimate(): one profile, the whole Result (breakdown, names)
  single_raw    engrate_estimate_profile + engrate_result_estimate through ctypes, with
                the arguments converted beforehand: the bare cost of crossing into C
  batch         Model.estimate_many() on a list of dicts (conversion included)
  batch_columns Model.estimate_columns(): lists in, arrays out (conversion included)
  batch_raw     engrate_estimate_batch through ctypes, arrays converted beforehand

Each figure is the median of RUNS runs of at least MS milliseconds."""

import ctypes
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("srcdir", "."), "examples", "python"))
import engrate  # noqa: E402
from engrate import _raw  # noqa: E402


def read_profiles(path):
    profiles = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            role, skills, certs, years = line.rstrip("\n").split("\t")
            p = {}
            if role:
                p["role"] = role
            if skills:
                p["skills"] = skills.split(";")
            if certs:
                p["certs"] = certs.split(";")
            if years:
                p["years"] = float(years)
            profiles.append(p)
    return profiles


def median_ns(fn, per_call, runs, ms):
    times = []
    for _ in range(runs):
        done, start = 0, time.perf_counter()
        while True:
            fn()
            done += per_call
            elapsed = time.perf_counter() - start
            if elapsed >= ms / 1000:
                break
        times.append(elapsed / done * 1e9)
    times.sort()
    return times[len(times) // 2]


def main():
    model_path, profiles_path, runs, ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        float(sys.argv[4])
    profiles = read_profiles(profiles_path)
    n = len(profiles)
    model = engrate.Model.load(model_path)

    def single():
        for p in profiles:
            model.estimate(**p)

    # The raw calls, with every argument converted once.
    hold = model._live()  # the handle that owns the C model, and a C result of its own
    h, r = hold.ptr, hold.result()
    err = _raw.engrate_error()
    args = []
    for p in profiles:
        s = [x.encode() for x in p.get("skills", [])]
        c = [x.encode() for x in p.get("certs", [])]
        y = ctypes.byref(ctypes.c_double(p["years"])) if "years" in p else None
        role = p["role"].encode() if "role" in p else None
        args.append((h, role, (ctypes.c_char_p * len(s))(*s) if s else None, len(s),
                     (ctypes.c_char_p * len(c))(*c) if c else None, len(c), y, 0, r,
                     ctypes.byref(err)))
    profile, result_estimate = _raw.engrate_estimate_profile, _raw.engrate_result_estimate

    def single_raw():
        for a in args:
            profile(*a)
            result_estimate(r)

    def batch():
        model.estimate_many(profiles)

    columns = ([p.get("role") for p in profiles], [p.get("skills") for p in profiles],
               [p.get("certs") for p in profiles], [p.get("years") for p in profiles])

    def batch_columns():
        model.estimate_columns(*columns)

    names_s = [x.encode() for p in profiles for x in p.get("skills", [])]
    names_c = [x.encode() for p in profiles for x in p.get("certs", [])]
    off_s, off_c = [0], [0]
    for p in profiles:
        off_s.append(off_s[-1] + len(p.get("skills", [])))
        off_c.append(off_c[-1] + len(p.get("certs", [])))
    raw_args = (
        h, n, (ctypes.c_char_p * n)(*[p["role"].encode() if "role" in p else None
                                      for p in profiles]),
        (ctypes.c_char_p * len(names_s))(*names_s), (ctypes.c_size_t * (n + 1))(*off_s),
        (ctypes.c_char_p * len(names_c))(*names_c), (ctypes.c_size_t * (n + 1))(*off_c),
        (ctypes.c_double * n)(*[p.get("years", math.nan) for p in profiles]), 0,
        (ctypes.c_double * n)(), (ctypes.c_double * n)(), (ctypes.c_double * n)(),
        (ctypes.c_uint * n)(), (ctypes.c_int * n)(), None, ctypes.byref(err))
    estimate_batch = _raw.engrate_estimate_batch

    def batch_raw():
        estimate_batch(*raw_args)

    # The figures must be of the same numbers: check once.
    want = [model.estimate(**p).estimate for p in profiles]
    assert [e.estimate for e in model.estimate_many(profiles)] == want
    batch_raw()
    assert list(raw_args[9]) == want

    print("python %s" % sys.version.split()[0])
    for name, fn, per in (("single", single, n), ("single_raw", single_raw, n),
                          ("batch", batch, n), ("batch_columns", batch_columns, n),
                          ("batch_raw", batch_raw, n)):
        print("%s %.1f" % (name, median_ns(fn, per, runs, ms)))
    hold.results.append(r)
    model.close()


if __name__ == "__main__":
    main()
