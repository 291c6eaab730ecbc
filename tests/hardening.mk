# Hardening: the bad-input and misuse suite (tests/check_hardening.c), the fuzz targets'
# replay programs (every seed and every input that once broke something, run through the
# fuzz targets' code without libFuzzer, so plain, sanitizer and valgrind builds all run
# them), and `make check-valgrind`. The libFuzzer runs themselves need clang:
# tests/fuzz/run-all.sh; ThreadSanitizer: tests/tsan.sh; see docs/hardening.md.
if HAVE_CHECK
check_PROGRAMS += tests/check_hardening
TESTS += tests/check_hardening
endif
tests_check_hardening_SOURCES = tests/check_hardening.c tests/testutil.h
tests_check_hardening_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_hardening_LDADD = lib/train/libengrate-train.la lib/libengrate.la $(CHECK_LIBS)

check_PROGRAMS += tests/fuzz/replay_model tests/fuzz/replay_estimate
TESTS += tests/fuzz/replay_model tests/fuzz/replay_estimate
tests_fuzz_replay_model_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_model.c tests/fuzz/fuzz.h \
	tests/testutil.h
tests_fuzz_replay_model_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_DIRS='"tests/fuzz/corpus/model:tests/fuzz/regressions/model:tests/data/model:models"'
tests_fuzz_replay_model_LDADD = lib/libengrate.la
tests_fuzz_replay_estimate_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_estimate.c \
	tests/fuzz/fuzz.h tests/testutil.h
tests_fuzz_replay_estimate_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_DIRS='"tests/fuzz/corpus/estimate:tests/fuzz/regressions/estimate"'
tests_fuzz_replay_estimate_LDADD = lib/libengrate.la
# The CSV target reads the CSV reader's internals: it links the trainer's pieces.
check_PROGRAMS += tests/fuzz/replay_csv
TESTS += tests/fuzz/replay_csv
tests_fuzz_replay_csv_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_csv.c tests/fuzz/fuzz.h \
	tests/testutil.h
tests_fuzz_replay_csv_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_DIRS='"tests/fuzz/corpus/csv:tests/fuzz/regressions/csv:tests/data/train"'
tests_fuzz_replay_csv_CPPFLAGS += -I$(top_srcdir)/lib/train
tests_fuzz_replay_csv_LDADD = $(ENGRATE_TRAIN_INTERNAL_LIBS)
# The accumulator file's loader (and a merge and a finish of what loads).
check_PROGRAMS += tests/fuzz/replay_acc
TESTS += tests/fuzz/replay_acc
tests_fuzz_replay_acc_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_acc.c tests/fuzz/fuzz.h \
	tests/testutil.h
tests_fuzz_replay_acc_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/train \
	-DFUZZ_DIRS='"tests/fuzz/corpus/acc:tests/fuzz/regressions/acc"'
tests_fuzz_replay_acc_LDADD = $(ENGRATE_TRAIN_INTERNAL_LIBS)

# engrate-train stopped by SIGKILL and SIGXFSZ at many moments: the old model survives.
TESTS += tests/train-kill.test

# Every allocation failing in turn, in both libraries and in what they call (GSL, libc):
# ENGRATE_E_NOMEM, no leak, no abort. It replaces malloc itself, so it links the shared
# libraries as users do; `make check` samples the allocations, ENGRATE_CHAOS_ALL=1 (CI)
# tries each one. It skips itself under sanitizers and valgrind (their own malloc).
check_PROGRAMS += tests/check_chaos
TESTS += tests/check_chaos
tests_check_chaos_SOURCES = tests/check_chaos.c tests/chaos_alloc.c tests/chaos_alloc.h \
	tests/chaos_ops.c tests/chaos_ops.h tests/chaos_model.c tests/chaos_whatif.c \
	tests/chaos_train.c tests/chaos_acc.c tests/testutil.h
tests_check_chaos_LDADD = lib/train/libengrate-train.la lib/libengrate.la $(LIBM)

EXTRA_DIST += tests/train-kill.test tests/tsan.sh docs/hardening.md \
	tests/fuzz/build.sh tests/fuzz/run-all.sh tests/fuzz/model.dict tests/fuzz/csv.dict \
	tests/fuzz/hash-flood.c tests/fuzz/corpus tests/fuzz/regressions

# make check-valgrind: every check program and replay program under memcheck, through
# libtool so that the real binary runs, not its wrapper script; no forking (CK_FORK=no),
# so valgrind sees the tests themselves. Zero errors and zero leaks, or it fails.
# check_chaos is left out: it replaces malloc, which is what memcheck does too.
VALGRIND = valgrind
VALGRIND_FLAGS = --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
	--error-exitcode=1 --track-origins=yes --num-callers=30 \
	--child-silent-after-fork=yes --suppressions=$(srcdir)/tests/valgrind.supp
check-valgrind: $(check_PROGRAMS)
	@failed=0; for t in $(check_PROGRAMS); do \
	  case $$t in tests/check_chaos) continue ;; tests/check_*|tests/fuzz/replay_*) ;; \
	    *) continue ;; esac; \
	  echo "valgrind $$t"; \
	  srcdir='$(srcdir)' CK_FORK=no ENGRATE_TEST_LIGHT=1 \
	    $(LIBTOOL) --mode=execute $(VALGRIND) $(VALGRIND_FLAGS) ./$$t >$$t.valgrind.log 2>&1 \
	    || { failed=1; echo "FAIL: $$t under valgrind"; tail -60 $$t.valgrind.log; }; \
	done; test $$failed -eq 0
.PHONY: check-valgrind
CLEANFILES += tests/*.valgrind.log tests/fuzz/*.valgrind.log
EXTRA_DIST += tests/valgrind.supp
