#!/usr/bin/env ruby
# frozen_string_literal: true

# estimate.rb: engrate-estimate written in Ruby on the engrate library. It takes the same
# flags and prints the same bytes (text, --json, --list, --whatif, --target-rate, --help,
# --version) with the same exit statuses, so it doubles as an example of the binding and
# as a test of it. This file holds the options and the program; estimate_format.rb the
# output, estimate_inputs.rb any model's inputs, estimate_whatif.rb the what-if questions
# (as engrate-estimate.c, estimate-inputs.c and engrate-estimate-whatif.c split them).
#
#   ruby examples/ruby/estimate.rb --role pmo --years 8 --skill java --cert pmp

$LOAD_PATH.unshift(File.join(__dir__, "lib"))
require "engrate"
require_relative "estimate_format"
require_relative "estimate_inputs"
require_relative "estimate_whatif"

module EstimateCLI
  EXIT_LOAD = 1
  EXIT_USAGE = 2

  USAGE = <<~TEXT
    Usage: engrate-estimate [--model FILE] --role ROLE [--skill NAME]... [--cert NAME]...
                            [--years N] [--input NAME=VALUE]... [--strict] [--json]
                            [--lang en|ja] [--whatif [N]] [--target-rate R [--max-changes K]]
                            [--vary INPUTS] [--with-no-evidence]
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
          --whatif [N]   the N single changes (default 5) that raise the estimate most:
                         a skill or cert added, another role, 1, 3 or 5 more years
          --target-rate R  the fewest additions (skills, certs, years) that reach R,
                         e.g. 1000000 or 100万
          --max-changes K  at most K additions for --target-rate (default 5)
          --vary INPUTS  change only these inputs, e.g. skills,certs (default: all)
          --with-no-evidence  also try levels the model has no evidence for
      -h, --help         this help
      -V, --version      the version

    Exit status: 0 success, 1 the model cannot be loaded, 2 usage error or unknown name
    with --strict.
  TEXT

  SHORT = { "m" => true, "r" => true, "s" => true, "c" => true, "y" => true, "l" => true,
            "i" => true, "h" => false, "V" => false }.freeze
  # In the C program's order (getopt_long lists ambiguous prefixes in it); :optional is
  # optional_argument.
  LONG = { "model" => ["m", true], "role" => ["r", true], "skill" => ["s", true],
           "cert" => ["c", true], "years" => ["y", true], "strict" => ["S", false],
           "json" => ["j", false], "lang" => ["L", true], "list" => ["l", true],
           "help" => ["h", false], "version" => ["V", false], "whatif" => ["W", :optional],
           "target-rate" => ["T", true], "max-changes" => ["K", true], "vary" => ["v", true],
           "with-no-evidence" => ["E", false], "input" => ["i", true] }.freeze

  module_function

  # Parse as glibc's getopt_long does with the C program's options: options anywhere (the
  # others kept, in order, for after them), clusters (-hV, -mFILE), long options by unique
  # prefix, --name=value, and "--" to end options; an optional argument only after "=",
  # except that --whatif takes the next argument when it starts with a digit, as the C
  # program's whatif_option does. Returns [options, other arguments], the options as
  # [key, value] pairs and [nil, message] at an error.
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
        if takes == :optional
          value = nil if eq.empty?
          if value.nil? && key == "W" && i < args.size && args[i].match?(/\A[0-9]/)
            value = args[i]
            i += 1
          end
        elsif takes && eq.empty?
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
  # What strtod converts at the start of a string (STRTOD without the end anchor).
  STRTOD_PREFIX = Regexp.new(STRTOD.source.delete_suffix("\\z"), Regexp::NOENCODING)

  # strtod(s, &end): [x, the rest of s], x :erange where strtod sets ERANGE, or nil when it
  # converts nothing.
  def strtod(s)
    m = STRTOD_PREFIX.match(s.b)
    return nil if m.nil?

    rest = m.post_match
    return [m[4].downcase.start_with?("nan") ? Float::NAN : Float::INFINITY * (m[1] == "-" ? -1 : 1), rest] if m[4]

    x = parse_years(m[0])
    [x.nil? ? :erange : x, rest]
  end

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

  # The program; appends to out and err and returns the exit status.
  def run(prog, args, out, err)
    opts, rest = getopt_long(prog, args)
    model_path = role = list_what = years = nil
    lang = "en"
    skills = []
    certs = []
    inputs = []
    strict = json = given = false
    wo = WhatifOptions.new(0, Float::NAN, 5, nil, false)
    opts.each do |key, value|
      case key
      when nil
        err << value << "\n" << USAGE
        return EXIT_USAGE
      when "W", "T", "K", "v", "E"
        return EXIT_USAGE unless whatif_option(key, value, wo, err)
      when "m" then model_path = value
      when "r" then role = value
      when "s", "c"
        (key == "s" ? skills : certs) << value
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

      profile = profile_of(v, role, skills, certs, years, inputs, err)
      return profile if profile.is_a?(Integer)

      begin
        r = model.estimate(profile, strict: strict, lang: lang)
        wout = compute_whatif(v, wo, profile, strict, err)
        return wout if wout.is_a?(Integer)
      rescue Engrate::Error => e
        err << "engrate-estimate: #{e.text}\n"
        return e.code == Engrate::E_NOMEM ? EXIT_LOAD : EXIT_USAGE
      end
      out << (json ? as_json(v, r) : text(v, r))
      out << whatif_output(v, wo, wout, r, json)
      out << "}\n" if json
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
