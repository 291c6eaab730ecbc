# frozen_string_literal: true

# test_lifetime.rb: misuse from Ruby must not crash. Copies (dup, clone, Marshal), close
# while in use (threads, a batch running without Ruby's lock), collection in any order
# (GC.start, GC.compact, GC.stress), fork, and threads sharing a model. Run by make check
# (examples/ruby/ruby.test) and under valgrind by make check-valgrind-ruby, where an
# invalid read or write in libengrate fails the run (examples/ruby/valgrind.sh).
#
# A crash fails the run by itself; the assertions check that what survives still gives
# the numbers an untouched model gives, bit for bit, and that closing frees.

$LOAD_PATH.unshift(File.join(__dir__, "lib"))
require "engrate"
require "minitest/autorun"

module Lifetime
  SRCDIR = File.expand_path(ENV.fetch("srcdir", "").empty? ? File.join(__dir__, "..", "..") : ENV["srcdir"])
  EXAMPLE = File.join(SRCDIR, "models", "example.model")
  # Under valgrind every step is some 50 times slower: fewer rounds (same checks).
  LIGHT = !ENV.fetch("ENGRATE_TEST_LIGHT", "").empty?
  ROUNDS = LIGHT ? 3 : 30
  PROFILE = { role: "pm", skills: %w[java Python jva], certs: ["PMP"], years: 8 }.freeze
  # exp(13.4 + 0.3 + 0.02 + 0.05 + 0 + 0.06*8 - 0.04*5) (models/example.model)
  PROFILE_ESTIMATE = Math.exp(14.05)

  def bits(x) = [x].pack("E")

  def example = Engrate::Model.load(EXAMPLE)

  # The C model a Model owns (its address), to tell copies from shares.
  def address(model) = model.send(:use, &:address)

  # True once the handle's C memory has been freed (FFI::AutoPointer#free ran).
  def freed?(model)
    !model.instance_variable_get(:@handle).instance_variable_get(:@ptr).autorelease?
  end

  def check_profile(model)
    r = model.estimate(**PROFILE)
    assert_in_delta PROFILE_ESTIMATE, r.estimate, PROFILE_ESTIMATE * 1e-12
    assert_equal ["jva"], r.unknown
    r
  end
end

class TestCopies < Minitest::Test
  include Lifetime

  def test_dup_and_clone_are_independent
    m = example
    want = bits(check_profile(m).estimate)
    %i[dup clone].each do |copy|
      c = m.public_send(copy)
      refute_equal address(m), address(c)
      c.close
      assert c.closed?
      refute m.closed?
      assert_equal want, bits(m.estimate(**PROFILE).estimate) # was an invalid read
      c = m.public_send(copy)
      m.close
      assert_equal want, bits(c.estimate(**PROFILE).estimate)
      assert_equal c.to_s, c.dup.to_s
      m = c
    end
    m.close
    assert_raises(IOError) { m.dup }
    assert_raises(IOError) { m.clone }
  end

  def test_frozen_model
    m = example.freeze # a constant in an application
    check_profile(m)
    assert_equal %w[role skills certs years], m.inputs.map(&:id)
    assert m.clone.frozen?
    refute m.dup.frozen?
    check_profile(m.clone)
    m.close
    assert m.closed?
  end

  def test_marshal
    m = example
    r = m.estimate(**PROFILE, lang: "ja")
    copy = Marshal.load(Marshal.dump(m))
    refute_equal address(m), address(copy)
    assert_equal m.to_s, copy.to_s
    assert_equal r, copy.estimate(**PROFILE, lang: "ja")
    assert_equal r, Marshal.load(Marshal.dump(r))
    assert_equal r.to_h, Marshal.load(Marshal.dump(r)).to_h
    many = m.estimate_many([PROFILE, { role: "se" }])
    assert_equal many, Marshal.load(Marshal.dump(many))
    lv = Marshal.load(Marshal.dump(m.roles[1]))
    assert_equal %w[pmo PMO], [lv.id, lv.name("ja")]
    m.close
    assert_raises(IOError) { Marshal.dump(m) }
    check_profile(copy)
  end

  def test_marshal_errors
    e = assert_raises(Engrate::Error) do
      Engrate::Model.load(File.join(SRCDIR, "tests", "data", "model", "invalid", "bad-number",
                                    "input.model"))
    end
    e2 = Marshal.load(Marshal.dump(e))
    assert_instance_of Engrate::Error, e2
    assert_equal [e.code, e.line, e.column, e.source, e.text, e.message, e.index],
                 [e2.code, e2.line, e2.column, e2.source, e2.text, e2.message, e2.index]
    assert_equal [Engrate::E_NUMBER, 7, 13], [e2.code, e2.line, e2.column]
    assert_equal "bad number", e2.reason
    m = example
    errs = m.estimate_many([{ role: "pm" }, { role: "pm", skills: ["jva"] }], strict: true,
                                                                            return_errors: true)
    e3 = Marshal.load(Marshal.dump(errs[1]))
    assert_equal [Engrate::E_UNKNOWN_NAME, 1, "unknown skills 'jva' (did you mean 'Java'?)"],
                 [e3.code, e3.index, e3.text]
    m.close
  end
end

class TestClose < Minitest::Test
  include Lifetime

  def test_close_is_idempotent_and_results_outlive_the_model
    m = example
    r = m.estimate(**PROFILE)
    lv = m.roles[0]
    inp = m.input("years")
    many = m.estimate_many([PROFILE])
    3.times { m.close }
    assert m.closed?
    assert freed?(m)
    %i[roles inputs to_s name].each { |meth| assert_raises(IOError) { m.public_send(meth) } }
    assert_raises(IOError) { m.estimate(**PROFILE) }
    assert_raises(IOError) { m.estimate_many([PROFILE]) }
    assert_raises(IOError) { m.whatif(PROFILE) }
    assert_raises(IOError) { m.input("role") }
    assert_raises(IOError) { lv.name("ja") } # not cached: it would read the model
    assert_in_delta PROFILE_ESTIMATE, r.estimate, PROFILE_ESTIMATE * 1e-12
    assert_equal "Project manager", r.contributions[1].name
    assert_in_delta PROFILE_ESTIMATE, many[0].estimate, PROFILE_ESTIMATE * 1e-12
    assert_equal ["pm", 40.0], [lv.id, inp.max]
    assert_match(/closed/, m.inspect)
  end

  # Threads estimate while the model is closed under them: each call either completes
  # with the right number or raises IOError; the memory is freed once the last leaves.
  def test_close_while_threads_estimate
    (LIGHT ? 2 : 5).times do
      m = example
      started = Queue.new
      threads = Array.new(3) do |t|
        Thread.new do
          outcomes = []
          loop do
            if t.zero? # a batch runs with Ruby's lock released
              outcomes << m.estimate_many([PROFILE] * 500).map { |e| bits(e.estimate) }.uniq
            else
              outcomes << [bits(m.estimate(**PROFILE).estimate)]
            end
            started << t if outcomes.size == 1
          rescue IOError
            break outcomes
          end
        end
      end
      3.times { started.pop } # each thread is busy with the model
      m.close
      outcomes = threads.flat_map(&:value)
      assert_equal [[bits(PROFILE_ESTIMATE)]], outcomes.uniq unless outcomes.empty?
      assert freed?(m)
    end
  end

  def test_open_block_closes_even_on_error
    kept = nil
    assert_raises(RuntimeError) do
      Engrate::Model.open(EXAMPLE) do |m|
        kept = m
        raise "boom"
      end
    end
    assert kept.closed?
    assert freed?(kept)
  end
end

class TestCollection < Minitest::Test
  include Lifetime

  # What a model hands out keeps it alive, or is plain data: nothing reads freed memory
  # whatever is collected first.
  def test_any_collection_order
    levels = []
    results = []
    inputs = []
    ROUNDS.times do |i|
      m = example
      levels << m.roles[i % 4]
      inputs << m.input("skills")
      results << m.estimate(**PROFILE)
      m.dup.estimate(role: "se")
      changes = m.whatif(PROFILE, top: 2) # its C what-if freed at once, the records kept
      assert_equal %w[ruby ipa_pm], changes.map(&:level) # +0.06, +0.05 (python is given)
      m.close if i.odd?
    end
    GC.start(full_mark: true, immediate_sweep: true)
    GC.compact if GC.respond_to?(:compact)
    results.each { |r| assert_in_delta PROFILE_ESTIMATE, r.estimate, PROFILE_ESTIMATE * 1e-12 }
    levels.each_with_index do |lv, i|
      next if i.odd? # its model was closed

      assert_equal %w[pm pmo se pg][i % 4], lv.id
      refute_empty lv.name("ja")
      assert_equal %w[java python ruby c++ c#], inputs[i].levels.map(&:id)
    end
    levels.clear
    inputs.clear
    GC.start(full_mark: true, immediate_sweep: true)
  end

  def test_collected_models_are_freed
    freed = 0
    counter = proc { freed += 1 }
    5.times do
      m = example
      m.estimate(**PROFILE)
      ObjectSpace.define_finalizer(m.instance_variable_get(:@handle), counter)
    end
    GC.start(full_mark: true, immediate_sweep: true)
    assert_operator freed, :>, 0, "no handle was collected"
  end

  # A collection at every allocation: an object the binding forgot to hold would be
  # collected while C uses it. Each step costs seconds (a full collection each time), and
  # a minute under valgrind: there, only the estimate.
  def test_gc_stress
    m = example
    many = [PROFILE, { "職種" => "PMO", "スキル" => "Java、Python" }]
    want = m.estimate_many(many)
    check_profile(m) # the caches filled, as in a running application
    r = d = got = nil
    GC.stress = true
    begin
      r = m.estimate(**PROFILE)
      unless LIGHT
        d = m.dup
        got = d.estimate_many(many)
        d.close
      end
    ensure
      GC.stress = false
    end
    assert_in_delta PROFILE_ESTIMATE, r.estimate, PROFILE_ESTIMATE * 1e-12
    assert_equal want, got unless LIGHT
    m.close
  end
end

class TestProcesses < Minitest::Test
  include Lifetime

  # A model loaded before fork (a preloading server) works in the child, and what the
  # child closes or frees is its copy; results and errors come back through Marshal.
  def test_fork
    skip "no fork" unless Process.respond_to?(:fork)
    m = example
    want = m.estimate(**PROFILE)
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      out = [m.estimate(**PROFILE)]
      d = m.dup
      m.close
      out << d.estimate(**PROFILE)
      begin
        d.estimate(role: "pm", skills: ["jva"], strict: true)
      rescue Engrate::Error => e
        out << e
      end
      writer.write(Marshal.dump(out))
      writer.close
      exit!(0)
    end
    writer.close
    got = Marshal.load(reader.read)
    reader.close
    _, status = Process.wait2(pid)
    assert status.success?
    assert_equal [want, want], got[0, 2]
    assert_equal [Engrate::E_UNKNOWN_NAME, "unknown skills 'jva' (did you mean 'Java'?)"],
                 [got[2].code, got[2].text]
    refute m.closed?
    assert_equal want, m.estimate(**PROFILE)
    m.close
  end

  def test_fork_then_exit_runs_finalizers
    skip "no fork" unless Process.respond_to?(:fork)
    m = example
    pid = fork do
      m.estimate(**PROFILE)
      m.dup # freed at exit, like m
      exit(0) # not exit!: the child's finalizers run, on its copy
    end
    _, status = Process.wait2(pid)
    assert status.success?
    check_profile(m)
    m.close
  end
end

class TestThreads < Minitest::Test
  include Lifetime

  def test_threads_share_copy_and_marshal
    m = example
    want = bits(PROFILE_ESTIMATE)
    threads = Array.new(4) do |t|
      Thread.new do
        bad = []
        ROUNDS.times do |i|
          bad << :estimate unless bits(m.estimate(**PROFILE).estimate) == want
          bad << :many unless m.estimate_many([PROFILE] * 50).all? { |e| bits(e.estimate) == want }
          bad << :whatif unless m.whatif_target(1_500_000, PROFILE).reached
          next unless (i + t).zero? || i == ROUNDS - 1

          c = t.even? ? m.dup : Marshal.load(Marshal.dump(m))
          bad << :copy unless bits(c.estimate(**PROFILE).estimate) == want
          c.close
        end
        bad
      end
    end
    assert_equal [], threads.flat_map(&:value)
    m.close
  end
end
