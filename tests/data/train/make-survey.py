#!/usr/bin/env python3
"""make-survey.py: writes valid/survey-skip/input.csv (and invalid/survey-na/input.csv, the
same file): a survey as published, with labels holding commas and a TAB, an NA in the
numeric column, and pay that is exactly a sum of known effects (README says which), so
that the trainer's estimates can be checked by hand. Run from this directory."""
import random

COUNTRIES = ["United States", "Germany", "India"]
DEVS = [["Developer, back-end"], ["Developer, front-end"], ["Engineer, data"],
        ["Developer, back-end", "Developer, front-end"],
        ["Developer, back-end", "Engineer, data"], []]
LANGS = [["C#"], ["C++"], ["Python"], ["C++", "Python"], ["C#", "Python"], []]
EFFECT = {"United States": 50000, "Germany": 20000, "India": 0,
          "Developer, back-end": 10000, "Developer, front-end": 5000, "Engineer, data": 15000,
          "C#": 0, "C++": 2000, "Python": 3000}


def quote(f):
    return '"' + f.replace('"', '""') + '"' if any(ch in f for ch in ',\t"') else f


def main():
    rg = random.Random(2016)
    rows = []
    for i in range(24):
        c = COUNTRIES[rg.randrange(3)]
        d = DEVS[rg.randrange(6)]
        langs = LANGS[rg.randrange(6)]
        y = rg.randrange(11)
        pay = 30000 + EFFECT[c] + sum(EFFECT[x] for x in d + langs) + 3000 * y
        dev = ";".join(d)
        if "Engineer, data" in d and not any("\t" in r[2] for r in rows):
            dev = dev.replace("Engineer, data", "Engineer,\tdata")
        rows.append([str(i + 1), c, dev, ";".join(langs), str(y), str(pay)])
    rows.insert(12, ["100", "Germany", "Developer, back-end", "Python", "NA", "61000"])
    text = "Respondent,Country,DevType,LanguageWorkedWith,YearsCodePro,ConvertedComp\n"
    text += "".join(",".join(quote(f) for f in r) + "\n" for r in rows)
    for path in ("valid/survey-skip/input.csv", "invalid/survey-na/input.csv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
