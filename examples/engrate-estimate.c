/* engrate-estimate: the bundled estimator. Loads a model (the default one unless --model
 * says otherwise), estimates one profile, and prints the estimate, its interval and the
 * breakdown as a small bar chart, or as one JSON object with --json; what-if questions
 * (--whatif, --target-rate) are in engrate-estimate-whatif.c. It uses only the public
 * API, so it doubles as an example of it. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <engrate.h>

#include "engrate-estimate.h"

static const char usage[] =
    "Usage: engrate-estimate [--model FILE] --role ROLE [--skill NAME]... [--cert NAME]...\n"
    "                        [--years N] [--input NAME=VALUE]... [--strict] [--json]\n"
    "                        [--lang en|ja] [--whatif [N]] [--target-rate R [--max-changes K]]\n"
    "                        [--vary INPUTS] [--with-no-evidence]\n"
    "       engrate-estimate [--model FILE] --list inputs|roles|skills|certs|INPUT [--json]\n"
    "\n"
    "Estimate an IT engineer's monthly rate with an engrate model.\n"
    "\n"
    "  -m, --model FILE   model file (default: $ENGRATE_MODEL, else the installed default)\n"
    "  -r, --role ROLE    the role, e.g. pmo, PM, プロマネ\n"
    "  -s, --skill NAMES  a skill; repeat the option or separate names with , ; 、 or ，\n"
    "  -c, --cert NAMES   a certification; repeat or separate as for --skill\n"
    "  -y, --years N      years of experience ('' or nan: not known)\n"
    "  -i, --input NAME=VALUE  any input of the model, by its id or label (e.g. 職種=PMO);\n"
    "                     a set's names separated as for --skill, a number NA if not known\n"
    "      --strict       fail (exit 2) on a name the model does not know\n"
    "      --json         print one JSON object\n"
    "      --lang en|ja   language of names and amounts (ja: amounts in 万円)\n"
    "  -l, --list WHAT    the model's inputs (inputs), or an input's levels or range\n"
    "                     (roles, skills, certs, or any input's id or label)\n"
    "      --whatif [N]   the N single changes (default 5) that raise the estimate most:\n"
    "                     a skill or cert added, another role, 1, 3 or 5 more years\n"
    "      --target-rate R  the fewest additions (skills, certs, years) that reach R,\n"
    "                     e.g. 1000000 or 100万\n"
    "      --max-changes K  at most K additions for --target-rate (default 5)\n"
    "      --vary INPUTS  change only these inputs, e.g. skills,certs (default: all)\n"
    "      --with-no-evidence  also try levels the model has no evidence for\n"
    "  -h, --help         this help\n"
    "  -V, --version      the version\n"
    "\n"
    "Exit status: 0 success, 1 the model cannot be loaded, 2 usage error or unknown name\n"
    "with --strict.\n";

static int list_add(list *l, const char *arg)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const char **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = arg;
    return 0;
}

/* --years: a number, or "not known" (*years NaN) for an argument of blanks only or a
 * NaN ("nan"), as the library takes NaN. 0, or -1 for text that is not a number (or
 * overflows) and for infinities. */
static int parse_years(const char *arg, double *years)
{
    const char *p = arg;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    if (*p == '\0') {
        *years = NAN;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    *years = strtod(arg, &end);
    if (end == arg || *end != '\0' || errno == ERANGE || isinf(*years))
        return -1;
    return 0;
}

/* ---- Output helpers ---------------------------------------------------------------- */

void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7F)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* JSON has no NaN: print null for it. %.17g keeps every bit. */
void json_number(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.17g", x);
    else
        fputs("null", f);
}

/* "1,234,567" for an amount rounded to a whole unit. */
static void format_grouped(char *buf, size_t cap, double x)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", fabs(x));
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

/* An amount as the reader wants it: "¥1,234,567", "123.5万円", "1,234 USD". */
void format_amount(const view *v, char *buf, size_t cap, double x, int sign)
{
    if (!isfinite(x)) {
        snprintf(buf, cap, "?");
        return;
    }
    int ja_yen = v->ja && strcmp(v->currency, "JPY") == 0;
    /* An amount that shows as 0 has no minus: a breakdown measured from the typical
     * listing has amounts of a fraction of a yen (years at the typical value). */
    double shown = ja_yen ? round(fabs(x) / 1000) : round(fabs(x));
    const char *s = x < 0 && shown > 0 ? "-" : sign ? "+" : "";
    if (ja_yen) {
        snprintf(buf, cap, "%s%.1f万円", s, fabs(x) / 10000.0);
        return;
    }
    char g[64];
    format_grouped(g, sizeof g, x);
    if (strcmp(v->currency, "JPY") == 0)
        snprintf(buf, cap, "%s¥%s", s, g);
    else
        snprintf(buf, cap, "%s%s %s", s, g, v->currency);
}

/* Display width of UTF-8 text in a terminal: CJK and full-width characters take two
 * columns. Enough for aligning the breakdown. */
int display_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c = *p;
        int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        unsigned cp = len == 1 ? c : c & (0xFFu >> (len + 1));
        for (int k = 1; k < len && p[k]; k++)
            cp = (cp << 6) | (p[k] & 0x3F);
        w += (cp >= 0x1100 && (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                               (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                               (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                               (cp >= 0xFFE0 && cp <= 0xFFE6)))
                 ? 2
                 : 1;
        for (int k = 0; k < len && *p; k++)
            p++;
    }
    return w;
}

void pad_to(const char *s, int width)
{
    fputs(s, stdout);
    for (int w = display_width(s); w < width; w++)
        fputc(' ', stdout);
}

/* A bar of `eighths` eighths of a cell. */
static void bar(double eighths)
{
    static const char *const parts[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    long e = lround(eighths);
    for (long i = 0; i < e / 8; i++)
        fputs("█", stdout);
    fputs(parts[e % 8], stdout);
}

/* The bar of amount x on a scale where `biggest` takes `cells` cells, with a minus before
 * it when it is negative and shows at all. */
void signed_bar(double x, double biggest, int cells)
{
    double eighths = biggest > 0 ? fabs(x) / biggest * cells * 8 : 0;
    if (x < 0 && lround(eighths) > 0)
        fputs("-", stdout);
    bar(eighths);
}

/* What a model's reference profile is called: its typical listing, when the model
 * measures listings (models/FORMAT.md, "basis"), else its typical profile. */
static const char *typical(const view *v)
{
    const char *basis = engrate_model_meta(v->m, "basis");
    int listing = basis && strcmp(basis, "listing") == 0;
    if (v->ja)
        return listing ? "平均的な案件" : "平均的なプロフィール";
    return listing ? "typical listing" : "typical profile";
}

/* The label of contribution i: "base", "role: PMO", "years: 8"; with a reference profile
 * "base: typical listing", and "skills: less the typical listing's" for a row that takes
 * an input's typical effect out. */
static void term_label(const view *v, const engrate_result *r, size_t i, char *buf, size_t cap)
{
    size_t input = engrate_result_contribution_input(r, i);
    unsigned f = engrate_result_contribution_flags(r, i);
    if (input == ENGRATE_NO_INDEX) {
        if (f & ENGRATE_FLAG_REFERENCE)
            snprintf(buf, cap, "%s: %s", v->ja ? "基本額" : "base", typical(v));
        else
            snprintf(buf, cap, "%s", v->ja ? "基本額" : "base");
        return;
    }
    const char *label = engrate_input_label(v->m, input, v->lang);
    size_t level = engrate_result_contribution_level(r, i);
    if (f & ENGRATE_FLAG_REFERENCE)
        snprintf(buf, cap, v->ja ? "%s: %sの分を差し引き" : "%s: less the %s's", label,
                 typical(v));
    else if (level != ENGRATE_NO_INDEX)
        snprintf(buf, cap, "%s: %s", label, engrate_level_name(v->m, input, level, v->lang));
    else if ((level = engrate_result_contribution_curve_level(r, i)) != ENGRATE_NO_INDEX)
        snprintf(buf, cap, "%s: %g (%s)", label, engrate_result_contribution_value(r, i),
                 engrate_level_name(v->m, engrate_input_by(v->m, input), level, v->lang));
    else
        snprintf(buf, cap, "%s: %g", label, engrate_result_contribution_value(r, i));
}

/* A numeric input whose curve varies by a level: ", "curve": {input, level, name}" of the
 * level whose curve contribution i used, or null for the input's own curve. Nothing for
 * other inputs, whose JSON is as it was before curves could vary. */
static void json_curve(const view *v, const engrate_result *r, size_t i, size_t input)
{
    size_t by = input == ENGRATE_NO_INDEX ? ENGRATE_NO_INDEX : engrate_input_by(v->m, input);
    if (by == ENGRATE_NO_INDEX)
        return;
    size_t level = engrate_result_contribution_curve_level(r, i);
    printf(", \"curve\": ");
    if (level == ENGRATE_NO_INDEX) {
        printf("null");
        return;
    }
    printf("{\"input\": ");
    json_string(stdout, engrate_input_id(v->m, by));
    printf(", \"level\": ");
    json_string(stdout, engrate_level_id(v->m, by, level));
    printf(", \"name\": ");
    json_string(stdout, engrate_level_name(v->m, by, level, v->lang));
    printf("}");
}

void flag_notes(const view *v, unsigned f, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (f & ENGRATE_FLAG_NO_EVIDENCE)
        snprintf(buf, cap, "%s", v->ja ? " (根拠データなし)" : " (no evidence: no premium)");
    else if (f & ENGRATE_FLAG_CLAMPED)
        snprintf(buf, cap, "%s", v->ja ? " (学習範囲外: 端の値を使用)" : " (outside the data: clamped)");
    else if (f & ENGRATE_FLAG_DEFAULTED)
        snprintf(buf, cap, "%s", v->ja ? " (未指定: 既定値)" : " (not given: default)");
    else if (f & ENGRATE_FLAG_MISSING)
        snprintf(buf, cap, "%s", v->ja ? " (未指定)" : " (not given)");
}

static void print_text(const view *v, const engrate_result *r)
{
    const engrate_model *m = v->m;
    char a[96], b[96], label[512], note[128];
    const char *name = engrate_model_meta(m, "name");
    const char *period = engrate_model_meta(m, "period");
    const char *as_of = engrate_model_meta(m, "as_of");
    printf("%s %s (%s %s, %s %s)\n\n", v->ja ? "モデル:" : "Model:", name ? name : "?",
           v->currency, v->ja ? "/ 月" : "per month", v->ja ? "時点" : "as of",
           as_of ? as_of : "?");
    if (period && strcmp(period, "month") != 0)
        printf("  (%s: %s)\n", v->ja ? "期間" : "amounts per", period);
    format_amount(v, a, sizeof a, engrate_result_estimate(r), 0);
    printf("  %s  %s\n", v->ja ? "推定月額単価" : "Estimate", a);
    format_amount(v, a, sizeof a, engrate_result_low(r), 0);
    format_amount(v, b, sizeof b, engrate_result_high(r), 0);
    printf("  %s  %s – %s (%.0f%%)\n\n", v->ja ? "予測区間    " : "Interval", a, b,
           engrate_result_level(r) * 100);

    size_t n = engrate_result_contribution_count(r);
    double biggest = 0;
    int width = 0;
    for (size_t i = 0; i < n; i++) {
        double x = fabs(engrate_result_contribution_amount(r, i));
        biggest = x > biggest ? x : biggest;
        term_label(v, r, i, label, sizeof label);
        int w = display_width(label);
        width = w > width ? w : width;
    }
    printf("  %s\n", v->ja ? "内訳" : "Breakdown");
    for (size_t i = 0; i < n; i++) {
        double x = engrate_result_contribution_amount(r, i);
        term_label(v, r, i, label, sizeof label);
        format_amount(v, a, sizeof a, x, i > 0);
        printf("    ");
        pad_to(label, width + 2);
        printf("%*s  ", 12 + (int)(strlen(a) - (size_t)display_width(a)), a);
        signed_bar(x, biggest, 24);
        flag_notes(v, engrate_result_contribution_flags(r, i), note, sizeof note);
        printf("%s\n", note);
    }
    size_t nu = engrate_result_unknown_count(r);
    if (nu)
        printf("\n  %s\n", v->ja ? "見つからない名前 (無視しました):" : "Unknown (ignored):");
    for (size_t i = 0; i < nu; i++) {
        size_t input = engrate_result_unknown_input(r, i), s;
        const char *given = engrate_result_unknown_name(r, i);
        printf("    %s '%s'", engrate_input_label(m, input, v->lang), given);
        if (engrate_model_suggest(m, input, given, &s) == 0)
            printf(v->ja ? " もしかして '%s'?" : " (did you mean '%s'?)",
                   engrate_level_name(m, input, s, v->lang));
        printf("\n");
    }
    size_t na = engrate_result_aliased_count(r);
    if (na)
        printf("\n  %s\n", v->ja ? "別名で一致:" : "Matched by another name:");
    for (size_t i = 0; i < na; i++) {
        size_t input = engrate_result_aliased_input(r, i);
        size_t level = engrate_result_aliased_level(r, i);
        printf("    '%s' → %s\n", engrate_result_aliased_given(r, i),
               engrate_level_name(m, input, level, v->lang));
    }
}

static void print_json(const view *v, const engrate_result *r)
{
    const engrate_model *m = v->m;
    printf("{\"model\": ");
    json_string(stdout, engrate_model_meta(m, "name"));
    printf(", \"estimate\": ");
    json_number(stdout, engrate_result_estimate(r));
    printf(", \"low\": ");
    json_number(stdout, engrate_result_low(r));
    printf(", \"high\": ");
    json_number(stdout, engrate_result_high(r));
    printf(", \"level\": ");
    json_number(stdout, engrate_result_level(r));
    printf(", \"currency\": ");
    json_string(stdout, v->currency);
    printf(", \"period\": ");
    json_string(stdout, engrate_model_meta(m, "period"));
    printf(", \"contributions\": [");
    size_t n = engrate_result_contribution_count(r);
    for (size_t i = 0; i < n; i++) {
        size_t input = engrate_result_contribution_input(r, i);
        size_t level = engrate_result_contribution_level(r, i);
        int base = input == ENGRATE_NO_INDEX, has_level = level != ENGRATE_NO_INDEX;
        printf("%s{\"input\": ", i ? ", " : "");
        json_string(stdout, base ? "(base)" : engrate_input_id(m, input));
        printf(", \"level\": ");
        if (has_level)
            json_string(stdout, engrate_level_id(m, input, level));
        else
            printf("null");
        printf(", \"name\": ");
        unsigned cf = engrate_result_contribution_flags(r, i);
        if (cf & ENGRATE_FLAG_REFERENCE)
            json_string(stdout, typical(v));
        else if (base)
            json_string(stdout, "base");
        else if (has_level)
            json_string(stdout, engrate_level_name(m, input, level, v->lang));
        else
            json_string(stdout, engrate_input_label(m, input, v->lang));
        printf(", \"value\": ");
        json_number(stdout, engrate_result_contribution_value(r, i));
        printf(", \"amount\": ");
        json_number(stdout, engrate_result_contribution_amount(r, i));
        unsigned f = engrate_result_contribution_flags(r, i);
        printf(", \"no_evidence\": %s", f & ENGRATE_FLAG_NO_EVIDENCE ? "true" : "false");
        json_curve(v, r, i, input);
        printf("}");
    }
    printf("], \"unknown\": [");
    size_t nu = engrate_result_unknown_count(r);
    for (size_t i = 0; i < nu; i++) {
        printf("%s", i ? ", " : "");
        json_string(stdout, engrate_result_unknown_name(r, i));
    }
    printf("], \"suggestions\": [");
    for (size_t i = 0; i < nu; i++) {
        size_t input = engrate_result_unknown_input(r, i), s;
        printf("%s{\"input\": ", i ? ", " : "");
        json_string(stdout, engrate_input_id(m, input));
        printf(", \"given\": ");
        json_string(stdout, engrate_result_unknown_name(r, i));
        printf(", \"suggestion\": ");
        if (engrate_model_suggest(m, input, engrate_result_unknown_name(r, i), &s) == 0)
            json_string(stdout, engrate_level_id(m, input, s));
        else
            printf("null");
        printf("}");
    }
    printf("], \"aliased\": [");
    size_t na = engrate_result_aliased_count(r);
    for (size_t i = 0; i < na; i++) {
        size_t input = engrate_result_aliased_input(r, i);
        size_t level = engrate_result_aliased_level(r, i);
        printf("%s{\"given\": ", i ? ", " : "");
        json_string(stdout, engrate_result_aliased_given(r, i));
        printf(", \"input\": ");
        json_string(stdout, engrate_input_id(m, input));
        printf(", \"level\": ");
        json_string(stdout, engrate_level_id(m, input, level));
        printf(", \"name\": ");
        json_string(stdout, engrate_level_name(m, input, level, v->lang));
        printf("}");
    }
    printf("], \"flags\": [");
    static const struct {
        unsigned bit;
        const char *name;
    } flags[] = {{ENGRATE_FLAG_UNKNOWN, "unknown"},
                 {ENGRATE_FLAG_CLAMPED, "clamped"},
                 {ENGRATE_FLAG_DEFAULTED, "defaulted"},
                 {ENGRATE_FLAG_NO_EVIDENCE, "no_evidence"},
                 {ENGRATE_FLAG_MISSING, "missing"}};
    unsigned f = engrate_result_flags(r);
    int first = 1;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (f & flags[i].bit) {
            printf("%s\"%s\"", first ? "" : ", ", flags[i].name);
            first = 0;
        }
    printf("]"); /* the caller closes the object, after what-if's keys */
}

static int list_levels(const view *v, const char *what, int json)
{
    const engrate_model *m = v->m;
    size_t ignored, input;
    if (strcmp(what, "inputs") == 0 && engrate_model_find_input(m, what, &ignored) < 0)
        return list_inputs(v, json);
    if (find_input(v, strcmp(what, "roles") == 0 ? "role" : what, &input) < 0)
        return EXIT_USAGE;
    if (engrate_input_kind(m, input) == ENGRATE_NUMERIC)
        return list_range(v, input, json);
    size_t n = engrate_input_level_count(m, input);
    if (json)
        printf("[");
    for (size_t l = 0; l < n; l++) {
        const char *lid = engrate_level_id(m, input, l);
        unsigned f = engrate_level_flags(m, input, l);
        size_t na = engrate_level_alias_count(m, input, l);
        if (json) {
            printf("%s{\"id\": ", l ? ", " : "");
            json_string(stdout, lid);
            printf(", \"en\": ");
            json_string(stdout, engrate_level_name(m, input, l, "en"));
            printf(", \"ja\": ");
            json_string(stdout, engrate_level_name(m, input, l, "ja"));
            printf(", \"coef\": ");
            json_number(stdout, engrate_level_coef(m, input, l));
            printf(", \"no_evidence\": %s, \"aliases\": [",
                   f & ENGRATE_LEVEL_NO_EVIDENCE ? "true" : "false");
            for (size_t k = 0; k < na; k++) {
                printf("%s", k ? ", " : "");
                json_string(stdout, engrate_level_alias(m, input, l, k));
            }
            printf("]}");
            continue;
        }
        printf("%-20s %s", lid, engrate_level_name(m, input, l, v->lang));
        if (na) {
            printf("  [");
            for (size_t k = 0; k < na; k++)
                printf("%s%s", k ? ", " : "", engrate_level_alias(m, input, l, k));
            printf("]");
        }
        if (f & ENGRATE_LEVEL_NO_EVIDENCE)
            printf("  (no evidence)");
        printf("\n");
    }
    if (json)
        printf("]\n");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'}, {"role", required_argument, NULL, 'r'},
        {"skill", required_argument, NULL, 's'}, {"cert", required_argument, NULL, 'c'},
        {"years", required_argument, NULL, 'y'}, {"strict", no_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'j'},        {"lang", required_argument, NULL, 'L'},
        {"list", required_argument, NULL, 'l'},  {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},     {"whatif", optional_argument, NULL, 'W'},
        {"target-rate", required_argument, NULL, 'T'},
        {"max-changes", required_argument, NULL, 'K'},
        {"vary", required_argument, NULL, 'v'},
        {"with-no-evidence", no_argument, NULL, 'E'},
        {"input", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0}};
    const char *model_path = NULL, *role = NULL, *list_what = NULL, *lang = "en";
    list skills = {0}, certs = {0}, inputs = {0};
    double years = 0;
    int have_years = 0, strict = 0, json = 0, c;
    int status = 0;
    whatif_opts wo = {0, NAN, 5, NULL, 0};
    while ((c = getopt_long(argc, argv, "m:r:s:c:y:l:i:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'W':
        case 'T':
        case 'K':
        case 'v':
        case 'E':
            if (whatif_option(c, optarg, argc, argv, &wo) != 0)
                return EXIT_USAGE;
            break;
        case 'm':
            model_path = optarg;
            break;
        case 'r':
            role = optarg;
            break;
        case 's':
        case 'c':
            if (list_add(c == 's' ? &skills : &certs, optarg) != 0) {
                fprintf(stderr, "engrate-estimate: out of memory\n");
                return EXIT_LOAD;
            }
            break;
        case 'y':
            if (parse_years(optarg, &years) != 0) {
                fprintf(stderr, "engrate-estimate: --years '%s' is not a number\n", optarg);
                return EXIT_USAGE;
            }
            have_years = 1;
            break;
        case 'i':
            if (list_add(&inputs, optarg) != 0) {
                fprintf(stderr, "engrate-estimate: out of memory\n");
                return EXIT_LOAD;
            }
            break;
        case 'S':
            strict = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'L':
            if (strcmp(optarg, "en") != 0 && strcmp(optarg, "ja") != 0) {
                fprintf(stderr, "engrate-estimate: --lang takes en or ja, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            lang = optarg;
            break;
        case 'l':
            list_what = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case 'V':
            printf("engrate-estimate %s\n", engrate_version_string());
            return 0;
        default:
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "engrate-estimate: unexpected argument '%s'\n%s", argv[optind], usage);
        return EXIT_USAGE;
    }
    if (!list_what && !role && skills.n == 0 && certs.n == 0 && !have_years && inputs.n == 0) {
        fprintf(stderr, "engrate-estimate: give a profile (--role, --skill, --cert, --years, "
                        "--input) or --list\n%s", usage);
        return EXIT_USAGE;
    }

    engrate_error err;
    engrate_model *m = model_path ? engrate_model_load(model_path, 0, &err)
                                  : engrate_model_load_default(0, &err);
    if (!m) {
        fprintf(stderr, "engrate-estimate: %s\n", err.text);
        if (!model_path && err.code == ENGRATE_E_IO)
            fprintf(stderr, "engrate-estimate: no default model; give --model FILE or set "
                            "ENGRATE_MODEL\n");
        free(skills.items);
        free(certs.items);
        free(inputs.items);
        return EXIT_LOAD;
    }
    const char *currency = engrate_model_meta(m, "currency");
    view v = {m, lang, strcmp(lang, "ja") == 0, currency ? currency : "?"};
    engrate_result *r = NULL;
    engrate_query *q = NULL;
    whatif_out wout = {NULL, NULL};
    if (list_what) {
        status = list_levels(&v, list_what, json);
        goto done;
    }
    r = engrate_result_new(m, &err);
    q = r ? engrate_query_new(m, &err) : NULL;
    if (!q) {
        fprintf(stderr, "engrate-estimate: %s\n", err.text);
        status = EXIT_LOAD;
        goto done;
    }
    status = estimate_inputs(&v, q, role, &skills, &certs, have_years ? &years : NULL, &inputs,
                             strict ? ENGRATE_STRICT : 0, r, &err);
    if (status)
        goto done;
    if ((wo.top > 0 || !isnan(wo.target)) &&
        (status = compute_whatif(&v, &wo, q, strict ? ENGRATE_STRICT : 0, &wout)) != 0)
        goto done;
    if (json)
        print_json(&v, r);
    else
        print_text(&v, r);
    print_whatif(&v, &wo, &wout, json);
    if (json)
        printf("}\n");
done:
    engrate_whatif_free(wout.top);
    engrate_whatif_free(wout.path);
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_model_free(m);
    free(skills.items);
    free(certs.items);
    free(inputs.items);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "engrate-estimate: cannot write the output\n");
        return EXIT_LOAD;
    }
    return status;
}
