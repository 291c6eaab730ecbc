# Benchmarks: built by `make bench` (not by `make`, not installed, not run by `make check`),
# each printing its figures and the command that reproduces them.
#  - bench-estimate (docs/performance.md): the estimate path on the default model,
#    models/jp-freelance.model. It links the shared library, as users do: libtool runs it
#    through a wrapper script that finds lib/.libs.
#  - bench-train (docs/training.md, "Performance"): writes CSV files of 10^5, 10^6 and
#    10^7 rows (about 150 terms) to a temporary directory and trains on each.
#  - bench-ffi (bindings.mk): a call from Python and Ruby next to C.
EXTRA_PROGRAMS = bench/engrate-bench bench/engrate-train-bench
CLEANFILES += $(EXTRA_PROGRAMS)

bench_engrate_bench_SOURCES = bench/engrate-bench.c
bench_engrate_bench_CPPFLAGS = $(AM_CPPFLAGS) \
	-DENGRATE_BENCH_MODEL='"$(abs_top_builddir)/models/jp-freelance.model"'
bench_engrate_bench_CFLAGS = $(AM_CFLAGS) -pthread
bench_engrate_bench_LDFLAGS = -pthread
bench_engrate_bench_LDADD = lib/libengrate.la

bench_engrate_train_bench_SOURCES = bench/train-bench.c
bench_engrate_train_bench_LDADD = lib/train/libengrate-train.la lib/libengrate.la

EXTRA_DIST += docs/performance.md

bench: bench-estimate bench-train
bench-estimate: bench/engrate-bench$(EXEEXT) models/jp-freelance.model
	bench/engrate-bench$(EXEEXT) models/jp-freelance.model
bench-train: bench/engrate-train-bench$(EXEEXT)
	bench/engrate-train-bench$(EXEEXT)
.PHONY: bench bench-estimate bench-train
