# frozen_string_literal: true

# engrate/inputs.rb: what a model understands, for forms and for introspection: its
# inputs (Input) and their levels (Level). Both read the C model through their Model, so
# they keep it alive, and raise IOError once it is closed; what they copied at creation
# (ids, coefficients, aliases) stays readable.

module Engrate
  # A level of a categorical or set input: id, coef, aliases, no_evidence?, and its
  # display name in a language through name(lang).
  class Level
    attr_reader :input, :index, :id, :coef, :aliases

    def initialize(model, input, index, h)
      i = input.index
      @model = model
      @input = input.id
      @input_index = i
      @index = index
      @id = Engrate.utf8(Raw.engrate_level_id(h, i, index))
      @coef = Raw.engrate_level_coef(h, i, index)
      @aliases = Array.new(Raw.engrate_level_alias_count(h, i, index)) do |k|
        Engrate.utf8(Raw.engrate_level_alias(h, i, index, k))
      end.freeze
      @no_evidence = Raw.engrate_level_flags(h, i, index) & Raw::LEVEL_NO_EVIDENCE != 0
    end
    private_class_method :new

    def no_evidence?
      @no_evidence
    end

    # Display name in lang; falls back to English, then to the id.
    def name(lang = "en")
      @model.send(:level_name, @input_index, @index, lang)
    end

    def inspect
      "#<Engrate::Level #{@input}.#{@id}>"
    end
  end

  # An input of the model: id, kind (:categorical, :set, :numeric), label(lang), and
  # levels (categorical and set) or min, max, default, knots and coefs (numeric); by, for a
  # numeric input whose curve varies by the level of a categorical input, that input's id
  # (else nil): see deviations and curve.
  class Input
    KINDS = { Raw::CATEGORICAL => :categorical, Raw::SET => :set,
              Raw::NUMERIC => :numeric }.freeze
    attr_reader :index, :id, :kind, :min, :max, :default, :knots, :coefs, :by

    def initialize(model, index, h)
      @model = model
      @index = index
      @id = Engrate.utf8(Raw.engrate_input_id(h, index))
      @kind = KINDS.fetch(Raw.engrate_input_kind(h, index))
      @knots = @coefs = [].freeze
      @levels = nil
      by = Raw.engrate_input_by(h, index)
      @by = by == Raw::NO_INDEX ? nil : Engrate.utf8(Raw.engrate_input_id(h, by))
      return unless @kind == :numeric

      @min = Raw.engrate_input_min(h, index)
      @max = Raw.engrate_input_max(h, index)
      @default = Raw.engrate_input_default(h, index)
      nk = Raw.engrate_input_knot_count(h, index)
      @knots = Array.new(nk) { |k| Raw.engrate_input_knot(h, index, k) }.freeze
      @coefs = Array.new(nk + 1) { |k| Raw.engrate_input_coef(h, index, k) }.freeze
    end
    private_class_method :new

    # Display label in lang; falls back to English, then to the id.
    def label(lang = "en")
      @model.send(:input_label, @index, lang)
    end

    # The levels, in model order (empty for a numeric input).
    def levels
      @levels ||= @model.send(:use) do |h|
        Array.new(Raw.engrate_input_level_count(h, @index)) do |k|
          Level.send(:new, @model, self, k, h)
        end.freeze
      end
    end

    # The level with this id, or nil.
    def level(id)
      levels.find { |lv| lv.id == id.to_s }
    end

    # [display name, id] pairs for a form's select or check boxes, in model order:
    #   form.select :role, model.input("role").choices("ja"), include_blank: true
    def choices(lang = "en")
      levels.map { |lv| [lv.name(lang), lv.id] }
    end

    # A numeric input whose curve varies by a level: { level id => its deviation from
    # coefs } for each level of by with a curve of its own (its curve's coefficients are
    # coefs[k] + deviation[k]); {} for any other input.
    def deviations
      return {} unless @by

      by_levels = @model.input(@by).levels
      @model.send(:use) do |h|
        by_levels.each_with_object({}) do |lv, out|
          d = Array.new(@coefs.size) { |k| Raw.engrate_input_deviation(h, @index, lv.index, k) }
          out[lv.id] = d.freeze unless d[0].nan?
        end
      end
    end

    # The value on the model's scale of the curve at x (clamped to min..max): level
    # level's (an id of a level of by) when it has one of its own, else the input's.
    # ArgumentError for an input that is not numeric or a level by does not have.
    def curve(x, level = nil)
      raise ArgumentError, "#{@id} is not a numeric input" unless @kind == :numeric

      lev = Raw::NO_INDEX
      unless level.nil?
        found = @by && @model.input(@by).level(level)
        raise ArgumentError, "#{@id} has no curve for level #{level.inspect}" unless found

        lev = found.index
      end
      x = Float(x)
      @model.send(:use) { |h| Raw.engrate_input_curve(h, @index, lev, x) }
    end

    def inspect
      "#<Engrate::Input #{@id} (#{@kind})>"
    end
  end
end
