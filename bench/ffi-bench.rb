# frozen_string_literal: true

# ffi-bench.rb: the Ruby side of bench/ffi-bench.sh. It times, on the profiles of a file
# written by the driver, the binding's calls and the raw calls beneath them, and prints
# the time per profile in nanoseconds:
#
#   ffi-bench.rb MODEL PROFILES RUNS MS
#
#   single      Model#estimate: one profile, the whole Result (breakdown, names)
#   single_raw  engrate_estimate_profile + engrate_result_estimate through ffi, with the
#               arguments converted beforehand: the bare cost of crossing into C
#   batch       Model#estimate_many on an array of hashes (conversion included)
#   batch_raw   engrate_estimate_batch through ffi, arrays converted beforehand
#
# Each figure is the median of RUNS runs of at least MS milliseconds.

$LOAD_PATH.unshift(File.join(ENV.fetch("srcdir", "."), "examples", "ruby", "lib"))
require "engrate"

def read_profiles(path)
  File.readlines(path, chomp: true, encoding: "UTF-8").map do |line|
    role, skills, certs, years = line.split("\t", -1)
    p = {}
    p[:role] = role unless role.empty?
    p[:skills] = skills.split(";") unless skills.empty?
    p[:certs] = certs.split(";") unless certs.empty?
    p[:years] = Float(years) unless years.empty?
    p
  end
end

def median_ns(per_call, runs, ms)
  times = Array.new(runs) do
    done = 0
    start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    loop do
      yield
      done += per_call
      elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - start
      break elapsed / done * 1e9 if elapsed >= ms / 1000.0
    end
  end
  times.sort[runs / 2]
end

model_path, profiles_path, runs, ms = ARGV
runs = Integer(runs)
ms = Float(ms)
profiles = read_profiles(profiles_path)
n = profiles.size
model = Engrate::Model.load(model_path)

# The raw calls, with every argument converted once, on a C model of their own.
err = Engrate::Raw::ErrorStruct.new
h = Engrate::Raw.engrate_model_load(model_path, 0, err)
r = Engrate::Raw.engrate_result_new(h, err)
raise "cannot load #{model_path}" if h.null? || r.null?

keep = []
list = ->(v) { Array(v) }
args = profiles.map do |p|
  s = Engrate.c_strings(list[p[:skills]])
  c = Engrate.c_strings(list[p[:certs]])
  keep << s << c
  y = nil
  if p[:years]
    y = FFI::MemoryPointer.new(:double)
    y.write_double(p[:years])
  end
  [h, p[:role], s, list[p[:skills]].size, c, list[p[:certs]].size, y, 0, r, err]
end

names_s = profiles.flat_map { |p| list[p[:skills]] }
names_c = profiles.flat_map { |p| list[p[:certs]] }
roles_p = Engrate.c_strings(profiles.map { |p| p[:role] })
skills_p = Engrate.c_strings(names_s)
certs_p = Engrate.c_strings(names_c)
keep << roles_p << skills_p << certs_p
offsets = lambda do |key|
  o = [0]
  profiles.each { |p| o << (o.last + list[p[key]].size) }
  FFI::MemoryPointer.new(:size_t, n + 1).tap { |m| m.put_bytes(0, o.pack(Engrate::SIZE_T_PACK)) }
end
years_p = FFI::MemoryPointer.new(:double, n)
years_p.put_bytes(0, profiles.map { |p| p[:years] || Float::NAN }.pack("d*"))
out = FFI::MemoryPointer.new(:double, n)
raw_args = [h, n, roles_p, skills_p, offsets.call(:skills), certs_p, offsets.call(:certs),
            years_p, 0, out, nil, nil, nil, nil, nil, err]

# The figures must be of the same numbers: check once.
want = profiles.map { |p| model.estimate(**p).estimate }
raise "estimate_many differs" unless model.estimate_many(profiles).map(&:estimate) == want

Engrate::Raw.engrate_estimate_batch(*raw_args)
raise "the raw batch differs" unless out.get_array_of_double(0, n) == want

puts "ruby #{RUBY_VERSION} ffi #{FFI::VERSION}"
puts format("single %.1f", median_ns(n, runs, ms) { profiles.each { |p| model.estimate(**p) } })
puts format("single_raw %.1f", median_ns(n, runs, ms) {
  args.each do |a|
    Engrate::Raw.engrate_estimate_profile(*a)
    Engrate::Raw.engrate_result_estimate(r)
  end
})
puts format("batch %.1f", median_ns(n, runs, ms) { model.estimate_many(profiles) })
puts format("batch_raw %.1f", median_ns(n, runs, ms) { Engrate::Raw.engrate_estimate_batch(*raw_args) })
Engrate::Raw.engrate_result_free(r)
Engrate::Raw.engrate_model_free(h)
model.close
