"""test_dask.py: engrate.dask on a Dask LocalCluster of two worker processes, over four
shards: the model must be the one engrate.train makes from all the rows in one pass, byte
for byte (the library's accumulators are exact; tests/check_acc.c checks the same in C).
Run by examples/python/dask.test, which skips (77) when dask or distributed is missing."""

import os
import random
import shutil
import tempfile
import unittest

import testsupport  # noqa: F401 (puts this directory first on the path)

import engrate
import engrate.dask

OPTIONS = dict(categorical="role", set=["skills", "certs"], numeric="years:knots=5,15",
               weight="weight", min_count=3, missing="impute", name="shards", threads=1)


def rows(n, seed):
    """Rows with weights, levels seen once or twice (dropped by min_count), spellings that
    fold alike, missing years (imputed) and rates in 万円."""
    rnd = random.Random(seed)
    roles = ["pm", "PM", "dev", "qa", "infra", "pmo"]
    skills = ["Java", "java", "SQL", "Go", "Cloud (AWS)", "Rust"]
    out = []
    for _ in range(n):
        role = "rare%d" % rnd.randrange(40) if rnd.random() < 0.01 else rnd.choice(roles)
        sk = ";".join(s for s in skills if rnd.random() < 0.3)
        certs = "PMP" if rnd.random() < 0.2 else ""
        years = "" if rnd.random() < 0.04 else "%.1f" % (rnd.randrange(300) / 10)
        rate = 50 + rnd.randrange(60) + (20 if role.startswith("p") else 0)
        weight = rnd.choice(["1", "0.5", "2"])
        out.append('%s,"%s",%s,%s,%d万円,%s\n' % (role, sk, certs, years, rate, weight))
    return out


HEADER = "role,skills,certs,years,rate,weight\n"


class DaskTrain(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from distributed import Client, LocalCluster
        cls.tmp = tempfile.mkdtemp(prefix="engrate-dask-")
        data = rows(4000, 3)
        cls.whole = os.path.join(cls.tmp, "all.csv")
        with open(cls.whole, "w", encoding="utf-8") as f:
            f.write(HEADER + "".join(data))
        cls.shards = []
        for i in range(4):
            path = os.path.join(cls.tmp, "part-%d.csv" % i)
            with open(path, "w", encoding="utf-8") as f:
                f.write(HEADER + "".join(data[i * 1000:(i + 1) * 1000]))
            cls.shards.append(path)
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        # Cleanups run even when a later step fails: the workers never outlive the test.
        # The timeouts bound a cluster that does not come up or go down (dask.test bounds
        # the whole run too).
        cls.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, timeout=120)
        cls.addClassCleanup(cls.cluster.close, timeout=60)
        cls.client = Client(cls.cluster, timeout=120)
        cls.addClassCleanup(cls.client.close, timeout=60)
        cls.single, cls.report = engrate.train(cls.whole, **OPTIONS)

    def same_as_single(self, model, report):
        self.assertEqual(model.to_string(), self.single.to_string())
        for key in ("lambda", "cv_rmse", "coverage", "interval_low", "interval_high", "n"):
            self.assertEqual(report.value(key), self.report.value(key), key)

    def test_shards_with_a_schema(self):
        model, report = engrate.dask.train(self.shards, client=self.client, **OPTIONS)
        self.same_as_single(model, report)
        self.assertEqual(report.value("rows_read"), 4000)

    def test_shards_without_a_scan(self):
        model, report = engrate.dask.train(self.shards, client=self.client, scan=False,
                                           **OPTIONS)
        self.same_as_single(model, report)

    def test_curves_by_a_level(self):
        """A curve that varies by role (its deviations are design terms of their own),
        from the four shards on the workers: the single pass's model and figures."""
        opts = dict(OPTIONS, numeric="years:knots=5,15:by=role", missing="skip")
        single, rep = engrate.train(self.whole, **opts)
        self.assertIn("\nby = role\n", "\n" + single.to_string())
        for scan in (True, False):
            model, report = engrate.dask.train(self.shards, client=self.client, scan=scan,
                                               **opts)
            self.assertEqual(model.to_string(), single.to_string())
            for key in ("lambda", "by_penalty", "interval_low", "interval_high", "cv_rmse"):
                self.assertEqual(report.value(key), rep.value(key), key)

    def test_dataframe_partitions(self):
        import dask.dataframe as dd
        import pandas
        pdf = pandas.read_csv(self.whole, dtype=str, keep_default_na=False)
        want, _ = engrate.train(pdf, **OPTIONS)
        model, _ = engrate.dask.train(dd.from_pandas(pdf, npartitions=4), client=self.client,
                                      **OPTIONS)
        self.assertEqual(model.to_string(), want.to_string())

    def test_a_bad_row_comes_back_with_its_place(self):
        bad = os.path.join(self.tmp, "bad.csv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write(HEADER + "pm,Go,,5,lots,1\n")
        with self.assertRaises(engrate.Error) as e:
            engrate.dask.train([self.shards[0], bad], client=self.client, **OPTIONS)
        self.assertEqual((e.exception.line, e.exception.column), (2, 10))
        self.assertIn("'lots' is not a number", str(e.exception))

    def test_steps_refuse_parts_made_differently(self):
        a = engrate.dask.partial(self.shards[0], **OPTIONS)
        b = engrate.dask.partial(self.shards[1], **dict(OPTIONS, folds=10))
        with self.assertRaises(engrate.Error) as e:
            engrate.dask.merge(a, b)
        self.assertIn("different --folds: 5", str(e.exception))
        s = engrate.dask.merge(engrate.dask.scan(self.shards[0], **OPTIONS),
                               engrate.dask.scan(self.shards[1], **OPTIONS))
        self.assertTrue(s.startswith(b"engrate-accumulator 2 scan\n"))


if __name__ == "__main__":
    unittest.main()
