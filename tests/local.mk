# The test suite: check programs per area, plus shell tests for the installed surface
# (the estimator end to end, the trainer's progress bar, the exported symbols).
if HAVE_CHECK
check_PROGRAMS += tests/check_util tests/check_model tests/check_names tests/check_estimate \
	tests/check_typed tests/check_whatif tests/check_csv tests/check_train tests/check_acc \
	tests/check_report tests/check_bylevel
TESTS += tests/check_util tests/check_model tests/check_names tests/check_estimate \
	tests/check_typed tests/check_whatif tests/check_csv tests/check_train tests/check_acc \
	tests/check_report tests/check_bylevel
endif
TESTS += tests/cli.test tests/symbols.test tests/jp-model.test tests/train-progress.test \
	tests/api-misuse.test \
	tests/train-cases.test tests/train-parts.test tests/report.test tests/report-1m.test
# report-1m.test's file of a million rows.
check_PROGRAMS += tests/report-rows
tests_report_rows_SOURCES = tests/report-rows.c
tests_report_rows_LDADD = $(LIBM)

TEST_EXTENSIONS = .test
# check's timeouts only guard against a hang: a loaded machine, valgrind or a sanitizer
# build must not turn a correct test red, so they are long (CK_DEFAULT_TIMEOUT for suites
# that set none, a multiplier for those that do).
TESTS_ENVIRONMENT = top_builddir='$(top_builddir)'; export top_builddir; \
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-600}; export CK_DEFAULT_TIMEOUT; \
	CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-5}; export CK_TIMEOUT_MULTIPLIER; \
	NM='$(NM)'; export NM; PYTHON3='$(PYTHON3)'; export PYTHON3; CC='$(CC)'; export CC;

ENGRATE_CHECK_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
ENGRATE_CHECK_LIBS = lib/libengrate.la $(CHECK_LIBS)

tests_check_model_SOURCES = tests/check_model.c tests/testutil.h
tests_check_model_CFLAGS = $(ENGRATE_CHECK_CFLAGS)
tests_check_model_LDADD = $(ENGRATE_CHECK_LIBS)
# check_names also counts the name index's work (er_index_probes): it links the
# library's pieces, which keep every symbol reachable.
tests_check_names_SOURCES = tests/check_names.c tests/testutil.h
# check_names compares the library's folding with utf8proc's own (a second method), and
# counts the index's probes (er_index_probes): it links the library's pieces.
tests_check_names_CFLAGS = $(ENGRATE_CHECK_CFLAGS) $(UTF8PROC_CFLAGS)
tests_check_names_LDADD = lib/libengrate-core.la lib/libengrate-common.la $(UTF8PROC_LIBS) \
	$(LIBM) $(CHECK_LIBS)
# check_typed reads the default model that make builds (models/local.mk).
tests_check_typed_SOURCES = tests/check_typed.c tests/testutil.h
tests_check_typed_CFLAGS = $(ENGRATE_CHECK_CFLAGS)
tests_check_typed_LDADD = $(ENGRATE_CHECK_LIBS)
tests_check_estimate_SOURCES = tests/check_estimate.c tests/testutil.h
tests_check_estimate_CFLAGS = $(ENGRATE_CHECK_CFLAGS) -pthread
tests_check_estimate_LDADD = $(ENGRATE_CHECK_LIBS)
tests_check_whatif_SOURCES = tests/check_whatif.c tests/testutil.h
tests_check_whatif_CFLAGS = $(ENGRATE_CHECK_CFLAGS) -pthread
tests_check_whatif_LDADD = $(ENGRATE_CHECK_LIBS)
# What both libraries share (common.h), tested through the convenience library.
tests_check_util_SOURCES = tests/check_util.c tests/testutil.h
tests_check_util_CFLAGS = $(ENGRATE_CHECK_CFLAGS)
tests_check_util_LDADD = lib/libengrate-common.la $(CHECK_LIBS) $(LIBM)
# The trainer's suites test internal pieces (the CSV reader, the accumulator): they link
# the trainer's convenience libraries, which keep every symbol reachable.
ENGRATE_TRAIN_CHECK_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/train
tests_check_csv_SOURCES = tests/check_csv.c tests/testutil.h
tests_check_csv_CPPFLAGS = $(ENGRATE_TRAIN_CHECK_CPPFLAGS)
tests_check_csv_CFLAGS = $(ENGRATE_CHECK_CFLAGS)
tests_check_csv_LDADD = $(ENGRATE_TRAIN_INTERNAL_LIBS) $(CHECK_LIBS)
tests_check_train_SOURCES = tests/check_train.c tests/testutil.h
tests_check_train_CPPFLAGS = $(ENGRATE_TRAIN_CHECK_CPPFLAGS)
tests_check_train_CFLAGS = $(ENGRATE_CHECK_CFLAGS)
tests_check_train_LDADD = $(ENGRATE_TRAIN_INTERNAL_LIBS) $(CHECK_LIBS)
# check_acc: training in parts (the exact sums, merges, threads, the accumulator file).
tests_check_acc_SOURCES = tests/check_acc.c tests/testutil.h
tests_check_acc_CPPFLAGS = $(ENGRATE_TRAIN_CHECK_CPPFLAGS)
tests_check_acc_CFLAGS = $(ENGRATE_CHECK_CFLAGS)
tests_check_acc_LDADD = $(ENGRATE_TRAIN_INTERNAL_LIBS) $(CHECK_LIBS)

# The report's figures, read from the report's structure (train.h).
tests_check_report_SOURCES = tests/check_report.c tests/testutil.h
tests_check_report_CPPFLAGS = $(ENGRATE_TRAIN_CHECK_CPPFLAGS)
tests_check_report_CFLAGS = $(ENGRATE_CHECK_CFLAGS)
tests_check_report_LDADD = $(ENGRATE_TRAIN_INTERNAL_LIBS) $(CHECK_LIBS)
# Curves that vary by a level: the library's breakdown and the trainer's fit, through the
# public interfaces of both libraries.
tests_check_bylevel_SOURCES = tests/check_bylevel.c tests/testutil.h
tests_check_bylevel_CFLAGS = $(ENGRATE_CHECK_CFLAGS)
tests_check_bylevel_LDADD = lib/train/libengrate-train.la $(ENGRATE_CHECK_LIBS)

EXTRA_DIST += tests/cli.test tests/symbols.test tests/symbols.txt tests/symbols-train.txt \
	tests/data tests/jp-model.test tests/jp_model.py tests/train-progress.test \
	tests/api-misuse.test tests/api-misuse.c \
	tests/train-cases.test tests/train-parts.test tests/so2016.py tests/report.test \
	tests/report-1m.test tests/report_json.py tests/report_by_level.py tests/report_browser.py
