/* options.c: engrate_train_options_*, the trainer's options: what each key takes, checked
 * when it is set (docs/training.md lists them), so that a bad option is refused before any
 * data are read. One setter per option, found by its key in a table; the trainer reads
 * the struct (train.h). */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "train.h"

char *er_dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

ENGRATE_API engrate_train_options *engrate_train_options_new(void)
{
    engrate_train_options *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->target = er_dup_str("rate");
    if (!o->target) {
        free(o);
        return NULL;
    }
    o->transform = ENGRATE_TRANSFORM_LOG;
    o->intercept = 1;
    o->lambda_auto = 1;
    o->by_penalty_auto = 1;
    o->by_penalty = 1;
    o->folds = 5;
    o->min_count = 3;
    o->interval = 0.8;
    o->sample = ER_TRAIN_SAMPLE_DEFAULT;
    o->max_skipped = 0.05;
    o->missing = ER_MISSING_ERROR;
    return o;
}

static void free_inputs(opt_input *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(in[i].col);
        free(in[i].knots);
        free(in[i].by);
    }
    free(in);
}

ENGRATE_API void engrate_train_options_free(engrate_train_options *o)
{
    if (!o)
        return;
    free(o->target);
    free(o->weight);
    free_inputs(o->inputs, o->n_inputs);
    free(o->levels);
    free(o->encoding);
    for (size_t i = 0; i < ER_META_COUNT; i++)
        free(o->meta[i]);
    for (size_t i = 0; i < o->n_sources; i++)
        free(o->sources[i]);
    free(o->sources);
    free(o);
}

ENGRATE_API int engrate_train_options_set_progress(engrate_train_options *o,
                                                   engrate_train_progress_fn fn, void *user)
{
    if (!o)
        return ENGRATE_E_INVALID;
    o->progress = fn;
    o->progress_user = user;
    return 0;
}

/* ---- Values ------------------------------------------------------------------------ */

static int parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return -1;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > 100000000)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *v)
{
    if (!v || !*v || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true"))
        return 1;
    if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false"))
        return 0;
    return -1;
}

static int replace_str(char **slot, const char *v, engrate_error *err)
{
    char *d = er_dup_str(v);
    if (!d)
        return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    free(*slot);
    *slot = d;
    return 0;
}

int er_one_line(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > ER_MAX_LINE_BYTES / 2 || er_utf8_valid_prefix(v, n) != n)
        return 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return 0;
    return 1;
}

static int invalid(engrate_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int invalid(engrate_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = er_verror(err, ENGRATE_E_INVALID, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- Inputs ------------------------------------------------------------------------ */

/* The knots of "--numeric COL:knots=K1,K2,...", from k (after "knots=") to end. */
static int parse_knots(opt_input *in, const char *k, const char *end, const char *value,
                       engrate_error *err)
{
    size_t cap = 1;
    for (const char *p = k; p < end; p++)
        cap += *p == ',';
    if (in->knots)
        return invalid(err, "--numeric %s: knots given twice%s", value, "");
    if (cap > ER_MAX_KNOTS)
        return er_error(err, ENGRATE_E_LIMIT, NULL, 0, 0, "--numeric %s: more than %d knots",
                        value, ER_MAX_KNOTS);
    if (!(in->knots = malloc(cap * sizeof *in->knots)))
        return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    while (k < end) {
        const char *e = memchr(k, ',', (size_t)(end - k));
        size_t n = e ? (size_t)(e - k) : (size_t)(end - k);
        double v;
        if (er_parse_double(k, n, &v) || fabs(v) > ER_MAX_ABS_NUMERIC ||
            (in->n_knots && v <= in->knots[in->n_knots - 1]))
            return invalid(err, "--numeric %s: knots must be strictly increasing numbers%s",
                           value, "");
        in->knots[in->n_knots++] = v;
        k += n + (e ? 1 : 0);
        if (e && k == end)
            return invalid(err, "--numeric %s: empty knot%s", value, "");
    }
    return 0;
}

/* One option of "--numeric COL:OPTION:OPTION...", o[0..n): knots=K1,K2,..., by=COLUMN
 * (a categorical input the curve varies by) or vary=slope|knots. */
static int numeric_option(opt_input *in, const char *o, size_t n, const char *value,
                          engrate_error *err)
{
    const char *end = o + n;
    if (n > 6 && !memcmp(o, "knots=", 6))
        return parse_knots(in, o + 6, end, value, err);
    if (n > 3 && !memcmp(o, "by=", 3)) {
        if (in->by)
            return invalid(err, "--numeric %s: by given twice%s", value, "");
        if (!(in->by = malloc(n - 2)))
            return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        memcpy(in->by, o + 3, n - 3);
        in->by[n - 3] = '\0';
        if (!er_one_line(in->by) || n - 3 > ER_MAX_NAME_BYTES)
            return invalid(err, "--numeric %s: by= needs a column name%s", value, "");
        return 0;
    }
    if (n == 10 && (!memcmp(o, "vary=slope", 10) || !memcmp(o, "vary=knots", 10))) {
        in->vary = o[5] == 's' ? ER_VARY_SLOPE : ER_VARY_KNOTS;
        return 0;
    }
    return invalid(err, "--numeric %s: expected COL[:knots=K1,K2,...][:by=COLUMN"
                        "[:vary=slope|knots]]%s",
                   value, "");
}

/* COL[:SEP] or COL[:OPTION]... into in (its column, separator, knots, by). */
static int parse_input(opt_input *in, const char *flag, const char *value, engrate_error *err)
{
    const char *colon = in->kind == ENGRATE_CATEGORICAL ? NULL : strchr(value, ':');
    size_t clen = colon ? (size_t)(colon - value) : strlen(value);
    if (!(in->col = malloc(clen + 1)))
        return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    memcpy(in->col, value, clen);
    in->col[clen] = '\0';
    if (!er_one_line(in->col) || clen > ER_MAX_NAME_BYTES)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "--%s %s: a column name is 1-%d bytes of UTF-8 text on one line", flag,
                        value, ER_MAX_NAME_BYTES);
    in->has_option = colon != NULL;
    if (in->kind == ENGRATE_SET) {
        const char *sep = colon ? colon + 1 : ";";
        if (!*sep || strlen(sep) >= sizeof in->sep || strpbrk(sep, "\"\r\n"))
            return invalid(err, "--set %s: the separator must be 1-8 bytes, no quote or line "
                                "break%s",
                           value, "");
        strcpy(in->sep, sep);
    }
    for (const char *o = colon; in->kind == ENGRATE_NUMERIC && o; ) {
        const char *next = strchr(o + 1, ':');
        size_t n = next ? (size_t)(next - o - 1) : strlen(o + 1);
        int rc = numeric_option(in, o + 1, n, value, err);
        if (rc)
            return rc;
        o = next;
    }
    if (in->kind == ENGRATE_NUMERIC && in->vary && !in->by)
        return invalid(err, "--numeric %s: vary= needs by=COLUMN%s", value, "");
    return 0;
}

static int add_input(engrate_train_options *o, const char *key, const char *value,
                     engrate_error *err)
{
    opt_input in;
    memset(&in, 0, sizeof in);
    in.kind = key[0] == 'c' ? ENGRATE_CATEGORICAL : key[0] == 's' ? ENGRATE_SET : ENGRATE_NUMERIC;
    if (!*value)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "--%s needs a column name", key);
    if (o->n_inputs >= ER_MAX_INPUTS)
        return er_error(err, ENGRATE_E_LIMIT, NULL, 0, 0, "more than %d inputs", ER_MAX_INPUTS);
    int rc = parse_input(&in, key, value, err);
    for (size_t i = 0; rc == 0 && i < o->n_inputs; i++)
        if (!strcmp(o->inputs[i].col, in.col))
            rc = er_error(err, ENGRATE_E_DUPLICATE, NULL, 0, 0,
                          "column '%s' is given as an input twice", in.col);
    opt_input *t = rc ? NULL : realloc(o->inputs, (o->n_inputs + 1) * sizeof *t);
    if (!t) {
        free(in.col);
        free(in.knots);
        free(in.by);
        return rc ? rc : er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    o->inputs = t;
    o->inputs[o->n_inputs++] = in;
    return 0;
}

/* ---- The other options ------------------------------------------------------------- */

static int set_switch(engrate_train_options *o, const char *key, const char *v,
                      engrate_error *err)
{
    int b = parse_bool(v);
    if (b < 0)
        return invalid(err, "--%s takes yes/no, true/false or 1/0, not '%s'", key, v);
    if (key[0] == 'n')
        o->intercept = !b;
    else
        o->skip_bad = b;
    return 0;
}

static int set_column(engrate_train_options *o, const char *key, const char *v,
                      engrate_error *err)
{
    if (!er_one_line(v) || strlen(v) > ER_MAX_NAME_BYTES)
        return invalid(err, "--%s needs a column name%s", key, "");
    return replace_str(key[0] == 't' ? &o->target : &o->weight, v, err);
}

static int set_transform(engrate_train_options *o, const char *key, const char *v,
                         engrate_error *err)
{
    if (strcmp(v, "log") && strcmp(v, "none"))
        return invalid(err, "--%s takes log or none, not '%s'", key, v);
    o->transform = v[0] == 'l' ? ENGRATE_TRANSFORM_LOG : ENGRATE_TRANSFORM_NONE;
    return 0;
}

static int set_lambda(engrate_train_options *o, const char *key, const char *v,
                      engrate_error *err)
{
    double x;
    if (!strcmp(v, "auto")) {
        o->lambda_auto = 1;
        return 0;
    }
    if (er_parse_double(v, strlen(v), &x) || x < 0)
        return invalid(err, "--%s takes auto or a number >= 0, not '%s'", key, v);
    o->lambda_auto = 0;
    o->lambda = x;
    return 0;
}

/* --by-penalty auto|R: the penalty of a curve's per-level deviations is R times lambda's
 * (per standardised coefficient), R chosen with lambda by cross-validation when auto. */
static int set_by_penalty(engrate_train_options *o, const char *key, const char *v,
                          engrate_error *err)
{
    double x;
    if (!strcmp(v, "auto")) {
        o->by_penalty_auto = 1;
        return 0;
    }
    if (er_parse_double(v, strlen(v), &x) || x < 0 || x > 1e12)
        return invalid(err, "--%s takes auto or a number from 0 to 1e12, not '%s'", key, v);
    o->by_penalty_auto = 0;
    o->by_penalty = x;
    return 0;
}

static int set_count(engrate_train_options *o, const char *key, const char *v,
                     engrate_error *err)
{
    long l;
    if (key[0] == 'f') {
        if (parse_long(v, 0, 100, &l) || l == 1)
            return invalid(err, "--%s takes 0 (no cross-validation) or 2..100, not '%s'", key, v);
        o->folds = (int)l;
    } else if (key[0] == 'm') {
        if (parse_long(v, 1, 1000000000, &l))
            return invalid(err, "--%s takes a whole number >= 1, not '%s'", key, v);
        o->min_count = l;
    } else if (key[0] == 't') {
        if (parse_long(v, 0, 2, &l))
            return invalid(err, "--%s takes 0 (automatic), 1 or 2, not '%s'", key, v);
        o->threads = (int)l;
    } else {
        if (parse_long(v, 100, 100000000, &l))
            return invalid(err, "--%s takes a number of rows >= 100, not '%s'", key, v);
        o->sample = (size_t)l;
    }
    return 0;
}

static int set_share(engrate_train_options *o, const char *key, const char *v,
                     engrate_error *err)
{
    double x;
    int interval = key[0] == 'i';
    if (er_parse_double(v, strlen(v), &x) || !(interval ? x > 0 && x < 1 : x >= 0 && x <= 1))
        return invalid(err, interval ? "--%s takes a level between 0 and 1 (e.g. 0.8), not '%s'"
                                     : "--%s takes a share of the rows, 0 to 1 (e.g. 0.05), "
                                       "not '%s'",
                       key, v);
    *(interval ? &o->interval : &o->max_skipped) = x;
    return 0;
}

static int set_name_or_levels(engrate_train_options *o, const char *key, const char *v,
                              engrate_error *err)
{
    if (key[0] == 'n' && !er_one_line(v))
        return invalid(err, "--%s must be one line of UTF-8 text%s", key, "");
    if (!*v)
        return invalid(err, "--%s needs a file%s", key, "");
    return replace_str(key[0] == 'n' ? &o->meta[ER_META_NAME] : &o->levels, v, err);
}

static int valid_meta(int k, const char *v)
{
    size_t n = strlen(v);
    if (!er_one_line(v))
        return 0;
    if (k == ER_META_CURRENCY)
        return n == 3 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z' &&
               v[2] >= 'A' && v[2] <= 'Z';
    if (k == ER_META_PERIOD)
        return !strcmp(v, "hour") || !strcmp(v, "day") || !strcmp(v, "week") ||
               !strcmp(v, "month") || !strcmp(v, "year");
    if (k == ER_META_AS_OF) {
        static const char *const shapes[] = {"DDDD", "DDDD-DD", "DDDD-DD-DD"};
        for (size_t s = 0; s < 3; s++) {
            if (strlen(shapes[s]) != n)
                continue;
            size_t i = 0;
            while (i < n && (shapes[s][i] == 'D' ? (v[i] >= '0' && v[i] <= '9') : v[i] == '-'))
                i++;
            if (i == n)
                return 1;
        }
        return 0;
    }
    return 1;
}

static int set_meta(engrate_train_options *o, const char *key, const char *v,
                    engrate_error *err)
{
    const char *eq = strchr(v, '=');
    for (int k = 0; eq && k < ER_META_COUNT; k++) {
        if (strlen(er_meta_keys[k]) != (size_t)(eq - v) ||
            memcmp(er_meta_keys[k], v, (size_t)(eq - v)))
            continue;
        if (!valid_meta(k, eq + 1))
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--%s %s: not a valid %s (see models/FORMAT.md)", key, v,
                            er_meta_keys[k]);
        return replace_str(&o->meta[k], eq + 1, err);
    }
    return invalid(err, "--%s takes KEY=VALUE with KEY one of name, description, currency, "
                        "period, basis, as_of; not '%s'",
                   key, v);
}

static int add_source(engrate_train_options *o, const char *key, const char *v,
                      engrate_error *err)
{
    if (!er_one_line(v))
        return invalid(err, "--%s must be one line of UTF-8 text%s", key, "");
    if (o->n_sources >= ER_MAX_SOURCES)
        return er_error(err, ENGRATE_E_LIMIT, NULL, 0, 0, "more than %d sources",
                        ER_MAX_SOURCES);
    char **t = realloc(o->sources, (o->n_sources + 1) * sizeof *t);
    char *d = er_dup_str(v);
    if (t)
        o->sources = t;
    if (!t || !d) {
        free(d);
        return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    o->sources[o->n_sources++] = d;
    return 0;
}

/* ---- Spreadsheet exports: encoding, delimiter, missing values ----------------------- */

static int set_encoding(engrate_train_options *o, const char *key, const char *v,
                        engrate_error *err)
{
    int known;
    const char *name = er_csv_encoding_name(v, &known);
    if (!known || !*v)
        return invalid(err, "--%s: this system cannot decode '%s' (try CP932, EUC-JP or "
                            "UTF-8)",
                       key, v);
    if (!name) {
        free(o->encoding);
        o->encoding = NULL;
        return 0;
    }
    return replace_str(&o->encoding, name, err);
}

static int set_delimiter(engrate_train_options *o, const char *key, const char *v,
                         engrate_error *err)
{
    char d = !strcmp(v, "tab") || !strcmp(v, "\\t") ? '\t' : strlen(v) == 1 ? v[0] : 0;
    if (!d || d == '"' || d == '\r' || d == '\n' || (unsigned char)d >= 0x80)
        return invalid(err, "--%s takes one ASCII character (e.g. ';') or 'tab', not '%s'",
                       key, v);
    o->delimiter = d;
    return 0;
}

static int set_missing(engrate_train_options *o, const char *key, const char *v,
                       engrate_error *err)
{
    static const char *const ways[] = {"error", "skip", "impute"};
    for (int k = 0; k < 3; k++)
        if (!strcmp(v, ways[k])) {
            o->missing = k; /* ER_MISSING_* in this order */
            return 0;
        }
    return invalid(err, "--%s takes error, skip or impute, not '%s'", key, v);
}

/* ---- By key -------------------------------------------------------------------------- */

typedef int (*setter)(engrate_train_options *, const char *, const char *, engrate_error *);

static const struct {
    const char *key;
    setter set;
    int is_switch;
} setters[] = {
    {"target", set_column, 0},       {"weight", set_column, 0},
    {"transform", set_transform, 0}, {"categorical", add_input, 0},
    {"set", add_input, 0},           {"numeric", add_input, 0},
    {"no-intercept", set_switch, 1}, {"skip-bad-rows", set_switch, 1},
    {"lambda", set_lambda, 0},       {"by-penalty", set_by_penalty, 0},
    {"folds", set_count, 0},         {"min-count", set_count, 0},
    {"threads", set_count, 0},       {"sample", set_count, 0},
    {"interval", set_share, 0},      {"max-skipped", set_share, 0},
    {"name", set_name_or_levels, 0}, {"levels", set_name_or_levels, 0},
    {"meta", set_meta, 0},           {"source", add_source, 0},
    {"encoding", set_encoding, 0},   {"delimiter", set_delimiter, 0},
    {"missing", set_missing, 0},
};

ENGRATE_API int engrate_train_options_set(engrate_train_options *o, const char *key,
                                          const char *v, engrate_error *err)
{
    er_error_clear(err);
    if (!o || !key)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no options or no key");
    for (size_t i = 0; i < sizeof setters / sizeof setters[0]; i++) {
        if (strcmp(key, setters[i].key))
            continue;
        if (!v && !setters[i].is_switch)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "--%s needs a value", key);
        return setters[i].set(o, key, v, err);
    }
    return er_error(err, ENGRATE_E_UNKNOWN_KEY, NULL, 0, 0, "unknown training option '%.100s'",
                    key);
}
