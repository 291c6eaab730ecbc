"""report_browser.py: an HTML training report (engrate-report) opened as a person opens
it, in Debian's headless Chromium driven by Selenium, and checked:

  - the file is under 2 MB and refers to nothing outside itself (no src, href or url()
    that leaves the page, no script, no stylesheet link);
  - Chromium loads it with no error in its console;
  - each figure asked for is there (by id), with an SVG that has a label and is drawn
    with a size;
  - a screenshot of the whole page is saved (the test's artifact).

    python3 tests/report_browser.py REPORT.html SHOT.png FIGURE-ID...

Exit status 0, 1 with a line per failure, 77 (skipped) when Chromium, chromedriver or
Selenium are missing. tests/report.test and bench/report-1m.sh run it."""
import os
import re
import shutil
import sys
import tempfile

LIMIT = 2 * 1024 * 1024

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:
    print("python3-selenium is not installed: skipped")
    sys.exit(77)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)


def outside_references(page):
    """Whatever in the page would make the browser fetch something."""
    found = []
    for m in re.finditer(r'\b(src|href|xlink:href)\s*=\s*"([^"]*)"', page):
        if not m.group(2).startswith("#"):
            found.append(m.group(0)[:80])
    found += [m.group(0)[:80] for m in re.finditer(r"url\(\s*['\"]?(?!#)[^)]*\)", page)]
    found += [m.group(0)[:80] for m in re.finditer(r"<(script|link|iframe|object|embed)\b",
                                                   page, re.I)]
    found += [m.group(0)[:80] for m in re.finditer(r"@import", page)]
    return found


def browser(profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    # As examples/serve/test_browser.py: no background connections on a closed network;
    # --no-sandbox because CI runs as root; a fresh profile.
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--user-data-dir=" + profile,
                 "--window-size=1100,900"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    path, shot, want = argv[0], argv[1], argv[2:]
    fails = []
    size = os.path.getsize(path)
    if size >= LIMIT:
        fails.append("%s is %d bytes, not under 2 MB" % (path, size))
    with open(path, encoding="utf-8") as f:
        page = f.read()
    refs = outside_references(page)
    if refs:
        fails.append("refers outside itself: %s" % refs[:5])
    if not CHROMIUM or not DRIVER:
        print("chromium or chromedriver is not installed: skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="engrate-report-browser-")
    try:
        d = browser(os.path.join(tmp, "profile"))
        try:
            d.get("file://" + os.path.abspath(path))
            for fid in want:
                figs = d.find_elements(By.ID, fid)
                if not figs:
                    fails.append("no figure with id %s" % fid)
                    continue
                svgs = figs[0].find_elements(By.TAG_NAME, "svg")
                box = svgs[0].size if svgs else {}
                if not svgs or not svgs[0].get_attribute("aria-label"):
                    fails.append("figure %s has no labelled SVG" % fid)
                elif box.get("width", 0) < 100 or box.get("height", 0) < 50:
                    fails.append("figure %s is drawn %s" % (fid, box))
            errors = [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]
            if errors:
                fails.append("console errors: %s" % errors[:3])
            height = d.execute_script("return document.documentElement.scrollHeight")
            d.set_window_size(1100, min(height + 40, 16000))
            d.save_screenshot(shot)
        finally:
            d.quit()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in fails:
        print("FAIL %s: %s" % (path, f))
    if not fails:
        print("PASS %s: %d bytes, %d figures, no console error; screenshot %s"
              % (path, size, len(want), shot))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
