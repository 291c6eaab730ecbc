# What calls engrate from outside C: the Python (ctypes) and Ruby (ffi) bindings with
# their test suites, the batch call's suite, and a C program built against the installed
# library with pkg-config. docs/bindings.md says how to use them.

if HAVE_CHECK
check_PROGRAMS += tests/check_batch
TESTS += tests/check_batch
endif
tests_check_batch_SOURCES = tests/check_batch.c tests/testutil.h
tests_check_batch_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
tests_check_batch_LDADD = lib/libengrate.la $(CHECK_LIBS)

# The bindings' suites run against lib/.libs of this build (each skips, status 77,
# without its interpreter, its gems or a shared library). install-check.sh installs into a
# temporary DESTDIR and builds examples/c/estimate.c there with pkg-config.
if HAVE_PYTHON3
TESTS += examples/python/python.test examples/python/dask.test
endif
TESTS += examples/c/install-check.sh
# A shared library that says it is major version 1 and forwards the rest to this build's:
# both suites check that their binding refuses it. -rpath makes libtool build it shared.
check_LTLIBRARIES = tests/libengrate-major1.la
tests_libengrate_major1_la_SOURCES = tests/major1.c
tests_libengrate_major1_la_LDFLAGS = -module -avoid-version -rpath '$(abs_builddir)'
tests_libengrate_major1_la_LIBADD = lib/libengrate.la
AM_TESTS_ENVIRONMENT = RUBY='$(RUBY)'; export RUBY; \
	MAKE='$(MAKE)' CC='$(CC)' CFLAGS='$(CFLAGS)' LDFLAGS='$(LDFLAGS)'; \
	PKG_CONFIG='$(PKG_CONFIG)' libdir='$(libdir)' pkgdatadir='$(pkgdatadir)'; \
	pythondir='$(pythondir)' rubydir='$(rubydir)' bindir='$(bindir)'; \
	export MAKE CC CFLAGS LDFLAGS PKG_CONFIG libdir pkgdatadir pythondir rubydir bindir;

# make install puts the bindings where the interpreters look (configure says where:
# --with-pythondir, --with-rubydir); the library itself they find through ldconfig, and
# the Python package also through engrate/_paths.py, which names configure's libdir.
PYTHON_PACKAGE = examples/python/engrate/__init__.py examples/python/engrate/_raw.py \
	examples/python/engrate/_errors.py examples/python/engrate/_values.py \
	examples/python/engrate/_result.py examples/python/engrate/_inputs.py \
	examples/python/engrate/_model.py examples/python/engrate/_estimate.py \
	examples/python/engrate/_columns.py examples/python/engrate/_batch.py \
	examples/python/engrate/_predict.py examples/python/engrate/_train.py \
	examples/python/engrate/_whatif.py examples/python/engrate/dask.py \
	examples/python/engrate/report.py examples/python/engrate/_report_text.py
PYTHON_TESTS = examples/python/testsupport.py examples/python/test_engrate.py \
	examples/python/test_lifetime.py examples/python/test_pickle.py \
	examples/python/test_pandas.py examples/python/test_whatif.py \
	examples/python/test_dask.py
if INSTALL_PYTHON
engratepydir = $(pythondir)/engrate
engratepy_DATA = $(PYTHON_PACKAGE)
nodist_engratepy_DATA = examples/python/engrate/_paths.py
# engrate-report, the report's drawer: it runs engrate/report.py where it is installed.
bin_SCRIPTS = examples/python/engrate-report
man1_MANS = examples/python/engrate-report.1
endif
# Made again whenever configure runs (a new libdir comes with a new Makefile).
examples/python/engrate/_paths.py: $(srcdir)/examples/python/engrate/_paths.py.in Makefile
	$(AM_V_GEN)$(MKDIR_P) examples/python/engrate && \
	sed -e 's|@libdir[@]|$(libdir)|g' $(srcdir)/examples/python/engrate/_paths.py.in \
	  >$@.tmp && mv -f $@.tmp $@
CLEANFILES += examples/python/engrate/_paths.py examples/python/engrate/_paths.py.tmp
examples/python/engrate-report: $(srcdir)/examples/python/engrate-report.in Makefile
	$(AM_V_GEN)$(MKDIR_P) examples/python && \
	sed -e 's|@PYTHON3[@]|$(PYTHON3)|g' -e 's|@pythondir[@]|$(pythondir)|g' \
	  $(srcdir)/examples/python/engrate-report.in > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@
CLEANFILES += examples/python/engrate-report

EXTRA_DIST += docs/bindings.md docs/pandas.md $(PYTHON_PACKAGE) $(PYTHON_TESTS) \
	examples/python/engrate/_paths.py.in examples/python/estimate.py \
	examples/python/estimate_whatif.py \
	examples/python/python.test examples/python/dask.test examples/python/valgrind.sh \
	examples/python/engrate-report.in examples/python/engrate-report.1 \
	examples/c/estimate.c examples/c/install-check.sh \
	bench/ffi-bench.sh bench/ffi-bench.py bench/ffi-bench.rb bench/ffi-bench.c \
	bench/predict-bench.py

# `make bench-ffi`: what a call costs from Python and Ruby next to C (bench/ffi-bench.sh).
# `make bench-predict`: df["rate"] = model.predict(df) on 100,000 rows (needs pandas).
bench: bench-ffi bench-predict
bench-predict: lib/libengrate.la models/jp-freelance.model
	top_builddir='$(top_builddir)' srcdir='$(srcdir)' '$(PYTHON3)' \
	  $(srcdir)/bench/predict-bench.py -m models/jp-freelance.model
.PHONY: bench-predict
bench-ffi: lib/libengrate.la
	top_builddir='$(top_builddir)' srcdir='$(srcdir)' CC='$(CC)' PYTHON3='$(PYTHON3)' \
	RUBY='$(RUBY)' $(SHELL) $(srcdir)/bench/ffi-bench.sh
.PHONY: bench-ffi

# `make check-valgrind-python`: the Python suites that try to crash the binding, under
# memcheck (examples/python/valgrind.sh); CI runs it after `make check-valgrind`.
check-valgrind-python: lib/libengrate.la
	srcdir='$(srcdir)' top_builddir='$(top_builddir)' PYTHON3='$(PYTHON3)' \
	VALGRIND='$(VALGRIND)' $(SHELL) $(srcdir)/examples/python/valgrind.sh
.PHONY: check-valgrind-python
CLEANFILES += examples/python/valgrind.log

# The Ruby binding's own rules (install, suites, gem, valgrind).
include $(srcdir)/examples/ruby/local.mk
