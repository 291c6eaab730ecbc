# The test suite: check programs per area, plus shell tests for the installed surface
# (the estimator end to end, the exported symbols).
if HAVE_CHECK
check_PROGRAMS += tests/check_model tests/check_names tests/check_estimate tests/check_typed
TESTS += tests/check_model tests/check_names tests/check_estimate tests/check_typed
endif
TESTS += tests/cli.test tests/symbols.test tests/jp-model.test tests/api-misuse.test

TEST_EXTENSIONS = .test
TESTS_ENVIRONMENT = top_builddir='$(top_builddir)'; export top_builddir; \
	NM='$(NM)'; export NM; PYTHON3='$(PYTHON3)'; export PYTHON3; CC='$(CC)'; export CC;

ENGRATE_CHECK_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
ENGRATE_CHECK_LIBS = lib/libengrate.la $(CHECK_LIBS)

tests_check_model_SOURCES = tests/check_model.c tests/testutil.h
tests_check_model_CFLAGS = $(ENGRATE_CHECK_CFLAGS)
tests_check_model_LDADD = $(ENGRATE_CHECK_LIBS)
tests_check_names_SOURCES = tests/check_names.c tests/testutil.h
# check_names compares the library's folding with utf8proc's own (a second method).
tests_check_names_CFLAGS = $(ENGRATE_CHECK_CFLAGS) $(UTF8PROC_CFLAGS)
tests_check_names_LDADD = $(ENGRATE_CHECK_LIBS) $(UTF8PROC_LIBS)
# check_typed reads the default model that make builds (models/local.mk).
tests_check_typed_SOURCES = tests/check_typed.c tests/testutil.h
tests_check_typed_CFLAGS = $(ENGRATE_CHECK_CFLAGS)
tests_check_typed_LDADD = $(ENGRATE_CHECK_LIBS)
tests_check_estimate_SOURCES = tests/check_estimate.c tests/testutil.h
tests_check_estimate_CFLAGS = $(ENGRATE_CHECK_CFLAGS) -pthread
tests_check_estimate_LDADD = $(ENGRATE_CHECK_LIBS)

EXTRA_DIST += tests/cli.test tests/symbols.test tests/symbols.txt tests/data \
	tests/jp-model.test tests/jp_model.py tests/api-misuse.test tests/api-misuse.c
