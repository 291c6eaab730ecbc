/* format.c: model files, format versions 1 and 2 (models/FORMAT.md): the strict loader,
 * which reports the line and column of the first problem, and the canonical writer, whose
 * output the loader reads back to the same bits. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format.h"

/* The newest format version this library reads. Version 2 adds keys (FORMAT.md, "Format
 * version 2"): a file may use them only when it says `engrate-model 2`, and the writer
 * writes the oldest version that holds the model (format_version_needed), so that a model
 * without them is written as version 1, byte for byte as before. */
#define ER_FORMAT_VERSION 2
#define ER_MAGIC "engrate-model"

#ifndef ENGRATE_PKGDATADIR
#define ENGRATE_PKGDATADIR "/usr/local/share/engrate"
#endif

/* ---- The loader -------------------------------------------------------------------- */

typedef er_parser parser;
typedef er_span span;

static int vfail(parser *p, int code, const char *col_at, const char *line_start,
                 const char *fmt, va_list ap)
{
    int col = col_at && line_start ? (int)(col_at - line_start) + 1 : 0;
    er_verror(p->err, code, p->source, p->line, col, fmt, ap);
    return code;
}

static int fail(parser *p, int code, const char *col_at, const char *line_start,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(parser *p, int code, const char *col_at, const char *line_start,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(p, code, col_at, line_start, fmt, ap);
    va_end(ap);
    return code;
}

int er_fmt_fail(parser *p, int code, const char *col_at, const char *ls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(p, code, col_at, ls, fmt, ap);
    va_end(ap);
    return code;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int span_eq(span a, const char *lit)
{
    size_t n = strlen(lit);
    return a.n == n && memcmp(a.s, lit, n) == 0;
}

static span trim(span a)
{
    while (a.n && is_blank(a.s[0])) {
        a.s++;
        a.n--;
    }
    while (a.n && is_blank(a.s[a.n - 1]))
        a.n--;
    return a;
}

static int valid_lang(span l)
{
    if (l.n < 2 || l.n > 8)
        return 0;
    for (size_t i = 0; i < l.n; i++)
        if (l.s[i] < 'a' || l.s[i] > 'z')
            return 0;
    return 1;
}

static const char *dup_span(parser *p, span v)
{
    const char *s = er_pool_strndup(&p->m->pool, v.s, v.n);
    if (!s)
        fail(p, ENGRATE_E_NOMEM, NULL, NULL, "out of memory");
    return s;
}

static int number(parser *p, span v, const char *ls, double *out)
{
    if (er_parse_double(v.s, v.n, out) != 0)
        return fail(p, ENGRATE_E_NUMBER, v.s, ls, "'%.*s' is not a finite decimal number",
                    (int)(v.n > 40 ? 40 : v.n), v.s);
    return 0;
}

/* Blank-separated numbers, at most max of them. */
static int number_list(parser *p, span v, const char *ls, double **out, size_t *count,
                       size_t max)
{
    double tmp[ER_MAX_KNOTS + 1];
    size_t n = 0;
    size_t i = 0;
    while (i < v.n) {
        while (i < v.n && is_blank(v.s[i]))
            i++;
        size_t start = i;
        while (i < v.n && !is_blank(v.s[i]))
            i++;
        if (i == start)
            break;
        if (n == max)
            return fail(p, ENGRATE_E_LIMIT, v.s + start, ls, "more than %zu numbers", max);
        int rc = number(p, (span){v.s + start, i - start}, ls, &tmp[n]);
        if (rc)
            return rc;
        n++;
    }
    double *arr = er_pool_alloc(&p->m->pool, (n ? n : 1) * sizeof *arr);
    if (!arr)
        return fail(p, ENGRATE_E_NOMEM, NULL, NULL, "out of memory");
    memcpy(arr, tmp, n * sizeof *arr);
    *out = arr;
    *count = n;
    return 0;
}

int er_fmt_numbers(parser *p, span v, const char *ls, double **out, size_t *count, size_t max)
{
    return number_list(p, v, ls, out, count, max);
}

/* Room for one more element in a pool array of n elements of `size` bytes: the array
 * itself, or a copy twice as large when it is full. Capacities are 4, 8, 16 ... (the
 * capacity follows from n, so it is not stored): a level with one alias takes 4 slots,
 * not ER_MAX_ALIASES, which a file of a million one-alias levels would multiply. */
static void *room_for_one_more(parser *p, void *arr, size_t n, size_t size)
{
    if (arr && (n < 4 || (n & (n - 1)) != 0))
        return arr;
    size_t cap = n < 4 ? 4 : 2 * n;
    void *bigger = er_pool_alloc(&p->m->pool, cap * size);
    if (bigger && n)
        memcpy(bigger, arr, n * size);
    return bigger;
}

/* Append a text in language `lang` to an array of at most ER_MAX_LANGS, refusing a second
 * text for the same language. */
static int add_text(parser *p, er_text **arr, size_t *n, span lang, span v, const char *ls,
                    const char *what)
{
    if (!valid_lang(lang))
        return fail(p, ENGRATE_E_UNKNOWN_KEY, lang.s, ls,
                    "'%.*s' is not a language tag (2 to 8 of a-z)", (int)lang.n, lang.s);
    if (v.n > ER_MAX_NAME_BYTES)
        return fail(p, ENGRATE_E_LIMIT, v.s, ls, "%s longer than %d bytes", what,
                    ER_MAX_NAME_BYTES);
    for (size_t i = 0; i < *n; i++)
        if (strlen((*arr)[i].lang) == lang.n && memcmp((*arr)[i].lang, lang.s, lang.n) == 0)
            return fail(p, ENGRATE_E_DUPLICATE, lang.s, ls, "%s.%.*s given twice", what,
                        (int)lang.n, lang.s);
    if (*n == ER_MAX_LANGS)
        return fail(p, ENGRATE_E_LIMIT, lang.s, ls, "more than %d languages", ER_MAX_LANGS);
    if (!(*arr = room_for_one_more(p, *arr, *n, sizeof **arr)))
        return fail(p, ENGRATE_E_NOMEM, NULL, NULL, "out of memory");
    const char *l = dup_span(p, lang), *t = dup_span(p, v);
    if (!l || !t)
        return ENGRATE_E_NOMEM;
    (*arr)[*n].lang = l;
    (*arr)[(*n)++].text = t;
    return 0;
}

/* Each section's keys; the bit of a key in `seen` is its index. */
static const char *const model_keys[] = {"name",   "description", "currency",  "period",
                                         "basis",  "as_of",       "transform", "intercept",
                                         "source", NULL};
static const char *const interval_keys[] = {"level", "low", "high", NULL};
static const char *const input_keys[] = {"kind",  "levels", "min",       "max",
                                         "default", "knots", "coef",   "label",
                                         "reference", "missing", NULL};
/* The version-2 keys' bits in `seen`. */
enum { IN_LABEL = 7, INPUT_REFERENCE = 8, IN_MISSING = 9, LV_NAME = 4 };
static const char *const level_keys[] = {"coef", "alias", "evidence", "name", NULL};

static int key_index(const char *const *keys, span k)
{
    for (int i = 0; keys[i]; i++)
        if (span_eq(k, keys[i]))
            return i;
    return -1;
}

/* The reference profile is every input's or none's (a base measured from part of a
 * profile would mean nothing); a numeric input's typical value lies in its range. */
static int end_reference(parser *p, const er_input *in, int has)
{
    if (has ? p->plain_inputs : p->ref_inputs)
        return er_error(p->err, ENGRATE_E_MISSING, p->source, p->sec_line, 0,
                        has ? "input '%s' has a 'reference' but an input before it has none: "
                              "give every input one, or none"
                            : "input '%s' has no 'reference' but the inputs before it have one: "
                              "give every input one, or none",
                        in->id);
    ++*(has ? &p->ref_inputs : &p->plain_inputs);
    if (has && in->kind == ENGRATE_NUMERIC && !(in->min <= in->ref && in->ref <= in->max))
        return er_error(p->err, ENGRATE_E_INVALID, p->source, p->sec_line, 0,
                        "input '%s': need min <= reference <= max", in->id);
    return 0;
}

/* Checks at the end of a section: required keys present, values consistent. */
static int end_section(parser *p)
{
    engrate_model *m = p->m;
    int line = p->sec_line;
    switch (p->sec) {
    case S_MODEL: {
        static const int required[] = {0, 2, 3, 6, 7};
        for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
            if (!(p->seen & (1u << required[i])))
                return er_error(p->err, ENGRATE_E_MISSING, p->source, line, 0,
                                "[model] has no '%s'", model_keys[required[i]]);
        break;
    }
    case S_INTERVAL:
        for (int i = 0; i < 3; i++)
            if (!(p->seen & (1u << i)))
                return er_error(p->err, ENGRATE_E_MISSING, p->source, line, 0,
                                "[interval] has no '%s'", interval_keys[i]);
        if (!(m->q_low <= m->q_high))
            return er_error(p->err, ENGRATE_E_INVALID, p->source, line, 0,
                            "[interval] low (%g) is above high (%g)", m->q_low, m->q_high);
        break;
    case S_INPUT: {
        er_input *in = p->input;
        if (!(p->seen & 1u))
            return er_error(p->err, ENGRATE_E_MISSING, p->source, line, 0,
                            "input '%s' has no 'kind'", in->id);
        int rc = end_reference(p, in, (p->seen >> INPUT_REFERENCE) & 1u);
        if (rc || (rc = er_by_end_input(p)))
            return rc;
        if (in->kind == ENGRATE_NUMERIC) {
            static const int required[] = {2, 3, 4, 6};
            for (size_t i = 0; i < 4; i++)
                if (!(p->seen & (1u << required[i])))
                    return er_error(p->err, ENGRATE_E_MISSING, p->source, line, 0,
                                    "numeric input '%s' has no '%s'", in->id,
                                    input_keys[required[i]]);
            if (p->seen & (1u << 1))
                return er_error(p->err, ENGRATE_E_UNKNOWN_KEY, p->source, line, 0,
                                "numeric input '%s' has 'levels'", in->id);
            if (!(in->min <= in->def && in->def <= in->max))
                return er_error(p->err, ENGRATE_E_INVALID, p->source, line, 0,
                                "input '%s': need min <= default <= max", in->id);
            for (size_t k = 1; k < in->n_knots; k++)
                if (!(in->knots[k - 1] < in->knots[k]))
                    return er_error(p->err, ENGRATE_E_INVALID, p->source, line, 0,
                                    "input '%s': knots must increase", in->id);
        } else {
            if (!(p->seen & (1u << 1)))
                return er_error(p->err, ENGRATE_E_MISSING, p->source, line, 0,
                                "input '%s' has no 'levels'", in->id);
            for (int k = 2; k <= IN_MISSING; k++)
                if (k != IN_LABEL && k != INPUT_REFERENCE && (p->seen & (1u << k)))
                    return er_error(p->err, ENGRATE_E_UNKNOWN_KEY, p->source, line, 0,
                                    "'%s' is only for numeric inputs", input_keys[k]);
        }
        break;
    }
    case S_LEVEL:
        if (!(p->seen & 1u))
            return er_error(p->err, ENGRATE_E_MISSING, p->source, line, 0,
                            "level '%s' has no 'coef'", p->level->id);
        if ((p->level->flags & ENGRATE_LEVEL_NO_EVIDENCE) && p->level->coef != 0)
            return er_error(p->err, ENGRATE_E_INVALID, p->source, line, 0,
                            "level '%s' has evidence = none but a coef that is not 0",
                            p->level->id);
        break;
    default:
        break;
    }
    return 0;
}

/* The end of an input's levels: the declared count must have been met. */
static int end_input(parser *p)
{
    er_input *in = p->input;
    if (!in || in->kind == ENGRATE_NUMERIC)
        return 0;
    if (in->n_levels != p->levels_declared)
        return er_error(p->err, ENGRATE_E_MISSING, p->source, p->levels_line, 0,
                        "input '%s' declares %zu levels but has %zu", in->id,
                        p->levels_declared, in->n_levels);
    return 0;
}

static int start_section(parser *p, span line, const char *ls)
{
    if (line.s[line.n - 1] != ']')
        return fail(p, ENGRATE_E_SYNTAX, line.s + line.n - 1, ls, "section header without ']'");
    span inner = trim((span){line.s + 1, line.n - 2});
    size_t k = 0;
    while (k < inner.n && !is_blank(inner.s[k]))
        k++;
    span kind = {inner.s, k};
    span arg = trim((span){inner.s + k, inner.n - k});
    int rc = end_section(p);
    if (rc)
        return rc;
    engrate_model *m = p->m;
    p->seen = 0;
    p->sec_line = p->line;
    int wants_arg = span_eq(kind, "input") || span_eq(kind, "level");
    if (wants_arg && arg.n == 0)
        return fail(p, ENGRATE_E_SYNTAX, inner.s + k, ls, "[%.*s] needs an id", (int)kind.n,
                    kind.s);
    if (!wants_arg && arg.n != 0 &&
        (span_eq(kind, "model") || span_eq(kind, "training") || span_eq(kind, "interval")))
        return fail(p, ENGRATE_E_SYNTAX, arg.s, ls, "[%.*s] takes no id", (int)kind.n, kind.s);
    if (wants_arg && arg.n > ER_MAX_ID_BYTES) /* a limit (FORMAT.md), not a syntax error */
        return fail(p, ENGRATE_E_LIMIT, arg.s, ls, "id longer than %d bytes", ER_MAX_ID_BYTES);
    if (wants_arg && !er_valid_id(arg.s, arg.n))
        return fail(p, ENGRATE_E_SYNTAX, arg.s, ls,
                    "'%.*s' is not an id (1 to %d of A-Z a-z 0-9 _ + # . -)",
                    (int)(arg.n > 80 ? 80 : arg.n), arg.s, ER_MAX_ID_BYTES);

    if (span_eq(kind, "model")) {
        if (p->seen_model)
            return fail(p, ENGRATE_E_DUPLICATE, kind.s, ls, "a second [model]");
        p->seen_model = 1;
        p->sec = S_MODEL;
        return 0;
    }
    if (!p->seen_model)
        return fail(p, ENGRATE_E_MISSING, kind.s, ls, "the first section must be [model]");
    if (span_eq(kind, "training") || span_eq(kind, "interval")) {
        int is_training = kind.s[0] == 't';
        int *seen = is_training ? &p->seen_training : &p->seen_interval;
        if (*seen)
            return fail(p, ENGRATE_E_DUPLICATE, kind.s, ls, "a second [%.*s]", (int)kind.n,
                        kind.s);
        if (m->n_inputs > 0 || (is_training && p->seen_interval))
            return fail(p, ENGRATE_E_SYNTAX, kind.s, ls,
                        "[%.*s] must come before [%s]", (int)kind.n, kind.s,
                        is_training ? "interval] and [input" : "input");
        *seen = 1;
        p->sec = is_training ? S_TRAINING : S_INTERVAL;
        return 0;
    }
    if (span_eq(kind, "input")) {
        if (!p->seen_interval)
            return fail(p, ENGRATE_E_MISSING, kind.s, ls, "[interval] must come before [input]");
        if ((rc = end_input(p)))
            return rc;
        if (m->n_inputs == ER_MAX_INPUTS)
            return fail(p, ENGRATE_E_LIMIT, kind.s, ls, "more than %d inputs", ER_MAX_INPUTS);
        for (size_t i = 0; i < m->n_inputs; i++)
            if (strlen(m->inputs[i].id) == arg.n && memcmp(m->inputs[i].id, arg.s, arg.n) == 0)
                return fail(p, ENGRATE_E_DUPLICATE, arg.s, ls, "a second input '%.*s'",
                            (int)arg.n, arg.s);
        if (!m->inputs && !(m->inputs = er_pool_alloc(&m->pool, ER_MAX_INPUTS * sizeof *m->inputs)))
            return fail(p, ENGRATE_E_NOMEM, NULL, NULL, "out of memory");
        er_input *in = &m->inputs[m->n_inputs++];
        if (!(in->id = dup_span(p, arg)))
            return ENGRATE_E_NOMEM;
        in->by = ENGRATE_NO_INDEX;
        p->input = in;
        p->level = NULL;
        p->sec = S_INPUT;
        return 0;
    }
    if (span_eq(kind, "level")) {
        er_input *in = p->input;
        if (!in || in->kind == 0)
            return fail(p, ENGRATE_E_SYNTAX, kind.s, ls, "[level] outside an input");
        if (in->kind == ENGRATE_NUMERIC)
            return fail(p, ENGRATE_E_SYNTAX, kind.s, ls, "[level] in numeric input '%s'",
                        in->id);
        if (in->n_levels == p->levels_declared)
            return fail(p, ENGRATE_E_MISSING, kind.s, ls,
                        "input '%s' declares %zu levels; this is one more", in->id,
                        p->levels_declared);
        er_level *lv = &in->levels[in->n_levels];
        if (!(lv->id = dup_span(p, arg)))
            return ENGRATE_E_NOMEM;
        if (++p->n_names > ER_MAX_TOTAL_NAMES)
            return fail(p, ENGRATE_E_LIMIT, arg.s, ls,
                        "more than %d names (ids, display names and aliases) in all",
                        ER_MAX_TOTAL_NAMES);
        size_t other = 0;
        rc = er_index_add(m, &p->n_keys, (size_t)(in - m->inputs), in->n_levels, arg.s, arg.n,
                          1, &other);
        if (rc == ENGRATE_E_DUPLICATE) {
            char folded[96];
            er_fold_for_message(lv->id, folded, sizeof folded);
            return fail(p, rc, arg.s, ls,
                        "level '%s' of input '%s' is already a name of level '%s' "
                        "(both fold to '%s')",
                        lv->id, in->id, in->levels[other].id, folded);
        }
        if (rc)
            return fail(p, rc, arg.s, ls, "cannot index level '%s': %s", lv->id,
                        engrate_strerror(rc));
        in->n_levels++;
        p->level = lv;
        p->sec = S_LEVEL;
        return 0;
    }
    return fail(p, ENGRATE_E_UNKNOWN_KEY, kind.s, ls, "unknown section '%.*s'",
                (int)(kind.n > 40 ? 40 : kind.n), kind.s);
}

/* A once-only key: refuse it the second time. */
static int once(parser *p, int idx, span key, const char *ls)
{
    if (p->seen & (1u << idx))
        return fail(p, ENGRATE_E_DUPLICATE, key.s, ls, "'%.*s' given twice", (int)key.n, key.s);
    p->seen |= 1u << idx;
    return 0;
}

static int unknown_key(parser *p, span key, const char *ls, const char *section)
{
    return fail(p, ENGRATE_E_UNKNOWN_KEY, key.s, ls, "unknown key '%.*s' in [%s]",
                (int)(key.n > 40 ? 40 : key.n), key.s, section);
}

static int model_key(parser *p, span key, span v, const char *ls)
{
    engrate_model *m = p->m;
    int idx = key_index(model_keys, key);
    if (idx < 0)
        return unknown_key(p, key, ls, "model");
    if (idx == 8) { /* source, repeatable */
        if (m->n_sources == ER_MAX_SOURCES)
            return fail(p, ENGRATE_E_LIMIT, key.s, ls, "more than %d sources", ER_MAX_SOURCES);
        if (!m->sources &&
            !(m->sources = er_pool_alloc(&m->pool, ER_MAX_SOURCES * sizeof *m->sources)))
            return fail(p, ENGRATE_E_NOMEM, NULL, NULL, "out of memory");
        return (m->sources[m->n_sources++] = dup_span(p, v)) ? 0 : ENGRATE_E_NOMEM;
    }
    int rc = once(p, idx, key, ls);
    if (rc)
        return rc;
    switch (idx) {
    case 2: /* currency */
        if (v.n != 3 || v.s[0] < 'A' || v.s[0] > 'Z' || v.s[1] < 'A' || v.s[1] > 'Z' ||
            v.s[2] < 'A' || v.s[2] > 'Z')
            return fail(p, ENGRATE_E_SYNTAX, v.s, ls,
                        "currency must be an ISO 4217 code of three capital letters");
        break;
    case 3: /* period */
        if (!span_eq(v, "hour") && !span_eq(v, "day") && !span_eq(v, "week") &&
            !span_eq(v, "month") && !span_eq(v, "year"))
            return fail(p, ENGRATE_E_SYNTAX, v.s, ls,
                        "period must be hour, day, week, month or year");
        break;
    case 5: { /* as_of: YYYY, YYYY-MM or YYYY-MM-DD */
        int ok = v.n == 4 || v.n == 7 || v.n == 10;
        for (size_t i = 0; ok && i < v.n; i++)
            ok = (i == 4 || i == 7) ? v.s[i] == '-' : (v.s[i] >= '0' && v.s[i] <= '9');
        if (!ok)
            return fail(p, ENGRATE_E_SYNTAX, v.s, ls,
                        "as_of must be YYYY, YYYY-MM or YYYY-MM-DD");
        break;
    }
    case 6:
        if (span_eq(v, "log"))
            m->transform = ENGRATE_TRANSFORM_LOG;
        else if (span_eq(v, "none"))
            m->transform = ENGRATE_TRANSFORM_NONE;
        else
            return fail(p, ENGRATE_E_SYNTAX, v.s, ls, "transform must be log or none");
        return 0;
    case 7:
        return number(p, v, ls, &m->intercept);
    }
    /* name, description, currency, period, basis, as_of are kept as text */
    static const int meta_of[] = {ER_META_NAME, ER_META_DESCRIPTION, ER_META_CURRENCY,
                                  ER_META_PERIOD, ER_META_BASIS, ER_META_AS_OF};
    return (m->meta[meta_of[idx]] = dup_span(p, v)) ? 0 : ENGRATE_E_NOMEM;
}

static int training_key(parser *p, span key, span v, const char *ls)
{
    int idx = -1;
    for (int i = 0; i < ER_TRAIN_COUNT; i++)
        if (span_eq(key, er_training_keys[i]))
            idx = i;
    if (idx < 0)
        return unknown_key(p, key, ls, "training");
    int rc = once(p, idx, key, ls);
    return rc ? rc : number(p, v, ls, &p->m->training[idx]);
}

static int interval_key(parser *p, span key, span v, const char *ls)
{
    int idx = key_index(interval_keys, key);
    if (idx < 0)
        return unknown_key(p, key, ls, "interval");
    int rc = once(p, idx, key, ls);
    if (rc)
        return rc;
    double *dst[] = {&p->m->level, &p->m->q_low, &p->m->q_high};
    if ((rc = number(p, v, ls, dst[idx])))
        return rc;
    if (idx == 0 && !(p->m->level > 0 && p->m->level < 1))
        return fail(p, ENGRATE_E_INVALID, v.s, ls, "level must be between 0 and 1");
    return 0;
}

/* ---- Format version 2 keys ----------------------------------------------------------
 * Keys that a version-1 library does not know, so they are taken only from files whose
 * magic line says 2: an input's `label` and a level's `name` without a language (the text
 * as the training data wrote it, in whatever language that was), and a numeric input's
 * `missing` (what a profile that does not give the value adds, beside the curve at
 * `default`). models/FORMAT.md, "Format version 2". */

static int needs_v2(parser *p, span key, const char *ls, const char *section)
{
    if (p->version >= 2)
        return 0;
    return fail(p, ENGRATE_E_UNKNOWN_KEY, key.s, ls,
                "'%.*s' in [%s] needs format version 2 (the first line says %d)", (int)key.n,
                key.s, section, p->version);
}

int er_fmt_needs_v2(parser *p, span key, const char *ls, const char *section)
{
    return needs_v2(p, key, ls, section);
}

/* [input] label = TEXT, missing = NUMBER (once each; `missing` after kind, numeric only). */
static int input_key_v2(parser *p, int idx, span key, span v, const char *ls)
{
    er_input *in = p->input;
    int rc = needs_v2(p, key, ls, "input");
    if (rc || (idx == IN_LABEL && (rc = once(p, idx, key, ls))))
        return rc;
    if (idx == IN_MISSING) {
        in->has_missing = 1;
        return number(p, v, ls, &in->missing);
    }
    if (v.n > ER_MAX_NAME_BYTES)
        return fail(p, ENGRATE_E_LIMIT, v.s, ls, "label longer than %d bytes",
                    ER_MAX_NAME_BYTES);
    return (in->label = dup_span(p, v)) ? 0 : ENGRATE_E_NOMEM;
}

static int index_level_name(parser *p, span v, const char *ls, const char *name);

/* [level] name = TEXT: once, indexed like the level's other names. */
static int level_name_v2(parser *p, span key, span v, const char *ls)
{
    int rc = needs_v2(p, key, ls, "level");
    if (rc || (rc = once(p, LV_NAME, key, ls)))
        return rc;
    if (++p->n_names > ER_MAX_TOTAL_NAMES)
        return fail(p, ENGRATE_E_LIMIT, key.s, ls,
                    "more than %d names (ids, display names and aliases) in all",
                    ER_MAX_TOTAL_NAMES);
    if (v.n > ER_MAX_NAME_BYTES)
        return fail(p, ENGRATE_E_LIMIT, v.s, ls, "name longer than %d bytes",
                    ER_MAX_NAME_BYTES);
    if (!(p->level->name = dup_span(p, v)))
        return ENGRATE_E_NOMEM;
    return index_level_name(p, v, ls, p->level->name);
}

static int input_key(parser *p, span key, span v, const char *ls)
{
    er_input *in = p->input;
    engrate_model *m = p->m;
    if (key.n > 6 && memcmp(key.s, "label.", 6) == 0)
        return add_text(p, &in->labels, &in->n_labels, (span){key.s + 6, key.n - 6}, v, ls,
                        "label");
    if (span_eq(key, "by") || (key.n >= 3 && memcmp(key.s, "by.", 3) == 0))
        return er_by_key(p, key, v, ls); /* bylevel.c */
    int idx = key_index(input_keys, key), rc0;
    if (idx < 0)
        return unknown_key(p, key, ls, "input");
    if (idx == INPUT_REFERENCE && (rc0 = needs_v2(p, key, ls, "input")))
        return rc0;
    if (idx == IN_LABEL)
        return input_key_v2(p, idx, key, v, ls);
    int rc = once(p, idx, key, ls);
    if (rc)
        return rc;
    if (idx != 0 && in->kind == 0)
        return fail(p, ENGRATE_E_MISSING, key.s, ls, "'kind' must come first in [input]");
    if (idx == IN_MISSING)
        return input_key_v2(p, idx, key, v, ls);
    switch (idx) {
    case 0:
        if (span_eq(v, "categorical"))
            in->kind = ENGRATE_CATEGORICAL;
        else if (span_eq(v, "set"))
            in->kind = ENGRATE_SET;
        else if (span_eq(v, "numeric"))
            in->kind = ENGRATE_NUMERIC;
        else
            return fail(p, ENGRATE_E_SYNTAX, v.s, ls,
                        "kind must be categorical, set or numeric");
        return 0;
    case 1: {
        double d;
        if ((rc = number(p, v, ls, &d)))
            return rc;
        if (d < 0 || d != floor(d))
            return fail(p, ENGRATE_E_NUMBER, v.s, ls, "levels must be a whole number");
        if (d > ER_MAX_LEVELS)
            return fail(p, ENGRATE_E_LIMIT, v.s, ls, "more than %d levels", ER_MAX_LEVELS);
        if (d > (double)p->max_levels)
            return fail(p, ENGRATE_E_LIMIT, v.s, ls,
                        "%.0f levels cannot fit in a file of this size", d);
        p->levels_declared = (size_t)d;
        p->levels_line = p->line;
        if (p->levels_declared &&
            !(in->levels = er_pool_alloc(&m->pool, p->levels_declared * sizeof *in->levels)))
            return fail(p, ENGRATE_E_NOMEM, NULL, NULL, "out of memory");
        return 0;
    }
    case 2:
    case 3:
    case 4: {
        double *dst[] = {&in->min, &in->max, &in->def};
        if ((rc = number(p, v, ls, dst[idx - 2])))
            return rc;
        if (fabs(*dst[idx - 2]) > ER_MAX_ABS_NUMERIC)
            return fail(p, ENGRATE_E_LIMIT, v.s, ls, "beyond +-1e300");
        return 0;
    }
    case 5:
        if ((rc = number_list(p, v, ls, &in->knots, &in->n_knots, ER_MAX_KNOTS)))
            return rc;
        for (size_t k = 0; k < in->n_knots; k++)
            if (fabs(in->knots[k]) > ER_MAX_ABS_NUMERIC)
                return fail(p, ENGRATE_E_LIMIT, v.s, ls, "knot beyond +-1e300");
        if (p->seen & (1u << 6))
            return fail(p, ENGRATE_E_SYNTAX, key.s, ls, "knots must come before coef");
        return 0;
    case 6: {
        size_t n = 0;
        if ((rc = number_list(p, v, ls, &in->coefs, &n, ER_MAX_KNOTS + 1)))
            return rc;
        if (!(p->seen & (1u << 5)) && n != 1)
            return fail(p, ENGRATE_E_MISSING, v.s, ls,
                        "coef has %zu numbers; without knots it needs 1 (knots must come "
                        "before coef)", n);
        if ((p->seen & (1u << 5)) && n != in->n_knots + 1)
            return fail(p, ENGRATE_E_MISSING, v.s, ls,
                        "coef has %zu numbers; with %zu knots it needs %zu", n, in->n_knots,
                        in->n_knots + 1);
        return 0;
    }
    case INPUT_REFERENCE:
        if ((rc = number(p, v, ls, &in->ref)))
            return rc;
        if (in->kind == ENGRATE_NUMERIC && fabs(in->ref) > ER_MAX_ABS_NUMERIC)
            return fail(p, ENGRATE_E_LIMIT, v.s, ls, "beyond +-1e300");
        return 0;
    }
    return 0;
}

static int level_key(parser *p, span key, span v, const char *ls)
{
    er_level *lv = p->level;
    int is_name = key.n > 5 && memcmp(key.s, "name.", 5) == 0;
    if (span_eq(key, "name"))
        return level_name_v2(p, key, v, ls);
    int idx = is_name ? 3 : key_index(level_keys, key);
    if (idx < 0 || (idx == 3 && !is_name))
        return unknown_key(p, key, ls, "level");
    int rc;
    if (idx == 0) {
        if ((rc = once(p, idx, key, ls)))
            return rc;
        return number(p, v, ls, &lv->coef);
    }
    if (idx == 2) {
        if ((rc = once(p, idx, key, ls)))
            return rc;
        if (!span_eq(v, "none"))
            return fail(p, ENGRATE_E_SYNTAX, v.s, ls, "evidence must be none");
        lv->flags |= ENGRATE_LEVEL_NO_EVIDENCE;
        return 0;
    }
    const char *name;
    if (++p->n_names > ER_MAX_TOTAL_NAMES)
        return fail(p, ENGRATE_E_LIMIT, key.s, ls,
                    "more than %d names (ids, display names and aliases) in all",
                    ER_MAX_TOTAL_NAMES);
    if (idx == 1) {
        if (v.n > ER_MAX_NAME_BYTES)
            return fail(p, ENGRATE_E_LIMIT, v.s, ls, "alias longer than %d bytes",
                        ER_MAX_NAME_BYTES);
        if (lv->n_aliases == ER_MAX_ALIASES)
            return fail(p, ENGRATE_E_LIMIT, key.s, ls, "more than %d aliases", ER_MAX_ALIASES);
        if (!(lv->aliases = room_for_one_more(p, (void *)lv->aliases, lv->n_aliases,
                                              sizeof *lv->aliases)))
            return fail(p, ENGRATE_E_NOMEM, NULL, NULL, "out of memory");
        if (!(name = dup_span(p, v)))
            return ENGRATE_E_NOMEM;
        lv->aliases[lv->n_aliases++] = name;
    } else {
        if ((rc = add_text(p, &lv->names, &lv->n_names, (span){key.s + 5, key.n - 5}, v, ls,
                           "name")))
            return rc;
        name = lv->names[lv->n_names - 1].text;
    }
    return index_level_name(p, v, ls, name);
}

/* Index a display name or alias v of the current level (`name`: its copy, for messages). */
static int index_level_name(parser *p, span v, const char *ls, const char *name)
{
    engrate_model *m = p->m;
    size_t input = (size_t)(p->input - m->inputs);
    size_t level = (size_t)(p->level - p->input->levels);
    size_t other = 0;
    int rc = er_index_add(m, &p->n_keys, input, level, v.s, v.n, 0, &other);
    if (rc == ENGRATE_E_DUPLICATE) {
        char folded[96];
        er_fold_for_message(name, folded, sizeof folded);
        return fail(p, rc, v.s, ls,
                    "'%.80s' is already a name of level '%s' of input '%s' (both fold to '%s')",
                    name, p->input->levels[other].id, p->input->id, folded);
    }
    if (rc == ENGRATE_E_INVALID)
        return fail(p, ENGRATE_E_SYNTAX, v.s, ls, "'%s' has no letters left after folding",
                    name);
    if (rc)
        return fail(p, rc, v.s, ls, "cannot index '%s': %s", name, engrate_strerror(rc));
    return 0;
}

static int parse_line(parser *p, span line)
{
    const char *ls = line.s;
    size_t valid = er_utf8_valid_prefix(line.s, line.n);
    if (valid != line.n)
        return fail(p, ENGRATE_E_UTF8, line.s + valid, ls, "invalid UTF-8");
    for (size_t i = 0; i < line.n; i++)
        if (((unsigned char)line.s[i] < 0x20 && line.s[i] != '\t') || line.s[i] == 0x7F)
            return fail(p, ENGRATE_E_SYNTAX, line.s + i, ls, "control character 0x%02x",
                        (unsigned char)line.s[i]);
    span t = trim(line);
    if (t.n == 0 || t.s[0] == '#')
        return 0;
    if (t.s[0] == '[')
        return start_section(p, t, ls);
    const char *eq = memchr(t.s, '=', t.n);
    if (!eq)
        return fail(p, ENGRATE_E_SYNTAX, t.s, ls, "expected 'key = value' or '[section]'");
    span key = trim((span){t.s, (size_t)(eq - t.s)});
    span v = trim((span){eq + 1, t.n - (size_t)(eq + 1 - t.s)});
    if (key.n == 0)
        return fail(p, ENGRATE_E_SYNTAX, t.s, ls, "a value without a key");
    if (v.n == 0)
        return fail(p, ENGRATE_E_SYNTAX, eq, ls, "'%.*s' has an empty value",
                    (int)(key.n > 40 ? 40 : key.n), key.s);
    switch (p->sec) {
    case S_MODEL:
        return model_key(p, key, v, ls);
    case S_TRAINING:
        return training_key(p, key, v, ls);
    case S_INTERVAL:
        return interval_key(p, key, v, ls);
    case S_INPUT:
        return input_key(p, key, v, ls);
    case S_LEVEL:
        return level_key(p, key, v, ls);
    default:
        return fail(p, ENGRATE_E_SYNTAX, t.s, ls, "a key before the first section");
    }
}

/* Check the magic line. 0 if it is `engrate-model N` with 1 <= N <= ER_FORMAT_VERSION. */
static int check_magic(parser *p, span line)
{
    const char *ls = line.s;
    size_t mn = sizeof ER_MAGIC - 1;
    span t = trim(line);
    if (t.n < mn || memcmp(t.s, ER_MAGIC, mn) != 0 || (t.n > mn && !is_blank(t.s[mn])))
        return fail(p, ENGRATE_E_VERSION, line.s, ls,
                    "not an engrate model file (the first line must be '" ER_MAGIC " 1')");
    span ver = trim((span){t.s + mn, t.n - mn});
    double v;
    if (er_parse_double(ver.s, ver.n, &v) != 0 || v != floor(v) || v < 1)
        return fail(p, ENGRATE_E_VERSION, ver.s, ls, "'%.*s' is not a format version",
                    (int)(ver.n > 20 ? 20 : ver.n), ver.s);
    if (v > ER_FORMAT_VERSION)
        return fail(p, ENGRATE_E_VERSION, ver.s, ls,
                    "format version %.0f is newer than this library (engrate %s) reads "
                    "(up to %d): upgrade engrate",
                    v, ENGRATE_VERSION_STRING, ER_FORMAT_VERSION);
    p->version = (int)v;
    return 0;
}

static engrate_model *parse(const char *data, size_t len, const char *source,
                            engrate_error *err)
{
    if (len > ER_MAX_FILE_BYTES) {
        er_error(err, ENGRATE_E_LIMIT, source, 0, 0, "larger than %u bytes",
                 ER_MAX_FILE_BYTES);
        return NULL;
    }
    parser p = {0};
    p.err = err;
    p.source = source;
    p.max_levels = len / 8 + 1; /* a level takes "[level x]\ncoef=0\n" at least */
    if (!(p.m = er_model_new())) {
        er_error(err, ENGRATE_E_NOMEM, source, 0, 0, "out of memory");
        return NULL;
    }
    size_t pos = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    int rc = 0;
    while (pos < len && rc == 0) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        span line = {data + pos, end - pos};
        if (line.n && line.s[line.n - 1] == '\r')
            line.n--;
        p.line++;
        pos = nl ? end + 1 : len;
        if (line.n > ER_MAX_LINE_BYTES)
            rc = fail(&p, ENGRATE_E_LIMIT, line.s + ER_MAX_LINE_BYTES, line.s,
                      "line longer than %d bytes", ER_MAX_LINE_BYTES);
        else if (memchr(line.s, '\0', line.n))
            rc = fail(&p, ENGRATE_E_SYNTAX, memchr(line.s, '\0', line.n), line.s, "NUL byte");
        else if (p.line == 1)
            rc = check_magic(&p, line);
        else
            rc = parse_line(&p, line);
    }
    if (rc == 0 && p.line == 0)
        rc = er_error(err, ENGRATE_E_VERSION, source, 1, 1,
                      "empty file: not an engrate model file");
    if (rc == 0 && !p.seen_model)
        rc = er_error(err, ENGRATE_E_MISSING, source, p.line, 0, "no [model] section");
    if (rc == 0 && (rc = end_section(&p)) == 0 && (rc = end_input(&p)) == 0 && !p.seen_interval)
        rc = er_error(err, ENGRATE_E_MISSING, source, p.line, 0, "no [interval] section");
    if (rc == 0)
        rc = er_by_resolve(&p);
    if (rc == 0) {
        p.m->has_reference = p.ref_inputs > 0;
        rc = er_model_finish(p.m, err);
    }
    if (rc) {
        if (err && err->code == 0) /* never fail without saying why */
            er_error(err, rc, source, p.line, 0, "%s", engrate_strerror(rc));
        engrate_model_free(p.m);
        return NULL;
    }
    return p.m;
}

ENGRATE_API engrate_model *engrate_model_load_buffer(const char *data, size_t len,
                                                     const char *source, unsigned flags,
                                                     engrate_error *err)
{
    er_error_clear(err);
    if (!source)
        source = "<buffer>";
    if (!data && len > 0) {
        er_error(err, ENGRATE_E_INVALID, source, 0, 0, "data is NULL");
        return NULL;
    }
    if (flags != 0) {
        er_error(err, ENGRATE_E_INVALID, source, 0, 0, "unknown load flags 0x%x", flags);
        return NULL;
    }
    return parse(data ? data : "", len, source, err);
}

ENGRATE_API engrate_model *engrate_model_load(const char *path, unsigned flags,
                                              engrate_error *err)
{
    er_error_clear(err);
    if (!path) {
        er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "path is NULL");
        return NULL;
    }
    if (flags != 0) {
        er_error(err, ENGRATE_E_INVALID, path, 0, 0, "unknown load flags 0x%x", flags);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) { /* fopen allocates: out of memory is not an I/O error */
        if (errno == ENOMEM)
            er_error(err, ENGRATE_E_NOMEM, path, 0, 0, "out of memory");
        else
            er_error(err, ENGRATE_E_IO, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    /* Read at most one byte past the limit: enough to know the file is too large. */
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : ENGRATE_E_NOMEM;
    while (rc == 0) {
        if (len == cap) {
            if (cap > ER_MAX_FILE_BYTES) {
                rc = ENGRATE_E_LIMIT;
                break;
            }
            size_t ncap = cap * 2 > (size_t)ER_MAX_FILE_BYTES + 1 ? (size_t)ER_MAX_FILE_BYTES + 1
                                                                  : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                rc = ENGRATE_E_NOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = ENGRATE_E_IO;
            break;
        }
    }
    int saved = errno;
    fclose(f);
    engrate_model *m = NULL;
    if (rc == ENGRATE_E_IO)
        er_error(err, rc, path, 0, 0, "cannot read: %s", strerror(saved));
    else if (rc == ENGRATE_E_LIMIT)
        er_error(err, rc, path, 0, 0, "larger than %u bytes", ER_MAX_FILE_BYTES);
    else if (rc)
        er_error(err, rc, path, 0, 0, "out of memory");
    else
        m = parse(buf, len, path, err);
    free(buf);
    return m;
}

ENGRATE_API const char *engrate_model_default_path(void)
{
    return ENGRATE_PKGDATADIR "/default.model";
}

ENGRATE_API engrate_model *engrate_model_load_default(unsigned flags, engrate_error *err)
{
    const char *env = getenv("ENGRATE_MODEL");
    return engrate_model_load(env && *env ? env : engrate_model_default_path(), flags, err);
}

/* ---- The writer -------------------------------------------------------------------- */

static void put_texts(er_buf *o, const char *prefix, const er_text *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        er_buf_puts(o, prefix);
        er_buf_kv(o, t[i].lang, t[i].text);
    }
}

static const char *const kind_names[] = {"", "categorical", "set", "numeric"};

/* The oldest format version that holds m: 2 when it has a reference profile or uses
 * another version-2 key, else 1, so that a model without them is written as before, byte
 * for byte. */
static int format_version_needed(const engrate_model *m)
{
    if (m->has_reference)
        return 2;
    for (size_t i = 0; i < m->n_inputs; i++) {
        const er_input *in = &m->inputs[i];
        if (in->label || in->has_missing || in->by != ENGRATE_NO_INDEX)
            return 2;
        for (size_t l = 0; l < in->n_levels; l++)
            if (in->levels[l].name)
                return 2;
    }
    return 1;
}

static void write_model(er_buf *o, const engrate_model *m)
{
    char b[32];
    snprintf(b, sizeof b, "%d", format_version_needed(m));
    er_buf_puts(o, ER_MAGIC " ");
    er_buf_puts(o, b);
    er_buf_puts(o, "\n\n[model]\n");
    for (size_t i = 0; i < ER_META_COUNT; i++)
        if (m->meta[i])
            er_buf_kv(o, er_meta_keys[i], m->meta[i]);
    er_buf_kv(o, "transform", m->transform == ENGRATE_TRANSFORM_LOG ? "log" : "none");
    er_buf_kn(o, "intercept", m->intercept);
    for (size_t i = 0; i < m->n_sources; i++)
        er_buf_kv(o, "source", m->sources[i]);
    int any = 0;
    for (size_t i = 0; i < ER_TRAIN_COUNT; i++)
        any |= !isnan(m->training[i]);
    if (any) {
        er_buf_puts(o, "\n[training]\n");
        for (size_t i = 0; i < ER_TRAIN_COUNT; i++)
            if (!isnan(m->training[i]))
                er_buf_kn(o, er_training_keys[i], m->training[i]);
    }
    er_buf_puts(o, "\n[interval]\n");
    er_buf_kn(o, "level", m->level);
    er_buf_kn(o, "low", m->q_low);
    er_buf_kn(o, "high", m->q_high);
    for (size_t i = 0; i < m->n_inputs; i++) {
        const er_input *in = &m->inputs[i];
        er_buf_puts(o, "\n[input ");
        er_buf_puts(o, in->id);
        er_buf_puts(o, "]\n");
        er_buf_kv(o, "kind", kind_names[in->kind]);
        if (in->label)
            er_buf_kv(o, "label", in->label);
        put_texts(o, "label.", in->labels, in->n_labels);
        if (in->kind == ENGRATE_NUMERIC) {
            er_buf_kn(o, "min", in->min);
            er_buf_kn(o, "max", in->max);
            er_buf_kn(o, "default", in->def);
            if (in->n_knots)
                er_buf_kns(o, "knots", in->knots, in->n_knots);
            er_buf_kns(o, "coef", in->coefs, in->n_knots + 1);
            if (m->has_reference)
                er_buf_kn(o, "reference", in->ref);
            if (in->has_missing)
                er_buf_kn(o, "missing", in->missing);
            er_by_write(o, m, in);
            continue;
        }
        if (m->has_reference)
            er_buf_kn(o, "reference", in->ref);
        snprintf(b, sizeof b, "%zu", in->n_levels);
        er_buf_kv(o, "levels", b);
        for (size_t l = 0; l < in->n_levels; l++) {
            const er_level *lv = &in->levels[l];
            er_buf_puts(o, "\n[level ");
            er_buf_puts(o, lv->id);
            er_buf_puts(o, "]\n");
            er_buf_kn(o, "coef", lv->coef);
            if (lv->name)
                er_buf_kv(o, "name", lv->name);
            put_texts(o, "name.", lv->names, lv->n_names);
            for (size_t k = 0; k < lv->n_aliases; k++)
                er_buf_kv(o, "alias", lv->aliases[k]);
            if (lv->flags & ENGRATE_LEVEL_NO_EVIDENCE)
                er_buf_kv(o, "evidence", "none");
        }
    }
}

ENGRATE_API char *engrate_model_to_string(const engrate_model *m, size_t *len,
                                          engrate_error *err)
{
    er_error_clear(err);
    if (!m) {
        er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "model is NULL");
        return NULL;
    }
    er_buf o = {0};
    write_model(&o, m);
    if (o.failed) {
        free(o.s);
        er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    if (len)
        *len = o.len;
    return o.s;
}

ENGRATE_API void engrate_string_free(char *s) { free(s); }

ENGRATE_API int engrate_model_save(const engrate_model *m, const char *path, unsigned flags,
                                   engrate_error *err)
{
    er_error_clear(err);
    if (!m || !path)
        return er_error(err, ENGRATE_E_INVALID, path, 0, 0, "%s is NULL", m ? "path" : "model");
    if (flags != 0)
        return er_error(err, ENGRATE_E_INVALID, path, 0, 0, "unknown save flags 0x%x", flags);
    size_t len = 0;
    char *text = engrate_model_to_string(m, &len, err);
    if (!text)
        return err ? err->code : ENGRATE_E_NOMEM;
    int rc = er_save_text(path, text, len, err);
    free(text);
    return rc;
}
