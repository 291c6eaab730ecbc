# Model files. example.model is hand-written; jp-freelance.model, the default, is built
# here by engrate-train from the data in models/jp-freelance/ (README.md there says how
# the published figures became training rows), and rebuilt when that data changes.
# default.model is what engrate_model_load_default() finds once installed.
dist_pkgdata_DATA += models/example.model models/FORMAT.md
nodist_pkgdata_DATA += models/jp-freelance.model
CLEANFILES += models/jp-freelance.model

JP_INPUTS = models/jp-freelance/train.csv models/jp-freelance/names.csv \
	models/jp-freelance/sources.txt
JP_DOCS = models/jp-freelance/README.md models/jp-freelance/SOURCES.md \
	models/jp-freelance/figures.csv models/jp-freelance/excluded.csv \
	models/jp-freelance/aliases-test.csv models/jp-freelance/make-data.py
EXTRA_DIST += $(JP_INPUTS) $(JP_DOCS)

# The flags say what the data are: one row per published figure with its weight, the
# role/skills/certs levels, a years curve that levels off after 4.5 years, and every
# level kept (most are backed by a single figure). Sources become `source` lines.
# --folds-by order: the cross-validation folds by row number, as the model was first
# fitted (its lambda and interval come from those folds; folds by content would move them).
JP_TRAIN_FLAGS = --quiet --name jp-freelance --weight weight \
	--categorical role --set skills --set certs --numeric years:knots=1.5,3,4.5 \
	--min-count 1 --interval 0.8 --folds-by order \
	--meta "description=Japan's freelance IT market: monthly rates of listed engagements (案件単価), from published figures" \
	--meta currency=JPY --meta period=month --meta basis=listing --meta as_of=2026-01

# The command, less its output file: `$(JP_TRAIN) FILE`.
JP_TRAIN = $(MKDIR_P) models && set -- && \
	while IFS= read -r line; do set -- "$$@" --source "$$line"; done \
	  < $(srcdir)/models/jp-freelance/sources.txt && \
	tools/engrate-train$(EXEEXT) $(JP_TRAIN_FLAGS) "$$@" \
	  --levels $(srcdir)/models/jp-freelance/names.csv $(srcdir)/models/jp-freelance/train.csv -o

models/jp-freelance.model: $(JP_INPUTS) tools/engrate-train$(EXEEXT)
	$(AM_V_GEN)$(JP_TRAIN) $@

# Byte-identical on every build: train again and compare.
check-local: check-jp-model-rebuild
check-jp-model-rebuild: models/jp-freelance.model
	@$(JP_TRAIN) models/jp-freelance.again && \
	if cmp models/jp-freelance.model models/jp-freelance.again; then \
	  echo "PASS: models/jp-freelance.model rebuilds byte for byte"; rm -f models/jp-freelance.again; \
	else echo "FAIL: models/jp-freelance.model differs when rebuilt"; exit 1; fi
.PHONY: check-jp-model-rebuild

# The default model's training report, which tests/report.test draws.
models/jp-freelance.report.json: $(JP_INPUTS) tools/engrate-train$(EXEEXT)
	$(AM_V_GEN)$(JP_TRAIN) models/jp-freelance.report.model --report-json $@ && \
	rm -f models/jp-freelance.report.model
check_DATA = models/jp-freelance.report.json
CLEANFILES += models/jp-freelance.report.json tests/report-*.png

# Built with the programs, so that the estimator can run on it straight after `make`.
all-local: models/jp-freelance.model

install-data-hook: install-default-model
install-default-model:
	cd $(DESTDIR)$(pkgdatadir) && rm -f default.model && $(LN_S) jp-freelance.model default.model
uninstall-hook:
	rm -f $(DESTDIR)$(pkgdatadir)/default.model
.PHONY: install-default-model
