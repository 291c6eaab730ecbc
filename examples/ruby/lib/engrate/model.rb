# frozen_string_literal: true

# engrate/model.rb: Engrate::Model, a loaded model: loading, copying (dup, clone,
# Marshal), closing, and what the model says about itself. Estimating is in
# engrate/estimate.rb.

module Engrate
  # A loaded model. Immutable, so any number of threads may estimate with one model at
  # once (a Puma worker's threads sharing one constant, say), and forked processes each
  # use their copy. Its C memory is freed by #close, at the end of a Model.open block, or
  # by the garbage collector, whichever comes first (engrate/handle.rb). dup and clone
  # load an independent copy; Marshal dumps the model's text.
  class Model
    # Load a model file; with path nil, the default model ($ENGRATE_MODEL, else the
    # installed default). Raises Engrate::Error (code, line, column, text).
    def self.load(path = nil)
      new(path)
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
      allocate.tap { |m| m.send(:adopt, Model.send(:parse, text, source)) }
    end

    # The C model of a text, or Engrate::Error.
    def self.parse(text, source)
      data = text.to_s.b
      mem = FFI::MemoryPointer.new(:char, [data.bytesize, 1].max)
      mem.put_bytes(0, data)
      err = Raw::ErrorStruct.new
      ptr = Raw.engrate_model_load_buffer(mem, data.bytesize, source&.to_s, 0, err)
      raise Error.from(err) if ptr.null?

      ptr
    end
    private_class_method :parse

    # Model.new(path = nil) is Model.load(path).
    def initialize(path = nil)
      err = Raw::ErrorStruct.new
      ptr = if path.nil?
              Raw.engrate_model_load_default(0, err)
            else
              Raw.engrate_model_load(path.to_s, 0, err)
            end
      raise Error.from(err) if ptr.null?

      adopt(ptr)
    end

    # dup and clone: a model of its own, loaded from this one's text, so that closing
    # either leaves the other working. A closed model cannot be copied (IOError).
    def initialize_copy(orig)
      text = orig.to_s
      super
      adopt(Model.send(:parse, text, orig.name))
    end

    # Marshal: a model travels as its text (to another process, a cache, DRb).
    def marshal_dump
      to_s
    end

    def marshal_load(text)
      adopt(Model.send(:parse, text, nil))
    end

    # Free the C model now; further use raises IOError. Idempotent. If other threads are
    # still estimating, the memory is freed when the last one finishes.
    def close
      @handle.close
    end

    def closed?
      @handle.closed?
    end

    def meta(key)
      s = use { |h| Raw.engrate_model_meta(h, key.to_s) }
      s && Engrate.utf8(s)
    end

    def name = meta("name")
    def currency = meta("currency")
    def period = meta("period")

    def training(key)
      x = use { |h| Raw.engrate_model_training(h, key.to_s) }
      x.nan? ? nil : x
    end

    def interval_level
      use { |h| Raw.engrate_model_interval_level(h) }
    end

    # The model's canonical text (what #save writes).
    def to_s
      len = FFI::MemoryPointer.new(:size_t)
      err = Raw::ErrorStruct.new
      use do |h|
        ptr = Raw.engrate_model_to_string(h, len, err)
        raise Error.from(err) if ptr.null?

        begin
          Engrate.utf8(ptr.get_bytes(0, len.read(:size_t)))
        ensure
          Raw.engrate_string_free(ptr)
        end
      end
    end

    # Write the model in canonical form to path (atomically).
    def save(path)
      err = Raw::ErrorStruct.new
      rc = use { |h| Raw.engrate_model_save(h, path.to_s, 0, err) }
      raise Error.from(err) if rc.negative?

      nil
    end

    # The model's inputs, in model order.
    def inputs
      @handle.check
      input_table[0]
    end

    # The input with this id, or this label in any of the model's languages (folded as
    # names are: "Skills", "スキル", "ｽｷﾙ"); KeyError when the model has none, or more
    # than one.
    def input(key)
      input_for(key) { |message| raise KeyError, message }
    end

    # The input people call name (as #input finds it), or nil when there is none.
    # Engrate::Error (E_DUPLICATE) when more than one input is called name.
    def find_input(name)
      input_for(name) { |message, code| code == E_DUPLICATE ? raise(Error.new(code, message)) : nil }
    end

    # The levels of a categorical or set input.
    def levels(input_key) = input(input_key).levels
    def roles = levels("role")
    def skills = levels("skills")
    def certs = levels("certs")

    # [display name, id] pairs of an input's levels, for a form's select.
    def choices(input_key, lang: "en") = input(input_key).choices(lang.to_s)

    # The level a name matches (ids, display names, aliases, after folding), or nil (a
    # blank name matches nothing).
    def find(input_key, name)
      inp = input(input_key)
      c = Engrate.c_string(name)
      level = FFI::MemoryPointer.new(:size_t)
      rc = use { |h| Raw.engrate_model_find_level(h, inp.index, c, level, nil) }
      return nil if rc == Raw::E_UNKNOWN_NAME
      raise Error.new(rc, "cannot match #{name.inspect}: #{Raw.engrate_strerror(rc)}") if rc.negative?

      inp.levels[level.read(:size_t)]
    end

    # The level closest to an unknown name, or nil when none is close.
    def suggest(input_key, name)
      inp = input(input_key)
      c = Engrate.c_string(name)
      k = use { |h| suggestion(h, inp.index, c) }
      k && inp.levels[k]
    end

    # True when the model has a reference profile (the typical row of its training data):
    # its breakdowns are then measured from that profile's estimate, #base.
    def reference?
      use { |h| Raw.engrate_model_has_reference(h) == 1 }
    end

    # The breakdown's base in currency: the reference profile's estimate, or without one
    # the inverse-transformed intercept.
    def base
      use { |h| Raw.engrate_model_base(h) }
    end

    def inspect
      closed? ? "#<Engrate::Model (closed)>" : "#<Engrate::Model #{name}>"
    end

    private

    # Take ownership of a C model. The caches live in a Hash of their own, so that a
    # frozen Model (a constant) still fills them.
    def adopt(ptr)
      @handle = Handle.new(ptr)
      @cache = { names: {}, labels: {}, keys: {} }
    end

    def use(&block)
      @handle.use(&block)
    end

    # [inputs, {id => Input}], made once; ids as strings and as symbols.
    def input_table
      @cache[:inputs] ||= use do |h|
        list = Array.new(Raw.engrate_model_input_count(h)) { |i| Input.send(:new, self, i, h) }
        exact = {}
        list.each { |inp| exact[inp.id] = exact[inp.id.to_sym] = inp }
        [list.freeze, exact.freeze].freeze
      end
    end

    # The Input that key names: its id, else what engrate_model_find_input finds (the id
    # or any label, compared after folding: "職種", "Role", "ＳＫＩＬＬＳ"), remembered for
    # the next call (up to 1,024 keys). Otherwise yields and returns what the block
    # returns; the block gets the message and the code, E_UNKNOWN_NAME or
    # E_DUPLICATE.
    def input_for(key)
      @handle.check
      list, exact = input_table
      inp = exact[key]
      return inp if inp

      s = key.is_a?(Symbol) ? key.to_s : key
      raise TypeError, "an input is named by a String or Symbol, not #{key.class}" unless s.is_a?(String)

      found = @cache[:keys][s] || begin
        at = FFI::MemoryPointer.new(:size_t)
        c = Engrate.c_string(s)
        rc = use { |h| Raw.engrate_model_find_input(h, c, at) }
        r = rc.zero? ? list[at.read(:size_t)] : rc
        @cache[:keys][s.frozen? ? s : s.dup.freeze] = r if @cache[:keys].size < 1024
        r
      end
      return found if found.is_a?(Input)

      return yield(ambiguous_key(key), E_DUPLICATE) if found == Raw::E_DUPLICATE

      yield unknown_key(key), E_UNKNOWN_NAME
    end

    def unknown_key(key)
      ids = inputs.map(&:id)
      message = "the model #{name} has no input #{key.to_s.inspect} " \
                "(its inputs: #{inputs.map { |i| "#{i.id} (#{i.label})" }.join(", ")})"
      if defined?(DidYouMean::SpellChecker)
        near = DidYouMean::SpellChecker.new(dictionary: ids).correct(key.to_s)
        message += "; did you mean #{near.first.inspect}?" unless near.empty?
      end
      message
    end

    def ambiguous_key(key)
      "more than one input of the model #{name} is called #{key.to_s.inspect}: " \
        "give the input's id (#{inputs.map(&:id).join(", ")})"
    end

    # Names by language, cached: a model does not change. h: the C model when the caller
    # is already inside the handle (reading a result).
    def level_name(input, level, lang, h = nil)
      names = cache_for(:names, lang)
      key = (input << 32) | level
      names[key] ||=
        Engrate.utf8(inside(h) { |m| Raw.engrate_level_name(m, input, level, lang.to_s) })
    end

    def input_label(input, lang, h = nil)
      labels = cache_for(:labels, lang)
      labels[input] ||= Engrate.utf8(inside(h) { |m| Raw.engrate_input_label(m, input, lang.to_s) })
    end

    # The cache of one language; a throwaway one past 32 languages, so that a lang taken
    # from a request cannot grow the cache without bound.
    def cache_for(kind, lang)
      by_lang = @cache[kind]
      by_lang[lang] || (by_lang.size < 32 ? (by_lang[lang] = {}) : {})
    end

    # The index of the level closest to an unknown name, or nil.
    def suggestion(h, input, name)
      level = FFI::MemoryPointer.new(:size_t)
      Raw.engrate_model_suggest(h, input, name, level).zero? ? level.read(:size_t) : nil
    end

    # What the model calls its reference profile in the breakdown, as engrate-estimate
    # does: its typical listing when the model measures listings, else its typical profile.
    def typical(lang)
      listing = meta("basis") == "listing"
      if lang == "ja"
        listing ? "平均的な案件" : "平均的なプロフィール"
      else
        listing ? "typical listing" : "typical profile"
      end
    end

    def inside(h, &block)
      h ? yield(h) : use(&block)
    end
  end

  # The names of a set typed in one field ("Java、Python; SQL"), as the library splits them
  # (engrate_query_add_list): at , ; 、 ， ； ､ (never at "/" or spaces), each part
  # trimmed, blank parts dropped.
  def self.split_names(text)
    Params.split(c_string(text))
  end

  FOLD_CAP = 1025 # a folded name has at most 1024 bytes (engrate.h), and its NUL

  # A name folded the way the library matches names (engrate_fold_name), or nil when the
  # library refuses it (invalid UTF-8, or longer folded than any name of a model can be).
  def self.fold(name)
    s = name.to_s
    return nil if s.include?("\0")

    buf = FFI::MemoryPointer.new(:char, FOLD_CAP)
    len = FFI::MemoryPointer.new(:size_t)
    return nil unless Raw.engrate_fold_name(s, buf, FOLD_CAP, len).zero?

    Engrate.utf8(buf.get_bytes(0, len.read(:size_t)))
  end
end

require_relative "estimate"
