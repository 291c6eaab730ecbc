# frozen_string_literal: true

# estimate_whatif.rb: estimate.rb's what-if questions, as engrate-estimate-whatif.c asks
# and prints them, through the binding's Model#whatif and Model#whatif_target: --whatif
# [N] ranks the single changes to the profile, --target-rate R finds the fewest additions
# that reach R; --max-changes, --vary and --with-no-evidence shape them.

module EstimateCLI
  # What the what-if options asked for: top (--whatif N; 0: none), target (NaN: none),
  # max_changes, vary (the --vary text or nil), with_no_evidence.
  WhatifOptions = Struct.new(:top, :target, :max_changes, :vary, :with_no_evidence)

  module_function

  # A count for --whatif N and --max-changes K: digits only, 1 to 1000.
  def parse_count(s)
    return nil unless s.b.match?(/\A[0-9]+\z/n)

    n = s.to_i
    n.between?(1, 1000) ? n : nil
  end

  # A rate for --target-rate as the C program reads one: "1000000", "1,000,000",
  # "¥1,000,000", or a number of 万 with an optional 円: "100万", "100万円", "95.5万".
  def parse_rate(arg)
    s = arg.b
    ["¥".b, "￥".b].each { |yen| s = s.byteslice(yen.bytesize..) if s.start_with?(yen) }
    kept = +"".b
    i = 0
    while i < s.bytesize && kept.bytesize + 1 < 128
      c = s.getbyte(i)
      if c != 0x2C # ','
        kept << c
        i += 1
        next
      end
      # a thousands separator: a digit before it, three after, then no digit
      return nil if kept.empty? || !kept.getbyte(-1).between?(0x30, 0x39)
      return nil unless (1..4).all? { |k| (k < 4) == (s.getbyte(i + k) || 0).between?(0x30, 0x39) }

      i += 1
    end
    return nil if i < s.bytesize # longer than the C program's buffer

    x, rest = strtod(kept)
    return nil if x.nil? || x == :erange || !x.finite? || x <= 0

    case rest
    when "万".b, "万円".b then x * 10_000
    when "円".b, "".b then x
    end
  end

  # One of the what-if options into wo; true, or false after saying what is wrong.
  def whatif_option(key, arg, wo, err)
    case key
    when "W"
      wo.top = 5
      return true if arg.nil?

      wo.top = parse_count(arg)
      return true if wo.top

      err << "engrate-estimate: --whatif takes a count from 1 to 1000, not '#{arg}'\n"
    when "T"
      wo.target = parse_rate(arg)
      return true if wo.target

      err << "engrate-estimate: --target-rate '#{arg}' is not a positive amount " \
             "(e.g. 1000000 or 100万)\n"
    when "K"
      wo.max_changes = parse_count(arg)
      return true if wo.max_changes

      err << "engrate-estimate: --max-changes takes a count from 1 to 1000, not '#{arg}'\n"
    when "v"
      wo.vary = arg
      return true
    else # "E"
      wo.with_no_evidence = true
      return true
    end
    false
  end

  # The input ids --vary names (strtok at "," and " "; "roles" as --list takes it), or
  # an exit status after saying what is wrong.
  def vary_ids(m, spec, err)
    if spec.bytesize >= 1024
      err << "engrate-estimate: --vary: too long\n"
      return EXIT_USAGE
    end
    ids = m.inputs.map(&:id)
    tokens = spec.split(/[, ]+/).reject(&:empty?)
    tokens.each_with_index do |tok, k|
      next if k < 64 && ids.include?(tok == "roles" ? "role" : tok)

      err << "engrate-estimate: --vary: the model has no input '#{tok}' (inputs:" \
             "#{ids.map { |id| " #{id}" }.join})\n"
      return EXIT_USAGE
    end
    if tokens.empty?
      err << "engrate-estimate: --vary: give input ids, e.g. skills,certs\n"
      return EXIT_USAGE
    end
    tokens.map { |tok| tok == "roles" ? "role" : tok }
  end

  # Run what wo asks for before anything is printed: [ranking or nil, Target or nil], or
  # an exit status. Raises Engrate::Error as the runs do.
  def compute_whatif(v, wo, profile, strict, err)
    return [nil, nil] if wo.top.zero? && wo.target.nan?

    vary = wo.vary && vary_ids(v[:m], wo.vary, err)
    return vary if vary.is_a?(Integer)

    opts = { vary: vary, with_no_evidence: wo.with_no_evidence, strict: strict,
             lang: v[:lang] }
    top = wo.top.positive? ? v[:m].whatif(profile, top: wo.top, **opts) : nil
    target = wo.target.nan? ? nil : v[:m].whatif_target(wo.target, profile,
                                                           max_changes: wo.max_changes, **opts)
    [top, target]
  end

  # What change c does, as a reader says it; r is the profile it starts from.
  def change_label(v, c, r)
    label = v[:m].input(c.input).label(v[:lang])
    if c.change == :years
      was = r.contributions.find { |t| t.input == c.input }&.value || Float::NAN
      return format("%sを%gにすると", label, c.value) if v[:ja]

      return format("%s: %g (now %g)", label, c.value, was)
    end
    return format("%sを追加すると", c.name) if c.change == :add && v[:ja]
    return format("add %s to %s", c.name, label) if c.change == :add
    return format("%sを%sにすると", label, c.name) if v[:ja]

    format("%s: %s", label, c.name)
  end

  # The changes as a ranked list with bars, or the steps of a path.
  def changes_text(v, changes, r)
    labels = changes.map { |c| change_label(v, c, r) }
    width = (labels.map { |s| display_width(s) } + [0]).max
    biggest = (changes.map { |c| c.delta.abs } + [0]).max
    changes.each_with_index.map do |c, i|
      d = amount(v, c.delta, true)
      e = amount(v, c.estimate)
      format("    %2d. ", i + 1) + labels[i] + (" " * [0, width + 2 - display_width(labels[i])].max) +
        rjust_bytes(d, 11 + d.bytesize - display_width(d)) + format(" %+7.1f%%  → ", c.delta_pct) +
        rjust_bytes(e, 11 + e.bytesize - display_width(e)) + "  " +
        signed_bar(c.delta, biggest, 16) + flag_note(v, c.flags) + "\n"
    end.join
  end

  # --target-rate, in text: the steps, then whether they reach the rate.
  def target_text(v, t, r)
    a = amount(v, t.rate)
    n = t.path.size
    o = if v[:ja]
          format("\n  %sへの道筋 (追加は最大%d件、毎回いちばん上がるものを選択)\n", a, t.max_changes)
        else
          format("\n  Path to %s (at most %d additions, each the one that raises it most)\n", a,
                 t.max_changes)
        end
    o << changes_text(v, t.path, r)
    last = n.positive? ? t.path.last.estimate : r.estimate
    b = amount(v, last)
    s = n == 1 ? "" : "s"
    o << if t.reached && n.zero?
           format(v[:ja] ? "    すでに%s以上です (%s)\n" : "    Already at %s or above (%s)\n", a, b)
         elsif t.reached
           v[:ja] ? format("  到達: %s (%d件の追加)\n", b, n) : format("  Reached: %s with %d addition%s\n", b, n, s)
         elsif v[:ja]
           format("  届きません: %d件の追加で%s (あと%s)\n", n, b, amount(v, t.rate - last))
         else
           format("  Not reached: %s with %d addition%s, %s short\n", b, n, s, amount(v, t.rate - last))
         end
  end

  def changes_json(changes)
    "[" + changes.map do |c|
      "{\"change\": \"#{c.change}\", \"input\": #{json_string(c.input)}, \"level\": " \
        "#{c.level.nil? ? "null" : json_string(c.level)}, \"name\": #{json_string(c.name)}" +
        %i[estimate low high delta delta_pct value].map { |k| ", \"#{k}\": #{json_number(c[k])}" }.join +
        ", \"no_evidence\": #{c.no_evidence}}"
    end.join(", ") + "]"
  end

  # What compute_whatif found: text after the breakdown, or JSON keys inside the object.
  def whatif_output(v, wo, found, r, json)
    top, target = found
    o = +""
    if top && json
      o << ", \"whatif\": " << changes_json(top)
    elsif top
      o << format(v[:ja] ? "\n  もしも1つだけ変えると (上位%d件)\n" : "\n  What one change does (top %d)\n", wo.top)
      o << changes_text(v, top, r)
      o << "    #{v[:ja] ? "(変えられるものがありません)" : "(nothing to change)"}\n" if top.empty?
    end
    if target && json
      o << ", \"target\": {\"rate\": #{json_number(target.rate)}, \"reached\": #{target.reached}, " \
           "\"max_changes\": #{target.max_changes}, \"path\": #{changes_json(target.path)}}"
    elsif target
      o << target_text(v, target, r)
    end
    o
  end
end
