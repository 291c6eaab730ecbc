# frozen_string_literal: true

# engrate/data.rb: what an estimate returns, as plain Ruby data that holds no C memory, so
# that it outlives its model (closed, collected, in another process after Marshal) and
# never reads freed memory. to_h, as_json and to_json give the keys engrate-estimate
# --json prints, so that `render json: result` in Rails sends what the CLI would.

module Engrate
  # A float for JSON: NaN (no number) becomes null.
  def self.json_number(x)
    x.nil? || (x.is_a?(Float) && x.nan?) ? nil : x
  end

  # to_json through as_json, with the json library loaded only when asked for (under
  # Rails, ActiveSupport's encoder then handles the Hash).
  module JSONable
    def as_json(_options = nil) = to_h

    def to_json(*args)
      require "json"
      as_json.to_json(*args)
    end
  end

  # One term of the breakdown. input: the input id, nil for the base; level: the level id,
  # nil for the base and numeric inputs; name: the level's display name, the input's label
  # for a numeric input, "base" for the base; value: the number used for a numeric input,
  # else nil; amount: in currency; no_evidence: true for a level without evidence for a
  # premium; flags: the flag names (symbols) that apply to the term; curve: for a numeric
  # input whose curve varies by the level of a categorical input, the Curve it used, else
  # nil.
  Contribution = Struct.new(:input, :level, :name, :value, :amount, :no_evidence, :flags,
                            :curve)
  # The curve a numeric input's term used, when the curve varies by the level of a
  # categorical input: that input's id, and the level's id and display name ("Years of
  # experience: 8 (Germany)"); level and name are nil when the input's own curve was used.
  Curve = Struct.new(:input, :level, :name)
  # A name that matched a level through a display name or alias rather than its id.
  Aliased = Struct.new(:given, :input, :level, :name)
  # A name that matched nothing, with the closest level's id (nil when none is close).
  Suggestion = Struct.new(:input, :given, :suggestion)

  # One profile of estimate_many: the numbers and the flag names, no breakdown.
  Estimate = Struct.new(:estimate, :low, :high, :flags) do
    include JSONable

    # estimate, low, high (NaN as nil) and flags (strings), as in --json.
    def to_h
      { "estimate" => Engrate.json_number(estimate), "low" => Engrate.json_number(low),
        "high" => Engrate.json_number(high), "flags" => flags.map(&:to_s) }
    end
  end

  # One change of a what-if (Model#whatif, #whatif_target). change: :add (a level added to
  # a set input), :role (another level of a categorical input) or :years (a numeric input
  # raised); input and level: ids (level nil for a numeric change); name: the level's
  # display name, or the input's label for a numeric change; estimate, low, high: with
  # the change; delta and delta_pct (percent): from the estimate before it; value: the
  # new number of a numeric change; flags: :no_evidence, :clamped.
  Change = Struct.new(:change, :input, :level, :name, :estimate, :low, :high, :delta,
                      :delta_pct, :value, :flags) do
    include JSONable

    def no_evidence = flags.include?(:no_evidence)

    # The keys of engrate-estimate --whatif --json.
    def to_h
      num = Engrate.method(:json_number)
      { "change" => change.to_s, "input" => input, "level" => level, "name" => name,
        "estimate" => num[estimate], "low" => num[low], "high" => num[high],
        "delta" => num[delta], "delta_pct" => num[delta_pct], "value" => num[value],
        "no_evidence" => no_evidence }
    end
  end

  # What Model#whatif_target found: whether the rate was reached, and the path of Changes.
  Target = Struct.new(:rate, :reached, :max_changes, :path) do
    include JSONable

    # The keys of engrate-estimate --target-rate --json.
    def to_h
      { "rate" => Engrate.json_number(rate), "reached" => reached,
        "max_changes" => max_changes, "path" => path.map(&:to_h) }
    end
  end

  # One estimate with its breakdown. estimate is the median rate in currency per period;
  # low..high the prediction interval of nominal coverage level; contributions add up to
  # the estimate; unknown lists the names that matched nothing (ignored), with
  # suggestions; aliased the names matched through another name; flags an array of
  # :unknown, :clamped, :defaulted, :no_evidence, :missing.
  class Result
    include JSONable

    FIELDS = %i[model_name estimate low high level currency period flags contributions
                unknown suggestions aliased lang].freeze
    attr_reader(*FIELDS)

    # Made by Model#estimate, with the fields in FIELDS order.
    def initialize(model_name, estimate, low, high, level, currency, period, flags,
                   contributions, unknown, suggestions, aliased, lang)
      @model_name = model_name
      @estimate = estimate
      @low = low
      @high = high
      @level = level
      @currency = currency
      @period = period
      @flags = flags
      @contributions = contributions
      @unknown = unknown
      @suggestions = suggestions
      @aliased = aliased
      @lang = lang
    end

    # The result as engrate-estimate --json prints it (same keys, same order; string keys,
    # flags as strings, NaN as nil).
    def to_h
      num = Engrate.method(:json_number)
      {
        "model" => model_name, "estimate" => num[estimate], "low" => num[low],
        "high" => num[high], "level" => num[level], "currency" => currency,
        "period" => period,
        "contributions" => contributions.map do |c|
          h = { "input" => c.input || "(base)", "level" => c.level, "name" => c.name,
                "value" => c.value, "amount" => num[c.amount], "no_evidence" => c.no_evidence }
          h["curve"] = c.curve.level && c.curve.to_h.transform_keys(&:to_s) if c.curve
          h
        end,
        "unknown" => unknown.dup,
        "suggestions" => suggestions.map do |s|
          { "input" => s.input, "given" => s.given, "suggestion" => s.suggestion }
        end,
        "aliased" => aliased.map do |a|
          { "given" => a.given, "input" => a.input, "level" => a.level, "name" => a.name }
        end,
        "flags" => flags.map(&:to_s)
      }
    end

    def ==(other)
      other.is_a?(Result) && FIELDS.all? { |f| same?(public_send(f), other.public_send(f)) }
    end
    alias eql? ==

    def hash
      [Result, estimate, low, high, unknown].hash
    end

    def inspect
      format("#<Engrate::Result %.0f %s (%.0f - %.0f)%s>", estimate, currency, low, high,
             unknown.empty? ? "" : " unknown: #{unknown.join(", ")}")
    end

    private

    # Equal values, NaN equal to NaN (a result of a model without an interval).
    def same?(a, b)
      a == b || (a.is_a?(Float) && b.is_a?(Float) && a.nan? && b.nan?)
    end
  end

  # What training found (Engrate.train, engrate/train.rb): value(key) ("r_squared", ...),
  # the terms as [name, estimate, std_error], notes, the JSON report and engrate-train's
  # summary. Plain data, defined here so that an Error carrying one unmarshals without
  # loading the trainer.
  class TrainReport
    KEYS = %w[n p lambda r_squared residual_sd df condition_number rows_read rows_skipped
              folds cv_rmse cv_mape coverage interval_level interval_low interval_high].freeze
    attr_reader :terms, :notes, :json, :summary

    def initialize(terms, notes, json, summary, values)
      @terms = terms
      @notes = notes
      @json = json
      @summary = summary
      @values = values
    end

    def value(key)
      @values[key.to_s]
    end
  end
end
