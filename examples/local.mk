# The bundled estimator (installed) and its man page.
bin_PROGRAMS += examples/engrate-estimate
examples_engrate_estimate_SOURCES = examples/engrate-estimate.c examples/estimate-inputs.c \
	examples/estimate.h
examples_engrate_estimate_LDADD = lib/libengrate.la
dist_man1_MANS += examples/engrate-estimate.1
