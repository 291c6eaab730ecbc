# frozen_string_literal: true

# engrate.gemspec: the Ruby binding as a gem, for `gem build` and for Bundler
# (gem "engrate", path: "…/examples/ruby"). It depends on the ffi gem, so an application's
# Gemfile needs no line for it. The gem holds the Ruby code only: libengrate itself comes
# from the system (make install, a package), found through $ENGRATE_LIB or the dynamic
# loader (docs/bindings.md).
#
# The version is the library's, which configure.ac's AC_INIT alone sets (from its
# engrate_major, engrate_minor and engrate_patch): it is read from there when the gem is
# built, so there is no second copy to keep in step.

configure_ac = File.expand_path("../../configure.ac", __dir__)
parts = File.exist?(configure_ac) &&
        %w[major minor patch].map do |part|
          File.read(configure_ac)[/^m4_define\(\[engrate_#{part}\], \[(\d+)\]\)/, 1]
        end
unless parts && parts.all?
  raise "engrate.gemspec: cannot read the version from #{configure_ac} " \
        "(m4_define([engrate_major], [N]) ...): build the gem from engrate's source tree"
end

Gem::Specification.new do |s|
  s.name = "engrate"
  s.version = parts.join(".")
  s.summary = "Estimate an IT engineer's monthly rate (月額単価) with libengrate"
  s.description = "Ruby binding of libengrate, which estimates an IT engineer's monthly " \
                  "rate from role, skills, certifications and years with a regression model " \
                  "read from a model file. Needs libengrate.so.0 on the system."
  s.authors = ["The engrate authors"]
  # The binding and libengrate: Apache-2.0 (LICENSE). Engrate.train loads libengrate-train,
  # which is GPL-3.0-or-later: an application that trains combines with GPL code.
  s.license = "Apache-2.0"
  s.files = Dir.chdir(__dir__) { Dir["lib/**/*.rb"].sort }
  s.require_paths = ["lib"]
  s.required_ruby_version = ">= 3.0"
  s.add_dependency "ffi", ">= 1.12", "< 2"
  s.requirements << "libengrate.so.0 (the engrate C library), major version 0"
end
