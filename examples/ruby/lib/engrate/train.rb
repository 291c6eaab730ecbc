# frozen_string_literal: true

# engrate/train.rb: Engrate.train, through the trainer's library (engrate/raw_train.rb),
# which this file loads: `require "engrate"` does not, so that an application that only
# estimates never maps the trainer or GSL.

require_relative "raw_train"

module Engrate
  class TrainReport
    # The report of a C engrate_train_report (which the caller frees).
    def self.from_c(h)
      t = RawTrain
      terms = Array.new(t.engrate_train_report_term_count(h)) do |i|
        [Engrate.utf8(t.engrate_train_report_term(h, i)),
         t.engrate_train_report_estimate(h, i), t.engrate_train_report_std_error(h, i)]
      end
      notes = Array.new(t.engrate_train_report_note_count(h)) do |i|
        Engrate.utf8(t.engrate_train_report_note(h, i))
      end
      values = KEYS.to_h do |k|
        x = t.engrate_train_report_value(h, k)
        [k, x.nan? ? nil : x]
      end
      new(terms, notes, t.engrate_train_report_json(h)&.then { |s| Engrate.utf8(s) },
          t.engrate_train_report_summary(h)&.then { |s| Engrate.utf8(s) }, values)
    end
  end

  module Training
    module_function

    # Train a model from a CSV file through the library (what engrate-train does) and,
    # when out_path is given, save it there. Options are engrate-train's flags with
    # underscores for dashes: Engrate.train(path, out, folds: 5, lambda: "auto",
    # set: ["skills:;"], skip_bad_rows: true). Options that add (categorical, set, numeric,
    # meta, source) take an array. Without a name option the model is named after
    # out_path, as engrate-train does. Returns [model, report]; raises Engrate::Error with
    # the CSV line and column of a bad row (and the report, when there is one, in #report).
    def train(csv_path, out_path = nil, **options)
      if out_path && !options.key?(:name) # as engrate-train names it
        options[:name] = File.basename(out_path.to_s).delete_suffix(".model")
      end
      opts = RawTrain.engrate_train_options_new
      raise NoMemoryError, "engrate_train_options_new" if opts.null?

      begin
        set_options(opts, options)
        model, report = run(csv_path, opts)
      ensure
        RawTrain.engrate_train_options_free(opts)
      end
      model.save(out_path) unless out_path.nil?
      [model, report]
    end

    def set_options(opts, options)
      err = Raw::ErrorStruct.new
      options.each do |key, value|
        name = key.to_s.tr("_", "-")
        Array(value).each do |v|
          v = { true => "1", false => "0" }.fetch(v, v)
          raise Error.from(err) if RawTrain.engrate_train_options_set(opts, name, v&.to_s, err).negative?
        end
      end
    end

    def run(csv_path, opts)
      err = Raw::ErrorStruct.new
      rep_ptr = FFI::MemoryPointer.new(:pointer)
      ptr = RawTrain.engrate_train_csv(csv_path.to_s, opts, rep_ptr, err)
      model = ptr.null? ? nil : Model.allocate.tap { |m| m.send(:adopt, ptr) } # owned at once
      report = nil
      rp = rep_ptr.read_pointer
      unless rp.null?
        begin
          report = TrainReport.from_c(rp)
        ensure
          RawTrain.engrate_train_report_free(rp)
        end
      end
      if model.nil?
        e = Error.from(err)
        e.report = report
        raise e
      end
      [model, report]
    end
  end
end
