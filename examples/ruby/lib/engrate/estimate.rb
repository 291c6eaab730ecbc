# frozen_string_literal: true

# engrate/estimate.rb: Model#estimate and Model#estimate_many. Both take the inputs by
# input id or label (engrate/model.rb, #input) with values as forms send them
# (engrate/params.rb), and read the C result into plain data (engrate/data.rb).

module Engrate
  class Model
    # The inputs engrate_estimate_batch fills, with their kinds: a batch of profiles that
    # give only these goes to C in one call.
    PROFILE_INPUTS = { "role" => :categorical, "skills" => :set, "certs" => :set,
                       "years" => :numeric }.freeze

    # Estimate one profile. The inputs come as keywords, a Hash or Rails params, keyed by
    # input id or label in any of the model's languages, as strings or symbols:
    #   model.estimate(role: "pmo", skills: ["java"], certs: "PMP, ITIL", years: "8")
    #   model.estimate("職種" => "PMO", "スキル" => ["", "Java"], "経験年数" => "")
    #   model.estimate(params.require(:engineer).permit(:role, :years, skills: []))
    # A categorical input takes one name; a set input an array of names or one string of
    # names separated by , 、 ， ; ；; a numeric input a number or a numeric string. Blank
    # names are ignored; nil, "" and NaN mean "not known" (the model's default is used).
    # Unknown names are ignored and listed in the result, or raise Engrate::Error
    # (E_UNKNOWN_NAME) when strict. lang is the language of the names in the breakdown.
    # inputs: more of them, as a Hash or [name, value] pairs. Bad input raises
    # Engrate::Error: a key that names no input (E_UNKNOWN_NAME) or an input given twice
    # (E_DUPLICATE), years "abc" (E_NUMBER), invalid UTF-8, infinite years or a NUL.
    def estimate(params = nil, strict: false, lang: "en", inputs: nil, **named)
      pairs = inputs_of(params, named, inputs)
      lang = lang.to_s
      query(pairs, strict) { |h, r| read(h, r, lang) }
    end

    # Estimate many profiles (each what #estimate takes as a Hash or params). Profiles
    # that give only role, skills, certs and years go to C in one call
    # (engrate_estimate_batch); others are estimated one by one, with the same numbers.
    # Returns an array of Estimate (estimate, low, high, flags), in order. A profile that
    # fails raises Engrate::Error for the first one, with its position in index; with
    # return_errors: true its place holds that Error instead.
    def estimate_many(profiles, strict: false, return_errors: false)
      profiles = profiles.to_a
      batch(profiles, strict, return_errors) || profiles.each_with_index.map do |p, i|
        query(inputs_of(p, nil), strict) { |_, r| summary(r) }
      rescue Error => e
        e = Error.new(e.code, e.text, line: e.line, column: e.column, source: e.source,
                                      index: i)
        return_errors ? e : raise(e)
      end
    end

    private

    # [[Input, value, key], ...] of a params object, keywords and inputs (a Hash or
    # [name, value] pairs). Engrate::Error for a key that names no input (E_UNKNOWN_NAME;
    # unless its value is empty: as in the C API, an input the model lacks may be given no
    # value) and for an input given twice (E_DUPLICATE).
    def inputs_of(params, named, inputs = nil)
      out = []
      Params.pairs(params).each { |key, value| take(out, key, value) } unless params.nil?
      named&.each { |key, value| take(out, key, value) }
      inputs&.to_a&.each { |key, value| take(out, key, value) }
      out
    end

    def take(out, key, value)
      inp = input_for(key) { |message, code| Params.empty?(value) ? nil : raise(Error.new(code, message)) }
      return if inp.nil?

      if (other = out.find { |i, _, _| i.equal?(inp) })
        raise Error.new(E_DUPLICATE, "#{inp.id} is given twice (as #{other[2].inspect} and " \
                                     "#{key.inspect})")
      end

      out << [inp, value, key]
    end

    # Fill a query with pairs, estimate, and yield the C model and result. (One call
    # into C per name costs less than building the arrays engrate_estimate_profile takes.)
    def query(pairs, strict)
      @handle.scratch do |h, q, r, err|
        Raw.engrate_query_reset(q)
        pairs.each { |inp, value, _| put(q, inp, value, err) }
        raise Error.from(err) if Raw.engrate_estimate(q, strict ? Raw::STRICT : 0, r, err).negative?

        yield h, r
      end
    end

    def put(q, inp, value, err)
      case inp.kind
      when :numeric
        x = Params.number(value, inp.id)
        rc = x.nil? ? 0 : Raw.engrate_query_set_number_at(q, inp.index, x, err)
      when :categorical
        n = Params.one_name(value, inp.id)
        rc = n.nil? ? 0 : Raw.engrate_query_add(q, inp.id, Engrate.c_string(n), nil, err)
      else
        rc = 0
        if value.is_a?(String) || value.is_a?(Symbol) # typed in one field: C splits it
          rc = Raw.engrate_query_add_list(q, inp.id, Engrate.c_string(value), nil, err)
        else
          Params.set_names(value).each do |n|
            rc = Raw.engrate_query_add(q, inp.id, Engrate.c_string(n), nil, err)
            break if rc.negative?
          end
        end
      end
      raise Error.from(err) if rc.negative?
    end

    def summary(r)
      Estimate.new(Raw.engrate_result_estimate(r), Raw.engrate_result_low(r),
                   Raw.engrate_result_high(r), FLAG_SETS[Raw.engrate_result_flags(r)])
    end

    NO_FLAGS = FLAG_SETS[0]
    NO_EVIDENCE = FLAG_SETS[Raw::FLAG_NO_EVIDENCE]

    # Copy a C result into a Result (the C result is reused afterwards). What the model
    # alone determines (ids, names, a level's no-evidence flag) comes from caches, so that
    # few calls cross into C.
    def read(h, r, lang)
      ins = inputs
      @cache[:meta] ||= [name, currency, period, interval_level].freeze
      model_name, cur, per, level = @cache[:meta]
      contributions = Array.new(Raw.engrate_result_contribution_count(r)) do |i|
        contribution(h, r, i, ins, lang)
      end
      unknown = []
      suggestions = []
      Raw.engrate_result_unknown_count(r).times do |i|
        given = Raw.engrate_result_unknown_name(r, i)
        inp = ins[Raw.engrate_result_unknown_input(r, i)]
        k = suggestion(h, inp.index, given)
        unknown << Engrate.utf8(given)
        suggestions << Suggestion.new(inp.id, unknown.last, k && inp.levels[k].id)
      end
      aliased = Array.new(Raw.engrate_result_aliased_count(r)) do |i|
        inp = ins[Raw.engrate_result_aliased_input(r, i)]
        lev = Raw.engrate_result_aliased_level(r, i)
        Aliased.new(Engrate.utf8(Raw.engrate_result_aliased_given(r, i)), inp.id,
                    inp.levels[lev].id, level_name(inp.index, lev, lang, h))
      end
      Result.new(model_name, Raw.engrate_result_estimate(r), Raw.engrate_result_low(r),
                 Raw.engrate_result_high(r), level, cur, per,
                 FLAG_SETS[Raw.engrate_result_flags(r)], contributions, unknown,
                 suggestions, aliased, lang)
    end

    # Contribution i: the base, a level, a numeric input, or (for a model with a reference
    # profile) a row that takes an input's typical effect out, named as --json names them.
    def contribution(h, r, i, ins, lang)
      amount = Raw.engrate_result_contribution_amount(r, i)
      input = Raw.engrate_result_contribution_input(r, i)
      lev = input == Raw::NO_INDEX ? Raw::NO_INDEX : Raw.engrate_result_contribution_level(r, i)
      if lev != Raw::NO_INDEX # the common case, its flags from the model's level
        inp = ins[input]
        lv = inp.levels[lev]
        no_ev = lv.no_evidence?
        return Contribution.new(inp.id, lv.id, level_name(inp.index, lev, lang, h), nil, amount,
                                no_ev, no_ev ? NO_EVIDENCE : NO_FLAGS)
      end
      f = Raw.engrate_result_contribution_flags(r, i)
      reference = f & Raw::FLAG_REFERENCE != 0
      if input == Raw::NO_INDEX
        return Contribution.new(nil, nil, reference ? typical(lang) : "base", nil, amount, false,
                                FLAG_SETS[f])
      end
      inp = ins[input]
      name = reference ? typical(lang) : input_label(inp.index, lang, h)
      value = Raw.engrate_result_contribution_value(r, i)
      Contribution.new(inp.id, nil, name, value.nan? ? nil : value, amount,
                       f & Raw::FLAG_NO_EVIDENCE != 0, FLAG_SETS[f],
                       curve_of(h, inp, r, i, ins, lang))
    end

    # The Curve term i of a C result used, for a numeric input whose curve varies by a
    # level; nil for any other input.
    def curve_of(h, inp, r, i, ins, lang)
      return nil unless inp.by

      by = ins.find { |x| x.id == inp.by }
      lev = Raw.engrate_result_contribution_curve_level(r, i)
      return Curve.new(by.id, nil, nil) if lev == Raw::NO_INDEX

      Curve.new(by.id, by.levels[lev].id, level_name(by.index, lev, lang, h))
    end
  end
end

require_relative "batch"
