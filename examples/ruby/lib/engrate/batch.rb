# frozen_string_literal: true

# engrate/batch.rb: Model#estimate_many's one call into C (engrate_estimate_batch) for
# profiles of role, skills, certs and years: the profiles become arrays (names one after
# another with offsets, years with NaN for "not known"), and the outputs come back as
# Estimates. A profile whose values are bad before C sees them (years "abc") is that
# profile's error, as a profile C refuses is.

module Engrate
  class Model
    private

    # Columns of profiles: roles, skill and cert names with n + 1 offsets, years; and the
    # errors found on the way, by index.
    Columns = Struct.new(:roles, :skills, :skill_offsets, :certs, :cert_offsets, :years,
                         :errors)
    SLOTS = { "role" => 0, "skills" => 1, "certs" => 2, "years" => 3 }.freeze

    # The columns of profiles, or nil when one gives an input other than role, skills,
    # certs and years. Keys are resolved once per batch (memo), not once per profile.
    def columns(profiles)
      roles = []
      skills_all = []
      skill_offsets = [0]
      certs_all = []
      cert_offsets = [0]
      years_all = []
      errors = {}
      memo = {}
      profiles.each_with_index do |p, i|
        role = skills = certs = nil
        years = Float::NAN
        given = 0
        begin
          (p.is_a?(Hash) ? p : Params.pairs(p)).each do |key, value|
            slot = memo[key] || (memo[key] = profile_slot(key, value)) || next
            return nil if slot == :other
            raise Error.new(E_DUPLICATE, "#{input(key).id} is given twice") if given[slot] == 1

            given |= 1 << slot
            # The common values inline (a string, an array of names, a float), the rest
            # through Params: a batch of 100,000 profiles pays for each call.
            case slot
            when 0 then role = value.is_a?(String) ? value : Params.one_name(value, "role")
            when 1 then skills = plain_names(value) || Params.set_names(value)
            when 2 then certs = plain_names(value) || Params.set_names(value)
            else years = value.is_a?(Float) ? value : (Params.number(value, "years") || Float::NAN)
            end
          end
        rescue Error => e
          errors[i] = e
          role = skills = certs = nil
          years = Float::NAN
        end
        roles << role
        skills_all.concat(skills) if skills
        skill_offsets << skills_all.size
        certs_all.concat(certs) if certs
        cert_offsets << certs_all.size
        years_all << years
      end
      Columns.new(roles, skills_all, skill_offsets, certs_all, cert_offsets, years_all, errors)
    end

    # An array of names as it is, when it holds no nil; nil otherwise.
    def plain_names(value)
      value.is_a?(Array) && !value.include?(nil) ? value : nil
    end

    # The column of the input key names (0..3), :other for another input, nil (not
    # remembered: it depends on the value) for a key that names no input and has no value.
    def profile_slot(key, value)
      inp = input_for(key) { |message, code| Params.empty?(value) ? nil : raise(Error.new(code, message)) }
      return nil if inp.nil?

      PROFILE_INPUTS[inp.id] == inp.kind ? SLOTS[inp.id] : :other
    end

    # The estimates of profiles through engrate_estimate_batch, or nil when they are not
    # all profiles of role, skills, certs and years, or hold a name C cannot take.
    def batch(profiles, strict, return_errors)
      n = profiles.size
      return [] if n.zero?
      return nil unless (c = columns(profiles))

      # Each distinct name is checked once here; a name that cannot go to C (a NUL, a
      # number) sends the batch down the one-by-one path, which gives it its profile's
      # error.
      begin
        r_arr = Engrate.c_strings(c.roles)
        s_arr = Engrate.c_strings(c.skills)
        c_arr = Engrate.c_strings(c.certs)
      rescue Error, TypeError, EncodingError
        return nil
      end
      so = size_ts(c.skill_offsets)
      co = size_ts(c.cert_offsets)
      ys = FFI::MemoryPointer.new(:double, n, false)
      ys.put_bytes(0, c.years.pack("d*"))
      est = FFI::MemoryPointer.new(:double, n, false)
      low = FFI::MemoryPointer.new(:double, n, false)
      high = FFI::MemoryPointer.new(:double, n, false)
      flags = FFI::MemoryPointer.new(:uint, n, false)
      status = FFI::MemoryPointer.new(:int, n, false)
      err = Raw::ErrorStruct.new
      n_failed = FFI::MemoryPointer.new(:size_t)
      rc = use do |h|
        Raw.engrate_estimate_batch(h, n, r_arr, s_arr, so, c_arr, co, ys,
                                   strict ? Raw::STRICT : 0, est, low, high, flags, status,
                                   n_failed, err)
      end
      raise Error.from(err) if rc.negative? && n_failed.read(:size_t).zero? # refused

      codes = status.get_array_of_int(0, n)
      first = codes.index(&:negative?)
      pre = c.errors.keys.min
      if !return_errors && (first || pre)
        raise c.errors[pre].then { |e| with_index(e, pre) } if pre && (first.nil? || pre < first)

        raise Error.from(err, index: first)
      end

      e = est.get_array_of_double(0, n)
      lo = low.get_array_of_double(0, n)
      hi = high.get_array_of_double(0, n)
      fl = flags.get_array_of_uint(0, n)
      out = Array.new(n) { |i| Estimate.new(e[i], lo[i], hi[i], FLAG_SETS[fl[i]]) }
      codes.each_with_index do |code, i|
        out[i] = profile_error(i, code, inputs_of(profiles[i], nil), strict) if code.negative?
      end
      c.errors.each { |i, err_i| out[i] = with_index(err_i, i) }
      out
    end

    def size_ts(values)
      mem = FFI::MemoryPointer.new(:size_t, values.size, false)
      mem.put_bytes(0, values.pack(SIZE_T_PACK))
      mem
    end

    def with_index(e, i)
      Error.new(e.code, e.text, line: e.line, column: e.column, source: e.source, index: i)
    end

    # The Error of failed profile i, with the single call's message.
    def profile_error(i, code, row, strict)
      query(row, strict) { nil }
      Error.new(code, Raw.engrate_strerror(code), index: i)
    rescue Error => e
      with_index(e, i)
    end
  end
end
