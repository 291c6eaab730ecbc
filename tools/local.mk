# engrate-train, the trainer's command line, and its man page. It links libengrate-train.
bin_PROGRAMS += tools/engrate-train
tools_engrate_train_SOURCES = tools/engrate-train.c tools/train-parts.c tools/train-parts.h
tools_engrate_train_LDADD = lib/train/libengrate-train.la lib/libengrate.la
dist_man1_MANS += tools/engrate-train.1

EXTRA_DIST += docs/training.md docs/distributed.md docs/accumulator.md
