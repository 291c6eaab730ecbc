# engrate-serve: the HTTP service (docs/api.md), its page (examples/serve/www, installed
# under $(pkgdatadir)/www, where the installed server looks by default), its man page, its
# tests (the API against engrate-estimate, bad input, reloads, a real browser) and
# `make bench-serve` (wrk). configure --disable-serve leaves all of it out.
SERVE_SOURCES = examples/serve/serve.h examples/serve/main.c examples/serve/holder.c \
	examples/serve/api.c examples/serve/metrics.c examples/serve/http.c
SERVE_WWW = examples/serve/www/index.html examples/serve/www/app.js \
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
	examples/serve/bench-serve.lua docs/api.md
CLEANFILES += examples/serve/*.png examples/serve/*.log.txt
