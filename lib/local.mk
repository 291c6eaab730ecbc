# The libraries. lib/ holds libengrate, the estimate path (no GSL, no threads, nothing of
# training); lib/train/ holds libengrate-train, the trainer, on top of it (its own
# local.mk). What both need (common.h: errors, pool, UTF-8, numbers, atomic files) is one
# convenience library, compiled once and linked into each. Every source is compiled once,
# with hidden visibility: the shared libraries export only what ENGRATE_API marks, while
# the tests of internal pieces link the convenience libraries directly.
ENGRATE_LIB_CPPFLAGS = $(AM_CPPFLAGS) -DENGRATE_BUILDING
ENGRATE_LIB_CFLAGS = $(AM_CFLAGS) $(VISIBILITY_CFLAGS)

noinst_LTLIBRARIES = lib/libengrate-common.la
lib_libengrate_common_la_SOURCES = lib/common.h lib/util.c lib/file.c
lib_libengrate_common_la_CPPFLAGS = $(ENGRATE_LIB_CPPFLAGS)
lib_libengrate_common_la_CFLAGS = $(ENGRATE_LIB_CFLAGS)

# The estimate library, as a convenience library too, so that its sources are compiled
# once whether they end up in libengrate.so, libengrate.a or a test.
noinst_LTLIBRARIES += lib/libengrate-core.la
lib_libengrate_core_la_SOURCES = \
	lib/internal.h \
	lib/version.c \
	lib/fold.c \
	lib/names.c \
	lib/model.c \
	lib/format.h \
	lib/format.c \
	lib/bylevel.c \
	lib/query.h \
	lib/query.c \
	lib/estimate.c \
	lib/batch.c \
	lib/whatif.c
lib_libengrate_core_la_CPPFLAGS = $(ENGRATE_LIB_CPPFLAGS) \
	-DENGRATE_PKGDATADIR='"$(pkgdatadir)"'
lib_libengrate_core_la_CFLAGS = $(ENGRATE_LIB_CFLAGS) $(UTF8PROC_CFLAGS)

lib_LTLIBRARIES += lib/libengrate.la
lib_libengrate_la_SOURCES =
lib_libengrate_la_LIBADD = lib/libengrate-core.la lib/libengrate-common.la $(UTF8PROC_LIBS) $(LIBM)
lib_libengrate_la_LDFLAGS = -version-info $(ENGRATE_LT_VERSION) -no-undefined

include_HEADERS = include/engrate.h
nodist_include_HEADERS = include/engrate_version.h

EXTRA_DIST += LICENSE NEWS

# The licences' full texts go into the tarball (LICENSE says which covers what), copied
# from the system's copies rather than kept in the repository.
LICENSE_TEXTS = /usr/share/common-licenses/Apache-2.0 /usr/share/common-licenses/GPL-3
dist-hook: dist-licenses
dist-licenses:
	$(MKDIR_P) $(distdir)/LICENSES
	for f in $(LICENSE_TEXTS); do \
	  if test -f "$$f"; then cp "$$f" $(distdir)/LICENSES/; \
	  else echo "dist: $$f not found (see LICENSE for where the texts are)" >&2; exit 1; fi; \
	done
.PHONY: dist-licenses
