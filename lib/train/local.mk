# libengrate-train: the trainer (CSV reader, design, the pass, the fit, tuning, the
# report) on top of libengrate's public interface and GSL. Its sources are compiled once
# into a convenience library, which the shared library and the tests of its internals
# (the CSV reader, the accumulator) both link. GPL-3.0-or-later, as GSL requires (LICENSE).
noinst_LTLIBRARIES += lib/train/libengrate-train-core.la
lib_train_libengrate_train_core_la_SOURCES = \
	lib/train/csv.c lib/train/csv.h \
	lib/train/ddouble.h lib/train/fit.c lib/train/fit.h lib/train/xacc.c lib/train/xacc.h \
	lib/train/train.h lib/train/trainer.h \
	lib/train/options.c lib/train/report.c \
	lib/train/setup.c lib/train/design.c lib/train/cells.c lib/train/labels.c \
	lib/train/levels.c lib/train/pass.c lib/train/sample.c lib/train/shard.c \
	lib/train/merge.c lib/train/impute.c \
	lib/train/accfile.c lib/train/accfile.h lib/train/accload.c lib/train/accload.h \
	lib/train/accstate.c lib/train/accsums.c lib/train/accum.c lib/train/accum.h \
	lib/train/accmerge.c lib/train/schema.c \
	lib/train/select.c lib/train/tune.c lib/train/rsort.c lib/train/figures.c lib/train/curves.c lib/train/emit.c \
	lib/train/train.c
lib_train_libengrate_train_core_la_CPPFLAGS = $(ENGRATE_LIB_CPPFLAGS)
lib_train_libengrate_train_core_la_CFLAGS = $(ENGRATE_LIB_CFLAGS) $(GSL_CFLAGS) -pthread

lib_LTLIBRARIES += lib/train/libengrate-train.la
lib_train_libengrate_train_la_SOURCES =
lib_train_libengrate_train_la_LIBADD = lib/train/libengrate-train-core.la \
	lib/libengrate-common.la lib/libengrate.la $(GSL_LIBS) $(LIBM)
lib_train_libengrate_train_la_LDFLAGS = -version-info $(ENGRATE_TRAIN_LT_VERSION) \
	-no-undefined -pthread

include_HEADERS += include/engrate_train.h
pkgconfig_DATA += engrate-train.pc

# What the tests of the trainer's internals link: its pieces, statically, on top of the
# shared libengrate.
ENGRATE_TRAIN_INTERNAL_LIBS = lib/train/libengrate-train-core.la lib/libengrate-common.la \
	lib/libengrate.la $(GSL_LIBS) -lpthread $(LIBM)
