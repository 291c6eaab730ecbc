# The training benchmark (docs/training.md, "Performance"): built by `make`, not installed,
# not run by `make check`. `make bench-train` runs it: it writes CSV files of 10^5, 10^6 and
# 10^7 rows (about 150 terms) to a temporary directory and trains on each.
noinst_PROGRAMS += bench/engrate-train-bench
bench_engrate_train_bench_SOURCES = bench/train-bench.c
bench_engrate_train_bench_LDADD = lib/libengrate.la

bench: bench-train
bench-train: bench/engrate-train-bench$(EXEEXT)
	bench/engrate-train-bench$(EXEEXT)
.PHONY: bench-train
