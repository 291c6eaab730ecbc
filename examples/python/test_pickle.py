"""test_pickle.py: engrate's objects cross process boundaries. A model pickles by its text
and comes back as an independent model with the same estimates bit for bit; errors keep
their class, code, line, column, source and text; results are plain data. A
multiprocessing pool, forked or spawned, works with a model handed to its workers, and a
worker that raises gives its error to the parent instead of hanging it (the pools are
waited on with a timeout, so a hang fails the test rather than the build)."""

import math
import multiprocessing
import os
import pickle
import struct
import unittest

from testsupport import BAD_NUMBER, EXAMPLE

import engrate

TIMEOUT = 300
PROFILES = [dict(role="pm", years=8), dict(role="pmo", skills="java;python", certs=["pmp"]),
            dict(skills=["ruby", "jva"], years=None), dict(years=55)]


def bits(x):
    return struct.pack("<d", x)


def estimate_in_worker(args):
    model, profile = args
    r = model.estimate(**profile)
    return os.getpid(), r.estimate, r


def strict_in_worker(args):
    model, profile = args
    return model.estimate(strict=True, **profile).estimate


_worker_model = None


def keep_model(model):
    global _worker_model
    _worker_model = model


def estimate_with_kept_model(profile):
    return _worker_model.estimate(**profile).estimate


class Pickling(unittest.TestCase):
    def setUp(self):
        self.model = engrate.Model(EXAMPLE)

    def test_model_by_its_text(self):
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            again = pickle.loads(pickle.dumps(self.model, protocol))
            self.assertIsNot(again._hold, self.model._hold)
            self.assertEqual(again.to_string(), self.model.to_string())
            for p in PROFILES:
                self.assertEqual(bits(again.estimate(**p).estimate),
                                 bits(self.model.estimate(**p).estimate))
            again.close()
            self.assertFalse(self.model.closed)
        self.model.close()
        with self.assertRaisesRegex(ValueError, "closed"):
            pickle.dumps(self.model)

    def test_errors_keep_what_they_carry(self):
        with self.assertRaises(engrate.Error) as cm:
            engrate.Model(BAD_NUMBER)
        caught = [cm.exception]
        with self.assertRaises(engrate.Error) as cm:
            engrate.Model(os.path.join(os.path.dirname(EXAMPLE), "no-such.model"))
        caught.append(cm.exception)
        with self.assertRaises(engrate.Error) as cm:
            self.model.estimate(role="pm", skills=["jva"], strict=True)
        caught.append(cm.exception)
        with self.assertRaises(engrate.Error) as cm:
            self.model.estimate_many([{}, {"years": float("inf")}])
        caught.append(cm.exception)
        self.assertEqual([type(e) for e in caught],
                         [engrate.DataError, engrate.FileMissingError,
                          engrate.UnknownNameError, engrate.DataError])
        caught[0].report = "kept"
        for e in caught:
            for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
                again = pickle.loads(pickle.dumps(e, protocol))
                self.assertIs(type(again), type(e))
                self.assertEqual((again.code, again.line, again.column, again.source,
                                  again.text, again.index, str(again)),
                                 (e.code, e.line, e.column, e.source, e.text, e.index,
                                  str(e)))
        self.assertEqual(pickle.loads(pickle.dumps(caught[0])).report, "kept")
        self.assertEqual((caught[0].line, caught[0].column), (7, 13))
        missing = pickle.loads(pickle.dumps(caught[1]))
        self.assertIsInstance(missing, FileNotFoundError)
        self.assertEqual(missing.errno, 2)
        self.assertEqual(caught[3].index, 1)

    def test_results_as_data(self):
        r = self.model.estimate(role="プロマネ", skills=["jva", "cpp"], years=8)
        many = self.model.estimate_many(PROFILES)
        cols = self.model.estimate_columns(["pm", "se"], years=[1, None])
        table = self.model.coefficients(as_frame=False)
        self.model.close()
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            again = pickle.loads(pickle.dumps((r, many, cols, table), protocol))
            self.assertEqual(again, (r, many, cols, table))
        self.assertEqual(again[0].as_dict(), r.as_dict())
        self.assertEqual(again[0].unknown, ["jva"])
        # 13.4 + 0.3 (pm, through an alias) + 0.04 (c++) + 0.06*8 - 0.04*5
        self.assertAlmostEqual(again[0].estimate, math.exp(14.02), delta=1e-6)


class Pools(unittest.TestCase):
    def setUp(self):
        self.model = engrate.Model(EXAMPLE)
        self.expected = [self.model.estimate(**p).estimate for p in PROFILES]

    def contexts(self):
        methods = multiprocessing.get_all_start_methods()
        for method in ("fork", "spawn"):
            if method in methods:
                yield method, multiprocessing.get_context(method)

    def test_model_passed_to_workers(self):
        for method, ctx in self.contexts():
            with ctx.Pool(2) as pool:
                out = pool.map_async(estimate_in_worker,
                                     [(self.model, p) for p in PROFILES]).get(TIMEOUT)
            self.assertTrue(all(pid != os.getpid() for pid, _, _ in out), method)
            self.assertEqual([bits(x) for _, x, _ in out], [bits(x) for x in self.expected],
                             method)
            self.assertEqual(out[0][2], self.model.estimate(**PROFILES[0]), method)

    def test_model_given_once_per_worker(self):
        for method, ctx in self.contexts():
            with ctx.Pool(2, initializer=keep_model, initargs=(self.model,)) as pool:
                out = pool.map_async(estimate_with_kept_model, PROFILES).get(TIMEOUT)
            self.assertEqual([bits(x) for x in out], [bits(x) for x in self.expected], method)

    def test_a_raising_worker_raises_in_the_parent(self):
        for method, ctx in self.contexts():
            with ctx.Pool(2) as pool:
                job = pool.map_async(strict_in_worker,
                                     [(self.model, dict(role="pm")),
                                      (self.model, dict(role="pm", skills=["jva"]))])
                with self.assertRaises(engrate.UnknownNameError) as cm:
                    job.get(TIMEOUT)
            e = cm.exception
            self.assertIsInstance(e, KeyError)
            self.assertEqual((e.code, e.text),
                             (engrate.E_UNKNOWN_NAME,
                              "unknown skills 'jva' (did you mean 'Java'?)"), method)


if __name__ == "__main__":
    unittest.main()
