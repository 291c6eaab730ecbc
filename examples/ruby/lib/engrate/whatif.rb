# frozen_string_literal: true

# engrate/whatif.rb: what-if questions on a profile (engrate_whatif_*): which single
# change raises the estimate most (Model#whatif), and the fewest additions that reach a
# rate (Model#whatif_target). Profiles are given as to #estimate; the answers are plain
# data (engrate/data.rb: Change, Target) whose to_h gives what engrate-estimate --json
# prints under "whatif" and "target".

module Engrate
  class Model
    CHANGE_KINDS = { Raw::CHANGE_ADD => :add, Raw::CHANGE_LEVEL => :role,
                     Raw::CHANGE_NUMBER => :years }.freeze

    # The single changes to a profile, ranked by the estimate each gives, highest first:
    # a level added to a set input (:add), another level of a categorical input (:role),
    # a numeric input raised by each of steps (:years; 1, 3 and 5 by default). top: how
    # many to keep (0: all). vary: the inputs that may change (ids or labels, an array or
    # "skills,certs"; nil: all). Levels without evidence are left out unless
    # with_no_evidence. Returns an array of Change; raises as #estimate does.
    #   model.whatif(role: "pm", skills: "Java", years: 8, top: 3)
    def whatif(params = nil, top: 5, vary: nil, steps: nil, with_no_evidence: false,
               strict: false, lang: "en", inputs: nil, **named)
      top = Integer(top)
      raise ArgumentError, "top must be 0 (all) or more, not #{top}" if top.negative?

      pairs = inputs_of(params, named, inputs)
      run_whatif(pairs, vary, steps, with_no_evidence, strict, lang.to_s) do |w, q, f, e|
        Raw.engrate_whatif_run(w, q, top, f, e)
      end
    end

    # The fewest additions (skills, certifications, more years; never another role) that
    # bring the profile's estimate to rate, found greedily, at most max_changes of them
    # (0: no limit). rate is a number or text as people write it ("1,000,000", "¥950,000",
    # "100万", "95.5万円"). Returns a Target: rate, reached, max_changes and the path of
    # Changes, each with the estimate after it.
    def whatif_target(rate, params = nil, max_changes: 5, vary: nil, steps: nil,
                      with_no_evidence: false, strict: false, lang: "en", inputs: nil, **named)
      rate = Params.rate(rate)
      max_changes = Integer(max_changes)
      raise ArgumentError, "max_changes must be 0 (no limit) or more" if max_changes.negative?

      reached = false
      pairs = inputs_of(params, named, inputs)
      path = run_whatif(pairs, vary, steps, with_no_evidence, strict, lang.to_s) do |w, q, f, e|
        rc = Raw.engrate_whatif_target(w, q, rate, max_changes, f, e)
        reached = Raw.engrate_whatif_reached(w) == 1
        rc
      end
      Target.new(rate, reached, max_changes, path)
    end

    private

    # Fill a query with the profile, make a what-if for it with the options, yield
    # (whatif, query, flags, error) for the run, and read its records.
    def run_whatif(pairs, vary, steps, with_no_evidence, strict, lang)
      vary_at = vary && vary_indexes(vary)
      flags = (strict ? Raw::STRICT : 0) | (with_no_evidence ? Raw::WHATIF_NO_EVIDENCE : 0)
      @handle.scratch do |h, q, _r, err|
        Raw.engrate_query_reset(q)
        pairs.each { |inp, value, _| put(q, inp, value, err) }
        w = Raw.engrate_whatif_new(h, err)
        raise Error.from(err) if w.null?

        begin
          whatif_options(w, vary_at, steps, err)
          raise Error.from(err) if yield(w, q, flags, err).negative?

          changes(h, w, lang)
        ensure
          Raw.engrate_whatif_free(w)
        end
      end
    end

    def vary_indexes(vary)
      keys = vary.is_a?(String) || vary.is_a?(Symbol) ? vary.to_s.split(/[,\s]+/).reject(&:empty?) : vary.to_a
      raise ArgumentError, "vary names no input" if keys.empty?

      keys.map do |k|
        k = "role" if k.to_s == "roles" # as --list and --vary take it
        input_for(k) { |message, code| raise Error.new(code, message) }.index
      end
    end

    def whatif_options(w, vary_at, steps, err)
      unless vary_at.nil?
        mem = FFI::MemoryPointer.new(:size_t, vary_at.size, false)
        mem.put_bytes(0, vary_at.pack(SIZE_T_PACK))
        raise Error.from(err) if Raw.engrate_whatif_set_inputs(w, mem, vary_at.size, err).negative?
      end
      return if steps.nil?

      steps = Array(steps).map { |x| Float(x) }
      mem = FFI::MemoryPointer.new(:double, [steps.size, 1].max, false)
      mem.put_bytes(0, steps.pack("d*"))
      raise Error.from(err) if Raw.engrate_whatif_set_steps(w, mem, steps.size, err).negative?
    end

    # The records of the last run, as Changes.
    def changes(h, w, lang)
      ins = inputs
      at = FFI::MemoryPointer.new(:size_t)
      Array.new(Raw.engrate_whatif_count(w)) do |i|
        Raw.engrate_whatif_input(w, i, at)
        inp = ins[at.read(:size_t)]
        lev = Raw.engrate_whatif_level(w, i, at).zero? ? at.read(:size_t) : nil
        value = Raw.engrate_whatif_value(w, i)
        Change.new(CHANGE_KINDS.fetch(Raw.engrate_whatif_change(w, i)), inp.id,
                   lev && inp.levels[lev].id,
                   lev ? level_name(inp.index, lev, lang, h) : input_label(inp.index, lang, h),
                   Raw.engrate_whatif_estimate(w, i), Raw.engrate_whatif_low(w, i),
                   Raw.engrate_whatif_high(w, i), Raw.engrate_whatif_delta(w, i),
                   Raw.engrate_whatif_delta_pct(w, i), value.nan? ? nil : value,
                   FLAG_SETS[Raw.engrate_whatif_flags(w, i)])
      end
    end
  end
end
