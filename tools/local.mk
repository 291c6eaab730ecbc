# engrate-train, the trainer's command line, and its man page. It links libengrate-train.
bin_PROGRAMS += tools/engrate-train
tools_engrate_train_SOURCES = tools/engrate-train.c tools/train-parts.c tools/train-parts.h \
	tools/report-html.c tools/report-html.h
tools_engrate_train_LDADD = lib/train/libengrate-train.la lib/libengrate.la
# --report-html runs the engrate-report that make install puts in bindir with the Python
# binding (examples/bindings.mk); without the binding there is none to run.
if INSTALL_PYTHON
ENGRATE_REPORT_CPPFLAGS = -DENGRATE_REPORT_PROGRAM='"$(bindir)/engrate-report"'
endif
tools_engrate_train_CPPFLAGS = $(AM_CPPFLAGS) $(ENGRATE_REPORT_CPPFLAGS)
dist_man1_MANS += tools/engrate-train.1

EXTRA_DIST += docs/training.md docs/distributed.md docs/accumulator.md docs/report.png \
	docs/report-ja-effects.png docs/report-by-country.png
