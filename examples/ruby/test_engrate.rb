# frozen_string_literal: true

# test_engrate.rb: the Ruby binding against the C library (run by `make check` through
# examples/ruby/ruby.test, or by hand: ruby -Iexamples/ruby/lib examples/ruby/test_engrate.rb).
#
# Numbers are checked three ways: against exp() of sums of models/example.model's
# coefficients worked out here, against engrate-estimate --json (the C program, whose %.17g
# numbers read back exactly), and batch against single estimates bit for bit. estimate.rb
# must print what engrate-estimate prints, byte for byte. The memory test loads and frees a
# model 100,000 times and estimates a million profiles, and checks that the resident set
# size stays flat.

$LOAD_PATH.unshift(File.join(__dir__, "lib"))
require "engrate"
require "etc"
require "json"
require "minitest/autorun"
require "open3"
require "tmpdir"

module Paths
  REPO = File.expand_path("../..", __dir__)
  SRCDIR = File.expand_path(ENV.fetch("srcdir", "").empty? ? REPO : ENV["srcdir"])
  BUILDDIR = File.expand_path(ENV.fetch("top_builddir", "").empty? ? REPO : ENV["top_builddir"])
  EXAMPLE = File.join(SRCDIR, "models", "example.model")
  LINEAR = File.join(SRCDIR, "tests", "data", "model", "valid", "linear", "input.model")
  VERSION2 = File.join(SRCDIR, "tests", "data", "model", "valid", "version2", "input.model")
  BY_LEVEL = File.join(SRCDIR, "tests", "data", "model", "valid", "by-level", "input.model")
  BAD_NUMBER = File.join(SRCDIR, "tests", "data", "model", "invalid", "bad-number",
                         "input.model")
  ESTIMATOR = File.join(BUILDDIR, "examples", "engrate-estimate")
  ESTIMATE_RB = File.join(__dir__, "estimate.rb")
end

# Profiles with every kind of input: aliases, full-width letters, unknown names, no role,
# years missing, clamped and fractional.
PROFILES = [
  { role: "pm", skills: %w[java Python], certs: ["PMP"], years: 8 },
  { role: "プロマネ", skills: %w[java jva cobol], certs: ["ＰＭＰ"], years: 8 },
  { role: "PMO", skills: %w[cpp C# ruby], certs: ["ipa_pm"], years: 3.25 },
  { role: "se", skills: "Ｊａｖａ", years: 55.5 },
  { role: "pg", years: -1 },
  { skills: ["python"] },
  { role: "Prgrammer", certs: %w[情報処理技術者試験プロジェクトマネージャ cissp], years: 12 },
  {},
  { role: "pmo", skills: ["java", "JAVA", " java "], years: 0 },
  { years: 40 }
].freeze

def bits(x)
  [x].pack("E")
end

# glibc's malloc_trim, when there is one: it hands freed heap pages back to the system, so
# that the resident set measures what is live, not how fragmented the free lists are.
module LibC
  extend FFI::Library
  ffi_lib FFI::Library::LIBC
  begin
    attach_function :malloc_trim, [:size_t], :int
  rescue FFI::NotFoundError
    def self.malloc_trim(_pad) = 0
  end
end

# Resident memory after a full collection (which runs the AutoPointer releasers).
def rss_bytes
  GC.start(full_mark: true, immediate_sweep: true)
  LibC.malloc_trim(0)
  File.read("/proc/self/statm").split[1].to_i * Etc.sysconf(Etc::SC_PAGESIZE)
end

class EngrateCase < Minitest::Test
  include Paths

  def setup
    @model = Engrate::Model.load(EXAMPLE)
  end

  def teardown
    @model.close
  end
end

class TestHandComputed < EngrateCase
  def test_profile
    r = @model.estimate(role: "pm", skills: %w[java Python], certs: ["PMP"], years: 8)
    # 13.4 + 0.3 (pm) + 0.02 (java) + 0.05 (python) + 0 (pmp) + 0.06*8 - 0.04*(8-3)
    e = Math.exp(14.05)
    assert_in_delta e, r.estimate, e * 1e-12
    assert_in_delta Math.exp(13.85), r.low, e * 1e-12
    assert_in_delta Math.exp(14.25), r.high, e * 1e-12
    assert_equal [0.8, "JPY", "month", "example"], [r.level, r.currency, r.period, r.model_name]
    assert_equal [[nil, nil], %w[role pm], %w[skills java], %w[skills python], %w[certs pmp],
                  ["years", nil]], r.contributions.map { |c| [c.input, c.level] }
    assert_equal ["base", "Project manager", "Java", "Python", "PMP", "Years of experience"],
                 r.contributions.map(&:name)
    assert_in_delta r.estimate, r.contributions.sum(&:amount), r.estimate * 1e-12
    assert_equal Math.exp(13.4), r.contributions[0].amount
    assert_equal 8, r.contributions[5].value
    assert r.contributions[4].no_evidence
    assert_equal [:no_evidence], r.contributions[4].flags
    assert_equal [:no_evidence], r.flags
    assert_equal [[], [], []], [r.unknown, r.suggestions, r.aliased]
  end

  def test_defaults_and_clamping
    r = @model.estimate
    assert_in_delta Math.exp(13.62), r.estimate, 1e-6
    assert_equal %i[defaulted missing], r.flags
    r = @model.estimate(role: "pg", years: 50)
    assert_in_delta Math.exp(13.4 - 0.1 + 0.32), r.estimate, 1e-6
    assert_equal [:clamped], r.flags
    assert_equal 40, r.contributions.last.value
  end

  def test_unknown_and_aliased
    r = @model.estimate(role: "プロマネ", skills: %w[Jva cobol cpp], years: 3)
    assert_in_delta Math.exp(13.4 + 0.3 + 0.04 + 0.18), r.estimate, 1e-6
    assert_equal %w[Jva cobol], r.unknown
    assert_equal [Engrate::Suggestion.new("skills", "Jva", "java"),
                  Engrate::Suggestion.new("skills", "cobol", nil)], r.suggestions
    assert_equal [Engrate::Aliased.new("プロマネ", "role", "pm", "Project manager"),
                  Engrate::Aliased.new("cpp", "skills", "c++", "C++")], r.aliased
    assert_equal [:unknown], r.flags
    ja = @model.estimate(role: "プロマネ", lang: "ja")
    assert_equal "プロジェクトマネージャー", ja.aliased[0].name
  end

  def test_linear_model
    Engrate::Model.open(LINEAR) do |m|
      assert_in_delta 630, m.estimate(role: "dev", years: 12).estimate, 1e-9
    end
  end
end

class TestSameAsC < EngrateCase
  def test_json_of_the_c_program
    skip "engrate-estimate not built" unless File.executable?(ESTIMATOR)
    PROFILES.each do |p|
      args = [ESTIMATOR, "-m", EXAMPLE, "--json"]
      args += ["--role", p[:role]] if p[:role]
      Array(p[:skills]).each { |s| args += ["--skill", s] }
      Array(p[:certs]).each { |c| args += ["--cert", c] }
      args += ["--years", Float(p[:years]).to_s] if p.key?(:years)
      next if args.size == 4

      out, status = Open3.capture2(*args)
      assert status.success?
      assert_equal JSON.parse(out), @model.estimate(**p).to_h, p.inspect
    end
  end

  def test_batch_equals_single
    many = PROFILES * 7
    [false, true].each do |strict|
      batch = @model.estimate_many(many, strict: strict, return_errors: true)
      assert_equal many.size, batch.size
      many.zip(batch).each do |p, b|
        begin
          r = @model.estimate(strict: strict, **p)
        rescue Engrate::Error => e
          assert_kind_of Engrate::Error, b
          assert_equal [e.code, e.text], [b.code, b.text]
          next
        end
        assert_kind_of Engrate::Estimate, b
        assert_equal [r.estimate, r.low, r.high].map { |x| bits(x) },
                     [b.estimate, b.low, b.high].map { |x| bits(x) }
        assert_equal r.flags, b.flags
      end
      assert(batch.any? { |b| b.is_a?(Engrate::Error) }) if strict
    end
  end

  def test_batch_nan_years_means_not_given
    a, b = @model.estimate_many([{ role: "pm", years: Float::NAN }, { role: "pm" }])
    assert_equal a, b
    assert_includes a.flags, :defaulted
    assert_equal [], @model.estimate_many([])
  end
end

class TestErrors < EngrateCase
  def test_bad_model_file
    e = assert_raises(Engrate::Error) { Engrate::Model.load(BAD_NUMBER) }
    assert_equal [Engrate::E_NUMBER, 7, 13], [e.code, e.line, e.column]
    assert_includes e.text, "input.model:7:13: '13a' is not a finite"
    assert_equal e.text, e.message
    assert e.source.end_with?("input.model")
    assert_equal "bad number", e.reason
  end

  def test_missing_file_and_not_a_model
    e = assert_raises(Engrate::Error) { Engrate::Model.load(File.join(SRCDIR, "no", "such.model")) }
    assert_equal Engrate::E_IO, e.code
    e = assert_raises(Engrate::Error) { Engrate::Model.from_string("hello\n", "greeting") }
    assert_equal [Engrate::E_VERSION, 1], [e.code, e.line]
    assert e.text.start_with?("greeting:1")
  end

  def test_estimate_errors
    e = assert_raises(Engrate::Error) { @model.estimate(role: "pm", skills: ["jva"], strict: true) }
    assert_equal Engrate::E_UNKNOWN_NAME, e.code
    assert_equal "unknown skills 'jva' (did you mean 'Java'?)", e.text
    e = assert_raises(Engrate::Error) { @model.estimate(role: "pm", years: Float::INFINITY) }
    assert_equal Engrate::E_INVALID, e.code
    # NaN is "not known", as nil is, in the single call as in the batch
    assert_equal @model.estimate(role: "pm").estimate,
                 @model.estimate(role: "pm", years: Float::NAN).estimate
    e = assert_raises(Engrate::Error) { @model.estimate(role: "pm", skills: ["ja\xFFva".b]) }
    assert_equal Engrate::E_UTF8, e.code
    e = assert_raises(Engrate::Error) { @model.estimate(role: "p\0m") } # a form can send %00
    assert_equal Engrate::E_INVALID, e.code
    assert_raises(TypeError) { @model.estimate(role: 3) }
  end

  def test_batch_errors
    profiles = [{ role: "pm" }, { role: "pm", skills: ["jva"] },
                { role: "pm", years: Float::INFINITY }]
    e = assert_raises(Engrate::Error) { @model.estimate_many(profiles) }
    assert_equal [Engrate::E_INVALID, 2], [e.code, e.index]
    assert_equal "profile 2: years must be a finite number", e.text
    e = assert_raises(Engrate::Error) { @model.estimate_many(profiles, strict: true) }
    assert_equal [Engrate::E_UNKNOWN_NAME, 1], [e.code, e.index]
    out = @model.estimate_many(profiles, strict: true, return_errors: true)
    assert_kind_of Engrate::Estimate, out[0]
    assert_equal "unknown skills 'jva' (did you mean 'Java'?)", out[1].text
    assert_equal [Engrate::E_INVALID, 2], [out[2].code, out[2].index]
    e = assert_raises(Engrate::Error) { @model.estimate_many([{ role: "pm", skill: ["java"] }]) }
    assert_equal [Engrate::E_UNKNOWN_NAME, 0], [e.code, e.index] # the profile's error
    assert_equal @model.estimate_many([{ role: "pm", skills: ["java"] }]),
                 @model.estimate_many(JSON.parse('[{"role": "pm", "skills": ["java"]}]'))
  end
end

class TestLifetime < Minitest::Test
  include Paths

  def test_close_and_open_block
    m = Engrate::Model.load(EXAMPLE)
    r = m.estimate(role: "pm")
    m.close
    m.close
    assert m.closed?
    assert_raises(IOError) { m.estimate(role: "pm") }
    assert_raises(IOError) { m.roles }
    assert_equal "Project manager", r.contributions[1].name # results are data
    kept = Engrate::Model.open(EXAMPLE) { |m2| m2 }
    assert kept.closed?
  end

  def test_garbage_collection_frees
    freed = 0
    counter = proc { freed += 1 }
    5.times do
      m = Engrate::Model.load(EXAMPLE)
      m.estimate(role: "pm")
      ObjectSpace.define_finalizer(m, counter)
    end
    GC.start(full_mark: true, immediate_sweep: true)
    assert_operator freed, :>, 0, "no model was collected"
  end

  def test_default_model
    old = ENV["ENGRATE_MODEL"]
    ENV["ENGRATE_MODEL"] = LINEAR
    Engrate::Model.open { |m| assert_equal %w[role years], m.inputs.map(&:id) }
  ensure
    ENV["ENGRATE_MODEL"] = old
  end
end

class TestIntrospection < EngrateCase
  # Any input by id or label (format version 2: labels as the data wrote them), and an
  # estimate without a value that the model imputes: the numbers of tests/check_model.c,
  # worked out by hand there.
  def test_inputs_by_label
    m = Engrate::Model.load(VERSION2)
    assert_equal "x2c1f0a9b", m.find_input("職種").id
    assert_equal "x2c1f0a9b", m.find_input("Role").id
    assert_nil m.find_input("colour")
    r = m.estimate(inputs: { "職種" => "システムエンジニア" })
    assert_in_delta Math.exp(13.1 + 0.3 - 0.05 - 0.05), r.estimate, 1e-6
    assert_includes r.flags, :defaulted
    r = m.estimate(inputs: [["職種", "SE"], ["経験年数", 8]])
    assert_in_delta Math.exp(13.1 + 0.32 - 0.06), r.estimate, 1e-6
    e = assert_raises(Engrate::Error) { m.estimate(inputs: { "colour" => "red" }) }
    assert_equal Engrate::E_UNKNOWN_NAME, e.code
  ensure
    m&.close
  end

  def test_levels
    m = @model
    assert_equal %w[pm pmo se pg], m.roles.map(&:id)
    assert_equal %w[java python ruby c++ c#], m.skills.map(&:id)
    pm = m.roles[0]
    assert_equal ["Project manager", "プロジェクトマネージャー"], [pm.name, pm.name("ja")]
    assert_equal %w[プロマネ プロジェクトマネジャー], pm.aliases
    assert_equal "Java", m.skills[0].name("ja")
    assert m.certs[0].no_evidence?
    assert_equal "職種", m.input("role").label("ja")
    years = m.input("years")
    assert_equal [:numeric, 0, 40, 5, [3, 10], [0.06, -0.04, -0.02]],
                 [years.kind, years.min, years.max, years.default, years.knots, years.coefs]
    assert_same m.roles[1], m.find("role", "ピーエムオー")
    assert_nil m.find("role", "nobody")
    assert_equal "java", m.suggest("skills", "jav").id
    assert_equal ["example", "JPY", "month", 0.8], [m.name, m.currency, m.period, m.interval_level]
    assert_raises(KeyError) { m.input("colour") }
  end

  # Years that vary by country (tests/data/model/valid/by-level, whose figures
  # tests/check_bylevel.c works out by hand): de's curve 25x - 15(x-10)+, in's 10x -
  # 10(x-10)+, us and no country the input's own, 20x - 10(x-10)+.
  def test_curves_by_level
    m = Engrate::Model.load(BY_LEVEL)
    years = m.input("years")
    assert_equal ["country", nil], [years.by, m.input("country").by]
    assert_equal({ "de" => [5.0, -5.0], "in" => [-10.0, 0.0] }, years.deviations)
    assert_equal [270, 220, 220, 100],
                 [years.curve(12, "de"), years.curve(12, "us"), years.curve(12),
                  years.curve(40, "in")]
    assert_raises(ArgumentError) { years.curve(12, "fr") }
    r = m.estimate(inputs: { "country" => "Germany", "years" => 12 })
    assert_equal 690, r.estimate
    c = r.contributions[1]
    assert_equal ["years", 12, 120, Engrate::Curve.new("country", "de", "Germany")],
                 [c.input, c.value, c.amount, c.curve]
    assert_nil r.contributions[2].curve
    h = r.to_h["contributions"]
    assert_equal({ "input" => "country", "level" => "de", "name" => "Germany" }, h[1]["curve"])
    refute h[2].key?("curve")
    r = m.estimate(inputs: { "years" => 12 })
    assert_equal Engrate::Curve.new("country", nil, nil), r.contributions[1].curve
    assert h[1].key?("curve")
    assert_nil r.to_h["contributions"][1]["curve"]
    assert_nil @model.input("years").by
    assert_equal({}, @model.input("years").deviations)
  ensure
    m&.close
  end

  def test_text_round_trip
    text = @model.to_s
    again = Engrate::Model.from_string(text)
    assert_equal text, again.to_s
    assert_equal bits(@model.estimate(role: "pm", years: 8).estimate),
                 bits(again.estimate(role: "pm", years: 8).estimate)
    again.close
    Dir.mktmpdir do |tmp|
      path = File.join(tmp, "copy.model")
      @model.save(path)
      Engrate::Model.open(path) { |m| assert_equal text, m.to_s }
    end
  end
end

class TestTraining < Minitest::Test
  def test_train_and_save
    Dir.mktmpdir do |tmp|
      csv = File.join(tmp, "data.csv")
      rows = ["role,skills,certs,years,rate"]
      60.times do |i|
        role = %w[pm se pg][i % 3]
        years = i % 15
        rate = 500_000 * (role == "pm" ? 1.3 : 1.0) * (1 + (0.03 * years))
        rows << format("%s,%s,,%d,%.0f", role, i.odd? ? "java" : "python", years,
                       rate * (1 + (0.01 * (((i * 7) % 5) - 2))))
      end
      File.write(csv, "#{rows.join("\n")}\n")
      out = File.join(tmp, "small.model")
      model, report = Engrate.train(csv, out, folds: 0, min_count: 1,
                                    meta: ["currency=JPY", "period=month"])
      assert_equal "small", model.name
      assert_equal 60, report.value("n")
      assert_equal "(intercept)", report.terms[0][0]
      assert_kind_of Hash, JSON.parse(report.json)
      again = Marshal.load(Marshal.dump(report)) # plain data
      assert_equal [60, report.terms, report.summary], [again.value("n"), again.terms, again.summary]
      pm = model.estimate(role: "pm", years: 10).estimate
      pg = model.estimate(role: "pg", years: 10).estimate
      assert_operator pm / pg, :>, 1.15
      Engrate::Model.open(out) { |saved| assert_equal model.to_s, saved.to_s }
      model.close
      File.write(csv, "pm,java,,12a,600000\n", mode: "a")
      e = assert_raises(Engrate::Error) { Engrate.train(csv, folds: 0, min_count: 1) }
      assert_equal [Engrate::E_NUMBER, 62, 10], [e.code, e.line, e.column]
      e = assert_raises(Engrate::Error) { Engrate.train(csv, frobnicate: 1) }
      assert_equal Engrate::E_UNKNOWN_KEY, e.code
    end
  end
end

class TestThreads < EngrateCase
  def test_threads_share_one_model
    profiles = PROFILES * 20
    expected = profiles.map { |p| bits(@model.estimate(**p).estimate) }
    expected_many = @model.estimate_many(profiles)
    threads = Array.new(4) do
      Thread.new do
        errors = []
        15.times do
          got = profiles.map { |p| bits(@model.estimate(**p).estimate) }
          errors << "estimate differs" unless got == expected
          errors << "estimate_many differs" unless @model.estimate_many(profiles) == expected_many
        end
        errors
      end
    end
    assert_equal [], threads.flat_map(&:value)
  end
end

class TestMemory < Minitest::Test
  include Paths
  LOADS = 100_000
  ESTIMATES = 1_000_000
  BOUND = 2 << 20

  def test_load_and_free
    cycle = lambda do |n|
      n.times do |i|
        m = Engrate::Model.load(EXAMPLE)
        m.close if i.odd? # the other half freed by the garbage collector
      end
    end
    cycle.call(2000) # warm up the allocators
    before = rss_bytes
    cycle.call(LOADS)
    growth = rss_bytes - before
    assert_operator growth, :<, BOUND, "RSS grew by #{growth} bytes"
  end

  def test_estimates
    Engrate::Model.open(EXAMPLE) do |m|
      batch = PROFILES * 100 # 1,000 profiles
      cycle = lambda do |batches, singles|
        batches.times { m.estimate_many(batch) }
        singles.times { |i| m.estimate(**PROFILES[i % PROFILES.size]) }
      end
      cycle.call(20, 2000)
      before = rss_bytes
      cycle.call(ESTIMATES / batch.size, 50_000)
      growth = rss_bytes - before
      assert_operator growth, :<, BOUND, "RSS grew by #{growth} bytes"
    end
  end
end

class TestSameOutput < Minitest::Test
  include Paths

  ARGS = [
    %w[--role pmo --years 8 --skill java --cert pmp],
    %w[--role pm --years 8 --skill java,python,jva --cert pmp --cert ipa_pm],
    ["--role", "プロマネ", "--years", "8", "--skill", "java", "--skill", "Python, jva",
     "--cert", "ＰＭＰ", "--json"],
    %w[--role pm --years 8 --lang ja --skill cpp,cobol],
    %w[--role pm --years 8 --lang ja --skill cpp --json],
    %w[--role pm --years 99 --json],
    %w[--years 3.25],
    %w[-rpm -y4 --json --str -sjava,ruby],
    %w[--role pm --skill jva --strict],
    %w[--role pm --skill xyzzy],
    %w[--role pm --years 12a],
    %w[--role pm --years nan],
    ["--role", "pm", "--years", "", "--json"],
    %w[--role pm --years inf],
    ["--role", "pm", "--skill", "Java、Python", "--skill", " ruby ;jva,", "--json"],
    ["--role", "pm", "--skill", "", "--cert", "ＰＭＰ，　ipa_pm"],
    ["--skill", ""],
    %w[--role pm --lang fr],
    [],
    %w[--frobnicate],
    %w[--role],
    %w[--role pm extra],
    %w[--list roles],
    %w[--list skills --json],
    %w[--list certs --lang ja],
    %w[--list colours],
    %w[--list inputs],
    %w[--list inputs --json --lang ja],
    %w[--list years],
    %w[--list Years --json],
    ["--input", "role=pm", "--input", "skills=java、 Python，jva", "--input", "years=8"],
    ["--input", "職種=プロマネ", "--json"],
    %w[--input colour=red],
    %w[--input years=eight],
    %w[--input years],
    %w[--help],
    %w[--version]
  ].freeze

  # What-if: rankings and paths, text (en, ja) and JSON, the options' errors. Run with the
  # default model (jp-freelance, which has a reference profile) as well as example.model.
  WHATIF_ARGS = [
    %w[--role pm --skill java --years 8 --whatif],
    %w[--role pm --skill java --years 8 --whatif 3 --json],
    %w[--role pm --skill java --years 8 --whatif=2 --lang ja],
    %w[--role se --years 3 --whatif 4 --vary skills,years --with-no-evidence],
    %w[--role se --whatif 3 --vary roles],
    ["--role", "pm", "--skill", "java", "--years", "8", "--target-rate", "120万"],
    ["--role", "pm", "--skill", "java", "--years", "8", "--target-rate", "¥1,500,000",
     "--max-changes", "2", "--lang", "ja"],
    %w[--role pm --years 8 --target-rate 99999999 --max-changes 1 --json],
    %w[--role pm --years 8 --target-rate 1 --json],
    %w[--role pm --years 8 --whatif 2 --target-rate 130万 --vary skills --json],
    %w[--role pm --whatif 0],
    %w[--role pm --whatif=abc],
    %w[--role pm --target-rate 1,00],
    %w[--role pm --target-rate 100万ドル],
    %w[--role pm --max-changes 1001],
    %w[--role pm --whatif --vary colour],
    ["--role", "pm", "--whatif", "--vary", ", "],
    %w[--role pm --w],
    %w[--role pm --wh 2 --with],
    %w[--role pm --skill jva --strict --whatif],
    # --input beside the shortcuts: a later value replaces a categorical or numeric one,
    # a set gains names; NA is not known
    ["--role", "pm", "--input", "skills=Java、Ruby", "--whatif", "2"],
    ["--input", "職種=se", "--input", "経験年数=NA", "--json"],
    ["--years", "3", "--input", "years=8", "--role", "pm", "--input", "role=pmo"],
    ["--input", "years= 8", "--input", "years=8 "],
    ["--skill", "java", "--input", "skills=ruby,jva", "--target-rate", "130万", "--json"]
  ].freeze

  def run_both(args, env = {})
    c_out, c_err, c_st = Open3.capture3(env, ESTIMATOR, *args)
    r_out, r_err, r_st = Open3.capture3(env, RbConfig.ruby, ESTIMATE_RB, *args)
    assert_equal c_st.exitstatus, r_st.exitstatus, args.inspect
    assert_equal c_out, r_out, args.inspect
    # getopt names the program by its path; the messages after it must agree
    strip = ->(s) { s.b.lines.map { |l| l.split(": ", 2).last } }
    assert_equal strip[c_err], strip[r_err], args.inspect
    c_st.exitstatus
  end

  def test_same_output
    skip "engrate-estimate not built" unless File.executable?(ESTIMATOR)
    ARGS.each { |args| run_both(["-m", EXAMPLE] + args) }
    default = File.join(BUILDDIR, "models", "jp-freelance.model")
    models = [EXAMPLE] + (File.exist?(default) ? [default] : [])
    models.each { |m| WHATIF_ARGS.each { |args| run_both(["-m", m] + args) } }
    assert_equal 2, run_both(["-m", EXAMPLE, "--role", "pm", "--skill", "jva", "--strict"])
    assert_equal 1, run_both(["-m", BAD_NUMBER, "--role", "pm"])
    assert_equal 0, run_both(["-m", LINEAR, "--role", "dev", "--years", "12"])
    assert_equal 0, run_both(%w[--role pm --json], { "ENGRATE_MODEL" => EXAMPLE })
  end
end

class TestLoading < Minitest::Test
  include Paths

  def test_lookup_error_lists_the_places
    lib = File.join(SRCDIR, "no", "libengrate.so")
    _out, err, st = Open3.capture3({ "ENGRATE_LIB" => lib }, RbConfig.ruby,
                                   "-I#{File.join(__dir__, "lib")}", "-e", "require 'engrate'")
    refute st.success?
    assert_includes err, "engrate: cannot load libengrate; tried:"
    assert_includes err, "$ENGRATE_LIB: #{lib} (no such file)"
  end

  # tests/libengrate-major1.so (built by make check) says it is 1.0.0 and leaves every other
  # function to this build's library: refused for its version alone.
  def test_another_major_version_is_refused
    lib = File.join(BUILDDIR, "tests", ".libs", "libengrate-major1.so")
    skip "no #{lib} (built by make check)" unless File.exist?(lib)
    _out, err, st = Open3.capture3({ "ENGRATE_LIB" => lib }, RbConfig.ruby,
                                   "-I#{File.join(__dir__, "lib")}", "-e", "require 'engrate'")
    refute st.success?
    assert_includes err, "engrate: #{lib} is libengrate 1.0.0 (major 1); " \
                         "this binding needs major 0 (LoadError)"
  end

  def test_version
    assert_equal "0", Engrate.version.split(".")[0]
    assert Engrate.library_path
  end

  # An application that only estimates maps neither the trainer's library nor GSL; the
  # first Engrate.train loads the trainer.
  def test_estimating_loads_no_trainer
    skip "no /proc/self/maps" unless File.readable?("/proc/self/maps")
    script = <<~RUBY
      require "engrate"
      maps = -> { File.readlines("/proc/self/maps").map { |l| File.basename(l.split[5].to_s) } }
      Engrate::Model.load(ARGV[0]).estimate(role: "pm", skills: "java")
      puts maps.call.grep(/libengrate|libgsl/).uniq.sort.join(" ")
      begin
        Engrate.train(ARGV[1], folds: 0)
      rescue Engrate::Error
        nil # no such file: what matters is what was loaded to say so
      end
      puts maps.call.grep(/libengrate|libgsl/).uniq.sort.join(" ")
    RUBY
    out, err, st = Open3.capture3(RbConfig.ruby, "-I#{File.join(__dir__, "lib")}", "-e", script,
                                  EXAMPLE, File.join(SRCDIR, "no", "such.csv"))
    assert st.success?, err
    before, after = out.lines.map(&:split)
    refute(before.any? { |f| f.start_with?("libengrate-train") }, before.inspect)
    if File.binread(Engrate.library_path).include?("libgsl")
      skip "#{Engrate.library_path} itself links GSL" # the trainer is still inside it
    end
    refute(before.any? { |f| f.start_with?("libgsl") }, before.inspect)
    assert(after.any? { |f| f.start_with?("libengrate-train") }, after.inspect)
  end
end
