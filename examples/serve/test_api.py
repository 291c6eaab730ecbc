"""test_api.py: engrate-serve's API as a platform integrating it sees it.

The answers come from engrate-estimate, a separate program (its JSON is printed by hand in
examples/engrate-estimate.c, the server's by jansson in examples/serve/api.c): for many
profiles the parsed object of POST /api/v1/estimate must equal the parsed output of
`engrate-estimate --json`, and a strict failure must carry the CLI's message. Then every
kind of bad input, the limits, static files, and the metrics."""
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_test import (BY_LEVEL_MODEL, EXAMPLE_MODEL, ESTIMATOR, JP_MODEL, PATIENCE, SERVER, WWW, Checks,
                        Server, cli_estimate)

check = Checks()


def profiles_jp():
    """Profiles for the market model: every role, names by id, display name and alias,
    full-width and katakana typing, typos, clamped and missing years, both languages."""
    listing = json.loads(subprocess.run([ESTIMATOR, "-m", JP_MODEL, "--list", "roles", "--json"],
                                        capture_output=True, check=True).stdout)
    out = [{"role": r["id"], "years": i % 15} for i, r in enumerate(listing)]
    out += [
        {"role": "pmo", "skills": ["java", "aws"], "certs": ["pmp"], "years": 8},
        {"role": "pmo", "skills": ["java", "aws"], "certs": ["pmp"], "years": 8, "lang": "ja"},
        {"role": "プロマネ", "skills": ["Java", "Python", "jva"], "certs": ["ＰＭＰ"], "years": 8},
        {"role": "PM", "skills": ["ＰＹＴＨＯＮ", "Ｇｏ", "golang"], "years": 3.5, "lang": "ja"},
        {"role": "ﾌﾟﾛﾏﾈ", "skills": ["ジャバ"], "years": 2},
        {"role": "Project manager", "skills": "TypeScript", "certs": ["応用情報", "AWS認定"]},
        {"role": "se", "years": 99},
        {"role": "pg", "years": -3, "lang": "ja"},
        {"role": "pg", "years": 0.25},
        {"role": "nonexistent-role", "skills": ["cobol"], "years": 20},
        {"skills": ["rust", "kubernetes", "k8s", "terraform"], "years": 12},
        {"certs": ["ccna", "ccnp", "ccie"]},
        {"role": "frontend", "skills": ["React.js", "vue", "next.js", "node"], "years": 4.5},
        {"role": "data_scientist", "skills": ["python", "r", "sql"], "years": 1.5, "lang": "en"},
        {"role": "pm", "skills": ["java", "java", "Java", "ジャバ"], "years": 10},
        {"role": "pm", "skills": ["c++", "C++", "CPP", "c#", "C Sharp", "c"], "years": 7},
        {"role": "pm", "skills": ["html/css", "HTML", "css3"], "certs": ["pmp"], "strict": True},
        {"role": "pm", "skills": ["jva"], "strict": True},
        {"role": "pmx", "strict": True, "lang": "ja"},
        {"role": "pm", "certs": ["zzzzzz"], "strict": True},
        {"role": "pm", "skills": ["java"], "years": None},
        {"role": "ml_engineer", "skills": ["python"], "years": 40, "strict": False},
    ]
    return out


def profiles_example():
    return [
        {"role": "pm", "years": 8, "skills": ["java", "python"], "certs": ["pmp"]},
        {"role": "プロマネ", "years": 8, "skills": ["java", "Python", "jva"], "certs": ["ＰＭＰ"]},
        {"role": "pm", "years": 99},
        {"role": "pg", "skills": ["cpp", "csharp"], "lang": "ja"},
    ]


def profiles_by_level():
    """Profiles for a model whose years vary by country: a level with a curve of its own,
    one without, none, by name and by id, years not given."""
    return [
        {"country": "Germany", "years": 12},
        {"country": "us", "years": 12, "lang": "ja"},
        {"years": 3},
        {"country": "India"},
        {"country": "de", "years": 40},
    ]


# What-if options for that model (it has no skills or certs).
WHATIF_BY_LEVEL = [{}, {"top": 1}, {"top": 4, "vary": ["years"]}, {"vary": ["country"]},
                   {"target_rate": 700}]


def compare_with_cli(s, model, profiles):
    for i, p in enumerate(profiles):
        rc, want, err = cli_estimate(p, model)
        status, got = s.post("/api/v1/estimate", p)
        name = "%s profile %d %s" % (os.path.basename(model), i, json.dumps(p, ensure_ascii=False))
        if rc == 0:
            # Equal as parsed objects, and with the keys in the CLI's order.
            check(name, status == 200 and got == want and list(got) == list(want) and
                  [list(c) for c in got["contributions"]] ==
                  [list(c) for c in want["contributions"]], (status, got, want))
        else:
            message = err.strip().split("engrate-estimate: ", 1)[-1]
            check(name + " (strict failure)", rc == 2 and status == 422 and
                  got["error"]["type"] == "unknown_name" and got["error"]["message"] == message,
                  (rc, status, got, message))


# Options of /api/v1/whatif, each also given to engrate-estimate as --whatif N, --vary,
# --with-no-evidence, --target-rate, --max-changes: the default, one change, a subset of
# inputs, every candidate with the levels that lack evidence, paths that are reached, cut
# short by max_changes, out of reach, and already reached.
WHATIF_OPTIONS = [
    {},
    {"top": 1},
    {"top": 12, "vary": ["skills", "certs"]},
    {"top": 1000, "with_no_evidence": True},
    {"target_rate": 1200000},
    {"top": 3, "target_rate": 1500000.5, "max_changes": 2, "vary": ["skills", "years"]},
    {"top": 4, "vary": ["years"]},
    {"top": 2, "vary": ["role", "role"], "target_rate": 3000000, "max_changes": 1000},
    {"top": 7, "target_rate": 100000, "with_no_evidence": False, "vary": None},
]


def same_keys(got, want):
    """The keys of got in want's order, in the object and in each of its lists' objects."""
    if isinstance(want, dict):
        return isinstance(got, dict) and list(got) == list(want) and \
            all(same_keys(got[k], want[k]) for k in want)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and \
            all(same_keys(g, w) for g, w in zip(got, want))
    return True


def compare_whatif_with_cli(s, model, profiles, all_options=WHATIF_OPTIONS):
    """Each profile with two of all_options: the answer of /api/v1/whatif equals, as a
    parsed object with its keys in the same order, what engrate-estimate --json --whatif
    prints for the same profile and options."""
    n = len(all_options)
    for i, p in enumerate(profiles):
        other = (5 * i + 3) % n
        other = (other + 1) % n if other == i % n else other
        for options in (all_options[i % n], all_options[other]):
            rc, want, err = cli_estimate(p, model, whatif=options)
            status, got = s.post("/api/v1/whatif", {**p, **options})
            name = "whatif %s profile %d %s %s" % (os.path.basename(model), i,
                                                   json.dumps(p, ensure_ascii=False),
                                                   json.dumps(options))
            if rc == 0:
                check(name, status == 200 and got == want and same_keys(got, want) and
                      "whatif" in want, (status, got, want))
            else:
                message = err.strip().split("engrate-estimate: ", 1)[-1]
                check(name + " (strict failure)", rc == 2 and status == 422 and
                      got["error"]["message"] == message, (rc, status, got, message))


def test_whatif(s):
    """What the comparison with the CLI cannot show: ranks against a loop over every
    candidate through /api/v1/estimate, the path's steps adding up, and the limits."""
    profile = {"role": "pmo", "skills": ["java", "aws"], "certs": ["pmp"], "years": 8}
    _, base = s.post("/api/v1/estimate", profile)
    status, got = s.post("/api/v1/whatif", {**profile, "top": 1000, "vary": ["skills", "certs"]})
    _, m = s.get_json("/api/v1/model")
    # Brute force: add each level with evidence that the profile does not have, one at a
    # time, through the estimate route; sort by estimate, ties in model order.
    loop = []
    for input_id in ("skills", "certs"):
        levels = next(i for i in m["inputs"] if i["id"] == input_id)["levels"]
        for level in levels:
            if level["id"] in profile[input_id] or not level["evidence"]:
                continue
            _, e = s.post("/api/v1/estimate", {**profile, input_id: profile[input_id] + [level["id"]]})
            loop.append((e["estimate"], input_id, level["id"], e["low"], e["high"]))
    loop.sort(key=lambda t: -t[0])
    ranked = [(w["estimate"], w["input"], w["level"], w["low"], w["high"]) for w in got["whatif"]]
    check("whatif ranks every addition as a loop over /api/v1/estimate does", status == 200 and
          ranked == loop and len(loop) >= 10, (len(ranked), len(loop), ranked[:2], loop[:2]))
    check("whatif deltas are from the profile's estimate",
          all(w["delta"] == w["estimate"] - base["estimate"] for w in got["whatif"]))
    check("whatif: the estimate's keys are /api/v1/estimate's answer",
          {k: got[k] for k in base} == base)
    status, got = s.post("/api/v1/whatif", {**profile, "target_rate": 1200000, "lang": "ja"})
    path, last = got["target"]["path"], base["estimate"]
    steps_ok = True
    for step in path:
        steps_ok = steps_ok and step["delta"] == step["estimate"] - last and step["change"] == "add"
        last = step["estimate"]
    # Greedy and additive: the step before the last one was still short of the rate.
    short_before = len(path) < 2 or path[-2]["estimate"] < 1200000
    check("target: each step from the one before, reaching the rate", status == 200 and
          steps_ok and got["target"]["reached"] is True and last >= 1200000 and
          len(path) >= 1 and short_before, got["target"])
    # The path applied: the profile with its additions, through /api/v1/estimate.
    more = dict(profile)
    for step in path:
        more[step["input"]] = more[step["input"]] + [step["level"]]
    _, e = s.post("/api/v1/estimate", more)
    check("target: the profile with the path's additions estimates as the last step",
          e["estimate"] == last, (e["estimate"], last))
    cases = [
        ({"top": 0}, "field 'top' must be a whole number from 1 to 1000, not 0"),
        ({"top": 1001}, "not 1001"),
        ({"top": 2.5}, "not 2.5"),
        ({"top": "5"}, "not a string"),
        ({"top": True}, "not a boolean"),
        ({"vary": ["skils"]}, "the model has no input 'skils' (inputs: role, skills, certs, years)"),
        ({"vary": []}, "at least one input"),
        ({"vary": "skills"}, "must be an array of input ids, not a string"),
        ({"vary": ["skills", 3]}, "item 1 is a number"),
        ({"target_rate": 0}, "field 'target_rate' must be a positive amount"),
        ({"target_rate": -5}, "not -5"),
        ({"target_rate": "120万"}, "not a string"),
        ({"target_rate": 1e999}, ""),
        ({"max_changes": 3}, "'max_changes' applies to a path to 'target_rate'"),
        ({"target_rate": 1e6, "max_changes": 0}, "field 'max_changes' must be a whole number"),
        ({"with_no_evidence": "yes"}, "field 'with_no_evidence' must be true or false"),
        ({"topp": 3}, "unknown field 'topp'"),
    ]
    for options, why in cases:
        body = json.dumps({**profile, **options}).replace("Infinity", "1e999")
        status, _, data = s.request("POST", "/api/v1/whatif", body)
        e = json.loads(data).get("error", {})
        check("whatif refuses %s" % json.dumps(options), status == 400 and
              e.get("type") in ("bad_request", "bad_json") and why in e.get("message", ""),
              (status, data[:200]))
    status, got = s.post("/api/v1/whatif", [profile])
    check("whatif refuses an array", status == 400 and "JSON object" in got["error"]["message"])
    got = s.request("GET", "/api/v1/whatif")
    check("GET /api/v1/whatif is 405", got[0] == 405 and got[1].get("allow") == "POST")


def test_batch(s, profiles):
    singles = [s.post("/api/v1/estimate", p) for p in profiles]
    status, got = s.post("/api/v1/estimate/batch", {"profiles": profiles})
    check("batch answers 200", status == 200, (status, got))
    check("batch count and failed", got["count"] == len(profiles) and
          got["failed"] == sum(1 for st, _ in singles if st != 200), got.get("failed"))
    same = all(res == one for (_, one), res in zip(singles, got["results"]))
    check("batch results equal the single estimates, errors included", same)
    # Under valgrind (ENGRATE_TEST_LIGHT) the largest batch would take minutes.
    n = 1000 if os.environ.get("ENGRATE_TEST_LIGHT") else 10000
    status, got = s.post("/api/v1/estimate/batch", {"profiles": [{"role": "pm"}] * n,
                                                    "lang": "ja"})
    check("batch of %d" % n, status == 200 and got["count"] == n and
          got["results"][n - 1]["contributions"][1]["name"] == "プロジェクトマネージャー",
          status)
    status, got = s.post("/api/v1/estimate/batch", {"profiles": [{}] * 10001})
    check("batch of 10,001 is 413", status == 413 and got["error"]["type"] == "too_large", got)
    status, got = s.post("/api/v1/estimate/batch", {"profiles": [{"role": "pm"}, 3,
                                                                 {"years": "8"}]})
    check("batch: a bad profile fails alone", status == 200 and got["failed"] == 2 and
          "estimate" in got["results"][0] and got["results"][1]["error"]["status"] == 400 and
          "years" in got["results"][2]["error"]["message"], got)
    for body, why in (({"profile": []}, "unknown field 'profile'"),
                      ({"profiles": {}}, "must be an array"), ([], "JSON object"),
                      ({"profiles": [], "strict": 1}, "strict")):
        status, got = s.post("/api/v1/estimate/batch", body)
        check("batch refuses " + json.dumps(body), status == 400 and why in got["error"]["message"],
              got)


def test_model(s):
    status, m = s.get_json("/api/v1/model")
    check("model answers 200", status == 200)
    check("model metadata", (m["name"], m["currency"], m["period"], m["basis"], m["as_of"]) ==
          ("jp-freelance", "JPY", "month", "listing", "2026-01"), m["name"])
    check("capabilities: what-if", m["capabilities"]["whatif"] is True and
          m["capabilities"]["batch_max"] == 10000)
    _, est, _ = cli_estimate({"role": "pm"})
    check("the reference: the CLI's base and its names", m["reference"] == {
        "name": {"en": "typical listing", "ja": "平均的な案件"},
        "estimate": est["contributions"][0]["amount"]} and
        est["contributions"][0]["name"] == "typical listing", m["reference"])
    for what, input_id in (("roles", "role"), ("skills", "skills"), ("certs", "certs")):
        want = json.loads(subprocess.run([ESTIMATOR, "-m", JP_MODEL, "--list", what, "--json"],
                                         capture_output=True, check=True).stdout)
        got = next(i for i in m["inputs"] if i["id"] == input_id)
        same = [(l["id"], l["name"]["en"], l["name"]["ja"], l["aliases"], l["evidence"])
                for l in got["levels"]] == \
               [(l["id"], l["en"], l["ja"], l["aliases"], not l["no_evidence"]) for l in want]
        check("model %s levels equal engrate-estimate --list %s" % (input_id, what), same)
    years = next(i for i in m["inputs"] if i["id"] == "years")
    # From the model file's text, read here independently of the library.
    section = open(JP_MODEL, encoding="utf-8").read().split("[input years]")[1]
    kv = dict(line.split(" = ", 1) for line in section.strip().splitlines() if " = " in line)
    check("years range, default and reference from the file",
          (years["kind"], years["min"], years["max"], years["default"], years["reference"]) ==
          ("numeric", float(kv["min"]), float(kv["max"]), float(kv["default"]),
           float(kv["reference"])), years)
    check("labels in both languages", years["label"]["ja"] == "経験年数")


def test_bad_input(s):
    cases = [
        (b'{"role": "pm"', 400, "bad_json", "line 1"),
        (b'', 400, "bad_json", ""),
        (b'[1, 2]', 400, "bad_request", "JSON object, not an array"),
        (b'"pm"', 400, "bad_json", ""),
        (b'{"role": 3}', 400, "bad_request", "field 'role' must be a string or null, not a number"),
        (b'{"role": ["pm"]}', 400, "bad_request", "field 'role'"),
        (b'{"skills": 3}', 400, "bad_request", "field 'skills' must be an array of strings"),
        (b'{"skills": ["java", 3]}', 400, "bad_request", "item 1 is a number"),
        (b'{"skills": [null]}', 400, "bad_request", "item 0 is null"),
        (b'{"years": "8"}', 400, "bad_request", "field 'years' must be a number"),
        (b'{"years": true}', 400, "bad_request", "field 'years'"),
        (b'{"years": 1e999}', 400, "bad_json", ""),
        (b'{"years": NaN}', 400, "bad_json", ""),
        (b'{"lang": "fr"}', 400, "bad_request", "'lang'"),
        (b'{"lang": null}', 400, "bad_request", "'lang'"),
        (b'{"strict": "yes"}', 400, "bad_request", "'strict'"),
        (b'{"skill": ["java"]}', 400, "bad_request", "unknown field 'skill'"),
        (b'{"role": "pm", "role": "se"}', 400, "bad_json", "duplicate"),
        (b'{"role": "p\\u0000m"}', 400, "bad_json", ""),
        (b'{"role": "\xff\xfe"}', 400, "bad_json", ""),
        (b'{"role": "pm"} trailing', 400, "bad_json", ""),
        (b'[' * 100000, 400, "bad_json", ""),
    ]
    for body, want_status, want_type, want_text in cases:
        status, hdrs, data = s.request("POST", "/api/v1/estimate", body)
        try:
            e = json.loads(data)["error"]
        except (ValueError, KeyError):
            e = {}
        check("bad input %r" % body[:40], status == want_status and e.get("type") == want_type
              and want_text in e.get("message", "") and e.get("status") == want_status and
              hdrs.get("content-type", "").startswith("application/json"), (status, data[:200]))
    # A message quoting the client's text cut short must still be valid JSON (UTF-8).
    status, got = s.post("/api/v1/estimate", {"スキル" * 40: ["java"]})
    check("unknown long non-ASCII field: 400 with a message", status == 400 and
          got["error"]["message"].startswith("unknown field '"), got)
    status, got = s.post("/api/v1/estimate", b'{"role": "pm",\n "years": x}')
    check("malformed JSON says line and column", status == 400 and
          (got["error"]["line"], got["error"]["column"]) == (2, 11), got)


def test_mutations(s):
    """Bodies a client could get wrong, made by mutating valid ones (a fixed seed): each
    gets a JSON answer with 200, 400 or 422, never a dropped connection or a 5xx, and
    the server stays up."""
    rng = random.Random(15)
    seeds = [json.dumps(p, ensure_ascii=rng.random() < 0.5).encode() for p in profiles_jp()]
    n = 100 if os.environ.get("ENGRATE_TEST_LIGHT") else 600
    bad = []
    conn = s.conn()
    for i in range(n):
        body = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(len(body))
            what = rng.randrange(4)
            if what == 0:
                body[k] = rng.randrange(256)
            elif what == 1:
                del body[k:k + rng.randint(1, 8)]
            elif what == 2:
                body[k:k] = rng.choice([b'"', b"[", b"{", b"}", b",", b"null", b"1e999",
                                        b"\\u0000", b"\xc3", b"\xf0\x9f", b"-", b"true"])
            else:
                body = body[:k]
            if not body:
                body = bytearray(b"{")
        try:
            status, _, data = s.request("POST", "/api/v1/estimate", bytes(body), conn=conn)
            answer = json.loads(data)
            ok = status in (200, 400, 422) and (status == 200) == ("estimate" in answer)
        except (OSError, ValueError, http.client.HTTPException) as e:
            ok, status, answer = False, None, repr(e)
            conn.close()
            conn = s.conn()
        if not ok:
            bad.append((bytes(body)[:80], status, str(answer)[:120]))
    conn.close()
    check("%d mutated bodies: each a JSON answer, 200/400/422" % n, not bad, bad[:3])
    check("the server is still up", healthy(s))


def test_routes(s):
    for method, path, status, allow in (("GET", "/api/v1/estimate", 405, "POST"),
                                        ("POST", "/healthz", 405, "GET, HEAD"),
                                        ("POST", "/api/v1/model", 405, "GET, HEAD"),
                                        ("PUT", "/api/v1/estimate", 405, None),
                                        ("DELETE", "/", 405, None),
                                        ("OPTIONS", "/api/v1/model", 405, None),
                                        ("GET", "/api/v1/nope", 404, None),
                                        ("POST", "/api/v2/estimate", 404, None),
                                        ("GET", "/api/v1/estimate/", 404, None),
                                        ("GET", "/no-such-file.html", 404, None)):
        got, hdrs, data = s.request(method, path, b"{}" if method == "POST" else None)
        ok = got == status and json.loads(data)["error"]["status"] == status
        if allow:
            ok = ok and hdrs.get("allow") == allow
        check("%s %s is %d" % (method, path, status), ok, (got, hdrs.get("allow"), data[:100]))
    got, hdrs, data = s.request("GET", "/healthz")
    check("healthz", got == 200 and json.loads(data)["status"] == "ok")
    got, hdrs, data = s.request("HEAD", "/")
    check("HEAD / has headers, no body", got == 200 and data == b"" and
          hdrs["content-type"].startswith("text/html"))


def test_static(s):
    got, hdrs, page = s.request("GET", "/")
    check("GET / is the page", got == 200 and "単価診断".encode() in page and
          hdrs["content-type"] == "text/html; charset=utf-8" and
          "default-src 'self'" in hdrs.get("content-security-policy", ""), (got, hdrs))
    for name, ctype in (("app.js", "text/javascript"), ("text.js", "text/javascript"),
                        ("whatif.js", "text/javascript"), ("app.css", "text/css"),
                        ("favicon.svg", "image/svg+xml")):
        got, hdrs, body = s.request("GET", "/" + name)
        want = open(os.path.join(WWW, name), "rb").read()
        check("GET /%s" % name, got == 200 and body == want and
              hdrs["content-type"].startswith(ctype), (got, hdrs.get("content-type")))
    # The page loads nothing from elsewhere.
    check("no external URL in the page", b"http://" not in page and b"https://" not in page and
          b"//cdn" not in page)
    for path in ("/../serve_test.py", "/%2e%2e/serve_test.py", "/..%2fserve_test.py",
                 "/./index.html", "/.hidden", "/outside-link", "/outside-dir/passwd",
                 "/sub", "/sub/", "//etc/passwd"):
        c = s.conn()
        c.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
        c.endheaders()
        r = c.getresponse()
        body = r.read()
        c.close()
        check("static %s is 404" % path, r.status in (400, 404) and b"root:" not in body and
              b"serve_test" not in body, (r.status, body[:80]))
    # libmicrohttpd decodes %00 to the end of the path: these are "/" and "/index.html".
    for path in ("/%00../../etc/passwd", "/index.html%00.js"):
        got, hdrs, body = s.request("GET", path)
        check("GET %s is cut at the NUL" % path, got == 200 and body == page)
    got, _, body = s.request("GET", "/inside-link.txt")
    check("a symlink inside www is served", got == 200 and body == b"inside\n", got)


def make_www():
    """A copy of the page plus traps: symlinks out of the directory, a hidden file, a
    subdirectory, and a symlink that stays inside (allowed)."""
    d = tempfile.mkdtemp(prefix="engrate-www-")
    www = os.path.join(d, "www")
    shutil.copytree(WWW, www)
    with open(os.path.join(d, "secret.txt"), "w") as f:
        f.write("root:x:0:0\n")
    os.symlink(os.path.join(d, "secret.txt"), os.path.join(www, "outside-link"))
    os.symlink("/etc", os.path.join(www, "outside-dir"))
    with open(os.path.join(www, ".hidden"), "w") as f:
        f.write("root:hidden\n")
    os.mkdir(os.path.join(www, "sub"))
    with open(os.path.join(www, "inside.txt"), "w") as f:
        f.write("inside\n")
    os.symlink("inside.txt", os.path.join(www, "inside-link.txt"))
    return d, www


def test_limits():
    with Server("--max-body", "1000", "--timeout", "2", "--threads", "1",
                "--max-connections", "8", model=EXAMPLE_MODEL) as s:
        status, got = s.post("/api/v1/estimate", {"role": "pm", "skills": ["x" * 2000]})
        check("body over --max-body is 413", status == 413 and got["error"]["type"] == "too_large",
              got)
        c = s.conn()
        c.putrequest("POST", "/api/v1/estimate")
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        for _ in range(3):
            c.send(b"200\r\n" + b" " * 0x200 + b"\r\n")
        c.send(b"0\r\n\r\n")
        r = c.getresponse()
        got = json.loads(r.read())
        c.close()
        check("chunked body over --max-body is 413", r.status == 413, (r.status, got))
        status, got = s.post("/api/v1/estimate", {"role": "pm", "skills": ["java"]})
        check("a body under the cap is served", status == 200 and got["model"] == "example")
        # A slow client: headers and part of a body, then nothing. With one worker thread
        # the server must go on answering others, and drop the slow one after --timeout.
        slow = socket.create_connection(("127.0.0.1", s.port), timeout=PATIENCE)
        slow.sendall(b"POST /api/v1/estimate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        status, got = s.post("/api/v1/estimate", {"role": "pm"})
        check("served while a slow client waits", status == 200)
        try:
            rest = slow.recv(4096)
        except (ConnectionResetError, socket.timeout) as e:
            rest = repr(e).encode()
        check("the slow client is dropped", b"timeout" not in rest and b"200 OK" not in rest,
              rest[:100])
        slow.close()
        check("the log says the request timed out", "timeout" in s.log())
    # The connection cap: with eight idle connections open, a ninth waits unanswered (in
    # the kernel's backlog) and is answered once one of the eight closes.
    with Server("--max-connections", "8", "--threads", "1", model=EXAMPLE_MODEL) as s:
        idle = [socket.create_connection(("127.0.0.1", s.port), timeout=PATIENCE)
                for _ in range(8)]
        extra = socket.create_connection(("127.0.0.1", s.port), timeout=2)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            early = extra.recv(4096)
        except socket.timeout:
            early = b""
        check("over --max-connections, a connection waits", early == b"", early[:80])
        for sock in idle:
            sock.close()
        extra.settimeout(PATIENCE)
        answer = extra.recv(4096)
        extra.close()
        check("and is answered when a slot frees", answer.startswith(b"HTTP/1.1 200"),
              answer[:80])


def healthy(s):
    try:
        return s.request("GET", "/healthz")[0] == 200
    except OSError:
        return False


def test_metrics_and_log():
    d = tempfile.mkdtemp(prefix="engrate-log-")
    log = os.path.join(d, "access.log")
    with Server("--access-log", log, model=EXAMPLE_MODEL) as s:
        conn = s.conn()
        for _ in range(5):
            s.post("/api/v1/estimate", {"role": "pm"}, conn=conn)
        s.request("GET", "/nope/nope", conn=conn)
        s.request("GET", "/api/v1/nope", conn=conn)
        s.request("POST", "/api/v1/estimate", b"{", conn=conn)
        conn.close()
        s.post("/api/v1/estimate/batch", {"profiles": [{"role": "pm"}] * 7})
        s.wait_for("9 log lines", lambda: len(open(log).readlines()) >= 9)
        text = s.metrics()
        lines = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))
        def val(k):
            return float(lines.get(k, "nan"))
        check("metrics: estimates by route and status",
              val('engrate_http_requests_total{route="/api/v1/estimate",status="200"}') == 5 and
              val('engrate_http_requests_total{route="/api/v1/estimate",status="400"}') == 1 and
              val('engrate_http_requests_total{route="static",status="404"}') == 1 and
              val('engrate_http_requests_total{route="none",status="404"}') == 1, text[:800])
        check("metrics: a batch counts its profiles", val("engrate_estimates_total") == 12)
        buckets = [(k, val(k)) for k in lines
                   if k.startswith('engrate_http_request_duration_seconds_bucket{route="/api/v1/estimate"')]
        counts = [v for _, v in buckets]
        check("metrics: histogram cumulative, +Inf is the count", len(buckets) == 14 and
              counts == sorted(counts) and counts[-1] == 6 and
              val('engrate_http_request_duration_seconds_count{route="/api/v1/estimate"}') == 6,
              buckets)
        check("metrics: the model", 'engrate_model_info{name="example",as_of="2026-01"' in text
              and "engrate_model_reloads_total{result=\"ok\"} 0" in text and
              'engrate_model_reload_failed{error=""} 0' in text)
        s.post("/api/v1/whatif", {"role": "pm", "top": 2})
        s.post("/api/v1/whatif", {"role": "pm", "top": 2, "lang": "ja"})
        s.post("/api/v1/whatif", {"role": "pm", "top": 0})
        # A request is counted when its answer has been sent, so the client may ask for the
        # metrics before the server has counted the last one.
        done = 'engrate_http_request_duration_seconds_count{route="/api/v1/whatif"} 3'
        s.wait_for("the what-ifs counted", lambda: done in s.metrics())
        text = s.metrics()
        check("metrics: the what-if route by status",
              'engrate_http_requests_total{route="/api/v1/whatif",status="200"} 2' in text and
              'engrate_http_requests_total{route="/api/v1/whatif",status="400"} 1' in text and
              'engrate_http_request_duration_seconds_count{route="/api/v1/whatif"} 3' in text and
              "engrate_estimates_total 14" in text, text[:1500])
        entries = open(log).read().splitlines()[:9]
        check("access log: one line per request", len(entries) == 9 and
              all('"POST /api/v1/estimate HTTP/1.1" 200 ' in e for e in entries[:5]) and
              ' 127.0.0.1 "GET /nope/nope HTTP/1.1" 404 ' in entries[5], entries)
    shutil.rmtree(d)


def test_forbidden_reload():
    """From an address that is not loopback, POST /api/v1/reload is refused: inside a
    network namespace of our own, where 192.0.2.1 (a documentation address) is on lo."""
    script = ("ip link set lo up && ip addr add 192.0.2.1/32 dev lo && exec %s %s forbidden"
              % (sys.executable, os.path.abspath(__file__)))
    try:
        p = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True,
                           timeout=PATIENCE * 2)
    except (OSError, subprocess.TimeoutExpired) as e:
        check.skip("reload from a non-loopback address", e)
        return
    out = p.stdout.decode() + p.stderr.decode()
    if "Operation not permitted" in out or "unshare failed" in out:
        check.skip("reload from a non-loopback address", "no network namespaces here")
        return
    check("reload from a non-loopback address is 403", p.returncode == 0 and
          "forbidden ok" in out, out[-800:])


def forbidden():
    with Server(listen="192.0.2.1:0", model=EXAMPLE_MODEL) as s:
        status, got = s.post("/api/v1/reload", {})
        assert status == 403 and got["error"]["type"] == "forbidden", (status, got)
        status, got = s.post("/api/v1/estimate", {"role": "pm"})
        assert status == 200, status
    print("forbidden ok")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "forbidden":
        return forbidden()
    d, www = make_www()
    try:
        with Server(www=www) as s:
            compare_with_cli(s, JP_MODEL, profiles_jp())
            compare_whatif_with_cli(s, JP_MODEL, profiles_jp())
            test_whatif(s)
            test_batch(s, profiles_jp())
            test_model(s)
            test_bad_input(s)
            test_mutations(s)
            test_routes(s)
            test_static(s)
        with Server(model=EXAMPLE_MODEL) as s:
            compare_with_cli(s, EXAMPLE_MODEL, profiles_example())
            compare_whatif_with_cli(s, EXAMPLE_MODEL, profiles_example())
            _, m = s.get_json("/api/v1/model")
            check("a model without a reference: reference null", m["reference"] is None and
                  all("reference" in i and i["reference"] is None
                      for i in m["inputs"] if i["kind"] == "numeric"), m["reference"])
        with Server(model=BY_LEVEL_MODEL) as s:
            compare_with_cli(s, BY_LEVEL_MODEL, profiles_by_level())
            compare_whatif_with_cli(s, BY_LEVEL_MODEL, profiles_by_level(), WHATIF_BY_LEVEL)
            status, got = s.post("/api/v1/estimate", {"country": "Germany", "years": 12})
            check("a curve that varies by a level names it", status == 200 and
                  got["contributions"][1]["curve"] == {"input": "country", "level": "de",
                                                       "name": "Germany"}, got)
        test_limits()
        test_metrics_and_log()
        test_forbidden_reload()
        p = subprocess.run([SERVER, "--model", os.path.join(d, "none.model")], capture_output=True)
        check("a model that cannot be loaded: exit 1 with the path", p.returncode == 1 and
              b"none.model" in p.stderr, p.stderr)
        p = subprocess.run([SERVER, "--threads", "0"], capture_output=True)
        check("a bad option: exit 2", p.returncode == 2 and b"--threads" in p.stderr, p.stderr)
        p = subprocess.run([SERVER, "--listen", "nonsense", "--model", EXAMPLE_MODEL],
                           capture_output=True)
        check("a bad --listen: exit 1 or 2", p.returncode in (1, 2) and b"--listen" in p.stderr,
              p.stderr)
    finally:
        shutil.rmtree(d)
    check.finish()


if __name__ == "__main__":
    main()
