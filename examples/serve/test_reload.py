"""test_reload.py: engrate-serve's hot reload.

Two model files that differ in their numbers (example.model, and the same with another
intercept and years curve) give two expected answers, computed by engrate-estimate on each
file. The server is reloaded with SIGHUP and POST /api/v1/reload, with good files and with
a refused one (the old model must keep serving and the located error must show in /healthz
and /metrics), and then 20 times while clients send requests without pause: every answer
must be 200 and equal, as a whole object, to the old model's or the new model's answer,
and every batch must come from one model only."""
import os
import re
import shutil
import signal
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_test import EXAMPLE_MODEL, SRC, Checks, Server, cli_estimate

check = Checks()
PROFILE = {"role": "pm", "skills": ["java", "python", "jva"], "certs": ["pmp"], "years": 8}
# A what-if on PROFILE: each worker keeps an engrate_whatif made for one model, which a
# reload must replace before that worker answers a what-if on the new model.
WHATIF = {"top": 5, "target_rate": 1500000}
BAD_MODEL = os.path.join(SRC, "tests", "data", "model", "invalid", "bad-number", "input.model")


def variant(text):
    """Model B: other numbers, found by editing A's text (not through the library)."""
    text = text.replace("intercept = 13.4", "intercept = 13.6")
    text = text.replace("name = example", "name = example-b")
    assert "intercept = 13.6" in text
    return text


def install(path, text):
    """Replace the model file the way a deploy should: write aside, then rename."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def generation(s):
    return s.get_json("/healthz")[1]["model"]["generation"]


def reloads(s):
    return s.get_json("/healthz")[1]["reloads"]


def test_reload_once(s, path, text_a, text_b, want_a, want_b, whatif_a, whatif_b):
    status, got = s.post("/api/v1/estimate", PROFILE)
    check("model A answers as the CLI on A", status == 200 and got == want_a)
    status, got = s.post("/api/v1/whatif", {**PROFILE, **WHATIF})
    check("model A's what-if as the CLI's on A", status == 200 and got == whatif_a)
    install(path, text_b)
    s.signal(signal.SIGHUP)
    s.wait_for("generation 2", lambda: generation(s) == 2)
    status, got = s.post("/api/v1/estimate", PROFILE)
    check("after SIGHUP, model B answers as the CLI on B", status == 200 and got == want_b, got)
    status, got = s.post("/api/v1/whatif", {**PROFILE, **WHATIF})
    check("after SIGHUP, the what-if is B's", status == 200 and got == whatif_b, got)
    check("/metrics counts the reload", 'engrate_model_reloads_total{result="ok"} 1' in s.metrics()
          and 'engrate_model_info{name="example-b"' in s.metrics())

    shutil.copyfile(BAD_MODEL, path)
    s.signal(signal.SIGHUP)
    s.wait_for("a refused reload", lambda: reloads(s)["failed"] == 1)
    status, got = s.post("/api/v1/estimate", PROFILE)
    check("a refused file leaves B serving", status == 200 and got == want_b and
          generation(s) == 2)
    last = reloads(s)["last_error"] or ""
    check("/healthz says where the file is wrong", last.startswith(path + ":7:13: ") and
          "13a" in last, last)
    m = re.search(r'engrate_model_reload_failed\{error="([^"]*)"\} 1', s.metrics())
    check("/metrics shows the located error", m and m.group(1).startswith(path + ":7:13:"),
          m and m.group(1))
    check("the log has the located error", path + ":7:13:" in s.log())

    status, got = s.post("/api/v1/reload", {})
    check("POST /api/v1/reload with the bad file is 500 and says why", status == 500 and
          got["error"]["type"] == "reload_failed" and ":7:13:" in got["error"]["message"] and
          got["error"]["serving"]["generation"] == 2, got)
    install(path, text_a)
    status, got = s.post("/api/v1/reload", {})
    check("POST /api/v1/reload with a good file", status == 200 and got["reloaded"] is True and
          got["model"]["generation"] == 3 and got["model"]["name"] == "example", got)
    check("/metrics clears the error after a good reload",
          'engrate_model_reload_failed{error=""} 0' in s.metrics())
    status, got = s.post("/api/v1/estimate", PROFILE)
    check("A again", status == 200 and got == want_a)
    status, got = s.get_json("/api/v1/model")
    check("GET /api/v1/model follows the reload", got["name"] == "example" and
          got["generation"] == 3)


def test_under_load(s, path, text_a, text_b, want_a, want_b, whatif_a, whatif_b):
    """Clients send estimates, what-ifs and batches without pause while the file alternates
    between A and B and the server is reloaded 20 times (SIGHUP and POST, alternately)."""
    stop = threading.Event()
    bad = []
    counts = {"a": 0, "b": 0, "batches": 0, "whatif_a": 0, "whatif_b": 0}
    lock = threading.Lock()

    def client(kind):
        conn = s.conn()
        while not stop.is_set():
            if kind == "whatif":
                status, got = s.post("/api/v1/whatif", {**PROFILE, **WHATIF}, conn=conn)
                ok = status == 200 and got in (whatif_a, whatif_b)
                key = "whatif_a" if got == whatif_a else "whatif_b"
            elif kind == "batch":
                status, got = s.post("/api/v1/estimate/batch", {"profiles": [PROFILE] * 50},
                                     conn=conn)
                results = got.get("results", [])
                ok = status == 200 and (all(r == want_a for r in results) or
                                        all(r == want_b for r in results))
                key = "batches"
            else:
                status, got = s.post("/api/v1/estimate", PROFILE, conn=conn)
                ok = status == 200 and got in (want_a, want_b)
                key = "a" if got == want_a else "b"
            with lock:
                counts[key] += 1
                if not ok:
                    bad.append((status, got))
        conn.close()

    kinds = ["estimate", "estimate", "whatif", "batch"]
    threads = [threading.Thread(target=client, args=(k,)) for k in kinds]
    for t in threads:
        t.start()
    start = generation(s)
    for k in range(20):
        install(path, text_b if k % 2 == 0 else text_a)
        if k % 2 == 0:
            s.signal(signal.SIGHUP)
        else:
            status, _ = s.post("/api/v1/reload", {})
            assert status == 200, status
        s.wait_for("reload %d" % (k + 1), lambda: generation(s) == start + k + 1)
        # Let both models be seen: wait until some answers arrived since this reload.
        seen = counts["a"] + counts["b"]
        s.wait_for("answers after reload %d" % (k + 1),
                   lambda: counts["a"] + counts["b"] >= seen + 5)
    stop.set()
    for t in threads:
        t.join()
    check("20 reloads under load: every answer is A's or B's, whole", not bad, bad[:3])
    check("both models answered", counts["a"] > 0 and counts["b"] > 0 and counts["batches"] > 0
          and counts["whatif_a"] > 0 and counts["whatif_b"] > 0, counts)
    check("20 reloads counted", reloads(s)["ok"] == start - 1 + 20, reloads(s))
    print("# under load: %(a)d answers from A, %(b)d from B, %(batches)d batches, what-ifs "
          "%(whatif_a)d from A and %(whatif_b)d from B" % counts)


def main():
    d = tempfile.mkdtemp(prefix="engrate-reload-")
    try:
        path = os.path.join(d, "served.model")
        path_b = os.path.join(d, "b.model")
        text_a = open(EXAMPLE_MODEL, encoding="utf-8").read()
        text_b = variant(text_a)
        install(path, text_a)
        install(path_b, text_b)
        want_a = cli_estimate(PROFILE, path)[1]
        want_b = cli_estimate(PROFILE, path_b)[1]
        whatif_a = cli_estimate(PROFILE, path, whatif=WHATIF)[1]
        whatif_b = cli_estimate(PROFILE, path_b, whatif=WHATIF)[1]
        check("A and B differ", want_a["estimate"] != want_b["estimate"] and
              whatif_a["whatif"][0]["estimate"] != whatif_b["whatif"][0]["estimate"])
        with Server(model=path) as s:
            test_reload_once(s, path, text_a, text_b, want_a, want_b, whatif_a, whatif_b)
        install(path, text_a)
        with Server("--quiet", "--threads", "2", model=path) as s:
            test_under_load(s, path, text_a, text_b, want_a, want_b, whatif_a, whatif_b)
    finally:
        shutil.rmtree(d)
    check.finish()


if __name__ == "__main__":
    main()
