#!/usr/bin/env ruby
# frozen_string_literal: true

# estimate.rb: engrate-estimate written in Ruby on the engrate library. It takes the same
# flags and prints the same bytes (text, --json, --list, --help, --version) with the same
# exit statuses, so it doubles as an example of the binding and as a test of it.
#
#   ruby examples/ruby/estimate.rb --role pmo --years 8 --skill java --cert pmp

$LOAD_PATH.unshift(File.join(__dir__, "lib"))
require "engrate"

module EstimateCLI
  EXIT_LOAD = 1
  EXIT_USAGE = 2

  USAGE = <<~TEXT
    Usage: engrate-estimate [--model FILE] --role ROLE [--skill NAME]... [--cert NAME]...
                            [--years N] [--input NAME=VALUE]... [--strict] [--json]
                            [--lang en|ja]
           engrate-estimate [--model FILE] --list inputs|roles|skills|certs|INPUT [--json]

    Estimate an IT engineer's monthly rate with an engrate model.

      -m, --model FILE   model file (default: $ENGRATE_MODEL, else the installed default)
      -r, --role ROLE    the role, e.g. pmo, PM, プロマネ
      -s, --skill NAMES  a skill; repeat the option or separate names with , ; 、 or ，
      -c, --cert NAMES   a certification; repeat or separate as for --skill
      -y, --years N      years of experience ('' or nan: not known)
      -i, --input NAME=VALUE  any input of the model, by its id or label (e.g. 職種=PMO);
                         a set's names separated as for --skill, a number NA if not known
          --strict       fail (exit 2) on a name the model does not know
          --json         print one JSON object
          --lang en|ja   language of names and amounts (ja: amounts in 万円)
      -l, --list WHAT    the model's inputs (inputs), or an input's levels or range
                         (roles, skills, certs, or any input's id or label)
      -h, --help         this help
      -V, --version      the version

    Exit status: 0 success, 1 the model cannot be loaded, 2 usage error or unknown name
    with --strict.
  TEXT

  SHORT = { "m" => true, "r" => true, "s" => true, "c" => true, "y" => true, "l" => true,
            "i" => true, "h" => false, "V" => false }.freeze
  LONG = { "model" => ["m", true], "role" => ["r", true], "skill" => ["s", true],
           "cert" => ["c", true], "years" => ["y", true], "strict" => ["S", false],
           "json" => ["j", false], "lang" => ["L", true], "list" => ["l", true],
           "help" => ["h", false], "version" => ["V", false],
           "input" => ["i", true] }.freeze

  module_function

  # Parse as glibc's getopt_long does with the C program's options: options anywhere (the
  # others kept, in order, for after them), clusters (-hV, -mFILE), long options by unique
  # prefix, --name=value, and "--" to end options. Returns [options, other arguments],
  # the options as [key, value] pairs and [nil, message] at an error.
  def getopt_long(prog, args)
    out = []
    rest = []
    i = 0
    while i < args.size
      a = args[i]
      i += 1
      if a == "--"
        rest.concat(args[i..])
        break
      elsif a.start_with?("--")
        name, eq, value = a[2..].partition("=")
        found = LONG.key?(name) ? [name] : LONG.keys.select { |n| n.start_with?(name) }
        return [out << [nil, "#{prog}: unrecognized option '#{a}'"], rest] if found.empty?
        if found.size > 1
          list = found.map { |n| " '--#{n}'" }.join
          return [out << [nil, "#{prog}: option '#{a}' is ambiguous; possibilities:#{list}"],
                  rest]
        end
        key, takes = LONG[found[0]]
        if !takes && !eq.empty?
          return [out << [nil, "#{prog}: option '--#{found[0]}' doesn't allow an argument"],
                  rest]
        end
        if takes && eq.empty?
          if i == args.size
            return [out << [nil, "#{prog}: option '--#{found[0]}' requires an argument"], rest]
          end

          value = args[i]
          i += 1
        end
        out << [key, takes ? value : nil]
      elsif a.start_with?("-") && a != "-"
        k = 1
        while k < a.size
          c = a[k]
          k += 1
          return [out << [nil, "#{prog}: invalid option -- '#{c}'"], rest] unless SHORT.key?(c)

          unless SHORT[c]
            out << [c, nil]
            next
          end
          if k < a.size
            out << [c, a[k..]]
          elsif i < args.size
            out << [c, args[i]]
            i += 1
          else
            return [out << [nil, "#{prog}: option requires an argument -- '#{c}'"], rest]
          end
          break
        end
      else
        rest << a
      end
    end
    [out, rest]
  end

  STRTOD = /\A[ \t\n\v\f\r]*([+-]?)(?:([0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)|0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)|((?i:inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)))\z/n.freeze
  DBL_MIN = 2.2250738585072014e-308

  # The number; NaN for "not known" (blanks only, or a NaN); nil where engrate-estimate
  # refuses it: strtod would leave text over or set ERANGE (overflow; a result below
  # DBL_MIN that is not exact), or it is infinite.
  def parse_years(s)
    return Float::NAN if s.b.match?(/\A[ \t\n\v\f\r]*\z/n)

    m = STRTOD.match(s.b)
    return nil if m.nil?
    return m[4].downcase.start_with?("nan") ? Float::NAN : nil if m[4]

    sign, dec, hexa = m[1], m[2], m[3]
    if dec
      dec = dec.sub(/\A\./, "0.").sub(/\.(?=[eE]|\z)/, ".0")
      x = Float(dec)
    else
      digits, _, exp = hexa.downcase.partition("p")
      whole, _, frac = digits.partition(".")
      x = Float("0x#{whole.empty? ? "0" : whole}.#{frac.empty? ? "0" : frac}p#{exp.empty? ? "0" : exp}")
    end
    return nil if x.infinite?
    return sign == "-" ? -x : x if x.abs >= DBL_MIN

    # Below DBL_MIN strtod sets ERANGE unless the result is exact.
    mantissa = (dec || digits).split(/[eE]/)[0]
    return nil if x.zero? && mantissa.delete("0.") != ""
    unless x.zero?
      exact = if dec
                Rational(dec)
              else
                Rational((whole + frac).to_i(16), 16**frac.size) * Rational(2)**exp.to_i
              end
      return nil if x.to_r != exact
    end

    sign == "-" ? -x : x
  end

  # The names of one --skill or --cert as engrate_query_add_list splits them: at each
  # , ; 、 ， ； ､, each part's surrounding blanks trimmed (blank parts name nothing).
  LIST_SEPARATOR = /,|;|\u3001|\uFF0C|\uFF1B|\uFF64/.freeze
  LIST_BLANKS = /\A[ \t\n\v\f\r\u00A0\u3000]+|[ \t\n\v\f\r\u00A0\u3000]+\z/.freeze
  def split_names(arg)
    arg = arg.dup.force_encoding(Encoding::UTF_8)
    return [arg] unless arg.valid_encoding? # the library refuses it, with its message

    arg.split(LIST_SEPARATOR, -1).map { |t| t.gsub(LIST_BLANKS, "") }
  end

  # ---- Output helpers (byte for byte those of examples/engrate-estimate.c) ---------------

  def json_string(s)
    out = +'"'
    (s || "").each_char do |ch|
      o = ch.ord
      out << if ch == '"' || ch == "\\" then "\\#{ch}"
             elsif ch == "\n" then "\\n"
             elsif ch == "\t" then "\\t"
             elsif o < 0x20 || o == 0x7F then format("\\u%04x", o)
             else ch
             end
    end
    out << '"'
  end

  def json_number(x)
    x.nil? || !x.finite? ? "null" : format("%.17g", x)
  end

  def format_grouped(x)
    digits = format("%.0f", x.abs)
    n = digits.size
    digits.chars.each_with_index.map { |d, i| (i.positive? && ((n - i) % 3).zero? ? "," : "") + d }.join
  end

  def amount(v, x, sign = false)
    return "?" unless x.finite?

    s = x.negative? ? "-" : sign ? "+" : ""
    return format("%s%.1f万円", s, x.abs / 10_000.0) if v[:ja] && v[:currency] == "JPY"
    return "#{s}¥#{format_grouped(x)}" if v[:currency] == "JPY"

    "#{s}#{format_grouped(x)} #{v[:currency]}"
  end

  # Terminal columns, as the C program counts them (over the UTF-8 bytes).
  def display_width(s)
    b = s.b.bytes
    w = 0
    p = 0
    while p < b.size
      c = b[p]
      n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4
      cp = n == 1 ? c : c & (0xFF >> (n + 1))
      (1...n).each do |k|
        break if p + k >= b.size || b[p + k].zero?

        cp = (cp << 6) | (b[p + k] & 0x3F)
      end
      wide = cp >= 0x1100 && (cp <= 0x115F || (0x2E80..0xA4CF).cover?(cp) ||
                              (0xAC00..0xD7A3).cover?(cp) || (0xF900..0xFAFF).cover?(cp) ||
                              (0xFE30..0xFE4F).cover?(cp) || (0xFF00..0xFF60).cover?(cp) ||
                              (0xFFE0..0xFFE6).cover?(cp))
      w += wide ? 2 : 1
      p += n
    end
    w
  end

  def lround(x)
    f = x.floor
    f + (x - f >= 0.5 ? 1 : 0)
  end

  def bar(eighths)
    parts = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    e = lround(eighths)
    ("█" * (e / 8)) + parts[e % 8]
  end

  def term_label(v, c)
    return v[:ja] ? "基本額" : "base" if c.input.nil?

    label = v[:m].input(c.input).label(v[:lang])
    return "#{label}: #{c.name}" unless c.level.nil?
    return format("%s: %g (%s)", label, c.value, c.curve.name) if c.curve&.level

    format("%s: %g", label, c.value)
  end

  def flag_note(v, flags)
    return v[:ja] ? " (根拠データなし)" : " (no evidence: no premium)" if flags.include?(:no_evidence)
    return v[:ja] ? " (学習範囲外: 端の値を使用)" : " (outside the data: clamped)" if flags.include?(:clamped)
    return v[:ja] ? " (未指定: 既定値)" : " (not given: default)" if flags.include?(:defaulted)

    ""
  end

  def text(v, r)
    m = v[:m]
    ja = v[:ja]
    o = +""
    o << format("%s %s (%s %s, %s %s)\n\n", ja ? "モデル:" : "Model:", m.name || "?",
                v[:currency], ja ? "/ 月" : "per month", ja ? "時点" : "as of",
                m.meta("as_of") || "?")
    period = m.period
    o << format("  (%s: %s)\n", ja ? "期間" : "amounts per", period) if period && period != "month"
    o << format("  %s  %s\n", ja ? "推定月額単価" : "Estimate", amount(v, r.estimate))
    o << format("  %s  %s – %s (%.0f%%)\n\n", ja ? "予測区間    " : "Interval", amount(v, r.low),
                amount(v, r.high), r.level * 100)
    labels = r.contributions.map { |c| term_label(v, c) }
    biggest = (r.contributions.map { |c| c.amount.abs } + [0]).max
    width = (labels.map { |s| display_width(s) } + [0]).max
    o << format("  %s\n", ja ? "内訳" : "Breakdown")
    r.contributions.each_with_index do |c, i|
      a = amount(v, c.amount, i.positive?)
      field = 12 + a.bytesize - display_width(a)
      label = labels[i]
      o << "    " << label << (" " * [0, width + 2 - display_width(label)].max)
      o << (" " * [0, field - a.bytesize].max) << a << "  "
      o << "-" if c.amount.negative?
      o << bar(biggest.positive? ? c.amount.abs / biggest * 24 * 8 : 0)
      o << flag_note(v, c.flags) << "\n"
    end
    unless r.unknown.empty?
      o << format("\n  %s\n", ja ? "見つからない名前 (無視しました):" : "Unknown (ignored):")
    end
    r.suggestions.each do |s|
      inp = m.input(s.input)
      o << format("    %s '%s'", inp.label(v[:lang]), s.given)
      unless s.suggestion.nil?
        o << format(ja ? " もしかして '%s'?" : " (did you mean '%s'?)",
                    inp.level(s.suggestion).name(v[:lang]))
      end
      o << "\n"
    end
    o << format("\n  %s\n", ja ? "別名で一致:" : "Matched by another name:") unless r.aliased.empty?
    r.aliased.each { |a| o << "    '#{a.given}' → #{a.name}\n" }
    o
  end

  # ', "curve": ...' for a term of an input whose curve varies by a level, else ''.
  def json_curve(c)
    return "" unless c.key?("curve")

    k = c["curve"]
    return ", \"curve\": null" if k.nil?

    ", \"curve\": {\"input\": #{json_string(k["input"])}, \"level\": " \
      "#{json_string(k["level"])}, \"name\": #{json_string(k["name"])}}"
  end

  def as_json(v, r)
    d = r.to_h
    o = +"{\"model\": #{json_string(d["model"])}"
    o << ", \"estimate\": #{json_number(r.estimate)}, \"low\": #{json_number(r.low)}"
    o << ", \"high\": #{json_number(r.high)}, \"level\": #{json_number(r.level)}"
    o << ", \"currency\": #{json_string(v[:currency])}, \"period\": #{json_string(d["period"])}"
    o << ", \"contributions\": ["
    o << d["contributions"].map do |c|
      "{\"input\": #{json_string(c["input"])}, \"level\": " \
        "#{c["level"].nil? ? "null" : json_string(c["level"])}, \"name\": " \
        "#{json_string(c["name"])}, \"value\": #{json_number(c["value"])}, \"amount\": " \
        "#{json_number(c["amount"])}, \"no_evidence\": #{c["no_evidence"]}#{json_curve(c)}}"
    end.join(", ")
    o << "], \"unknown\": [" << d["unknown"].map { |u| json_string(u) }.join(", ")
    o << "], \"suggestions\": ["
    o << d["suggestions"].map do |s|
      "{\"input\": #{json_string(s["input"])}, \"given\": #{json_string(s["given"])}, " \
        "\"suggestion\": #{s["suggestion"].nil? ? "null" : json_string(s["suggestion"])}}"
    end.join(", ")
    o << "], \"aliased\": ["
    o << d["aliased"].map do |a|
      "{\"given\": #{json_string(a["given"])}, \"input\": #{json_string(a["input"])}, " \
        "\"level\": #{json_string(a["level"])}, \"name\": #{json_string(a["name"])}}"
    end.join(", ")
    o << "], \"flags\": [" << d["flags"].map { |f| "\"#{f}\"" }.join(", ") << "]}\n"
  end

  # The input a user names, by id or label, or nil after saying which inputs there are.
  def find_input(v, name, err)
    what = "the model has no input"
    inp = begin
      v[:m].find_input(name)
    rescue Engrate::Error
      what = "more than one input is called"
      nil
    end
    if inp.nil?
      err << "engrate-estimate: #{what} '#{name}' (inputs:" \
             "#{v[:m].inputs.map { |i| " #{i.label(v[:lang])}" }.join})\n"
    end
    inp
  end

  def list_inputs(v, json, out)
    inputs = v[:m].inputs
    if json
      out << "[" << inputs.map do |i|
        "{\"id\": #{json_string(i.id)}, \"kind\": \"#{i.kind}\", " \
          "\"label\": #{json_string(i.label(v[:lang]))}, \"levels\": #{i.levels.size}}"
      end.join(", ") << "]\n"
      return 0
    end
    inputs.each do |i|
      more = if i.kind == :numeric
               format("  (%g to %g, default %g)", i.min, i.max, i.default)
             else
               "  (#{i.levels.size} levels)"
             end
      out << format("%-20s %-12s %s%s\n", i.id, i.kind, i.label(v[:lang]), more)
    end
    0
  end

  def list_range(v, inp, json, out)
    if json
      out << "{\"id\": #{json_string(inp.id)}, \"min\": #{json_number(inp.min)}, " \
             "\"max\": #{json_number(inp.max)}, \"default\": #{json_number(inp.default)}, " \
             "\"knots\": [#{inp.knots.map { |k| json_number(k) }.join(", ")}]}\n"
      return 0
    end
    line = format("%s: a number from %g to %g (default %g)", inp.label(v[:lang]), inp.min,
                  inp.max, inp.default)
    inp.knots.each_with_index { |k, i| line << format("%s%g", i.zero? ? "; knots at " : ", ", k) }
    out << line << "\n"
    0
  end

  def list_levels(v, what, json, out, err)
    m = v[:m]
    named = begin
      !m.find_input(what).nil?
    rescue Engrate::Error
      true
    end
    return list_inputs(v, json, out) if what == "inputs" && !named

    inp = find_input(v, what == "roles" ? "role" : what, err)
    return EXIT_USAGE if inp.nil?
    return list_range(v, inp, json, out) if inp.kind == :numeric

    out << "[" if json
    inp.levels.each_with_index do |lv, k|
      if json
        out << "#{k.positive? ? ", " : ""}{\"id\": #{json_string(lv.id)}, \"en\": " \
               "#{json_string(lv.name("en"))}, \"ja\": #{json_string(lv.name("ja"))}, " \
               "\"coef\": #{json_number(lv.coef)}, \"no_evidence\": #{lv.no_evidence?}, " \
               "\"aliases\": [#{lv.aliases.map { |a| json_string(a) }.join(", ")}]}"
        next
      end
      line = +"#{lv.id}#{" " * [0, 20 - lv.id.bytesize].max} #{lv.name(v[:lang])}"
      line << "  [#{lv.aliases.join(", ")}]" unless lv.aliases.empty?
      line << "  (no evidence)" if lv.no_evidence?
      out << line << "\n"
    end
    out << "]\n" if json
    0
  end

  SEPARATORS = /[,;、，；]/

  # A set's names as the C program splits them (when the whole value is not a name): at
  # , 、 ， ; ； without blanks (' ', U+3000) around each.
  def set_names(value)
    value.split(SEPARATORS).map { |t| t.gsub(/\A[ \u3000]+|[ \u3000]+\z/, "") }.reject(&:empty?)
  end

  # --input NAME=VALUE arguments as [name, value] pairs for Model#estimate, or nil after
  # the error message.
  def input_pairs(v, args, err)
    args.map do |arg|
      name, eq, value = arg.partition("=")
      if eq.empty? || name.empty? || name.bytesize >= 512
        err << "engrate-estimate: --input takes NAME=VALUE, not '#{arg}'\n"
        return nil
      end
      inp = find_input(v, name, err) or return nil
      next if inp.kind == :numeric && not_known?(value)

      if inp.kind == :numeric
        x = parse_years(value)
        if x.nil?
          err << "engrate-estimate: --input #{name}: '#{value}' is not a number\n"
          return nil
        end
        [inp.id, x]
      else
        whole = inp.kind != :set || !v[:m].find(inp.id, value).nil?
        [inp.id, whole ? value : set_names(value)]
      end
    end.compact
  end

  # A number given as not known: empty, NA, or what strtod reads as NaN.
  def not_known?(value)
    m = STRTOD.match(value.b)
    value.empty? || value.casecmp?("NA") || m&.[](4)&.downcase&.start_with?("nan") || false
  end

  # The program; appends to out and err and returns the exit status.
  def run(prog, args, out, err)
    opts, rest = getopt_long(prog, args)
    model_path = role = list_what = years = nil
    lang = "en"
    skills = []
    certs = []
    inputs = []
    strict = json = given = false
    opts.each do |key, value|
      case key
      when nil
        err << value << "\n" << USAGE
        return EXIT_USAGE
      when "m" then model_path = value
      when "r" then role = value
      when "s", "c"
        (key == "s" ? skills : certs).concat(split_names(value))
        given = true
      when "y"
        years = parse_years(value)
        if years.nil?
          err << "engrate-estimate: --years '#{value}' is not a number\n"
          return EXIT_USAGE
        end
        given = true
      when "i"
        inputs << value
        given = true
      when "S" then strict = true
      when "j" then json = true
      when "L"
        unless %w[en ja].include?(value)
          err << "engrate-estimate: --lang takes en or ja, not '#{value}'\n"
          return EXIT_USAGE
        end
        lang = value
      when "l" then list_what = value
      when "h"
        out << USAGE
        return 0
      when "V"
        out << "engrate-estimate #{Engrate.version}\n"
        return 0
      end
    end
    unless rest.empty?
      err << "engrate-estimate: unexpected argument '#{rest[0]}'\n" << USAGE
      return EXIT_USAGE
    end
    if list_what.nil? && role.nil? && !given
      err << "engrate-estimate: give a profile (--role, --skill, --cert, --years, --input) " \
             "or --list\n" << USAGE
      return EXIT_USAGE
    end
    begin
      model = Engrate::Model.load(model_path)
    rescue Engrate::Error => e
      err << "engrate-estimate: #{e.text}\n"
      if model_path.nil? && e.code == Engrate::E_IO
        err << "engrate-estimate: no default model; give --model FILE or set ENGRATE_MODEL\n"
      end
      return EXIT_LOAD
    end
    begin
      v = { m: model, lang: lang, ja: lang == "ja", currency: model.currency || "?" }
      return list_levels(v, list_what, json, out, err) unless list_what.nil?

      pairs = inputs.empty? ? nil : input_pairs(v, inputs, err)
      return EXIT_USAGE if !inputs.empty? && pairs.nil?

      begin
        r = model.estimate(role: role, skills: skills, certs: certs,
                           years: years&.nan? ? nil : years, strict: strict, lang: lang,
                           inputs: pairs)
      rescue Engrate::Error => e
        err << "engrate-estimate: #{e.text}\n"
        return e.code == Engrate::E_NOMEM ? EXIT_LOAD : EXIT_USAGE
      end
      out << (json ? as_json(v, r) : text(v, r))
      0
    ensure
      model.close
    end
  end

  def main
    out = +""
    err = +""
    # ARGV as the bytes given, like C's argv.
    status = run($PROGRAM_NAME, ARGV.map { |a| a.dup.force_encoding(Encoding::UTF_8) }, out, err)
    begin
      $stdout.binmode.write(out)
      $stdout.flush
    rescue SystemCallError, IOError
      err << "engrate-estimate: cannot write the output\n"
      status = EXIT_LOAD
    end
    $stderr.binmode.write(err)
    status
  end
end

exit(EstimateCLI.main) if $PROGRAM_NAME == __FILE__
