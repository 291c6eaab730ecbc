# frozen_string_literal: true

# engrate/train_raw.rb: the raw layer of the trainer, libengrate-train (include/
# engrate_train.h): it finds the library and declares its prototypes, and nothing else.
# Only Engrate.train requires this file, so that `require "engrate"` loads neither the
# trainer nor what it links (GSL): a web server that estimates never maps them.
#
# The trainer is looked for as libengrate is (engrate/raw.rb), with its own variable
# first: $ENGRATE_TRAIN_LIB, then beside the libengrate already loaded (so that
# ENGRATE_LIB=/x/lib/libengrate.so also finds /x/lib/libengrate-train.so), then the build
# tree, the installed directory and the name. libengrate must be loaded first: the
# trainer needs it, and the dynamic loader then uses the copy already in the process.

require_relative "raw"

module Engrate
  module TrainRaw
    extend FFI::Library

    def self.candidates
      given = ENV["ENGRATE_TRAIN_LIB"]
      return [["$ENGRATE_TRAIN_LIB", given]] if given && !given.empty?

      built, installed = Raw.file_names("libengrate-train")
      places = []
      if Raw.path.include?(File::SEPARATOR)
        dir = File.dirname(Raw.path)
        places << ["beside #{Raw.path}", File.join(dir, built)]
        places << ["beside #{Raw.path}", File.join(dir, installed)] if installed != built
      end
      places.concat(Raw.candidates("libengrate-train", "ENGRATE_TRAIN_LIB"))
      # TRANSITION: until the trainer has a library of its own, libengrate holds it.
      places << ["libengrate itself", Raw.path]
    end

    @path = Raw.open_first(self, candidates, "libengrate-train, engrate's trainer")

    class << self
      attr_reader :path
    end

    callback :engrate_train_progress_fn, %i[double pointer], :void
    attach_function :engrate_train_options_new, [], :pointer
    attach_function :engrate_train_options_free, [:pointer], :void
    attach_function :engrate_train_options_set, %i[pointer string string pointer], :int
    attach_function :engrate_train_options_set_progress,
                    %i[pointer engrate_train_progress_fn pointer], :int
    attach_function :engrate_train_csv, %i[string pointer pointer pointer], :pointer,
                    blocking: true
    attach_function :engrate_train_csv_buffer, %i[pointer size_t string pointer pointer pointer],
                    :pointer, blocking: true
    attach_function :engrate_train_report_free, [:pointer], :void
    attach_function :engrate_train_report_value, %i[pointer string], :double
    attach_function :engrate_train_report_term_count, [:pointer], :size_t
    attach_function :engrate_train_report_term, %i[pointer size_t], :string
    attach_function :engrate_train_report_estimate, %i[pointer size_t], :double
    attach_function :engrate_train_report_std_error, %i[pointer size_t], :double
    attach_function :engrate_train_report_note_count, [:pointer], :size_t
    attach_function :engrate_train_report_note, %i[pointer size_t], :string
    attach_function :engrate_train_report_json, [:pointer], :string
    attach_function :engrate_train_report_summary, [:pointer], :string
  end
end
