# The estimate benchmark (docs/performance.md): built by `make` and not installed; run it
# with `make bench` (or `make bench-estimate` for this one alone) on the default model,
# models/jp-freelance.model, which `make` builds. It links the shared library, as users
# do: libtool runs it through a wrapper script that finds lib/.libs.
noinst_PROGRAMS += bench/engrate-bench
bench_engrate_bench_SOURCES = bench/engrate-bench.c
bench_engrate_bench_CPPFLAGS = $(AM_CPPFLAGS) \
	-DENGRATE_BENCH_MODEL='"$(abs_top_builddir)/models/jp-freelance.model"'
bench_engrate_bench_CFLAGS = $(AM_CFLAGS) -pthread
bench_engrate_bench_LDFLAGS = -pthread
bench_engrate_bench_LDADD = lib/libengrate.la

EXTRA_DIST += docs/performance.md

# `bench` runs every benchmark; each adds itself as a prerequisite (bench/local.mk too).
bench: bench-estimate
bench-estimate: bench/engrate-bench$(EXEEXT) models/jp-freelance.model
	bench/engrate-bench$(EXEEXT) models/jp-freelance.model
.PHONY: bench bench-estimate
