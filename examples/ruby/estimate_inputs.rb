# frozen_string_literal: true

# estimate_inputs.rb: estimate.rb with any model's inputs, as estimate-inputs.c has them:
# --input NAME=VALUE (an input by its id or label, a set's names separated as for
# --skill), --list inputs, a numeric input's range, and the profile of the shortcuts and
# the --input arguments, checked in the C program's order with its messages.

module EstimateCLI
  module_function

  # The input a user names, by id or label (Model#find_input), or nil after saying which
  # inputs there are.
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

  # The message engrate_query_add / _add_list / _set_number give for a shortcut's input
  # (role, skills, certs: names; years: a number), or nil when it takes the value.
  def shortcut_problem(m, id, value, number)
    inp = m.inputs.find { |i| i.id == id }
    return "the model has no input '#{id}'" if inp.nil?
    return format("input %d is not numeric", inp.index) if number && inp.kind != :numeric
    return nil if number
    return "input '#{id}' is numeric: give it a number" if inp.kind == :numeric
    return "a name given for '#{id}' is not valid UTF-8" unless value.valid_encoding?

    nil
  end

  # The profile as estimate-inputs.c fills its query (the shortcuts, then each --input in
  # order), as input id => value for Model#estimate and #whatif: a categorical input's
  # name (the last given), a set's names (each list split as the library splits it, or
  # kept whole when it names a level), a number. An exit status after the message when
  # the C program stops.
  def profile_of(v, role, skills, certs, years, inputs, err)
    m = v[:m]
    profile = {}
    shortcuts = []
    shortcuts << ["role", role, false] if role
    skills.each { |s| shortcuts << ["skills", s, false] }
    certs.each { |c| shortcuts << ["certs", c, false] }
    shortcuts << ["years", years, true] if years && !years.nan?
    shortcuts.each do |id, value, number|
      if (problem = shortcut_problem(m, id, value, number))
        err << "engrate-estimate: #{problem}\n"
        return EXIT_USAGE
      end
      if id == "role"
        profile[id] = value
      elsif number
        profile[id] = value
      else
        (profile[id] ||= []).concat(Engrate.split_names(value))
      end
    end
    inputs.each do |arg|
      status = add_input_arg(v, profile, arg, err)
      return status if status
    end
    profile
  end

  # One --input NAME=VALUE into profile: nil, or the exit status after the message.
  def add_input_arg(v, profile, arg, err)
    name, eq, value = arg.partition("=")
    if eq.empty? || name.empty? || name.bytesize >= 512
      err << "engrate-estimate: --input takes NAME=VALUE, not '#{arg}'\n"
      return EXIT_USAGE
    end
    inp = find_input(v, name, err) or return EXIT_USAGE
    if inp.kind == :numeric
      x, rest = strtod(value)
      return nil if value.empty? || value.b.casecmp?("NA") || (x.is_a?(Float) && x.nan? && rest.empty?)
      unless x.is_a?(Float) && rest.empty? && x.finite?
        err << "engrate-estimate: --input #{name}: '#{value}' is not a number\n"
        return EXIT_USAGE
      end
      profile[inp.id] = x
      return nil
    end
    unless value.valid_encoding?
      err << "engrate-estimate: --input #{name}: a name given for '#{inp.id}' is not valid UTF-8\n"
      return EXIT_USAGE
    end
    if inp.kind == :categorical
      profile[inp.id] = value
    else # a set: the whole value when it names a level ("Developer, back-end")
      names = v[:m].find(inp.id, value) ? [value] : Engrate.split_names(value)
      (profile[inp.id] ||= []).concat(names)
    end
    nil
  end
end
