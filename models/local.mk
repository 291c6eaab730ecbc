# Model files. default.model is what engrate_model_load_default() finds once installed.
dist_pkgdata_DATA += models/example.model models/FORMAT.md
EXTRA_DIST += models/FORMAT.md

install-data-hook: install-default-model
install-default-model:
	cd $(DESTDIR)$(pkgdatadir) && rm -f default.model && $(LN_S) example.model default.model
uninstall-hook:
	rm -f $(DESTDIR)$(pkgdatadir)/default.model
.PHONY: install-default-model
