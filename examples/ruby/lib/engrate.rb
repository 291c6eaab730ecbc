# frozen_string_literal: true

# engrate.rb: estimate an IT engineer's monthly rate with libengrate, from Ruby.
#
#   require "engrate"
#   Engrate::Model.open do |model|              # the default model, or open(path)
#     r = model.estimate(role: "pmo", skills: ["java"], certs: ["pmp"], years: 8)
#     puts r.estimate, r.low, r.high, r.currency
#     r.contributions.each { |c| puts "#{c.name} #{c.amount}" }
#   end
#
# The friendly layer over Engrate::Raw (engrate/raw.rb, which finds the library and
# declares every C prototype): models that free their C memory through FFI::AutoPointer,
# results as plain Ruby data, and Engrate::Error (code, text, line, column) for what the
# library reports as an error. docs/bindings.md has more.

require_relative "engrate/raw"

module Engrate
  # Error codes, as in the C header (ENGRATE_E_*).
  %i[OK E_INVALID E_NOMEM E_IO E_SYNTAX E_VERSION E_LIMIT E_DUPLICATE E_UNKNOWN_KEY
     E_NUMBER E_MISSING E_UTF8 E_UNKNOWN_NAME E_DATA E_SINGULAR].each do |name|
    const_set(name, Raw.const_get(name))
  end

  # Result flags by the names engrate-estimate --json uses, in its order.
  FLAG_NAMES = [[:unknown, Raw::FLAG_UNKNOWN], [:clamped, Raw::FLAG_CLAMPED],
                [:defaulted, Raw::FLAG_DEFAULTED], [:no_evidence, Raw::FLAG_NO_EVIDENCE],
                [:missing, Raw::FLAG_MISSING]].freeze

  PROFILE_KEY = %i[role skills certs years].flat_map { |k| [[k, true], [k.to_s, true]] }
                                           .to_h.freeze
  NAN = Float::NAN
  SIZE_T_PACK = FFI.type_size(:size_t) == 8 ? "Q*" : "L*"
  POINTER_PACK = FFI::Pointer.size == 8 ? "Q*" : "L*"

  # The version of the loaded library, e.g. "0.1.0".
  def self.version
    Raw.engrate_version_string
  end

  # Where the loaded library was found.
  def self.library_path
    Raw.path
  end

  # The installed default model's path (what Model.load reads without ENGRATE_MODEL).
  def self.default_model_path
    Raw.engrate_model_default_path
  end

  # A failure reported by libengrate: code is the negative E_* code, text the full message
  # ("jp.model:41:17: unknown key ..."), line and column 1-based or 0 where they do not
  # apply, source the file or buffer name; index the profile's position in estimate_many.
  class Error < StandardError
    attr_reader :code, :text, :line, :column, :source, :index
    attr_accessor :report

    def initialize(code, text, line: 0, column: 0, source: "", index: nil)
      super(text)
      @code = code
      @text = text
      @line = line
      @column = column
      @source = source
      @index = index
    end

    # The library's short description of the code ("unknown name", ...).
    def reason
      Raw.engrate_strerror(code)
    end

    def self.from(err, code: nil, index: nil)
      code = err[:code] if code.nil? || err[:code] != 0
      text = Engrate.utf8(err[:text].to_s)
      text = Raw.engrate_strerror(code) if text.empty?
      new(code, text, line: err[:line], column: err[:column],
                      source: Engrate.utf8(err[:source].to_s), index: index)
    end
  end

  # ---- Plain data ------------------------------------------------------------------

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
  Estimate = Struct.new(:estimate, :low, :high, :flags)

  # One estimate with its breakdown: plain data that keeps no C memory. estimate is the
  # median rate in currency per period; low..high the prediction interval of nominal
  # coverage level; contributions add up to the estimate; unknown lists the names that
  # matched nothing (ignored), with suggestions; aliased the names matched through another
  # name; flags an array of :unknown, :clamped, :defaulted, :no_evidence, :missing.
  class Result
    attr_reader :model_name, :estimate, :low, :high, :level, :currency, :period, :flags,
                :contributions, :unknown, :suggestions, :aliased, :lang

    # Made by Model#estimate.
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

    # The result as engrate-estimate --json prints it (same keys, same order).
    def to_h
      num = ->(x) { x.nil? || x.nan? ? nil : x }
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

    def inspect
      format("#<Engrate::Result %.0f %s (%.0f - %.0f)%s>", estimate, currency, low, high,
             unknown.empty? ? "" : " unknown: #{unknown.join(", ")}")
    end
  end

  # ---- Helpers -------------------------------------------------------------------------

  FLAG_SETS = Hash.new do |h, bits|
    h[bits] = FLAG_NAMES.filter_map { |name, bit| name if bits & bit != 0 }.freeze
  end
  private_constant :FLAG_SETS

  def self.flag_names(bits)
    FLAG_SETS[bits]
  end

  def self.utf8(s)
    s.force_encoding(Encoding::UTF_8)
  end

  # A name as the C API takes it: UTF-8 with no NUL. Strings in another encoding are
  # converted; binary and US-ASCII strings (ARGV under the C locale) go through as they
  # are, for the library to refuse invalid UTF-8 with E_UTF8.
  def self.c_string(s)
    s = s.to_s if s.is_a?(Symbol)
    raise TypeError, "a name must be a String, not #{s.class}" unless s.is_a?(String)

    enc = s.encoding
    s = s.encode(Encoding::UTF_8) unless enc == Encoding::UTF_8 || enc == Encoding::BINARY ||
                                         enc == Encoding::US_ASCII
    raise ArgumentError, "a name cannot contain NUL: #{s.inspect}" if s.include?("\0")

    s
  end

  # A char *[] for many names (nil: NULL) in one block of C memory: the pointers, then each
  # distinct name once, NUL-terminated. Returns the block (keep it until the call) or nil
  # for no names.
  def self.c_strings(names)
    return nil if names.empty?

    at = {}
    distinct = []
    size = 0
    names.each do |s|
      next if s.nil? || at.key?(s)

      c = c_string(s)
      at[s] = size
      distinct << c
      size += c.bytesize + 1
    end
    head = names.size * FFI::Pointer.size
    mem = FFI::MemoryPointer.new(:uint8, head + [size, 1].max, false)
    base = mem.address + head
    at.transform_values! { |offset| base + offset }
    at[nil] = 0
    mem.put_bytes(0, names.map(&at).pack(POINTER_PACK) << distinct.pack("Z*" * distinct.size))
    mem
  end

  def self.list(v)
    return [] if v.nil?
    return [v] if v.is_a?(String) || v.is_a?(Symbol)

    v.to_a
  end

  # ---- Introspection --------------------------------------------------------------------

  # A level of a categorical or set input: id, coef, aliases, no_evidence?, and its
  # display name in a language through name(lang).
  class Level
    attr_reader :input, :index, :id, :coef, :aliases

    def initialize(model, input, index)
      h = model.send(:handle)
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

    def initialize(model, index)
      h = model.send(:handle)
      @model = model
      @index = index
      @id = Engrate.utf8(Raw.engrate_input_id(h, index))
      @kind = KINDS.fetch(Raw.engrate_input_kind(h, index))
      @knots = @coefs = [].freeze
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

    # Display label in lang; falls back to the label as the training data wrote it, then
    # to English, then to the id.
    def label(lang = "en")
      @model.send(:input_label, @index, lang)
    end

    # The levels, in model order (empty for a numeric input).
    def levels
      @levels ||= Array.new(Raw.engrate_input_level_count(@model.send(:handle), @index)) do |k|
        Level.new(@model, self, k)
      end.freeze
    end

    # The level with this id, or nil.
    def level(id)
      levels.find { |lv| lv.id == id.to_s }
    end

    # A numeric input whose curve varies by a level: { level id => its deviation from
    # coefs } for each level of by with a curve of its own (its curve's coefficients are
    # coefs[k] + deviation[k]); {} for any other input.
    def deviations
      return {} unless @by

      h = @model.send(:handle)
      @model.input(@by).levels.each_with_object({}) do |lv, out|
        d = Array.new(@coefs.size) { |k| Raw.engrate_input_deviation(h, @index, lv.index, k) }
        out[lv.id] = d.freeze unless d[0].nan?
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
      Raw.engrate_input_curve(@model.send(:handle), @index, lev, Float(x))
    end

    def inspect
      "#<Engrate::Input #{@id} (#{@kind})>"
    end
  end

  # ---- Models ---------------------------------------------------------------------------

  # A loaded model. Immutable, so any number of threads may estimate with one model at
  # once. Its C memory is freed by #close, at the end of a Model.open block, or by the
  # garbage collector (the handle is an FFI::AutoPointer), whichever comes first.
  class Model
    # Load a model file; with path nil, the default model ($ENGRATE_MODEL, else the
    # installed default). Raises Engrate::Error (code, line, column, text).
    def self.load(path = nil)
      err = Raw::ErrorStruct.new
      ptr = if path.nil?
              Raw.engrate_model_load_default(0, err)
            else
              Raw.engrate_model_load(path.to_s, 0, err)
            end
      raise Error.from(err) if ptr.null?

      new(ptr)
    end

    # Model.load, and with a block: yield the model, close it after, return the block's value.
    def self.open(path = nil)
      model = load(path)
      return model unless block_given?

      begin
        yield model
      ensure
        model.close
      end
    end

    # Load a model from its text; source names it in messages.
    def self.from_string(text, source = nil)
      data = text.to_s.b
      mem = FFI::MemoryPointer.new(:char, [data.bytesize, 1].max)
      mem.put_bytes(0, data)
      err = Raw::ErrorStruct.new
      ptr = Raw.engrate_model_load_buffer(mem, data.bytesize, source&.to_s, 0, err)
      raise Error.from(err) if ptr.null?

      new(ptr)
    end

    # The releaser of a model's AutoPointer: the pooled C results, then the model. Made in
    # a class method so that the block holds the pool only, not the Model.
    def self.releaser(pool)
      proc do |ptr|
        Raw.engrate_result_free(pool.pop) until pool.empty?
        Raw.engrate_model_free(ptr)
      end
    end
    private_class_method :releaser

    def initialize(ptr)
      # C results to estimate into, one per concurrent caller, reused (see #acquire).
      @pool = []
      @handle = FFI::AutoPointer.new(ptr, Model.send(:releaser, @pool))
      @mutex = Mutex.new
      @busy = 0
      @closed = false
      @names = {}
      @labels = {}
    end

    # Free the C model now; further use raises IOError. Idempotent. If other threads are
    # still estimating, the memory is freed when the last one finishes.
    def close
      free = @mutex.synchronize do
        next false if @closed

        @closed = true
        @busy.zero?
      end
      @handle.free if free
      nil
    end

    def closed?
      @closed
    end

    def meta(key)
      s = Raw.engrate_model_meta(handle, key.to_s)
      s && Engrate.utf8(s)
    end

    def name = meta("name")
    def currency = meta("currency")
    def period = meta("period")

    def training(key)
      x = Raw.engrate_model_training(handle, key.to_s)
      x.nan? ? nil : x
    end

    def interval_level
      Raw.engrate_model_interval_level(handle)
    end

    # The model's canonical text (what #save writes).
    def to_s
      len = FFI::MemoryPointer.new(:size_t)
      err = Raw::ErrorStruct.new
      ptr = Raw.engrate_model_to_string(handle, len, err)
      raise Error.from(err) if ptr.null?

      begin
        Engrate.utf8(ptr.get_bytes(0, len.read(:size_t)))
      ensure
        Raw.engrate_string_free(ptr)
      end
    end

    # Write the model in canonical form to path (atomically).
    def save(path)
      err = Raw::ErrorStruct.new
      raise Error.from(err) if Raw.engrate_model_save(handle, path.to_s, 0, err).negative?

      nil
    end

    # The model's inputs, in model order.
    def inputs
      h = handle
      @inputs ||= begin
        list = Array.new(Raw.engrate_model_input_count(h)) { |i| Input.new(self, i) }
        @input_index = list.to_h { |inp| [inp.id, inp] }
        list.freeze
      end
    end

    # The input with this id; KeyError when the model has none.
    def input(id)
      inputs
      @input_index.fetch(id.to_s)
    end

    # The input people call name: its id, or any of its labels compared after folding (an
    # input trained from a column 職種 answers to 職種), or nil. Raises Engrate::Error
    # (E_DUPLICATE) when two inputs answer to it.
    def find_input(name)
      at = FFI::MemoryPointer.new(:size_t)
      rc = Raw.engrate_model_find_input(handle, Engrate.c_string(name), at)
      return nil if rc == Raw::E_UNKNOWN_NAME
      raise Error.new(rc, "cannot find the input #{name.inspect}: #{Raw.engrate_strerror(rc)}") if rc.negative?

      inputs[at.read(:size_t)]
    end

    # The levels of a categorical or set input.
    def levels(input_id) = input(input_id).levels
    def roles = levels("role")
    def skills = levels("skills")
    def certs = levels("certs")

    # The level a name matches (ids, display names, aliases, after folding), or nil.
    def find(input_id, name)
      inp = input(input_id)
      k = FFI::MemoryPointer.new(:size_t)
      rc = Raw.engrate_model_find_level(handle, inp.index, Engrate.c_string(name), k, nil)
      return nil if rc == Raw::E_UNKNOWN_NAME
      raise Error.new(rc, "cannot match #{name.inspect}: #{Raw.engrate_strerror(rc)}") if rc.negative?

      inp.levels[k.read(:size_t)]
    end

    # The level closest to an unknown name, or nil when none is close.
    def suggest(input_id, name)
      inp = input(input_id)
      k = FFI::MemoryPointer.new(:size_t)
      rc = Raw.engrate_model_suggest(handle, inp.index, Engrate.c_string(name), k)
      rc.negative? ? nil : inp.levels[k.read(:size_t)]
    end

    # Estimate one profile. skills and certs are arrays of names (or one name); years a
    # number or nil (not known: the model's default is used). Unknown names are ignored
    # and listed in the result, or raise Engrate::Error (E_UNKNOWN_NAME) when strict.
    # lang is the language of the names in the breakdown. NaN years mean "not known", as
    # nil does. Raises Engrate::Error for bad input (e.g. infinite years: E_INVALID).
    # inputs gives any of the model's inputs, by id or label (#find_input): a Hash or
    # [name, value] pairs, the value a name (categorical), a name or an array of names
    # (set), or a number or nil (numeric): { "職種" => "PMO", "経験年数" => 5 }.
    def estimate(role: nil, skills: [], certs: [], years: nil, strict: false, lang: "en",
                 inputs: nil)
      return estimate_inputs(role, skills, certs, years, inputs.to_a, strict, lang) if inputs && !inputs.empty?

      skills = Engrate.list(skills)
      certs = Engrate.list(certs)
      sk = Engrate.c_strings(skills)
      ce = Engrate.c_strings(certs)
      y = nil
      unless years.nil?
        y = FFI::MemoryPointer.new(:double, 1, false)
        y.write_double(Float(years))
      end
      role = Engrate.c_string(role) unless role.nil?
      err = Raw::ErrorStruct.new
      h, r = acquire
      begin
        rc = Raw.engrate_estimate_profile(h, role, sk, skills.size, ce, certs.size, y,
                                          strict ? Raw::STRICT : 0, r, err)
        raise Error.from(err) if rc.negative?

        read(h, r, lang)
      ensure
        release(r)
      end
    end

    # #estimate through a query: the shortcuts, then every input given.
    def estimate_inputs(role, skills, certs, years, pairs, strict, lang)
      calls = Engrate.list(role).map { |n| ["role", n] }
      calls += Engrate.list(skills).map { |n| ["skills", n] }
      calls += Engrate.list(certs).map { |n| ["certs", n] }
      calls << ["years", Float(years)] unless years.nil?
      pairs.each do |name, value|
        inp = find_input(name) or raise Error.new(Raw::E_UNKNOWN_NAME, "the model has no input #{name.inspect}")
        if inp.kind == :numeric
          calls << [inp.id, Float(value)] unless value.nil?
        else
          calls += Engrate.list(value).map { |n| [inp.id, n] }
        end
      end
      err = Raw::ErrorStruct.new
      h, r = acquire
      q = Raw.engrate_query_new(h, err)
      begin
        raise Error.from(err) if q.null?

        calls.each do |id, v|
          rc = if v.is_a?(Float)
                 Raw.engrate_query_set_number(q, id, v, err)
               else
                 Raw.engrate_query_add(q, id, Engrate.c_string(v), nil, err)
               end
          raise Error.from(err) if rc.negative?
        end
        raise Error.from(err) if Raw.engrate_estimate(q, strict ? Raw::STRICT : 0, r, err).negative?

        read(h, r, lang)
      ensure
        Raw.engrate_query_free(q) unless q.nil? || q.null?
        release(r)
      end
    end
    private :estimate_inputs

    # Estimate many profiles with one call into C (engrate_estimate_batch). Each profile
    # is a Hash with any of the keys role, skills, certs, years (symbols or strings, as
    # from JSON), taking what #estimate takes (years nil or NaN: not known). Returns an array of Estimate (estimate, low, high,
    # flags), in order, with the numbers #estimate gives. A profile that fails (an unknown
    # name when strict, infinite years, ...) raises Engrate::Error for the first one, with
    # its position in index; with return_errors: true its place holds that Error instead.
    def estimate_many(profiles, strict: false, return_errors: false)
      roles = []
      names_s = []
      off_s = [0]
      names_c = []
      off_c = [0]
      years = []
      profiles.each do |p|
        symbols = true
        p.each_key do |k|
          raise ArgumentError, "unknown profile key: #{k.inspect}" unless PROFILE_KEY[k]

          symbols &&= k.is_a?(Symbol)
        end
        p = p.transform_keys(&:to_sym) unless symbols # e.g. parsed from JSON
        roles << p[:role]
        v = p[:skills]
        v.is_a?(String) || v.is_a?(Symbol) ? names_s << v : names_s.concat(v.to_a)
        off_s << names_s.size
        v = p[:certs]
        v.is_a?(String) || v.is_a?(Symbol) ? names_c << v : names_c.concat(v.to_a)
        off_c << names_c.size
        y = p[:years]
        years << (y.nil? ? NAN : Float(y))
      end
      n = roles.size
      return [] if n.zero?

      r_arr = Engrate.c_strings(roles)
      s_arr = Engrate.c_strings(names_s)
      c_arr = Engrate.c_strings(names_c)
      so = FFI::MemoryPointer.new(:size_t, n + 1, false)
      so.put_bytes(0, off_s.pack(SIZE_T_PACK))
      co = FFI::MemoryPointer.new(:size_t, n + 1, false)
      co.put_bytes(0, off_c.pack(SIZE_T_PACK))
      ys = FFI::MemoryPointer.new(:double, n, false)
      ys.put_bytes(0, years.pack("d*"))
      est = FFI::MemoryPointer.new(:double, n, false)
      low = FFI::MemoryPointer.new(:double, n, false)
      high = FFI::MemoryPointer.new(:double, n, false)
      flags = FFI::MemoryPointer.new(:uint, n, false)
      status = FFI::MemoryPointer.new(:int, n, false)
      err = Raw::ErrorStruct.new
      n_failed = FFI::MemoryPointer.new(:size_t)
      rc = Raw.engrate_estimate_batch(handle, n, r_arr, s_arr, so, c_arr, co, ys,
                                      strict ? Raw::STRICT : 0, est, low, high, flags,
                                      status, n_failed, err)
      failed = n_failed.read(:size_t)
      raise Error.from(err) if rc.negative? && failed.zero? # refused: nothing estimated

      if failed.positive? && !return_errors
        raise Error.from(err, index: status.get_array_of_int(0, n).index(&:negative?))
      end

      e = est.get_array_of_double(0, n)
      lo = low.get_array_of_double(0, n)
      hi = high.get_array_of_double(0, n)
      fl = flags.get_array_of_uint(0, n)
      out = Array.new(n) { |i| Estimate.new(e[i], lo[i], hi[i], FLAG_SETS[fl[i]]) }
      if failed.positive?
        status.get_array_of_int(0, n).each_with_index do |code, i|
          next unless code.negative?

          out[i] = profile_error(i, code, roles[i], names_s[off_s[i]...off_s[i + 1]],
                                 names_c[off_c[i]...off_c[i + 1]], years[i], strict)
        end
      end
      out
    end

    def inspect
      @closed ? "#<Engrate::Model (closed)>" : "#<Engrate::Model #{name}>"
    end

    private

    def handle
      raise IOError, "the engrate model is closed" if @closed

      @handle
    end

    # A C result of this model for one estimate; it also keeps #close in another thread
    # from freeing the model until #release.
    def acquire
      r = @mutex.synchronize do
        raise IOError, "the engrate model is closed" if @closed

        @busy += 1
        @pool.pop
      end
      if r.nil?
        err = Raw::ErrorStruct.new
        r = Raw.engrate_result_new(@handle, err)
        if r.null?
          release(nil)
          raise Error.from(err)
        end
      end
      [@handle, r]
    end

    def release(r)
      free = @mutex.synchronize do
        @busy -= 1
        @pool << r unless r.nil?
        @closed && @busy.zero?
      end
      @handle.free if free
    end

    # Names by language, cached: a model does not change.
    def level_name(input, level, lang)
      names = (@names[lang] ||= {})
      names[(input << 32) | level] ||=
        Engrate.utf8(Raw.engrate_level_name(handle, input, level, lang.to_s))
    end

    def input_label(input, lang)
      labels = (@labels[lang] ||= {})
      labels[input] ||= Engrate.utf8(Raw.engrate_input_label(handle, input, lang.to_s))
    end

    def meta_cache
      @meta_cache ||= [name, currency, period, interval_level].freeze
    end

    # The Curve term i of a C result used, for a numeric input whose curve varies by a
    # level; nil for any other input.
    def curve_of(inp, r, i, lang)
      return nil unless inp.by

      by = input(inp.by)
      lev = Raw.engrate_result_contribution_curve_level(r, i)
      return Curve.new(by.id, nil, nil) if lev == Raw::NO_INDEX

      Curve.new(by.id, by.levels[lev].id, level_name(by.index, lev, lang))
    end

    NO_FLAGS = FLAG_SETS[0]
    NO_EVIDENCE = FLAG_SETS[Raw::FLAG_NO_EVIDENCE]

    # Copy a C result into a Result (the C result is reused afterwards). What the model
    # alone determines (ids, names, a level's no-evidence flag) comes from caches, so that
    # few calls cross into C.
    def read(h, r, lang)
      ins = inputs
      model_name, cur, per, level = meta_cache
      n = Raw.engrate_result_contribution_count(r)
      contributions = Array.new(n) do |i|
        if i.zero?
          next Contribution.new(nil, nil, "base", nil,
                                Raw.engrate_result_contribution_amount(r, 0), false, NO_FLAGS)
        end

        inp = ins[Raw.engrate_result_contribution_input(r, i)]
        lev = Raw.engrate_result_contribution_level(r, i)
        amount = Raw.engrate_result_contribution_amount(r, i)
        if lev != Raw::NO_INDEX
          lv = inp.levels[lev]
          no_ev = lv.no_evidence?
          Contribution.new(inp.id, lv.id, level_name(inp.index, lev, lang), nil, amount, no_ev,
                           no_ev ? NO_EVIDENCE : NO_FLAGS)
        else
          f = Raw.engrate_result_contribution_flags(r, i)
          Contribution.new(inp.id, nil, input_label(inp.index, lang),
                           Raw.engrate_result_contribution_value(r, i), amount,
                           f & Raw::FLAG_NO_EVIDENCE != 0, FLAG_SETS[f], curve_of(inp, r, i, lang))
        end
      end
      unknown = []
      suggestions = []
      Raw.engrate_result_unknown_count(r).times do |i|
        given = Raw.engrate_result_unknown_name(r, i)
        inp = ins[Raw.engrate_result_unknown_input(r, i)]
        k = FFI::MemoryPointer.new(:size_t)
        found = Raw.engrate_model_suggest(h, inp.index, given, k).zero?
        unknown << Engrate.utf8(given)
        suggestions << Suggestion.new(inp.id, unknown.last,
                                      found ? inp.levels[k.read(:size_t)].id : nil)
      end
      aliased = Array.new(Raw.engrate_result_aliased_count(r)) do |i|
        inp = ins[Raw.engrate_result_aliased_input(r, i)]
        lev = Raw.engrate_result_aliased_level(r, i)
        Aliased.new(Engrate.utf8(Raw.engrate_result_aliased_given(r, i)), inp.id,
                    inp.levels[lev].id, level_name(inp.index, lev, lang))
      end
      Result.new(model_name, Raw.engrate_result_estimate(r), Raw.engrate_result_low(r),
                 Raw.engrate_result_high(r), level, cur, per,
                 FLAG_SETS[Raw.engrate_result_flags(r)], contributions, unknown, suggestions,
                 aliased, lang)
    end

    # The Error of failed profile i, with the single call's message.
    def profile_error(i, code, role, skills, certs, years, strict)
      estimate(role: role, skills: skills, certs: certs, years: years.nan? ? nil : years,
               strict: strict)
      Error.new(code, Raw.engrate_strerror(code), index: i)
    rescue Error => e
      Error.new(code, e.text, line: e.line, column: e.column, source: e.source, index: i)
    end
  end

  # What training found: value(key) ("r_squared", ...), the terms as [name, estimate,
  # std_error], notes, the JSON report and engrate-train's summary.
  class TrainReport
    KEYS = %w[n p lambda r_squared residual_sd df condition_number rows_read rows_skipped
              folds cv_rmse cv_mape coverage interval_level interval_low interval_high].freeze
    attr_reader :terms, :notes, :json, :summary

    def initialize(h)
      @terms = Array.new(RawTrain.engrate_train_report_term_count(h)) do |i|
        [Engrate.utf8(RawTrain.engrate_train_report_term(h, i)),
         RawTrain.engrate_train_report_estimate(h, i), RawTrain.engrate_train_report_std_error(h, i)]
      end
      @notes = Array.new(RawTrain.engrate_train_report_note_count(h)) do |i|
        Engrate.utf8(RawTrain.engrate_train_report_note(h, i))
      end
      @json = RawTrain.engrate_train_report_json(h)&.then { |s| Engrate.utf8(s) }
      @summary = RawTrain.engrate_train_report_summary(h)&.then { |s| Engrate.utf8(s) }
      @values = KEYS.to_h do |k|
        x = RawTrain.engrate_train_report_value(h, k)
        [k, x.nan? ? nil : x]
      end
    end

    def value(key)
      @values[key.to_s]
    end
  end

  # Train a model from a CSV file through the library (what engrate-train does) and,
  # when out_path is given, save it there. Options are engrate-train's flags with
  # underscores for dashes: Engrate.train(path, out, folds: 5, lambda: "auto",
  # set: ["skills:;"], skip_bad_rows: true). Options that add (categorical, set, numeric,
  # meta, source) take an array. Without a name option the model is named after
  # out_path, as engrate-train does. Returns [model, report]; raises Engrate::Error with
  # the CSV line and column of a bad row (and the report, when there is one, in #report).
  def self.train(csv_path, out_path = nil, **options)
    require "engrate/raw_train"
    if out_path && !options.key?(:name) # as engrate-train names it
      options[:name] = File.basename(out_path.to_s).delete_suffix(".model")
    end
    opts = RawTrain.engrate_train_options_new
    raise NoMemoryError, "engrate_train_options_new" if opts.null?

    err = Raw::ErrorStruct.new
    begin
      options.each do |key, value|
        name = key.to_s.tr("_", "-")
        Array(value).each do |v|
          v = { true => "1", false => "0" }.fetch(v, v)
          if RawTrain.engrate_train_options_set(opts, name, v&.to_s, err).negative?
            raise Error.from(err)
          end
        end
      end
      rep_ptr = FFI::MemoryPointer.new(:pointer)
      ptr = RawTrain.engrate_train_csv(csv_path.to_s, opts, rep_ptr, err)
      report = nil
      rp = rep_ptr.read_pointer
      unless rp.null?
        begin
          report = TrainReport.new(rp)
        ensure
          RawTrain.engrate_train_report_free(rp)
        end
      end
      if ptr.null?
        e = Error.from(err)
        e.report = report
        raise e
      end
      model = Model.new(ptr)
      model.save(out_path) unless out_path.nil?
      [model, report]
    ensure
      RawTrain.engrate_train_options_free(opts)
    end
  end
end
