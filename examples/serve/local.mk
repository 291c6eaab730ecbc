# engrate-serve: the HTTP service (docs/api.md), its page (examples/serve/www, installed
# under $(pkgdatadir)/www, where the installed server looks by default), its man page, its
# tests (the API against engrate-estimate, bad input, reloads, a real browser) and
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
