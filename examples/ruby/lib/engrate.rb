# frozen_string_literal: true

# engrate.rb: estimate an IT engineer's monthly rate with libengrate, from Ruby.
#
#   require "engrate"
#   model = Engrate::Model.load                  # the default model, or load(path)
#   r = model.estimate(role: "pmo", skills: ["java"], certs: ["pmp"], years: 8)
#   r = model.estimate("職種" => "PMO", "スキル" => "Java、Python", "経験年数" => "8")
#   puts r.estimate, r.low, r.high, r.currency, r.to_json
#
# The friendly layer over Engrate::Raw (engrate/raw.rb, which finds the library and
# declares every C prototype). This file holds the module's functions and Engrate::Error;
# the rest is one file per concern:
#   engrate/data.rb     results as plain Ruby data (Result, Contribution, ...), JSON
#   engrate/params.rb   values as forms and JSON send them, made into names and numbers
#   engrate/handle.rb   the ownership of one C model (FFI::AutoPointer, close, threads)
#   engrate/inputs.rb   introspection: Input and Level
#   engrate/model.rb    Engrate::Model (estimate.rb, batch.rb: estimating; whatif.rb: what-if)
#   engrate/train.rb    Engrate.train, loaded (with the trainer's library) on first use
# docs/bindings.md and docs/rails.md have more.

require_relative "engrate/raw"

module Engrate
  # Error codes, as in the C header (ENGRATE_E_*).
  %i[OK E_INVALID E_NOMEM E_IO E_SYNTAX E_VERSION E_LIMIT E_DUPLICATE E_UNKNOWN_KEY
     E_NUMBER E_MISSING E_UTF8 E_UNKNOWN_NAME E_DATA E_SINGULAR].each do |name|
    const_set(name, Raw.const_get(name))
  end

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

  # Train a model (engrate/train.rb): the trainer's library is loaded on the first call.
  def self.train(...)
    require_relative "engrate/train"
    Training.train(...)
  end

  # A failure reported by libengrate, or bad input found before calling it: code is the
  # negative E_* code, text the full message ("jp.model:41:17: unknown key ..."), line and
  # column 1-based or 0 where they do not apply, source the file or buffer name; index the
  # profile's position in estimate_many. Marshals with all of these (Marshal keeps an
  # exception's instance variables and message).
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

    # The error as data, e.g. for a JSON response: code, reason, text, line, column,
    # source, index (string keys).
    def to_h
      { "code" => code, "reason" => reason, "text" => text, "line" => line,
        "column" => column, "source" => source, "index" => index }
    end

    def as_json(_options = nil) = to_h

    def to_json(*args)
      require "json"
      to_h.to_json(*args)
    end

    def self.from(err, code: nil, index: nil)
      code = err[:code] if code.nil? || err[:code] != 0
      text = Engrate.utf8(err[:text].to_s)
      text = Raw.engrate_strerror(code) if text.empty?
      new(code, text, line: err[:line], column: err[:column],
                      source: Engrate.utf8(err[:source].to_s), index: index)
    end
  end

  # ---- Helpers ----------------------------------------------------------------------

  # Result flags by the names engrate-estimate --json uses, in its order; :reference marks
  # the breakdown's rows measured from the model's reference profile (contributions only).
  FLAG_NAMES = [[:unknown, Raw::FLAG_UNKNOWN], [:clamped, Raw::FLAG_CLAMPED],
                [:defaulted, Raw::FLAG_DEFAULTED], [:no_evidence, Raw::FLAG_NO_EVIDENCE],
                [:missing, Raw::FLAG_MISSING], [:reference, Raw::FLAG_REFERENCE]].freeze
  FLAG_SETS = Hash.new do |h, bits|
    h[bits] = FLAG_NAMES.filter_map { |name, bit| name if bits & bit != 0 }.freeze
  end
  private_constant :FLAG_SETS
  SIZE_T_PACK = FFI.type_size(:size_t) == 8 ? "Q*" : "L*"
  POINTER_PACK = FFI::Pointer.size == 8 ? "Q*" : "L*"

  # The flag names (symbols) of flag bits, frozen and shared.
  def self.flag_names(bits)
    FLAG_SETS[bits]
  end

  def self.utf8(s)
    s.force_encoding(Encoding::UTF_8)
  end

  # A name as the C API takes it: UTF-8 with no NUL. Strings in another encoding are
  # converted; binary and US-ASCII strings (ARGV under the C locale) go through as they
  # are, for the library to refuse invalid UTF-8 with E_UTF8. A NUL, which a form can
  # send (%00), is bad input like invalid UTF-8: Engrate::Error, E_INVALID.
  def self.c_string(s)
    s = s.to_s if s.is_a?(Symbol)
    raise TypeError, "a name must be a String, not #{s.class}" unless s.is_a?(String)

    enc = s.encoding
    s = s.encode(Encoding::UTF_8) unless enc == Encoding::UTF_8 || enc == Encoding::BINARY ||
                                         enc == Encoding::US_ASCII
    raise Error.new(E_INVALID, "a name cannot contain NUL: #{s.inspect}") if s.include?("\0")

    s
  end

  # A char *[] for many names (nil: NULL) in one block of C memory: the pointers, then the
  # names, NUL-terminated; in a long list (a batch), each distinct name once and checked
  # once (c_string). Returns the block (keep it until the call) or nil for no names.
  def self.c_strings(names)
    return nil if names.empty?

    head = names.size * FFI::Pointer.size
    return c_strings_shared(names, head) if names.size > 16

    names = names.map { |s| s && c_string(s) }
    size = names.sum { |s| s ? s.bytesize + 1 : 0 }
    mem = FFI::MemoryPointer.new(:uint8, head + [size, 1].max, false)
    at = mem.address + head
    pointers = names.map do |s|
      next 0 if s.nil?

      p = at
      at += s.bytesize + 1
      p
    end
    strings = names.compact
    mem.put_bytes(0, pointers.pack(POINTER_PACK) << strings.pack(Z_PACK[strings.size]))
    mem
  end

  Z_PACK = Hash.new { |h, n| h[n] = ("Z*" * n).freeze }
  private_constant :Z_PACK

  def self.c_strings_shared(names, head)
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
    mem = FFI::MemoryPointer.new(:uint8, head + [size, 1].max, false)
    base = mem.address + head
    at.transform_values! { |offset| base + offset }
    at[nil] = 0
    mem.put_bytes(0, names.map(&at).pack(POINTER_PACK) << distinct.pack("Z*" * distinct.size))
    mem
  end
  private_class_method :c_strings_shared
end

require_relative "engrate/data"
require_relative "engrate/params"
require_relative "engrate/handle"
require_relative "engrate/inputs"
require_relative "engrate/model"
require_relative "engrate/whatif"
