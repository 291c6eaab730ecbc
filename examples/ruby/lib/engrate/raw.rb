# frozen_string_literal: true

# engrate/raw.rb: the raw layer. It finds libengrate, checks its major version and
# declares every C prototype of include/engrate.h in one place, and does nothing else: the
# classes, exceptions and ownership rules are in engrate.rb and engrate/*.rb.
#
# The library is looked for, in this order:
#   1. $ENGRATE_LIB, a path to the shared library (when set, the only place tried);
#   2. $top_builddir/lib/.libs when top_builddir is set (make check);
#   3. the directory `make install` put it in (engrate/paths.rb, written at install time;
#      the source tree and the gem have none);
#   4. the build tree this file sits in (examples/ruby/lib/engrate -> lib/.libs);
#   5. the installed library by name (libengrate.so.0, then "engrate" through ffi).
# The LoadError raised when none loads lists every place tried and why each failed.
# libengrate-train, the trainer, is loaded the same way ($ENGRATE_TRAIN_LIB first, then
# beside the libengrate loaded) by engrate/raw_train.rb, which Engrate.train requires only
# when training is asked for.

require "ffi"
begin
  require_relative "paths"
rescue LoadError
  nil # not installed by make install: no directory to add
end

module Engrate
  module Raw
    extend FFI::Library

    # The library major version this binding is written for (engrate_version_major()).
    EXPECTED_MAJOR = 0

    # ---- Constants of include/engrate.h (the C enums have no symbols to look up) ------
    OK = 0
    E_INVALID = -1
    E_NOMEM = -2
    E_IO = -3
    E_SYNTAX = -4
    E_VERSION = -5
    E_LIMIT = -6
    E_DUPLICATE = -7
    E_UNKNOWN_KEY = -8
    E_NUMBER = -9
    E_MISSING = -10
    E_UTF8 = -11
    E_UNKNOWN_NAME = -12
    E_DATA = -13
    E_SINGULAR = -14

    CATEGORICAL = 1
    SET = 2
    NUMERIC = 3
    TRANSFORM_NONE = 0
    TRANSFORM_LOG = 1
    LEVEL_NO_EVIDENCE = 1 << 0
    STRICT = 1 << 0
    FLAG_UNKNOWN = 1 << 0
    FLAG_CLAMPED = 1 << 1
    FLAG_DEFAULTED = 1 << 2
    FLAG_NO_EVIDENCE = 1 << 3
    FLAG_MISSING = 1 << 4
    FLAG_REFERENCE = 1 << 5
    CHANGE_ADD = 1
    CHANGE_LEVEL = 2
    CHANGE_NUMBER = 3
    WHATIF_NO_EVIDENCE = 1 << 1
    WHATIF_MAX_STEPS = 16
    NAME_UNKNOWN = 1 << 0
    NAME_ALIASED = 1 << 1
    NAME_BLANK = 1 << 2
    NO_INDEX = (1 << (8 * FFI.type_size(:size_t))) - 1 # ENGRATE_NO_INDEX, (size_t)-1

    ERROR_SOURCE_MAX = 160
    ERROR_TEXT_MAX = 320

    class ErrorStruct < FFI::Struct
      layout :code, :int, :line, :int, :column, :int,
             :source, [:char, ERROR_SOURCE_MAX], :text, [:char, ERROR_TEXT_MAX]
    end

    # The file name of library `name` on this system.
    def self.file(name)
      case RbConfig::CONFIG["host_os"]
      when /darwin/ then "lib#{name}.dylib"
      when /mingw|mswin/ then "lib#{name}-0.dll"
      else "lib#{name}.so"
      end
    end

    # The places to try for library `name`, in order, as [description, path or name]
    # pairs: the environment variable `env`, the build tree of this make check, the
    # installed directory, beside the libengrate already loaded (for the trainer), the
    # tree this file sits in, the name.
    def self.candidates(name = "engrate", env = "ENGRATE_LIB", subdir = ["lib"])
      value = ENV[env]
      return [["$#{env}", value]] if value && !value.empty?

      f = file(name)
      installed = f.end_with?(".so") ? "#{f}.0" : f
      places = []
      builddir = ENV["top_builddir"]
      if builddir && !builddir.empty?
        places << ["$top_builddir", File.expand_path(File.join(builddir, *subdir, ".libs", f))]
      end
      if defined?(Engrate::Paths::LIBDIR)
        places << ["the installed library", File.join(Engrate::Paths::LIBDIR, installed)]
      end
      beside = defined?(@path) && @path&.include?(File::SEPARATOR) ? File.dirname(@path) : nil
      if beside && name != "engrate"
        [f, installed].uniq.each { |g| places << ["beside #{@path}", File.join(beside, g)] }
      end
      tree = File.expand_path(File.join(__dir__, "..", "..", "..", "..", *subdir, ".libs", f))
      places << ["the build tree", tree]
      places << ["the installed library", installed] if installed != f
      places << ["the installed library", name]
      places.uniq { |_, p| p }
    end

    # Load the first candidate that loads into `mod` (an FFI::Library); its path, or a
    # LoadError listing every place tried.
    def self.load_into(mod, name = "engrate", env = "ENGRATE_LIB", subdir = ["lib"])
      tried = []
      candidates(name, env, subdir).each do |what, path|
        if path.include?(File::SEPARATOR) && !File.exist?(path)
          tried << "#{what}: #{path} (no such file)"
          next
        end
        begin
          mod.ffi_lib path
          return path
        rescue LoadError => e
          tried << "#{what}: #{path} (#{e.message.lines.first.strip})"
        end
      end
      raise LoadError, "engrate: cannot load lib#{name}; tried:\n  #{tried.join("\n  ")}\n" \
                       "Set #{env} to the library's path, or install it."
    end

    @path = load_into(self)

    class << self
      attr_reader :path
    end

    # ---- Every prototype ------------------------------------------------------------
    # Handles (model, query, result, options, report) are :pointer; the friendly layer
    # owns them. `blocking: true` releases Ruby's lock around calls that may take long.

    # Errors and version
    attach_function :engrate_strerror, [:int], :string
    attach_function :engrate_error_size, [], :size_t
    attach_function :engrate_no_index, [], :size_t
    attach_function :engrate_version_string, [], :string
    attach_function :engrate_version_major, [], :int
    # Models
    attach_function :engrate_model_load, %i[string uint pointer], :pointer, blocking: true
    attach_function :engrate_model_load_buffer, %i[pointer size_t string uint pointer],
                    :pointer, blocking: true
    attach_function :engrate_model_load_default, %i[uint pointer], :pointer, blocking: true
    attach_function :engrate_model_default_path, [], :string
    attach_function :engrate_model_free, [:pointer], :void
    attach_function :engrate_model_save, %i[pointer string uint pointer], :int, blocking: true
    attach_function :engrate_model_to_string, %i[pointer pointer pointer], :pointer
    attach_function :engrate_string_free, [:pointer], :void
    attach_function :engrate_model_meta, %i[pointer string], :string
    attach_function :engrate_model_transform, [:pointer], :int
    attach_function :engrate_model_intercept, [:pointer], :double
    attach_function :engrate_model_source_count, [:pointer], :size_t
    attach_function :engrate_model_source, %i[pointer size_t], :string
    attach_function :engrate_model_training, %i[pointer string], :double
    attach_function :engrate_model_interval_level, [:pointer], :double
    attach_function :engrate_model_interval_low, [:pointer], :double
    attach_function :engrate_model_interval_high, [:pointer], :double
    attach_function :engrate_model_has_reference, [:pointer], :int
    attach_function :engrate_model_base, [:pointer], :double
    # Inputs and levels
    attach_function :engrate_model_input_count, [:pointer], :size_t
    attach_function :engrate_model_input_index, %i[pointer string pointer], :int
    attach_function :engrate_model_find_input, %i[pointer string pointer], :int
    attach_function :engrate_input_id, %i[pointer size_t], :string
    attach_function :engrate_input_kind, %i[pointer size_t], :int
    attach_function :engrate_input_label, %i[pointer size_t string], :string
    attach_function :engrate_input_level_count, %i[pointer size_t], :size_t
    attach_function :engrate_input_min, %i[pointer size_t], :double
    attach_function :engrate_input_max, %i[pointer size_t], :double
    attach_function :engrate_input_default, %i[pointer size_t], :double
    attach_function :engrate_input_knot_count, %i[pointer size_t], :size_t
    attach_function :engrate_input_knot, %i[pointer size_t size_t], :double
    attach_function :engrate_input_coef, %i[pointer size_t size_t], :double
    attach_function :engrate_input_by, %i[pointer size_t], :size_t
    attach_function :engrate_input_deviation, %i[pointer size_t size_t size_t], :double
    attach_function :engrate_input_curve, %i[pointer size_t size_t double], :double
    attach_function :engrate_input_reference, %i[pointer size_t], :double
    attach_function :engrate_input_reference_effect, %i[pointer size_t], :double
    attach_function :engrate_level_id, %i[pointer size_t size_t], :string
    attach_function :engrate_level_name, %i[pointer size_t size_t string], :string
    attach_function :engrate_level_coef, %i[pointer size_t size_t], :double
    attach_function :engrate_level_flags, %i[pointer size_t size_t], :uint
    attach_function :engrate_level_alias_count, %i[pointer size_t size_t], :size_t
    attach_function :engrate_level_alias, %i[pointer size_t size_t size_t], :string
    attach_function :engrate_model_find_level, %i[pointer size_t string pointer pointer], :int
    attach_function :engrate_model_suggest, %i[pointer size_t string pointer], :int
    attach_function :engrate_fold_name, %i[string pointer size_t pointer], :int
    # Queries
    attach_function :engrate_query_new, %i[pointer pointer], :pointer
    attach_function :engrate_query_free, [:pointer], :void
    attach_function :engrate_query_reset, [:pointer], :void
    attach_function :engrate_query_add, %i[pointer string string pointer pointer], :int
    attach_function :engrate_query_add_list, %i[pointer string string pointer pointer], :int
    attach_function :engrate_query_set_number, %i[pointer string double pointer], :int
    attach_function :engrate_query_add_level, %i[pointer size_t size_t pointer], :int
    attach_function :engrate_query_set_number_at, %i[pointer size_t double pointer], :int
    # Results
    attach_function :engrate_result_new, %i[pointer pointer], :pointer
    attach_function :engrate_result_free, [:pointer], :void
    attach_function :engrate_estimate, %i[pointer uint pointer pointer], :int
    attach_function :engrate_estimate_profile,
                    %i[pointer string pointer size_t pointer size_t pointer uint pointer pointer],
                    :int
    attach_function :engrate_result_estimate, [:pointer], :double
    attach_function :engrate_result_low, [:pointer], :double
    attach_function :engrate_result_high, [:pointer], :double
    attach_function :engrate_result_level, [:pointer], :double
    attach_function :engrate_result_flags, [:pointer], :uint
    attach_function :engrate_result_contribution_count, [:pointer], :size_t
    attach_function :engrate_result_contribution_amount, %i[pointer size_t], :double
    attach_function :engrate_result_contribution_input, %i[pointer size_t], :size_t
    attach_function :engrate_result_contribution_level, %i[pointer size_t], :size_t
    attach_function :engrate_result_contribution_value, %i[pointer size_t], :double
    attach_function :engrate_result_contribution_curve_level, %i[pointer size_t], :size_t
    attach_function :engrate_result_contribution_flags, %i[pointer size_t], :uint
    attach_function :engrate_result_unknown_count, [:pointer], :size_t
    attach_function :engrate_result_unknown_name, %i[pointer size_t], :string
    attach_function :engrate_result_unknown_input, %i[pointer size_t], :size_t
    attach_function :engrate_result_aliased_count, [:pointer], :size_t
    attach_function :engrate_result_aliased_given, %i[pointer size_t], :string
    attach_function :engrate_result_aliased_input, %i[pointer size_t], :size_t
    attach_function :engrate_result_aliased_level, %i[pointer size_t], :size_t
    # Batches
    attach_function :engrate_estimate_batch,
                    %i[pointer size_t pointer pointer pointer pointer pointer pointer uint
                       pointer pointer pointer pointer pointer pointer pointer], :int,
                    blocking: true
    # What-if (the whatif handle is owned by the friendly layer, one per call)
    attach_function :engrate_whatif_new, %i[pointer pointer], :pointer
    attach_function :engrate_whatif_free, [:pointer], :void
    attach_function :engrate_whatif_set_inputs, %i[pointer pointer size_t pointer], :int
    attach_function :engrate_whatif_set_steps, %i[pointer pointer size_t pointer], :int
    attach_function :engrate_whatif_run, %i[pointer pointer size_t uint pointer], :int
    attach_function :engrate_whatif_target, %i[pointer pointer double size_t uint pointer], :int
    attach_function :engrate_whatif_reached, [:pointer], :int
    attach_function :engrate_whatif_result, [:pointer], :pointer
    attach_function :engrate_whatif_count, [:pointer], :size_t
    attach_function :engrate_whatif_change, %i[pointer size_t], :int
    attach_function :engrate_whatif_input, %i[pointer size_t pointer], :int
    attach_function :engrate_whatif_level, %i[pointer size_t pointer], :int
    attach_function :engrate_whatif_value, %i[pointer size_t], :double
    attach_function :engrate_whatif_step, %i[pointer size_t], :double
    attach_function :engrate_whatif_estimate, %i[pointer size_t], :double
    attach_function :engrate_whatif_low, %i[pointer size_t], :double
    attach_function :engrate_whatif_high, %i[pointer size_t], :double
    attach_function :engrate_whatif_delta, %i[pointer size_t], :double
    attach_function :engrate_whatif_delta_pct, %i[pointer size_t], :double
    attach_function :engrate_whatif_flags, %i[pointer size_t], :uint

    if engrate_version_major != EXPECTED_MAJOR
      raise LoadError, "engrate: #{@path} is libengrate #{engrate_version_string} (major " \
                       "#{engrate_version_major}); this binding needs major #{EXPECTED_MAJOR}"
    end
    raise LoadError, "engrate: #{@path} has another ENGRATE_NO_INDEX" if engrate_no_index != NO_INDEX
    if engrate_error_size != ErrorStruct.size
      raise LoadError, "engrate: #{@path} has an engrate_error of #{engrate_error_size} " \
                       "bytes, the binding #{ErrorStruct.size}"
    end
  end
end
