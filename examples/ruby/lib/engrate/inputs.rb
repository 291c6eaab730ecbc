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
  # levels (categorical and set) or min, max, default, knots and coefs (numeric).
  class Input
    KINDS = { Raw::CATEGORICAL => :categorical, Raw::SET => :set,
              Raw::NUMERIC => :numeric }.freeze
    attr_reader :index, :id, :kind, :min, :max, :default, :knots, :coefs

    def initialize(model, index, h)
      @model = model
      @index = index
      @id = Engrate.utf8(Raw.engrate_input_id(h, index))
      @kind = KINDS.fetch(Raw.engrate_input_kind(h, index))
      @knots = @coefs = [].freeze
      @levels = nil
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

    def inspect
      "#<Engrate::Input #{@id} (#{@kind})>"
    end
  end
end
