"""test_browser.py: the 単価診断 page in a real browser (Debian's headless Chromium, driven
by Selenium through chromedriver), used as a person uses it: type a role in half-width
katakana, skills with a typo and full-width letters, a certification, years; take the
"did you mean"; open the deep link; switch to English and back; read the breakdown's
base and reference rows; take the what-if list's changes with a click and with Enter; set
a target rate; use a phone's width.

Every number shown is checked against engrate-estimate on the same profile. Waits are for
elements and attributes (#result[data-pending="0"]), never for a length of time. The
screenshots are saved in the build directory (examples/serve/browser-*.png).
Exit status 77 (skipped) only when Chromium, chromedriver or Selenium are missing."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_test import ESTIMATOR, JP_MODEL, PATIENCE, TOP, Checks, Server, cli_args, cli_estimate

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("python3-selenium is not installed: skipped")
    sys.exit(77)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
if not CHROMIUM or not DRIVER:
    print("chromium or chromedriver is not installed: skipped")
    sys.exit(77)

ARTIFACTS = os.path.join(TOP, "examples", "serve")
check = Checks()


def browser(profile_dir, width=1280, height=1000):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    # Without the background-networking flags Chromium's own connections hang on a closed
    # network; --no-sandbox because CI runs as root.
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--user-data-dir=" + profile_dir,
                 "--window-size=%d,%d" % (width, height), "--lang=ja"):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


def wait(d, what, cond):
    try:
        return WebDriverWait(d, PATIENCE, poll_frequency=0.05).until(lambda _: cond())
    except Exception as e:
        raise AssertionError("timed out waiting for " + what) from e


def settled(d, profile=None):
    """Wait until the shown result is the answer to the current profile; return it."""
    def done():
        r = d.find_element(By.ID, "result")
        if r.get_attribute("data-pending") != "0":
            return False
        asked = json.loads(r.get_attribute("data-profile") or "null")
        return asked if profile is None or asked == profile else False
    return wait(d, "the result for %s" % profile, done)


def shown(d):
    e = d.find_element(By.ID, "estimate")
    return {k: float(e.get_attribute("data-" + k)) for k in ("estimate", "low", "high")}, e.text


def chips(d, input_id):
    return [li.get_attribute("data-level") or li.text.split(" ")[0]
            for li in d.find_elements(By.CSS_SELECTOR, "#%s-chips li" % input_id)]


def type_into(d, input_id, text, keys=Keys.ENTER):
    box = d.find_element(By.ID, input_id + "-input")
    box.click()
    box.send_keys(text, keys)


def same_as_cli(d, name, profile):
    """The shown estimate, band and text against engrate-estimate on the profile."""
    rc, want, err = cli_estimate(profile, JP_MODEL)
    got, text = shown(d)
    ok = rc == 0 and got == {k: want[k] for k in ("estimate", "low", "high")}
    lang = profile.get("lang", "ja")
    if lang == "ja":
        ok = ok and text == "%.1f万円/月" % (want["estimate"] / 10000)
    else:
        ok = ok and text == "¥{:,} / month".format(round(want["estimate"]))
    check(name, ok, (got, text, want and want["estimate"], err))


def test_person(d, s):
    d.get(s.url("/"))
    wait(d, "the model", lambda: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
    check("Japanese by default", d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
          and d.find_element(By.TAG_NAME, "h1").text == "エンジニア単価診断")
    settled(d, {"lang": "ja"})
    # A role typed in half-width katakana: the page folds it (NFKC) to プロマネ, an alias.
    type_into(d, "role", "ﾌﾟﾛﾏﾈ")
    wait(d, "the role chip", lambda: chips(d, "role") == ["pm"])
    check("half-width katakana role becomes a chip", chips(d, "role") == ["pm"])
    # Skills: a typo, full-width letters, and a prefix taken from the list.
    type_into(d, "skills", "jva")
    type_into(d, "skills", "ＡＷＳ")
    type_into(d, "skills", "pyth")
    wait(d, "three skill chips", lambda: len(chips(d, "skills")) == 3)
    check("skills: typo kept as unknown, full-width and prefix resolved",
          chips(d, "skills") == ["jva", "aws", "python"], chips(d, "skills"))
    type_into(d, "certs", "ＰＭＰ")
    wait(d, "the cert chip", lambda: chips(d, "certs") == ["pmp"])
    years = d.find_element(By.ID, "years-number")
    years.send_keys(Keys.CONTROL, "a")
    years.send_keys("8", Keys.TAB)
    profile = {"lang": "ja", "role": "pm", "skills": ["jva", "aws", "python"], "certs": ["pmp"],
               "years": 8}
    settled(d, profile)
    same_as_cli(d, "typed profile: estimate, band and 万円/月 equal the CLI's", profile)
    box = d.find_element(By.ID, "skills-unknown")
    check("did you mean Java", "jva" in box.text and "もしかして" in box.text, box.text)
    box.find_element(By.CSS_SELECTOR, "button.suggestion[data-level=java]").click()
    profile["skills"] = ["java", "aws", "python"]
    settled(d, profile)
    check("the suggestion replaces the unknown chip", chips(d, "skills") == ["java", "aws", "python"])
    same_as_cli(d, "after the suggestion: equal to the CLI", profile)
    q = parse_qs(urlparse(d.current_url).query)
    check("the URL holds the profile", urlparse(d.current_url).query ==
          "role=pm&skills=java,aws,python&certs=pmp&years=8", d.current_url)
    bars = d.find_elements(By.CSS_SELECTOR, "#breakdown li")
    rc, want, _ = cli_estimate(profile, JP_MODEL)
    amounts = [float(li.get_attribute("data-amount")) for li in bars]
    check("breakdown bars: one per term, the CLI's amounts",
          amounts == [c["amount"] for c in want["contributions"][1:]], amounts)
    return q


def test_keyboard(d, s):
    d.get(s.url("/?lang=en"))
    settled(d, {"lang": "en"})
    box = d.find_element(By.ID, "role-input")
    box.click()
    box.send_keys("pm")
    wait(d, "the options", lambda: len(d.find_elements(By.CSS_SELECTOR, "#role-list li")) >= 2)
    options = [li.get_attribute("data-level") for li in d.find_elements(By.CSS_SELECTOR, "#role-list li")]
    box.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    wait(d, "the role chip", lambda: chips(d, "role") == [options[1]])
    check("arrow keys pick the second option", chips(d, "role") == [options[1]], options)
    rng = d.find_element(By.ID, "years-range")
    rng.send_keys(Keys.ARROW_RIGHT)
    y = d.find_element(By.ID, "years-number").get_attribute("value")
    profile = {"lang": "en", "role": options[1], "years": float(y)}
    got = settled(d, profile)
    check("the slider moves the number and sets years",
          got.get("years") == float(y) and d.find_element(By.ID, "years-range").get_attribute("value") == y,
          (got, y))
    same_as_cli(d, "slider profile equals the CLI", profile)
    box = d.find_element(By.ID, "skills-input")
    box.click()
    box.send_keys("ぱいそ")
    wait(d, "the options", lambda: d.find_elements(By.CSS_SELECTOR, "#skills-list li"))
    first = d.find_element(By.CSS_SELECTOR, "#skills-list li").get_attribute("data-level")
    check("hiragana finds the katakana alias (ぱいそ: パイソン)", first == "python", first)
    box.send_keys(Keys.ESCAPE)
    box.clear()
    box.send_keys("java", Keys.ENTER)
    wait(d, "a chip", lambda: chips(d, "skills") == ["java"])
    box.send_keys(Keys.BACKSPACE)
    wait(d, "no chip", lambda: chips(d, "skills") == [])
    check("backspace in an empty box removes the last chip", chips(d, "skills") == [])
    unlabeled = d.execute_script("""
        return [...document.querySelectorAll('input, button, select, output')].filter((el) => {
          if (el.closest('[hidden]')) return false;
          const byFor = el.id && document.querySelector(`label[for="${el.id}"]`);
          return !(byFor || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
                   || el.textContent.trim() || el.closest('label'));
        }).map((el) => el.outerHTML.slice(0, 80));""")
    check("every control has a label", unlabeled == [], unlabeled)


def test_deep_link_and_language(d, s):
    d.get(s.url("/?role=pmo&skills=java,aws&certs=pmp&years=8"))
    profile = {"lang": "ja", "role": "pmo", "skills": ["java", "aws"], "certs": ["pmp"], "years": 8}
    settled(d, profile)
    check("deep link fills the chips", (chips(d, "role"), chips(d, "skills"), chips(d, "certs")) ==
          (["pmo"], ["java", "aws"], ["pmp"]))
    same_as_cli(d, "deep link: equal to the CLI", profile)
    d.save_screenshot(os.path.join(ARTIFACTS, "browser-ja.png"))
    ja_number = shown(d)[0]
    d.find_element(By.ID, "lang-switch").click()
    settled(d, {**profile, "lang": "en"})
    html = d.find_element(By.TAG_NAME, "html")
    check("English switch: lang, heading, URL", html.get_attribute("lang") == "en" and
          d.find_element(By.TAG_NAME, "h1").text == "Engineer rate check" and
          "lang=en" in d.current_url, d.current_url)
    check("English switch: the same numbers", shown(d)[0] == ja_number)
    same_as_cli(d, "English: ¥ per month equal to the CLI", {**profile, "lang": "en"})
    labels = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#breakdown .term-label")]
    check("English names in the breakdown", labels[0] == "PMO (project management office)", labels)
    d.save_screenshot(os.path.join(ARTIFACTS, "browser-en.png"))
    d.find_element(By.ID, "lang-switch").click()
    settled(d, profile)
    check("back to Japanese", html.get_attribute("lang") == "ja" and "lang=" not in d.current_url)
    external = d.execute_script("""return performance.getEntriesByType('resource')
        .map((e) => e.name).filter((u) => !u.startsWith(location.origin));""")
    check("nothing loaded from elsewhere", external == [], external)
    d.get(s.url("/?role=nosuchrole&skills=jva&years=99"))
    settled(d, {"lang": "ja", "role": "nosuchrole", "skills": ["jva"], "years": 99})
    notes = d.find_element(By.ID, "notes").text
    check("clamped years are said", "範囲" in notes, notes)
    check("an unknown role gets its own note", "nosuchrole" in d.find_element(By.ID, "role-unknown").text)


def cli_text(profile):
    """engrate-estimate's text output for the profile: the labels a person reads there."""
    return subprocess.run([ESTIMATOR, "--model", JP_MODEL] + cli_args(profile),
                          capture_output=True, check=True).stdout.decode()


def whatif_items(d):
    return d.find_elements(By.CSS_SELECTOR, "#whatif-list li[data-delta]")


def test_breakdown_labels(d, s):
    """The base is named as the typical listing, with what the bars then mean; the row that
    takes the typical skills out is labelled as engrate-estimate labels it, after the skills."""
    for lang, base_want, ref_want in (("ja", "基本額: 平均的な案件", "スキル: 平均的な案件の分を差し引き"),
                                      ("en", "Base: typical listing", "Skills: less the typical listing's")):
        profile = {"lang": lang, "role": "pmo", "skills": ["java", "aws"], "certs": ["pmp"],
                   "years": 8}
        d.get(s.url("/?role=pmo&skills=java,aws&certs=pmp&years=8" + ("&lang=en" if lang == "en" else "")))
        settled(d, profile)
        text = cli_text(profile)
        base = d.find_element(By.ID, "base-label").text
        amount = d.find_element(By.ID, "base-amount").text
        rc, want, _ = cli_estimate(profile, JP_MODEL)
        check("%s: the base is the typical listing, as the CLI says it" % lang,
              base == base_want and base.lower() in text.lower() and
              want["contributions"][0]["name"] in base, (base, text[:400]))
        check("%s: the base's amount" % lang, amount == (
            "%.1f万円" % (want["contributions"][0]["amount"] / 1e4) if lang == "ja"
            else "¥{:,}".format(round(want["contributions"][0]["amount"]))), amount)
        note = d.find_element(By.ID, "base-note")
        check("%s: a line says what the bars measure" % lang, note.is_displayed() and
              ("平均的な案件と比べて" in note.text if lang == "ja" else "differs from a typical listing" in note.text),
              note.text)
        rows = d.find_elements(By.CSS_SELECTOR, "#breakdown li")
        inputs = [li.get_attribute("data-input") for li in rows]
        refs = [i for i, li in enumerate(rows) if li.get_attribute("data-reference") == "1"]
        label = rows[refs[0]].find_element(By.CLASS_NAME, "term-label").text if refs else ""
        check("%s: the reference row labelled as the CLI labels it" % lang,
              len(refs) == 1 and label == ref_want and label in text, (label, text))
        check("%s: the reference row after the skills, before the certifications" % lang,
              refs and inputs[refs[0]] == "skills" and inputs[refs[0] - 1] == "skills" and
              inputs[refs[0] + 1] == "certs", inputs)
        ref = next(c for c in want["contributions"] if c["input"] == "skills" and c["level"] is None)
        amount = ("-%.1f万円" % (-ref["amount"] / 1e4) if lang == "ja"
                  else "-¥{:,}".format(round(-ref["amount"])))
        check("%s: the reference row's amount is the CLI's, with its minus" % lang,
              refs and ref["amount"] < 0 and
              rows[refs[0]].find_element(By.CLASS_NAME, "term-amount").text == amount,
              (amount, rows[refs[0]].text if refs else ""))


def test_whatif(d, s):
    """The what-if list against engrate-estimate --whatif, then taken: a click adds the top
    change and the estimate becomes the item's; Enter takes the next one."""
    profile = {"lang": "ja", "role": "pmo", "skills": ["java", "aws"], "certs": ["pmp"], "years": 8}
    d.get(s.url("/?role=pmo&skills=java,aws&certs=pmp&years=8"))
    settled(d, profile)
    wait(d, "the what-if list", lambda: whatif_items(d))
    items = whatif_items(d)
    _, one, _ = cli_estimate(profile, JP_MODEL, whatif={"top": 1})
    first = items[0]
    check("what-if: the first item's delta is the CLI's --whatif 1", float(
        first.get_attribute("data-delta")) == one["whatif"][0]["delta"] and
        first.get_attribute("data-level") == one["whatif"][0]["level"] and
        float(first.get_attribute("data-estimate")) == one["whatif"][0]["estimate"],
        (first.get_attribute("data-delta"), one["whatif"][0]))
    _, five, _ = cli_estimate(profile, JP_MODEL, whatif={"top": 5})
    check("what-if: five items, ranked as the CLI ranks them",
          [(li.get_attribute("data-level"), float(li.get_attribute("data-delta"))) for li in items] ==
          [(w["level"], w["delta"]) for w in five["whatif"]])
    w0 = five["whatif"][0]
    label = first.find_element(By.CLASS_NAME, "change-label").text
    check("what-if: the item says the change and +万円",
          label == "職種を%sにすると +%.1f万円" % (w0["name"], w0["delta"] / 1e4), label)
    check("what-if: only levels with evidence",
          not any(w["no_evidence"] for w in five["whatif"]) and
          not d.find_elements(By.CSS_SELECTOR, "#whatif-list .term-note"))
    bars = [li.find_element(By.CLASS_NAME, "term-fill").size["width"] for li in items]
    check("what-if: bars shrink down the list", bars == sorted(bars, reverse=True) and bars[0] > bars[-1],
          bars)
    d.save_screenshot(os.path.join(ARTIFACTS, "browser-whatif-ja.png"))

    # A profile whose best change is a skill: click it, then press Enter on the next.
    profile = {"lang": "ja", "role": "dx_consultant", "skills": ["java"], "years": 8}
    d.get(s.url("/?role=dx_consultant&skills=java&years=8"))
    settled(d, profile)
    first = wait(d, "the what-if list", lambda: whatif_items(d))[0]
    level, estimate = first.get_attribute("data-level"), float(first.get_attribute("data-estimate"))
    check("what-if: the best change here is a skill", first.get_attribute("data-change") == "add" and
          first.get_attribute("data-input") == "skills", first.get_attribute("data-input"))
    first.find_element(By.TAG_NAME, "button").click()
    profile = {**profile, "skills": ["java", level]}
    settled(d, profile)
    check("click: the skill is added", chips(d, "skills") == ["java", level], chips(d, "skills"))
    check("click: the shown estimate is the item's", shown(d)[0]["estimate"] == estimate,
          (shown(d)[0], estimate))
    same_as_cli(d, "click: the new profile equals the CLI", profile)
    wait(d, "focus on the new list", lambda: d.switch_to.active_element.get_attribute("class") is not None
         and d.switch_to.active_element.find_element(By.XPATH, "..").get_attribute("data-delta"))
    item = d.switch_to.active_element.find_element(By.XPATH, "..")
    level, estimate = item.get_attribute("data-level"), float(item.get_attribute("data-estimate"))
    check("keyboard: focus is on the new first item", item == whatif_items(d)[0])
    d.switch_to.active_element.send_keys(Keys.ENTER)
    profile = {**profile, "skills": profile["skills"] + [level]}
    settled(d, profile)
    check("Enter: the next change is applied", chips(d, "skills") == profile["skills"] and
          shown(d)[0]["estimate"] == estimate, (chips(d, "skills"), shown(d)[0], estimate))
    check("the URL holds the changes", "skills=" + ",".join(profile["skills"]) in d.current_url,
          d.current_url)

    # The path to a target typed in 万円.
    box = d.find_element(By.ID, "target-input")
    box.send_keys("200")
    wait(d, "the path", lambda: d.find_element(By.ID, "target-summary").text)
    settled(d, profile)
    _, want, _ = cli_estimate(profile, JP_MODEL, whatif={"target_rate": 2000000})
    steps = d.find_elements(By.CSS_SELECTOR, "#path-list li[data-delta]")
    check("target: the steps are the CLI's --target-rate path",
          [(li.get_attribute("data-level") or li.get_attribute("data-value"),
            float(li.get_attribute("data-estimate"))) for li in steps] ==
          [(w["level"] or str(w["value"]), w["estimate"]) for w in want["target"]["path"]],
          want["target"])
    summary = d.find_element(By.ID, "target-summary").text
    check("target: reached or not, as the CLI says", summary.startswith(
        "到達" if want["target"]["reached"] else "届きません"), summary)
    check("target: in the URL in yen", "target=2000000" in d.current_url, d.current_url)
    d.find_element(By.ID, "lang-switch").click()
    settled(d, {**profile, "lang": "en"})
    check("target: shown in yen in English", box.get_attribute("value") == "2000000" and
          d.find_element(By.CSS_SELECTOR, "#whatif-list li .change-label").text.startswith("Add "),
          box.get_attribute("value"))
    d.save_screenshot(os.path.join(ARTIFACTS, "browser-whatif-en.png"))


def test_mobile(profile_dir, s):
    d = browser(profile_dir, 390, 844)
    try:
        d.get(s.url("/?role=pm&skills=java,python,aws,jva&certs=pmp&years=6"))
        settled(d, {"lang": "ja", "role": "pm", "skills": ["java", "python", "aws", "jva"],
                    "certs": ["pmp"], "years": 6})
        width = d.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        check("phone width: nothing wider than the screen", width[0] <= width[1], width)
        peek = d.find_element(By.ID, "peek")
        check("phone width: the bar at the bottom shows the estimate",
              peek.is_displayed() and shown(d)[1] in peek.text, peek.text)
        d.save_screenshot(os.path.join(ARTIFACTS, "browser-mobile.png"))
        height = d.execute_script("return document.documentElement.scrollHeight")
        d.set_window_size(390, height + 200)
        wait(d, "the result on screen", lambda: not peek.is_displayed())
        d.save_screenshot(os.path.join(ARTIFACTS, "browser-mobile-full.png"))
    finally:
        d.quit()


def main():
    tmp = tempfile.mkdtemp(prefix="engrate-browser-")
    try:
        with Server("--quiet") as s:
            try:
                d = browser(os.path.join(tmp, "profile"))
            except WebDriverException as e:
                print("FAIL cannot start Chromium: %s" % e)
                sys.exit(1)
            try:
                test_person(d, s)
                test_keyboard(d, s)
                test_deep_link_and_language(d, s)
                test_breakdown_labels(d, s)
                test_whatif(d, s)
            finally:
                d.quit()
            test_mobile(os.path.join(tmp, "profile-mobile"), s)
        print("# screenshots: %s/browser-{ja,en,whatif-ja,whatif-en,mobile,mobile-full}.png"
              % os.path.abspath(ARTIFACTS))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check.finish()


if __name__ == "__main__":
    main()
