# The bundled estimator (installed) and its man page.
bin_PROGRAMS += examples/engrate-estimate
examples_engrate_estimate_SOURCES = examples/engrate-estimate.c examples/engrate-estimate.h \
	examples/engrate-estimate-whatif.c examples/estimate-inputs.c
examples_engrate_estimate_LDADD = lib/libengrate.la
dist_man1_MANS += examples/engrate-estimate.1
