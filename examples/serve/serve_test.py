"""serve_test.py: what the engrate-serve tests share: starting a server on a free loopback
port, talking HTTP to it with the standard library, and asking engrate-estimate for the
answers the server must give. Only the standard library (http.client, subprocess)."""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("top_builddir", ".")
SRC = os.environ.get("srcdir", ".")
SERVER = os.path.join(TOP, "examples", "serve", "engrate-serve")
ESTIMATOR = os.path.join(TOP, "examples", "engrate-estimate")
JP_MODEL = os.path.join(TOP, "models", "jp-freelance.model")
EXAMPLE_MODEL = os.path.join(SRC, "models", "example.model")
# Years that vary by country (models/FORMAT.md, "Curves that vary by a level").
BY_LEVEL_MODEL = os.path.join(SRC, "tests", "data", "model", "valid", "by-level", "input.model")
WWW = os.path.join(SRC, "examples", "serve", "www")

# Generous: only ever a ceiling for something that normally takes milliseconds.
PATIENCE = 60.0


class Server:
    """engrate-serve on 127.0.0.1 and a port the kernel picks; its standard error (the
    access log and messages) goes to a file, read with log()."""

    def __init__(self, *args, model=JP_MODEL, www=WWW, listen="127.0.0.1:0", wrap=()):
        fd, self.log_path = tempfile.mkstemp(prefix="engrate-serve-", suffix=".log")
        self.log_file = os.fdopen(fd, "w")
        # ENGRATE_SERVE_WRAP runs the server under a tool (make check-valgrind sets it).
        wrap = list(wrap) or os.environ.get("ENGRATE_SERVE_WRAP", "").split()
        cmd = wrap + [SERVER, "--listen", listen, "--www", www]
        if model:
            cmd += ["--model", model]
        cmd += list(args)
        self.proc = subprocess.Popen(cmd, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.host = listen.rsplit(":", 1)[0].strip("[]")
        self.port = None
        deadline = time.monotonic() + PATIENCE
        while self.port is None:
            m = re.search(r"at http://[^ ]*:(\d+)/", self.log())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None:
                raise RuntimeError("engrate-serve exited %d:\n%s" % (self.proc.returncode, self.log()))
            elif time.monotonic() > deadline:
                raise RuntimeError("engrate-serve did not start:\n" + self.log())
            else:
                time.sleep(0.02)

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def url(self, path="/"):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def conn(self, timeout=PATIENCE):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        """(status, headers as a dict with lower-case names, body bytes)."""
        own = conn is None
        c = conn or self.conn()
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode()
        elif isinstance(body, str):
            body = body.encode()
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if own:
            c.close()
        return r.status, hdrs, data

    def post(self, path, body, conn=None):
        status, _, data = self.request("POST", path, body,
                                       {"Content-Type": "application/json"}, conn)
        return status, json.loads(data)

    def get_json(self, path):
        status, _, data = self.request("GET", path)
        return status, json.loads(data)

    def metrics(self):
        status, _, data = self.request("GET", "/metrics")
        assert status == 200, status
        return data.decode()

    def signal(self, sig=signal.SIGHUP):
        os.kill(self.proc.pid, sig)

    def wait_for(self, what, predicate):
        """Poll predicate() until it is true; fail after PATIENCE seconds."""
        deadline = time.monotonic() + PATIENCE
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for " + what)
            time.sleep(0.01)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(PATIENCE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("engrate-serve did not stop on SIGTERM")
        self.log_file.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        rc = self.stop()
        if exc[0] is None:
            assert rc == 0, "engrate-serve exited %s:\n%s" % (rc, self.log())
        os.unlink(self.log_path)


def cli_args(profile):
    """engrate-estimate's options for a profile in the API's form."""
    args = []
    if profile.get("role") is not None:
        args += ["--role", profile["role"]]
    for key, opt in (("skills", "--skill"), ("certs", "--cert")):
        names = profile.get(key) or []
        for name in [names] if isinstance(names, str) else names:
            args += [opt, name]
    if profile.get("years") is not None:
        args += ["--years", repr(float(profile["years"]))]
    if profile.get("strict"):
        args.append("--strict")
    if profile.get("lang"):
        args += ["--lang", profile["lang"]]
    for key, value in profile.items():  # any other input of the model, by its id
        if key not in ("role", "skills", "certs", "years", "strict", "lang") and value is not None:
            args += ["--input", "%s=%s" % (key, value)]
    return args


def whatif_args(options):
    """engrate-estimate's what-if options for a /api/v1/whatif request's."""
    args = ["--whatif", str(options.get("top", 5))]
    if options.get("vary") is not None:
        args += ["--vary", ",".join(options["vary"])]
    if options.get("with_no_evidence"):
        args.append("--with-no-evidence")
    if options.get("target_rate") is not None:
        args += ["--target-rate", "%.17g" % options["target_rate"]]
    if options.get("max_changes") is not None:
        args += ["--max-changes", str(options["max_changes"])]
    return args


def cli_estimate(profile, model=JP_MODEL, whatif=None):
    """(exit status, parsed JSON or None, standard error) from engrate-estimate --json;
    with `whatif` (the options of a /api/v1/whatif request) from --json --whatif N ...."""
    extra = whatif_args(whatif) if whatif is not None else []
    p = subprocess.run([ESTIMATOR, "--model", model, "--json"] + cli_args(profile) + extra,
                       capture_output=True)
    out = json.loads(p.stdout) if p.returncode == 0 else None
    return p.returncode, out, p.stderr.decode()


class Checks:
    """Named checks that report ok / FAIL and count; the closing line is the one the
    harness reads: 'N passed, N failed'."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def __call__(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok   " + name)
        else:
            self.failed += 1
            print("FAIL " + name + (": " + str(detail) if detail != "" else ""))
        sys.stdout.flush()
        return cond

    def skip(self, name, why):
        self.skipped += 1
        print("skip %s (%s)" % (name, why))

    def finish(self):
        line = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            line += ", %d skipped" % self.skipped
        print(line)
        sys.exit(1 if self.failed else 0)
