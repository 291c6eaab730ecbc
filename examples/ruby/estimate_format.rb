# frozen_string_literal: true

# estimate_format.rb: estimate.rb's output, byte for byte what examples/engrate-estimate.c
# prints: amounts ("¥1,234,567", "123.5万円"), bars, the breakdown in text, the JSON object
# and --list.

module EstimateCLI
  module_function

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

  # format_amount: an amount that shows as 0 has no minus (a breakdown measured from the
  # typical listing has amounts of a fraction of a yen).
  def amount(v, x, sign = false)
    return "?" unless x.finite?

    shown = v[:ja] && v[:currency] == "JPY" ? (x.abs / 1000).round : x.abs.round
    s = x.negative? && shown.positive? ? "-" : sign ? "+" : ""
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

  # The bar of amount x where `biggest` takes `cells` cells, after a minus when x is
  # negative and the bar shows.
  def signed_bar(x, biggest, cells)
    eighths = biggest.positive? ? x.abs / biggest * cells * 8 : 0
    (x.negative? && lround(eighths).positive? ? "-" : "") + bar(eighths)
  end

  # s right-aligned in a field of `bytes` bytes, as C's %*s counts.
  def rjust_bytes(s, bytes)
    (" " * [0, bytes - s.bytesize].max) + s
  end

  # What the model calls its reference profile (the breakdown's rows say it).
  def typical(v)
    listing = v[:m].meta("basis") == "listing"
    return listing ? "平均的な案件" : "平均的なプロフィール" if v[:ja]

    listing ? "typical listing" : "typical profile"
  end

  def term_label(v, c)
    reference = c.flags.include?(:reference)
    if c.input.nil?
      base = v[:ja] ? "基本額" : "base"
      return reference ? "#{base}: #{typical(v)}" : base
    end
    label = v[:m].input(c.input).label(v[:lang])
    return format(v[:ja] ? "%s: %sの分を差し引き" : "%s: less the %s's", label, typical(v)) if reference
    return "#{label}: #{c.name}" unless c.level.nil?
    return format("%s: %g (%s)", label, c.value, c.curve.name) if c.curve&.level

    format("%s: %g", label, c.value)
  end

  def flag_note(v, flags)
    return v[:ja] ? " (根拠データなし)" : " (no evidence: no premium)" if flags.include?(:no_evidence)
    return v[:ja] ? " (学習範囲外: 端の値を使用)" : " (outside the data: clamped)" if flags.include?(:clamped)
    return v[:ja] ? " (未指定: 既定値)" : " (not given: default)" if flags.include?(:defaulted)
    return v[:ja] ? " (未指定)" : " (not given)" if flags.include?(:missing)

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
      o << rjust_bytes(a, field) << "  " << signed_bar(c.amount, biggest, 24)
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
    o << "], \"flags\": [" << d["flags"].map { |f| "\"#{f}\"" }.join(", ") << "]"
    o # the caller closes the object, after what-if's keys
  end

  def list_levels(v, what, json, out, err)
    m = v[:m]
    named = begin
      !m.find_input(what).nil?
    rescue Engrate::Error
      false # more than one input is called so: the C program lists the inputs
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
end
