# The Ruby binding (examples/ruby): installed with the library, its suites, the gem and
# the Bundler check, the installed-tree check, and its lifetime suite under valgrind.
# Included by examples/bindings.mk.

# make install puts the binding where ruby looks (configure: --with-rubydir), and writes
# engrate/paths.rb there with the library directory of this installation, evaluated at
# install time so that `make install prefix=DIR` and DESTDIR installs both get it right.
ruby_lib_files = examples/ruby/lib/engrate/raw.rb examples/ruby/lib/engrate/raw_train.rb \
	examples/ruby/lib/engrate/data.rb examples/ruby/lib/engrate/params.rb \
	examples/ruby/lib/engrate/handle.rb examples/ruby/lib/engrate/inputs.rb \
	examples/ruby/lib/engrate/model.rb examples/ruby/lib/engrate/estimate.rb \
	examples/ruby/lib/engrate/batch.rb examples/ruby/lib/engrate/whatif.rb \
	examples/ruby/lib/engrate/train.rb
if INSTALL_RUBY
engraterbdir = $(rubydir)
engraterb_DATA = examples/ruby/lib/engrate.rb
engraterbpartsdir = $(rubydir)/engrate
engraterbparts_DATA = $(ruby_lib_files)
install-data-local: install-ruby-paths
uninstall-local: uninstall-ruby-paths
endif
# ruby_paths_libdir is for install.test, which points it at a DESTDIR tree.
ruby_paths_libdir = $(libdir)
install-ruby-paths:
	$(MKDIR_P) '$(DESTDIR)$(rubydir)/engrate'
	sed -e "s|@libdir[@]|$(ruby_paths_libdir)|g" $(srcdir)/examples/ruby/paths.rb.in \
	  >'$(DESTDIR)$(rubydir)/engrate/paths.rb'
uninstall-ruby-paths:
	rm -f '$(DESTDIR)$(rubydir)/engrate/paths.rb'
.PHONY: install-ruby-paths uninstall-ruby-paths

if HAVE_RUBY
TESTS += examples/ruby/ruby.test examples/ruby/gem.test examples/ruby/install.test
endif

# make check-valgrind also runs the lifetime suite under memcheck (valgrind.sh).
check-valgrind: check-valgrind-ruby
check-valgrind-ruby: lib/libengrate.la
	srcdir='$(srcdir)' top_builddir='$(top_builddir)' RUBY='$(RUBY)' VALGRIND='$(VALGRIND)' \
	  $(SHELL) $(srcdir)/examples/ruby/valgrind.sh; \
	  st=$$?; test $$st -eq 0 || test $$st -eq 77
.PHONY: check-valgrind-ruby

EXTRA_DIST += examples/ruby/lib/engrate.rb $(ruby_lib_files) examples/ruby/paths.rb.in \
	examples/ruby/engrate.gemspec examples/ruby/estimate.rb examples/ruby/estimate_format.rb \
	examples/ruby/estimate_inputs.rb examples/ruby/estimate_whatif.rb \
	examples/ruby/ruby.test \
	examples/ruby/test_engrate.rb examples/ruby/test_lifetime.rb examples/ruby/test_rails.rb \
	examples/ruby/gem.test examples/ruby/install.test examples/ruby/valgrind.sh \
	examples/ruby/valgrind.supp examples/ruby/rails_example.rb docs/rails.md
