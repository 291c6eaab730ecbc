# engrate-serve: the HTTP service (docs/api.md), its page (examples/serve/www, installed
# under $(pkgdatadir)/www, where the installed server looks by default), its man page, its
# tests (the API against engrate-estimate, bad input, reloads, a real browser) and
# `make bench-serve` (wrk). configure --disable-serve leaves all of it out.
SERVE_SOURCES = examples/serve/serve.h examples/serve/main.c examples/serve/holder.c \
	examples/serve/api.h examples/serve/api.c examples/serve/api_json.c \
	examples/serve/api_whatif.c examples/serve/arena.c \
	examples/serve/metrics.c examples/serve/http.c
SERVE_WWW = examples/serve/www/index.html examples/serve/www/app.js \
	examples/serve/www/text.js examples/serve/www/whatif.js \
	examples/serve/www/app.css examples/serve/www/favicon.svg
SERVE_TESTS = examples/serve/api.test examples/serve/reload.test \
	examples/serve/browser.test

if BUILD_SERVE
bin_PROGRAMS += examples/serve/engrate-serve
examples_serve_engrate_serve_SOURCES = $(SERVE_SOURCES)
examples_serve_engrate_serve_CPPFLAGS = $(AM_CPPFLAGS) -D_DEFAULT_SOURCE \
	-DENGRATE_SERVE_WWW='"$(pkgdatadir)/www"'
examples_serve_engrate_serve_CFLAGS = $(AM_CFLAGS) -pthread $(MHD_CFLAGS) $(JANSSON_CFLAGS)
examples_serve_engrate_serve_LDFLAGS = -pthread
examples_serve_engrate_serve_LDADD = lib/libengrate.la $(MHD_LIBS) $(JANSSON_LIBS)
dist_man1_MANS += examples/serve/engrate-serve.1

wwwdir = $(pkgdatadir)/www
dist_www_DATA = $(SERVE_WWW)

TESTS += $(SERVE_TESTS)
endif

EXTRA_DIST += $(SERVE_SOURCES) $(SERVE_WWW) $(SERVE_TESTS) examples/serve/engrate-serve.1 \
	examples/serve/serve_test.py examples/serve/test_api.py examples/serve/test_reload.py \
	examples/serve/test_browser.py examples/serve/bench-serve.sh \
	examples/serve/bench-serve.lua examples/serve/tsan.sh docs/api.md
CLEANFILES += examples/serve/*.png examples/serve/*.log.txt

# `make bench-serve` (and `make bench`): wrk against POST /api/v1/estimate, with and without
# 20 reloads a run, and the server's memory over a million requests (bench-serve.sh).
if BUILD_SERVE
SERVE_BENCH_DEPS = examples/serve/engrate-serve$(EXEEXT) examples/engrate-estimate$(EXEEXT) \
	models/jp-freelance.model
SERVE_BENCH = top_builddir='$(top_builddir)' srcdir='$(srcdir)' \
	$(SHELL) $(srcdir)/examples/serve/bench-serve.sh
else
SERVE_BENCH_DEPS =
SERVE_BENCH = echo "bench-serve: engrate-serve is not built (configure --disable-serve)"
endif
bench: bench-serve
bench-serve: $(SERVE_BENCH_DEPS)
	$(SERVE_BENCH)
.PHONY: bench-serve

# `make check-valgrind` (tests/hardening.mk) also runs the server's API and reload tests
# with the server under memcheck and the same flags: zero errors, and zero bytes left at
# exit, or the test fails.
if BUILD_SERVE
SERVE_VALGRIND_DEPS = examples/serve/engrate-serve$(EXEEXT) examples/engrate-estimate$(EXEEXT) \
	models/jp-freelance.model
SERVE_VALGRIND = for t in api reload; do echo "valgrind examples/serve/test_$$t.py"; \
	ENGRATE_TEST_LIGHT=1 ENGRATE_SERVE_ARENA=0 \
	ENGRATE_SERVE_WRAP='$(abs_top_builddir)/libtool --mode=execute $(VALGRIND) $(VALGRIND_FLAGS)' \
	top_builddir='$(top_builddir)' srcdir='$(srcdir)' \
	$(PYTHON3) $(srcdir)/examples/serve/test_$$t.py >examples/serve/valgrind-$$t.log.txt 2>&1 \
	|| { tail -60 examples/serve/valgrind-$$t.log.txt; exit 1; }; done
else
SERVE_VALGRIND_DEPS =
SERVE_VALGRIND = :
endif
check-valgrind: check-valgrind-serve
check-valgrind-serve: $(SERVE_VALGRIND_DEPS)
	@$(SERVE_VALGRIND)
.PHONY: check-valgrind-serve
