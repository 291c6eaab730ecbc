# frozen_string_literal: true

# engrate/params.rb: values as Ruby code, HTML forms and JSON send them, made into what the
# C API takes: names (strings) and numbers (floats, nil for "not known"). One place decides,
# for the single estimate and the batch alike:
#   - a params object is a Hash, or anything with to_unsafe_h or to_h (Rails's
#     ActionController::Parameters, permitted or not: only the model's inputs are read,
#     and a key that names none is an error, so nothing is assigned in bulk);
#   - a blank name ("", "  ", the "" a Rails multi-select sends first) is no name;
#   - a set given as one string is split on , 、 ， ; ； ､ (never on "/" or spaces: C/C++,
#     Objective-C, "Visual Basic");
#   - a number may be a Numeric or a string ("8", "8.5", "８", " 8 "); nil, a blank string
#     and NaN mean "not known", anything else that is not a finite decimal is an error.

module Engrate
  module Params
    SEPARATORS = /[,、，;；､]/.freeze
    BLANK = /\A[[:space:]]*\z/.freeze
    LIST_BLANKS = /\A[ \t\n\v\f\r\u00A0\u3000]+|[ \t\n\v\f\r\u00A0\u3000]+\z/.freeze
    DECIMAL = /\A[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\z/.freeze

    module_function

    # The key => value pairs of a params object, or {} for nil.
    def pairs(params)
      return {} if params.nil?
      return params if params.is_a?(Hash)
      return params.to_unsafe_h if params.respond_to?(:to_unsafe_h)
      return params.to_h if params.respond_to?(:to_h) && !params.is_a?(Array)

      raise TypeError, "give the inputs as a Hash (or params), not #{params.class}"
    end

    # True for a string of white space only (Unicode white space: U+3000 too). Strings that
    # are not valid in their encoding are not blank: the library refuses them (E_UTF8).
    def blank?(s)
      b = s.getbyte(0)
      return true if b.nil?
      # Cheaply, the common cases: a first character that is not white space, in ASCII, or
      # in UTF-8 with a lead byte no white space has (they all start C2, E1, E2 or E3 80).
      return false if (b > 0x20 && b < 0x7f) || (b >= 0xc3 && b != 0xe1 && b != 0xe2 && b != 0xe3)
      return false if b == 0xe3 && s.getbyte(1) != 0x80

      s.valid_encoding? && BLANK.match?(s)
    end

    # True for a value that gives nothing: nil, NaN, a blank string, an array of those.
    def empty?(value)
      case value
      when nil then true
      when String then blank?(value)
      when Float then value.nan?
      when Array then value.all? { |v| empty?(v) }
      else false
      end
    end

    # A name for the C API (Engrate.c_string), or nil when value is blank.
    def name(value)
      return nil if value.nil?

      s = if value.is_a?(String) && value.encoding == Encoding::UTF_8 && !value.include?("\0")
            value # as c_string would return it, without its checks' cost
          else
            Engrate.c_string(value)
          end
      blank?(s) ? nil : s
    end

    # The names of a set input: an array (or any enumerable) of names, nils dropped, or one
    # string of names split as the library splits it (SEPARATORS). The names are not yet
    # checked (Engrate.c_string and c_strings check them where they go to C) and may be
    # blank: the library ignores blank names.
    def set_names(value)
      case value
      when Array then value.include?(nil) ? value.compact : value
      when nil then []
      when String, Symbol then split(Engrate.c_string(value))
      else value.to_a.compact
      end
    end

    # A list typed in one field, split as engrate_query_add_list splits it (the batch call
    # takes names, not lists): at SEPARATORS, each part's surrounding LIST_BLANKS trimmed,
    # empty parts dropped. test_rails.rb checks that both give the same names.
    def split(s)
      return (blank?(s) ? [] : [s]) unless s.valid_encoding? && SEPARATORS.match?(s)

      s.split(SEPARATORS).filter_map do |part|
        part = part.gsub(LIST_BLANKS, "")
        part.empty? ? nil : part
      end
    end

    # The one name of a categorical input, or nil; an array (a multi-select, or a select
    # with a blank first option) may hold one name besides blanks.
    def one_name(value, input_id)
      return value if value.nil? || value.is_a?(String) # checked where it goes to C
      return name(value) unless value.respond_to?(:to_a)

      names = value.to_a.filter_map { |v| name(v) }
      return names[0] if names.size <= 1

      raise Error.new(E_INVALID, "#{input_id} takes one name, not #{names.size}: " \
                                 "#{names.map(&:inspect).join(", ")}")
    end

    # The number of a numeric input, or nil when not known.
    def number(value, input_id)
      case value
      when nil then nil
      when Float then value.nan? ? nil : value
      when Numeric then Float(value)
      when String then parse(value, input_id)
      else raise TypeError, "#{input_id} must be a number or a string, not #{value.class}"
      end
    end

    # A rate as a number, or as people write one: "1000000", "1,000,000", "¥950,000",
    # "100万", "95.5万円" (万: 10,000). Engrate::Error (E_NUMBER) for anything else, and
    # for a rate that is not a positive finite number.
    RATE = /\A[¥￥]?((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?)(万円?|円)?\z/.freeze
    def rate(value)
      x = case value
          when Numeric then Float(value)
          when String
            m = RATE.match(normal(value).strip) # ￥ is ¥ after NFKC
            m && (Float(m[1].delete(",")) * (m[2]&.start_with?("万") ? 10_000 : 1))
          end
      return x if x&.finite? && x.positive?

      raise Error.new(E_NUMBER, "rate: #{value.inspect} is not a positive amount " \
                                "(e.g. 1000000 or 100万)")
    end

    # s in UTF-8 and NFKC (full-width digits from an IME become ASCII); "" when it cannot be.
    def normal(s)
      t = s.encoding == Encoding::UTF_8 || s.ascii_only? ? s : s.encode(Encoding::UTF_8)
      t.ascii_only? ? t : t.unicode_normalize(:nfkc)
    rescue EncodingError, ArgumentError
      ""
    end

    def parse(s, input_id)
      t = normal(s)
      raise Error.new(E_NUMBER, "#{input_id}: #{s.inspect} is not a number") if t.empty? && !s.empty?

      t = t.gsub(/\A[[:space:]]+|[[:space:]]+\z/, "")
      return nil if t.empty?
      return Float(t) if DECIMAL.match?(t)

      raise Error.new(E_NUMBER, "#{input_id}: '#{s}' is not a number")
    rescue EncodingError, ArgumentError
      raise Error.new(E_NUMBER, "#{input_id}: #{s.inspect} is not a number")
    end
  end
end
