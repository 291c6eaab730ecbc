# The trainer: its library sources (in both the installed library and the internal one the
# tests of internals link), the engrate-train program and its man page, and its check
# suites. Their data live under tests/data (train/, nist/), which tests/local.mk already
# distributes as a whole.
ENGRATE_TRAIN_SOURCES = \
	lib/csv.c lib/csv.h \
	lib/ddouble.h lib/fit.c lib/fit.h \
	lib/train.c lib/train.h lib/train_options.c lib/train_report.c
lib_libengrate_la_SOURCES += $(ENGRATE_TRAIN_SOURCES)
lib_libengrate_internal_la_SOURCES += $(ENGRATE_TRAIN_SOURCES)

bin_PROGRAMS += tools/engrate-train
tools_engrate_train_SOURCES = tools/engrate-train.c
tools_engrate_train_LDADD = lib/libengrate.la
dist_man1_MANS += tools/engrate-train.1

if HAVE_CHECK
check_PROGRAMS += tests/check_csv tests/check_train
TESTS += tests/check_csv tests/check_train
endif
# Both suites test internal pieces (the CSV reader, the accumulator), so they link the
# internal library, which exports everything.
tests_check_csv_SOURCES = tests/check_csv.c tests/testutil.h
tests_check_csv_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GSL_CFLAGS)
tests_check_csv_LDADD = lib/libengrate-internal.la $(CHECK_LIBS)
tests_check_train_SOURCES = tests/check_train.c tests/testutil.h
tests_check_train_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GSL_CFLAGS)
tests_check_train_LDADD = lib/libengrate-internal.la $(CHECK_LIBS) -lm

EXTRA_DIST += docs/training.md

# The progress bar, under a pseudo-terminal (script(1)), and its absence elsewhere.
TESTS += tests/train-progress.test
EXTRA_DIST += tests/train-progress.test
