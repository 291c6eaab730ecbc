/* fuzz_estimate.c: libFuzzer target for the query and estimate API. The input is a program
 * of calls (add a name, add a level by index, set a number, estimate, the profile call,
 * reset, lookups, accessors) with names and numbers taken from the bytes or from a table
 * of awkward ones (NaN, infinities, huge and negative years, empty, 64 KB and invalid UTF-8
 * names, every name the model knows in odd spellings, 5,000 skills; tests/check_hardening.c
 * has the 1 MB names and the 100,000 skills, which would slow the fuzzer down). Every call is
 * checked against a shadow of the query kept here: the return code it must give, and
 * after each estimate the flags, the number of terms and the estimate recomputed from the
 * coefficients. Models: models/example.model and the valid test models, found through
 * $ENGRATE_FUZZ_SRCDIR, $srcdir or the source directory the target was built from. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <float.h>
#include <math.h>

#include "fuzz.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

static const char *const model_files[] = {"models/example.model",
                                          "tests/data/model/valid/linear/input.model",
                                          "tests/data/model/valid/messy/input.model"};
#define N_MODELS (sizeof model_files / sizeof model_files[0])
static engrate_model *models[N_MODELS];

/* Names to draw from: every id, display name and alias of every model, in several
 * spellings, plus awkward strings. */
#define MAX_NAMES 4096
static char *names[MAX_NAMES];
static size_t n_names;
static char *huge_name;      /* 64 KB of letters */
static char *huge_spaces;    /* 64 KB that folds to nothing */

static void add_name(const char *s)
{
    if (n_names < MAX_NAMES && (names[n_names] = strdup(s)) != NULL)
        n_names++;
}

static void add_spellings(const char *s)
{
    char buf[1200];
    size_t n = strlen(s);
    add_name(s);
    if (n > 256)
        return;
    for (size_t i = 0; i <= n; i++) /* upper case */
        buf[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    add_name(buf);
    snprintf(buf, sizeof buf, "  %s\t", s); /* blanks */
    add_name(buf);
    size_t o = 0; /* full-width ASCII */
    for (size_t i = 0; i < n && o + 4 < sizeof buf; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c > 0x20 && c < 0x7F) {
            unsigned cp = c + 0xFEE0u;
            buf[o++] = (char)(0xE0 | (cp >> 12));
            buf[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            buf[o++] = (char)(0x80 | (cp & 0x3F));
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o] = '\0';
    add_name(buf);
    if (n > 1) { /* a typo: the last character dropped (for suggestions) */
        memcpy(buf, s, n - 1);
        buf[n - 1] = '\0';
        add_name(buf);
    }
}

static const char *const awkward[] = {
    "", " ", "-", "_._/", "\xe3\x80\x80", "\xe3\x83\xbb", "\xff", "java\xff", "\xc3",
    "\xe3\x81", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xf0\x9f\x98\x80",
    "ｊａｖａ", "J A V A", "c", "c+", "c++++", "C#", "c＃", "pm o", "ＰＭＯ", "role",
    "skills", "years", "certs", "lang", "unknown-thing", "プロマネ", "ﾌﾟﾛﾏﾈ",
    "%s%s%n", "a\nb", "\t"};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static void cleanup(void)
{
    for (size_t i = 0; i < N_MODELS; i++)
        engrate_model_free(models[i]);
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(huge_name);
    free(huge_spaces);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *src = getenv("ENGRATE_FUZZ_SRCDIR");
    if (!src || !*src)
        src = getenv("srcdir");
    if (!src || !*src)
        src = FUZZ_SRCDIR;
    for (size_t k = 0; k < N_MODELS; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", src, model_files[k]);
        size_t len = 0;
        char *text = read_file(path, &len);
        engrate_error err;
        models[k] = text ? engrate_model_load_buffer(text, len, path, 0, &err) : NULL;
        free(text);
        if (!models[k]) {
            fprintf(stderr, "fuzz_estimate: cannot load %s (set ENGRATE_FUZZ_SRCDIR)\n", path);
            exit(2);
        }
        const engrate_model *m = models[k];
        for (size_t i = 0; i < engrate_model_input_count(m); i++) {
            add_name(engrate_input_id(m, i));
            for (size_t l = 0; l < engrate_input_level_count(m, i); l++) {
                add_spellings(engrate_level_id(m, i, l));
                add_spellings(engrate_level_name(m, i, l, "en"));
                add_spellings(engrate_level_name(m, i, l, "ja"));
                for (size_t a = 0; a < engrate_level_alias_count(m, i, l); a++)
                    add_spellings(engrate_level_alias(m, i, l, a));
            }
        }
    }
    for (size_t i = 0; i < sizeof awkward / sizeof awkward[0]; i++)
        add_name(awkward[i]);
    size_t big = 1 << 16;
    huge_name = malloc(big + 1);
    huge_spaces = malloc(big + 1);
    if (!huge_name || !huge_spaces)
        exit(2);
    for (size_t i = 0; i < big; i++) {
        huge_name[i] = (char)('a' + i % 26);
        huge_spaces[i] = " -_./"[i % 5];
    }
    huge_name[big] = huge_spaces[big] = '\0';
    atexit(cleanup);
    return 0;
}

/* ---- Reading the program ----------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p;
    size_t n;
    char str[4][300]; /* strings taken from the input, NUL-terminated */
    int next_str;
} reader;

static unsigned u8(reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static size_t index_of(reader *r, size_t n)
{
    unsigned c = u8(r);
    if (c == 0xFF)
        return SIZE_MAX;
    if (c == 0xFE)
        return (size_t)1 << 32;
    return n ? c % (n + 2) : c; /* mostly in range, sometimes just past the end */
}

static double number(reader *r)
{
    static const double special[] = {0, -0.0, 1, -1, 5, 8, 40, 41, -3, 0.5, 1e9, -1e9,
                                     1e308, -1e308, DBL_MAX, -DBL_MAX, DBL_MIN, 4.9e-324,
                                     1e-300, 2026, -2026, 1e15, 29.999999999999996};
    unsigned c = u8(r);
    if (c < 0xC0)
        return special[c % (sizeof special / sizeof special[0])];
    if (c < 0xD0)
        return c & 1 ? INFINITY : -INFINITY;
    if (c < 0xE0)
        return NAN;
    double x = 0;
    unsigned char b[8] = {0};
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)u8(r);
    memcpy(&x, b, sizeof x);
    return x;
}

/* A name: from the table, from the input bytes, NULL, or 64 KB long. */
static const char *name(reader *r)
{
    unsigned c = u8(r);
    if (c == 0)
        return NULL;
    if (c == 1) /* rare on purpose: each costs a pass over 64 KB */
        return u8(r) == 0xA5 ? huge_name : "";
    if (c == 2)
        return u8(r) == 0x5A ? huge_spaces : " ";
    if (c < 0xC0) {
        unsigned k = c | (u8(r) << 8);
        return names[k % n_names];
    }
    char *s = r->str[r->next_str++ & 3];
    size_t len = u8(r) % 300;
    if (len > r->n)
        len = r->n;
    memcpy(s, r->p, len);
    s[len] = '\0'; /* an embedded NUL just ends it sooner */
    r->p += len;
    r->n -= len;
    return s;
}

/* ---- The shadow query -------------------------------------------------------------- */

#define MAX_INPUTS 64
#define MAX_LEVELS 256

typedef struct shadow {
    int chosen[MAX_INPUTS];
    unsigned char in_set[MAX_INPUTS][MAX_LEVELS];
    double number[MAX_INPUTS];
    int has_number[MAX_INPUTS];
    size_t unknown, aliased;
} shadow;

static void shadow_reset(shadow *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < MAX_INPUTS; i++)
        s->chosen[i] = -1;
}

/* What adding `nm` to input i must return, and its effect on the shadow. */
static int shadow_add(shadow *s, const engrate_model *m, size_t i, const char *nm)
{
    int kind = engrate_input_kind(m, i);
    if (kind == ENGRATE_NUMERIC || !nm)
        return ENGRATE_E_INVALID;
    int aliased = 0;
    int l = test_find(m, i, nm, &aliased);
    if (l == ENGRATE_E_UNKNOWN_NAME) { /* recorded, unless blank: taken either way */
        char folded[1100];
        if (test_fold(nm, folded, sizeof folded) != 0)
            s->unknown++;
        return 0;
    }
    if (l < 0)
        return l;
    FUZZ_CHECK((size_t)l < engrate_input_level_count(m, i));
    if (aliased)
        s->aliased++;
    if (kind == ENGRATE_CATEGORICAL)
        s->chosen[i] = l;
    else
        s->in_set[i][l] = 1;
    return 0;
}

static void check_estimate(const shadow *s, const engrate_model *m, const engrate_result *r)
{
    double eta = engrate_model_intercept(m);
    unsigned flags = s->unknown ? ENGRATE_FLAG_UNKNOWN : 0;
    size_t terms = 1;
    for (size_t i = 0; i < engrate_model_input_count(m); i++) {
        int kind = engrate_input_kind(m, i);
        if (kind == ENGRATE_NUMERIC) {
            double x = s->has_number[i] ? s->number[i] : engrate_input_default(m, i);
            double lo = engrate_input_min(m, i), hi = engrate_input_max(m, i);
            flags |= s->has_number[i] ? 0 : ENGRATE_FLAG_DEFAULTED;
            if (x < lo || x > hi) {
                x = x < lo ? lo : hi;
                flags |= ENGRATE_FLAG_CLAMPED;
            }
            double y = engrate_input_coef(m, i, 0) * x;
            for (size_t k = 0; k < engrate_input_knot_count(m, i); k++)
                if (x > engrate_input_knot(m, i, k))
                    y += engrate_input_coef(m, i, k + 1) * (x - engrate_input_knot(m, i, k));
            eta += y;
            terms++;
            continue;
        }
        if (kind == ENGRATE_CATEGORICAL && s->chosen[i] < 0)
            flags |= ENGRATE_FLAG_MISSING;
        for (size_t l = 0; l < engrate_input_level_count(m, i); l++) {
            int on = kind == ENGRATE_CATEGORICAL ? s->chosen[i] == (int)l : s->in_set[i][l];
            if (!on)
                continue;
            eta += engrate_level_coef(m, i, l);
            if (engrate_level_flags(m, i, l) & ENGRATE_LEVEL_NO_EVIDENCE)
                flags |= ENGRATE_FLAG_NO_EVIDENCE;
            terms++;
        }
    }
    int log = engrate_model_transform(m) == ENGRATE_TRANSFORM_LOG;
    double want = log ? exp(eta) : eta;
    double got = engrate_result_estimate(r);
    FUZZ_CHECK(fabs(got - want) <= 1e-9 * fmax(1, fabs(want)));
    FUZZ_CHECK(engrate_result_flags(r) == flags);
    FUZZ_CHECK(engrate_result_contribution_count(r) == terms);
    FUZZ_CHECK(engrate_result_unknown_count(r) == s->unknown);
    FUZZ_CHECK(engrate_result_aliased_count(r) == s->aliased);
    double low = engrate_result_low(r), high = engrate_result_high(r);
    FUZZ_CHECK(low <= got && got <= high);
    FUZZ_CHECK(engrate_result_level(r) == engrate_model_interval_level(m));
    double sum = 0;
    for (size_t k = 0; k < terms; k++) {
        double a = engrate_result_contribution_amount(r, k);
        FUZZ_CHECK(isfinite(a));
        sum += a;
        size_t in = engrate_result_contribution_input(r, k);
        FUZZ_CHECK(k == 0 ? in == ENGRATE_NO_INDEX : in < engrate_model_input_count(m));
    }
    FUZZ_CHECK(fabs(sum - got) <= 1e-9 * fmax(1, fabs(got)));
    for (size_t k = 0; k < s->unknown; k++) {
        FUZZ_CHECK(engrate_result_unknown_name(r, k) != NULL);
        FUZZ_CHECK(engrate_result_unknown_input(r, k) < engrate_model_input_count(m));
    }
    for (size_t k = 0; k < s->aliased; k++) {
        size_t in = engrate_result_aliased_input(r, k), l = engrate_result_aliased_level(r, k);
        FUZZ_CHECK(in < engrate_model_input_count(m) && l < engrate_input_level_count(m, in));
        FUZZ_CHECK(engrate_result_aliased_given(r, k) != NULL);
    }
}

/* A failed estimate leaves the result empty, not stale. */
static void check_emptied(const engrate_result *r)
{
#ifdef FUZZ_ALLOW_STALE_RESULT /* while exploring past a known bug */
    (void)r;
    return;
#endif
    FUZZ_CHECK(isnan(engrate_result_estimate(r)));
    FUZZ_CHECK(engrate_result_contribution_count(r) == 0);
    FUZZ_CHECK(engrate_result_unknown_count(r) == 0);
}

static void check_rc(int rc, int want, const engrate_error *err)
{
    if (rc != want)
        fprintf(stderr, "got %d, want %d: %s\n", rc, want, err->text);
    FUZZ_CHECK(rc == want);
    if (rc < 0)
        fuzz_check_error(err, rc);
}

/* ---- The profile call -------------------------------------------------------------- */

static int input_named(const engrate_model *m, const char *id)
{
    int i = test_input_index(m, id);
    return i;
}

static void profile(reader *rd, const engrate_model *m, engrate_result *r,
                    engrate_result *other)
{
    const char *role = u8(rd) & 1 ? name(rd) : NULL;
    static const char *list[2][5000];
    size_t counts[2];
    const char *const *lists[2];
    for (int k = 0; k < 2; k++) {
        unsigned c = u8(rd);
        if (c == 0xFF && u8(rd) != 0xC3) /* 5,000 names: rare on purpose, they are slow */
            c = 0xFE;
        counts[k] = c == 0xFF ? 5000 : c % 8;
        /* NULL with a count: refused */
        lists[k] = (c & 0x40) && c != 0xFF && counts[k] ? NULL : list[k];
        if (c == 0xFF) { /* 5,000 skills: the same few names over and over */
            const char *a = name(rd), *b = name(rd);
            if (a == huge_name || a == huge_spaces) /* 320 MB would be too much */
                a = "java";
            if (b == huge_name || b == huge_spaces)
                b = "\xff";
            for (size_t j = 0; j < counts[k]; j++)
                list[k][j] = j % 3 ? a : b;
        } else {
            for (size_t j = 0; j < counts[k]; j++)
                list[k][j] = name(rd);
        }
    }
    double years = number(rd);
    const double *yp = u8(rd) & 1 ? &years : NULL;
    unsigned flags = u8(rd) & 0x83;
    engrate_error err;
    if (flags & 0x80) { /* a result made for another model */
        check_rc(engrate_estimate_profile(m, role, lists[0], counts[0], lists[1], counts[1],
                                          yp, flags & 1, other, &err),
                 other ? ENGRATE_E_INVALID : 0, &err);
        return;
    }
    int rc = engrate_estimate_profile(m, role, lists[0], counts[0], lists[1], counts[1], yp,
                                      flags, r, &err);
    /* What it must have done. */
    shadow s;
    shadow_reset(&s);
    int want = 0;
    if ((counts[0] && !lists[0]) || (counts[1] && !lists[1]))
        want = ENGRATE_E_INVALID;
    if (want == 0 && role) {
        int i = input_named(m, "role");
        want = i < 0 ? ENGRATE_E_UNKNOWN_NAME : shadow_add(&s, m, (size_t)i, role);
    }
    const char *ids[2] = {"skills", "certs"};
    for (int k = 0; k < 2 && want >= 0; k++) {
        if (!counts[k])
            continue;
        int i = input_named(m, ids[k]);
        if (i < 0)
            want = ENGRATE_E_UNKNOWN_NAME;
        for (size_t j = 0; j < counts[k] && want >= 0; j++)
            want = shadow_add(&s, m, (size_t)i, lists[k][j]);
    }
    if (want >= 0 && yp) {
        int i = input_named(m, "years");
        if (i < 0)
            want = ENGRATE_E_UNKNOWN_NAME;
        else if (engrate_input_kind(m, (size_t)i) != ENGRATE_NUMERIC || isinf(years))
            want = ENGRATE_E_INVALID;
        else { /* NaN: not known, as if not given */
            s.number[i] = years;
            s.has_number[i] = !isnan(years);
        }
    }
    if (want >= 0 && (flags & ~1u))
        want = ENGRATE_E_INVALID;
    else if (want >= 0 && (flags & ENGRATE_STRICT) && s.unknown)
        want = ENGRATE_E_UNKNOWN_NAME;
    check_rc(rc, want, &err);
    if (rc == 0)
        check_estimate(&s, m, r);
    else
        check_emptied(r);
}

/* ---- The program ------------------------------------------------------------------- */

enum { OP_ADD, OP_ADD_LEVEL, OP_SET, OP_SET_AT, OP_ESTIMATE, OP_PROFILE, OP_RESET,
       OP_FIND, OP_SUGGEST, OP_FOLD, OP_ACCESS, OP_INTROSPECT, OP_COUNT };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader rd = {data, size, {{0}}, 0};
    const engrate_model *m = models[u8(&rd) % N_MODELS];
    const engrate_model *m_other = models[(size ? data[0] + 1 : 1) % N_MODELS];
    size_t n = engrate_model_input_count(m);
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    engrate_result *other = engrate_result_new(m_other, &err);
    FUZZ_CHECK(q && r && other);
    shadow s;
    shadow_reset(&s);
    for (int steps = 0; rd.n > 0 && steps < 200; steps++) {
        unsigned op = u8(&rd) % OP_COUNT;
        switch (op) {
        case OP_ADD: {
            unsigned c = u8(&rd);
            const char *id = c < 0xF0 && n ? engrate_input_id(m, c % n) : name(&rd);
            const char *nm = name(&rd);
            int rc = engrate_query_add(c == 0xFF ? NULL : q, id, nm, NULL, &err);
            int want;
            if (c == 0xFF)
                want = ENGRATE_E_INVALID;
            else if (!id)
                want = ENGRATE_E_INVALID;
            else if (test_input_index(m, id) < 0)
                want = ENGRATE_E_UNKNOWN_NAME;
            else
                want = shadow_add(&s, m, (size_t)test_input_index(m, id), nm);
            check_rc(rc, want, &err);
            break;
        }
        case OP_ADD_LEVEL: {
            size_t i = index_of(&rd, n), l = index_of(&rd, 8);
            int ok = i < n && engrate_input_kind(m, i) != ENGRATE_NUMERIC &&
                     l < engrate_input_level_count(m, i);
            check_rc(engrate_query_add_level(q, i, l, &err), ok ? 0 : ENGRATE_E_INVALID, &err);
            if (ok && engrate_input_kind(m, i) == ENGRATE_CATEGORICAL)
                s.chosen[i] = (int)l;
            else if (ok)
                s.in_set[i][l] = 1;
            break;
        }
        case OP_SET:
        case OP_SET_AT: {
            int by_id = op == OP_SET;
            size_t i = index_of(&rd, n);
            const char *id = by_id && u8(&rd) == 7 ? name(&rd) : engrate_input_id(m, i);
            double x = number(&rd);
            int rc;
            if (by_id) {
                rc = engrate_query_set_number(q, id, x, &err);
                int j = id ? test_input_index(m, id) : ENGRATE_E_INVALID;
                i = j >= 0 ? (size_t)j : SIZE_MAX;
                if (!id)
                    check_rc(rc, ENGRATE_E_INVALID, &err);
                else if (j < 0)
                    check_rc(rc, ENGRATE_E_UNKNOWN_NAME, &err);
            } else {
                rc = engrate_query_set_number_at(q, i, x, &err);
            }
            if (i != SIZE_MAX) {
                int ok = i < n && engrate_input_kind(m, i) == ENGRATE_NUMERIC && !isinf(x);
                check_rc(rc, ok ? 0 : ENGRATE_E_INVALID, &err);
                if (ok) { /* NaN: not known, as if never given */
                    s.number[i] = x;
                    s.has_number[i] = !isnan(x);
                }
            }
            break;
        }
        case OP_ESTIMATE: {
            unsigned c = u8(&rd);
            unsigned flags = c & 0x41;
            if (c & 0x80) { /* misuse: NULL or another model's result */
                int rc = engrate_estimate(c & 2 ? NULL : q, flags, c & 2 ? r : other, &err);
                check_rc(rc, ENGRATE_E_INVALID, &err);
                check_emptied(c & 2 ? r : other);
                break;
            }
            int rc = engrate_estimate(q, flags, r, &err);
            int want = flags & ~1u                          ? ENGRATE_E_INVALID
                       : (flags & ENGRATE_STRICT) && s.unknown ? ENGRATE_E_UNKNOWN_NAME
                                                            : 0;
            check_rc(rc, want, &err);
            if (rc == 0)
                check_estimate(&s, m, r);
            else
                check_emptied(r);
            break;
        }
        case OP_PROFILE:
            profile(&rd, m, r, other);
            break;
        case OP_RESET:
            engrate_query_reset(q);
            shadow_reset(&s);
            break;
        case OP_FIND: {
            size_t i = index_of(&rd, n);
            const char *nm = name(&rd);
            int aliased = 7;
            int l = test_find(m, i, nm, u8(&rd) & 1 ? &aliased : NULL);
            if (i >= n || !nm || engrate_input_kind(m, i) == ENGRATE_NUMERIC)
                FUZZ_CHECK(l == ENGRATE_E_INVALID);
            else
                FUZZ_CHECK((l >= 0 && (size_t)l < engrate_input_level_count(m, i)) ||
                           l == ENGRATE_E_UNKNOWN_NAME || l == ENGRATE_E_UTF8);
            if (l >= 0)
                FUZZ_CHECK(aliased == 7 || aliased == 0 || aliased == 1);
            /* A name and its folded form find the same level, the same way (a lookup tries
             * the name as given, then folded: the two must agree). */
            char folded[1100];
            if (l != ENGRATE_E_INVALID && l != ENGRATE_E_UTF8 &&
                test_fold(nm, folded, sizeof folded) > 0) {
                int a1 = -1, a2 = -1;
                FUZZ_CHECK(test_find(m, i, nm, &a1) == l);
                FUZZ_CHECK(test_find(m, i, folded, &a2) == l);
                FUZZ_CHECK(l < 0 || a1 == a2);
            }
            break;
        }
        case OP_SUGGEST: {
            size_t i = index_of(&rd, n);
            const char *nm = name(&rd);
            if (nm == huge_name || nm == huge_spaces)
                nm = "javv";
            int l = test_suggest(m, i, nm);
            FUZZ_CHECK(l == ENGRATE_E_INVALID || l == ENGRATE_E_UNKNOWN_NAME ||
                       (i < n && l >= 0 && (size_t)l < engrate_input_level_count(m, i)));
            break;
        }
        case OP_FOLD: {
            const char *nm = name(&rd);
            size_t cap = u8(&rd);
            char *buf = malloc(cap ? cap : 1); /* exactly cap bytes: ASan sees overruns */
            FUZZ_CHECK(buf != NULL);
            int k = test_fold(nm, cap ? buf : NULL, cap);
            if (!nm || !cap)
                FUZZ_CHECK(k == ENGRATE_E_INVALID);
            else if (k >= 0) {
                FUZZ_CHECK((size_t)k < cap && buf[k] == '\0' && strlen(buf) == (size_t)k &&
                           test_utf8_ok(buf, (size_t)k));
                /* Folding a folded name changes nothing. */
                char *again = malloc(cap);
                FUZZ_CHECK(again != NULL);
                FUZZ_CHECK(test_fold(buf, again, cap) == k && memcmp(again, buf, (size_t)k) == 0);
                free(again);
            }
            else
                FUZZ_CHECK(k == ENGRATE_E_UTF8 || k == ENGRATE_E_LIMIT);
            free(buf);
            break;
        }
        case OP_ACCESS: {
            size_t i = index_of(&rd, 16);
            (void)engrate_result_contribution_amount(r, i);
            (void)engrate_result_contribution_value(r, i);
            (void)engrate_result_contribution_flags(r, i);
            size_t in = engrate_result_contribution_input(r, i);
            size_t lv = engrate_result_contribution_level(r, i);
            if (i >= engrate_result_contribution_count(r))
                FUZZ_CHECK(in == ENGRATE_NO_INDEX && lv == ENGRATE_NO_INDEX);
            const char *u = engrate_result_unknown_name(r, i);
            FUZZ_CHECK((u != NULL) == (i < engrate_result_unknown_count(r)));
            (void)engrate_result_unknown_input(r, i);
            const char *a = engrate_result_aliased_given(r, i);
            FUZZ_CHECK((a != NULL) == (i < engrate_result_aliased_count(r)));
            (void)engrate_result_aliased_input(r, i);
            (void)engrate_result_aliased_level(r, i);
            break;
        }
        case OP_INTROSPECT: {
            size_t i = index_of(&rd, n), l = index_of(&rd, 8), k = index_of(&rd, 4);
            const char *lang = name(&rd);
            FUZZ_CHECK((engrate_input_id(m, i) != NULL) == (i < n));
            FUZZ_CHECK((engrate_input_label(m, i, lang) != NULL) == (i < n));
            (void)engrate_input_kind(m, i);
            (void)engrate_input_min(m, i);
            (void)engrate_input_knot(m, i, k);
            (void)engrate_input_coef(m, i, k);
            int has = i < n && l < engrate_input_level_count(m, i);
            FUZZ_CHECK((engrate_level_id(m, i, l) != NULL) == has);
            FUZZ_CHECK((engrate_level_name(m, i, l, lang) != NULL) == has);
            (void)engrate_level_coef(m, i, l);
            (void)engrate_level_flags(m, i, l);
            (void)engrate_level_alias(m, i, l, k);
            (void)engrate_model_meta(m, lang);
            (void)engrate_model_training(m, lang);
            (void)engrate_model_source(m, k);
            FUZZ_CHECK(test_input_index(m, lang) < 0 || lang != NULL);
            break;
        }
        }
    }
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_result_free(other);
    return 0;
}
