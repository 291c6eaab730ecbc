# frozen_string_literal: true

# engrate/raw_train.rb: the raw layer of libengrate-train, the trainer (include/
# engrate_train.h): it finds the library and declares its prototypes, and nothing else.
# Only engrate/train.rb requires it, when Engrate.train is first called, so that
# `require "engrate"` loads neither the trainer nor GSL: an application that only
# estimates never maps them. The library is found as libengrate is (engrate/raw.rb), with
# $ENGRATE_TRAIN_LIB first and, after the build tree and the installed directory, beside
# the libengrate already loaded (ENGRATE_LIB=/x/libengrate.so finds /x/libengrate-train.so).
# libengrate is loaded first: the trainer needs it, and the dynamic loader then uses the
# copy already in the process.

require_relative "raw"

module Engrate
  module RawTrain
    extend FFI::Library

    @path = Raw.load_into(self, "engrate-train", "ENGRATE_TRAIN_LIB", %w[lib train])

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
