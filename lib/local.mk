# The library. libengrate-internal is the same code with every symbol visible, for the
# tests of internal pieces; libengrate is what is installed and exports only engrate_*.
ENGRATE_LIB_SOURCES = \
	lib/internal.h \
	lib/util.c \
	lib/fold.c \
	lib/names.c \
	lib/model.c \
	lib/format.c \
	lib/query.h \
	lib/query.c \
	lib/estimate.c

lib_LTLIBRARIES += lib/libengrate.la
noinst_LTLIBRARIES = lib/libengrate-internal.la
include_HEADERS = include/engrate.h
nodist_include_HEADERS = include/engrate_version.h

ENGRATE_LIB_CPPFLAGS = $(AM_CPPFLAGS) -DENGRATE_BUILDING \
	-DENGRATE_PKGDATADIR='"$(pkgdatadir)"'

lib_libengrate_la_SOURCES = $(ENGRATE_LIB_SOURCES)
lib_libengrate_la_CPPFLAGS = $(ENGRATE_LIB_CPPFLAGS)
lib_libengrate_la_CFLAGS = $(AM_CFLAGS) $(VISIBILITY_CFLAGS) $(GSL_CFLAGS) $(UTF8PROC_CFLAGS)
lib_libengrate_la_LIBADD = $(GSL_LIBS) $(UTF8PROC_LIBS)
lib_libengrate_la_LDFLAGS = -version-info $(ENGRATE_LT_VERSION) -no-undefined

lib_libengrate_internal_la_SOURCES = $(ENGRATE_LIB_SOURCES)
lib_libengrate_internal_la_CPPFLAGS = $(ENGRATE_LIB_CPPFLAGS)
lib_libengrate_internal_la_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS) $(UTF8PROC_CFLAGS)
lib_libengrate_internal_la_LIBADD = $(GSL_LIBS) $(UTF8PROC_LIBS)
