# frozen_string_literal: true

# test_rails.rb: the binding as a Rails application meets it. Inputs by id or label in
# any language, string or symbol keys, params objects; values as forms send them (blank
# options, years as text, a set in one text field); JSON for `render json:`; models whose
# inputs are not role/skills/certs/years. Run by make check (examples/ruby/ruby.test).
#
# Expected numbers come from the models' coefficients worked out here by hand, from the
# same estimate asked the plain way (a blank option must change nothing, bit for bit), or
# from engrate-estimate --json. The last class runs rails_example.rb (docs/rails.md) with
# Rails's ActionPack when it is installed (Debian: ruby-actionpack; CI installs it).

$LOAD_PATH.unshift(File.join(__dir__, "lib"))
require "engrate"
require "json"
require "minitest/autorun"
require "open3"

module RailsPaths
  REPO = File.expand_path("../..", __dir__)
  SRCDIR = File.expand_path(ENV.fetch("srcdir", "").empty? ? REPO : ENV["srcdir"])
  BUILDDIR = File.expand_path(ENV.fetch("top_builddir", "").empty? ? REPO : ENV["top_builddir"])
  EXAMPLE = File.join(SRCDIR, "models", "example.model")
  ESTIMATOR = File.join(BUILDDIR, "examples", "engrate-estimate")

  # A model whose inputs are none of role/skills/certs/years, with labels in English,
  # Japanese and French; linear, so that its estimates are sums.
  SHOP = <<~MODEL
    engrate-model 1

    [model]
    name = shop
    currency = EUR
    period = hour
    transform = none
    intercept = 50

    [interval]
    level = 0.5
    low = -5
    high = 5

    [input dept]
    kind = categorical
    label.en = Department
    label.ja = 部署
    levels = 2

    [level dev]
    coef = 10
    name.en = Development

    [level ops]
    coef = -5

    [input tools]
    kind = set
    label.en = Tools
    label.fr = Outils
    levels = 2

    [level git]
    coef = 2

    [level k8s]
    coef = 3
    name.en = Kubernetes

    [input age]
    kind = numeric
    label.en = Age of the team
    min = 0
    max = 10
    default = 2
    coef = 1.5
  MODEL

  def bits(x) = [x].pack("E")

  # The numbers, flags and names of a result, bit for bit.
  def same(r) = [bits(r.estimate), bits(r.low), bits(r.high), r.flags, r.unknown, r.aliased]
end

# What ActionController::Parameters does that matters here: to_h refuses until permitted,
# to_unsafe_h gives the values with string keys.
class FakeParams
  def initialize(hash) = @hash = hash.transform_keys(&:to_s)
  def to_h = raise("ActionController::UnfilteredParameters")
  def to_unsafe_h = @hash.dup
end

class RailsCase < Minitest::Test
  include RailsPaths

  def setup
    @m = Engrate::Model.load(EXAMPLE)
  end

  def teardown
    @m.close
  end
end

class TestKeys < RailsCase
  def test_ids_labels_and_folded_labels
    # pmo 0.25, java 0.02, years defaulted to 5: 0.06*5 - 0.04*(5-3)
    want = Math.exp(13.4 + 0.25 + 0.02 + 0.3 - 0.08)
    plain = @m.estimate(role: "pmo", skills: ["java"])
    assert_in_delta want, plain.estimate, want * 1e-12
    [{ "role" => "pmo", "skills" => ["java"] },
     { "職種" => "PMO", "スキル" => ["Java"] },
     { "Role" => "pmo", "Skills" => "java" },
     { "ROLE" => "pmo", "ＳＫＩＬＬＳ" => ["java"] },
     { :Role => "pmo", "スキル" => "Java" }].each do |params|
      assert_equal same(plain), same(@m.estimate(params)), params.inspect
      assert_equal same(plain), same(@m.estimate(**params.transform_keys(&:to_sym))), params.inspect
    end
    assert_equal same(plain), same(@m.estimate({ "職種" => "PMO" }, skills: ["java"]))
    assert_equal "role", @m.input("職種").id
    assert_equal "years", @m.input("Years of experience").id
    assert_raises(KeyError) { @m.input("colour") }
  end

  def test_unknown_and_repeated_keys
    e = assert_raises(Engrate::Error) { @m.estimate(skill: ["java"]) }
    assert_equal Engrate::E_UNKNOWN_NAME, e.code
    assert_includes e.message, 'has no input "skill"'
    assert_includes e.message, 'did you mean "skills"?'
    # An input the model lacks may be given nothing, as in the C API.
    assert_equal same(@m.estimate(role: "pm")),
                 same(@m.estimate(role: "pm", colour: "", shape: [""], size: nil))
    e = assert_raises(Engrate::Error) { @m.estimate("role" => "pm", "職種" => "se") }
    assert_equal Engrate::E_DUPLICATE, e.code
    assert_includes e.message, "role is given twice"
    # inputs:, as the shortcuts' companion: a Hash or pairs
    assert_equal same(@m.estimate(role: "pm", skills: ["java"], years: 8)),
                 same(@m.estimate(role: "pm", inputs: [["スキル", "java"], ["経験年数", 8]]))
    assert_raises(TypeError) { @m.estimate(inputs: { 3 => "x" }) }
  end

  def test_lists_split_as_the_library_splits_them
    # Engrate.split_names (Ruby, for the batch) against engrate_query_add_list (C): the
    # names each leaves unknown, in order, must be the same.
    ["Go、 Rust ， ;Elixir", " Go ;\u00A0Rust\u3000,", "C/C++, Visual Basic；Objective-C",
     "Go､Rust", ",,;", "", "\u3000", "Go\tRust, Elixir\n"].each do |text|
      c = @m.estimate(skills: text).unknown
      assert_equal c, @m.estimate(skills: Engrate.split_names(text)).unknown, text.inspect
      single = @m.estimate(skills: text)
      assert_equal [bits(single.estimate), single.flags],
                   @m.estimate_many([{ skills: text }])[0].then { |b| [bits(b.estimate), b.flags] }
    end
    assert_equal %w[Go Rust Elixir], Engrate.split_names("Go、 Rust ， ;Elixir")
  end

  def test_params_objects
    params = FakeParams.new(role: "pmo", skills: ["", "java"], years: "8")
    assert_equal same(@m.estimate(role: "pmo", skills: ["java"], years: 8)),
                 same(@m.estimate(params))
    many = @m.estimate_many([params, FakeParams.new("職種" => "se")])
    assert_equal [bits(@m.estimate(role: "pmo", skills: ["java"], years: 8).estimate),
                  bits(@m.estimate(role: "se").estimate)], many.map { |e| bits(e.estimate) }
    assert_raises(TypeError) { @m.estimate(["role", "pm"]) }
  end

  def test_choices_for_a_form
    assert_equal [["プロジェクトマネージャー", "pm"], %w[PMO pmo], ["システムエンジニア", "se"],
                  ["プログラマー", "pg"]], @m.choices("職種", lang: :ja)
    assert_equal [%w[PMP pmp], ["IPA Project Manager Examination", "ipa_pm"]], @m.choices(:certs)
  end
end

class TestFormValues < RailsCase
  def test_blank_names_are_no_names
    base = @m.estimate(role: "pm", skills: ["java"], years: 8)
    [{ role: "pm", skills: ["", "java"], years: 8 },
     { role: "pm", skills: ["", " ", "\u3000", "\t", "java"], certs: [""], years: 8 },
     { role: "pm", skills: "java", certs: "", years: 8 },
     { role: "pm", skills: " java ,,、", certs: " ", years: 8 },
     { role: ["", "pm"], skills: ["java"], years: 8 }].each do |p|
      assert_equal same(base), same(@m.estimate(**p)), p.inspect
    end
    none = @m.estimate
    assert_equal same(none), same(@m.estimate(role: "", skills: [""], certs: "", years: ""))
    assert_equal %i[defaulted missing], none.flags
  end

  def test_one_name_for_a_categorical_input
    e = assert_raises(Engrate::Error) { @m.estimate(role: %w[pm se]) }
    assert_equal Engrate::E_INVALID, e.code
    assert_equal 'role takes one name, not 2: "pm", "se"', e.text
  end

  def test_years_as_forms_send_them
    # pm 0.3, years 8: 0.06*8 - 0.04*(8-3)
    eight = Math.exp(13.4 + 0.3 + 0.48 - 0.2)
    [8, 8.0, Rational(8), "8", " 8 ", "８", "+8", "8.0", "0.8e1", "\u30008\u3000"].each do |y|
      r = @m.estimate(role: "pm", years: y)
      assert_in_delta eight, r.estimate, eight * 1e-12, y.inspect
      assert_equal [], r.flags, y.inspect
    end
    half = Math.exp(13.4 + 0.3 + (0.06 * 8.5) - (0.04 * 5.5))
    assert_in_delta half, @m.estimate(role: "pm", years: "8.5").estimate, half * 1e-12
    assert_in_delta half, @m.estimate(role: "pm", years: "８．５").estimate, half * 1e-12
    unknown = @m.estimate(role: "pm")
    assert_equal [:defaulted], unknown.flags
    [nil, "", "  ", "\u3000", Float::NAN].each do |y|
      assert_equal same(unknown), same(@m.estimate(role: "pm", years: y)), y.inspect
    end
    %w[abc 8年 1,000 0x10 1_0 nan 8.5.1].each do |y|
      e = assert_raises(Engrate::Error, y) { @m.estimate(role: "pm", years: y) }
      assert_equal Engrate::E_NUMBER, e.code
      assert_equal "years: '#{y}' is not a number", e.text
    end
    assert_equal Engrate::E_INVALID,
                 assert_raises(Engrate::Error) { @m.estimate(years: Float::INFINITY) }.code
    assert_raises(TypeError) { @m.estimate(years: true) }
  end

  def test_a_set_in_one_field
    want = same(@m.estimate(role: "pm", skills: %w[java python]))
    ["Java、Python", "Java, Python", "java;python", "Java，Python", "Java；Python",
     " Java ,, Python ,", "JAVA、 python"].each do |s|
      r = @m.estimate(role: "pm", skills: s)
      assert_equal want, same(r), s
    end
    # never split on "/" or spaces: names such as C/C++ and Visual Basic stay whole
    r = @m.estimate(role: "pm", skills: "C/C++, Visual Basic")
    assert_equal ["C/C++", "Visual Basic"], r.unknown
    r = @m.estimate(role: "pm", skills: ["Java, Python"]) # an array's names are as given
    assert_equal ["Java, Python"], r.unknown
  end

  def test_batch_agrees_with_single
    profiles = [{ "role" => "pmo", "skills" => ["", "java"], "years" => "8" },
                { "職種" => "プロマネ", "スキル" => "Java、Python", "経験年数" => "" },
                { role: "", skills: "", certs: "PMP；ipa_pm", years: "３" },
                FakeParams.new(role: "se", years: 12.5),
                {}]
    many = @m.estimate_many(profiles)
    profiles.zip(many).each do |p, b|
      r = @m.estimate(p)
      assert_equal [bits(r.estimate), bits(r.low), bits(r.high), r.flags],
                   [bits(b.estimate), bits(b.low), bits(b.high), b.flags], p.inspect
    end
    out = @m.estimate_many([{ role: "pm" }, { role: "pm", years: "abc" }, { role: %w[pm se] }],
                           return_errors: true)
    assert_equal [Engrate::E_NUMBER, 1], [out[1].code, out[1].index]
    assert_equal [Engrate::E_INVALID, 2], [out[2].code, out[2].index]
    e = assert_raises(Engrate::Error) { @m.estimate_many([{ role: "pm" }, { years: "x" }]) }
    assert_equal [Engrate::E_NUMBER, 1, "years: 'x' is not a number"], [e.code, e.index, e.text]
    # a name C cannot take (a NUL) is its profile's error too, found one profile at a time
    many = (0...20).map { |i| { role: "pm", skills: i == 17 ? ["ja\0va"] : ["java"] } }
    out = @m.estimate_many(many, return_errors: true)
    assert_equal [Engrate::E_INVALID, 17], [out[17].code, out[17].index]
    assert_equal [bits(@m.estimate(role: "pm", skills: ["java"]).estimate)] * 19,
                 (out[0, 17] + out[18..]).map { |b| bits(b.estimate) }
  end
end

class TestJSON < RailsCase
  def test_json_is_the_cli_json
    skip "engrate-estimate not built" unless File.executable?(ESTIMATOR)
    r = @m.estimate("職種" => "プロマネ", "スキル" => ["", "Java", "jva"], "経験年数" => "",
                    lang: "ja")
    cli, status = Open3.capture2(ESTIMATOR, "-m", EXAMPLE, "--json", "--lang", "ja",
                                 "--role", "プロマネ", "--skill", "Java", "--skill", "jva")
    assert status.success?
    assert_equal JSON.parse(cli), JSON.parse(r.to_json)
    assert_equal r.to_h, r.as_json
    assert_equal JSON.parse(cli), JSON.parse(JSON.generate({ "result" => r }))["result"]
  end

  def test_estimates_and_errors
    e = @m.estimate_many([{ role: "pm", years: 8 }])[0]
    assert_equal({ "estimate" => e.estimate, "low" => e.low, "high" => e.high, "flags" => [] },
                 JSON.parse(e.to_json))
    nan = Engrate::Estimate.new(Float::NAN, 1.0, 2.0, [:unknown])
    assert_equal '{"estimate":null,"low":1.0,"high":2.0,"flags":["unknown"]}', nan.to_json
    err = assert_raises(Engrate::Error) { @m.estimate(role: "pm", years: "abc") }
    assert_equal({ "code" => Engrate::E_NUMBER, "reason" => "bad number",
                   "text" => "years: 'abc' is not a number", "line" => 0, "column" => 0,
                   "source" => "", "index" => nil }, JSON.parse(err.to_json))
  end
end

class TestAnyModel < Minitest::Test
  include RailsPaths

  def setup
    @m = Engrate::Model.from_string(SHOP, "shop.model")
  end

  def teardown
    @m.close
  end

  def test_inputs_by_id_and_label
    r = @m.estimate(dept: "dev", tools: "git, Kubernetes", age: "4")
    assert_equal [71.0, 66.0, 76.0], [r.estimate, r.low, r.high] # 50 + 10 + 2 + 3 + 1.5*4
    again = @m.estimate("部署" => "Development", "Outils" => %w[git k8s], "Age of the team" => 4)
    assert_equal same(r)[0, 5], same(again)[0, 5]
    assert_equal [["Development", "dev"], %w[ops ops]], @m.choices("Department")
    e = assert_raises(Engrate::Error) { @m.estimate(role: "pm") }
    assert_includes e.message, "its inputs: dept (Department), tools (Tools), age (Age of the team)"
    e = assert_raises(Engrate::Error) { @m.estimate(tools: "svn", strict: true) }
    assert_equal Engrate::E_UNKNOWN_NAME, e.code
  end

  def test_many_profiles_one_by_one
    out = @m.estimate_many([{ dept: "dev" }, { "Outils" => "k8s" }, { age: "x" }],
                           return_errors: true)
    assert_equal [63.0, 56.0], out[0, 2].map(&:estimate) # 50+10+1.5*2, 50+3+1.5*2
    assert_equal [%i[defaulted], %i[defaulted missing]], out[0, 2].map(&:flags) # no dept
    assert_equal [Engrate::E_NUMBER, 2], [out[2].code, out[2].index]
    e = assert_raises(Engrate::Error) { @m.estimate_many([{ dept: "dev" }, { age: "x" }]) }
    assert_equal 1, e.index
  end
end

# What-if through the binding: the numbers worked out from example.model's coefficients,
# and the records engrate-estimate --whatif / --target-rate --json print.
class TestWhatIf < RailsCase
  PROFILE = { role: "pm", skills: "java", years: 8 }.freeze
  # 13.4 + 0.3 (pm) + 0.02 (java) + 0.06*8 - 0.04*5 (years)
  ETA = 14.0

  def test_ranking_by_hand
    all = @m.whatif(PROFILE, top: 0)
    # ruby +0.06; python, ipa_pm +0.05; 11 and 13 years +0.04 (0.06*11-0.04*8-0.02*1,
    # 0.06*13-0.04*10-0.02*3 against 0.28); c++ +0.04; c# +0.03; 9 years +0.02; then the
    # other roles, lower (pmo 0.25, se 0.05, pg -0.1 against pm's 0.3). pmp, without
    # evidence, is left out.
    assert_equal [[:add, "ruby"], [:years, nil], [:role, "pmo"], [:role, "se"], [:role, "pg"]],
                 [all[0], all[3], *all[-3..]].map { |c| [c.change, c.level] }
    assert_equal 11, all.size
    top = all[0]
    assert_in_delta Math.exp(ETA + 0.06), top.estimate, 1e-6
    assert_in_delta Math.exp(ETA + 0.06) - Math.exp(ETA), top.delta, 1e-6
    assert_in_delta (Math.exp(0.06) - 1) * 100, top.delta_pct, 1e-9
    assert_in_delta Math.exp(ETA + 0.06 - 0.2), top.low, 1e-6
    assert_equal %w[skills Ruby], [top.input, top.name]
    assert_equal [11.0, "Years of experience"], [all[3].value, all[3].name]
    assert_equal all[0, 3], @m.whatif(PROFILE, top: 3)
    assert_equal %w[ipa_pm], @m.whatif(PROFILE, vary: "certs").map(&:level)
    assert_equal %w[ipa_pm pmp], @m.whatif(PROFILE, vary: ["資格"], with_no_evidence: true).map(&:level)
    steps = @m.whatif(PROFILE, vary: :years, steps: [2, -1])
    assert_equal [10.0, 7.0], steps.map(&:value) # 0.06*10-0.04*7 = 0.32; 0.06*7-0.04*4 = 0.26
    assert_in_delta Math.exp(ETA + 0.04), steps[0].estimate, 1e-6
  end

  def test_target_by_hand
    t = @m.whatif_target(Math.exp(ETA + 0.055), PROFILE)
    assert_equal [true, 5, ["ruby"]], [t.reached, t.max_changes, t.path.map(&:level)]
    t = @m.whatif_target("1,000万", PROFILE, max_changes: 2, lang: :ja)
    assert_equal [10_000_000.0, false, 2], [t.rate, t.reached, t.path.size]
    assert_equal "Ruby", t.path[0].name
    t = @m.whatif_target("100万円", PROFILE) # exp(14.0) = 1,202,604 already
    assert_equal [true, []], [t.reached, t.path]
    assert_equal 950_000.0, @m.whatif_target("￥９５０，０００", PROFILE).rate
    %w[abc 1,00 -5 0 100万ドル].each do |rate|
      assert_equal Engrate::E_NUMBER, assert_raises(Engrate::Error) { @m.whatif_target(rate, PROFILE) }.code
    end
  end

  def test_errors
    e = assert_raises(Engrate::Error) { @m.whatif(role: "pm", skills: "jva", strict: true) }
    assert_equal Engrate::E_UNKNOWN_NAME, e.code
    assert_equal Engrate::E_UNKNOWN_NAME,
                 assert_raises(Engrate::Error) { @m.whatif(PROFILE, vary: "colour") }.code
    assert_raises(ArgumentError) { @m.whatif(PROFILE, top: -1) }
    e = assert_raises(Engrate::Error) { @m.whatif(PROFILE, steps: [0]) }
    assert_equal Engrate::E_INVALID, e.code
    c = @m.whatif(PROFILE, top: 1)[0]
    assert_equal c, Marshal.load(Marshal.dump(c))
    @m.close
    assert_raises(IOError) { @m.whatif(PROFILE) }
    @m = Engrate::Model.load(EXAMPLE) # for teardown
  end

  def test_json_is_the_cli_json
    skip "engrate-estimate not built" unless File.executable?(ESTIMATOR)
    default = File.join(BUILDDIR, "models", "jp-freelance.model")
    [EXAMPLE, default].select { |f| File.exist?(f) }.each do |path|
      Engrate::Model.open(path) do |m|
        args = %w[--role pm --skill java --years 8 --whatif 4 --target-rate 150万 --vary
                  skills,certs,years --lang ja --json]
        cli = JSON.parse(Open3.capture2(ESTIMATOR, "-m", path, *args)[0])
        opts = { vary: "skills,certs,years", lang: "ja" }
        mine = m.estimate(PROFILE, lang: "ja").to_h
        mine["whatif"] = m.whatif(PROFILE, top: 4, **opts).map(&:to_h)
        mine["target"] = m.whatif_target("150万", PROFILE, **opts).to_h
        assert_equal cli, JSON.parse(JSON.generate(mine)), path
      end
    end
  end
end

# docs/rails.md's example with Rails's own ActionController and ActiveSupport JSON, in a
# process of its own (ActiveSupport changes core classes).
class TestRealRails < Minitest::Test
  include RailsPaths

  def test_rails_example
    skip "Rails's ActionPack is not installed" unless system(RbConfig.ruby, "-e",
                                                             'require "action_controller"',
                                                             err: File::NULL)
    skip "engrate-estimate not built" unless File.executable?(ESTIMATOR)
    out, err, status = Open3.capture3(RbConfig.ruby, "-I#{File.join(__dir__, "lib")}",
                                      File.join(__dir__, "rails_example.rb"), EXAMPLE)
    assert status.success?, err
    replies = out.lines.each_slice(2).map { |_, reply| reply.split(" ", 2) }
    assert_equal %w[200 200 422 200 200], replies.map(&:first)
    cli = [%w[--role pmo --skill java --cert PMP --years 8],
           %w[--role プロマネ --skill Java --skill jva --lang ja]].map do |args|
      JSON.parse(Open3.capture2(ESTIMATOR, "-m", EXAMPLE, "--json", *args)[0])
    end
    assert_equal cli, replies[0, 2].map { |_, body| JSON.parse(body) }
    assert_equal({ "error" => "years: 'abc' is not a number", "code" => "bad number" },
                 JSON.parse(replies[2][1]))
    assert_equal [%w[PMP pmp], %w[プロジェクトマネージャ試験 ipa_pm]],
                 JSON.parse(replies[3][1])["certs"]
    whatif = JSON.parse(Open3.capture2(ESTIMATOR, "-m", EXAMPLE, "--json", *%w[--role pm
                                       --skill java --years 8 --whatif 3 --target-rate 150万])[0])
    assert_equal whatif.slice("whatif", "target"), JSON.parse(replies[4][1])
  end
end
