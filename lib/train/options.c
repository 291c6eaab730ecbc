/* train_options.c: engrate_train_options_*, the trainer's options: what each key takes,
 * checked when it is set (docs/training.md lists them), so that a bad option is refused
 * before any data are read. train.c reads the struct (train.h). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    o->folds = 5;
    o->min_count = 3;
    o->interval = 0.8;
    o->sample = ER_TRAIN_SAMPLE_DEFAULT;
    return o;
}

static void free_inputs(opt_input *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(in[i].col);
        free(in[i].knots);
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

static int replace_str(char **slot, const char *v)
{
    char *d = er_dup_str(v);
    if (!d)
        return ENGRATE_E_NOMEM;
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

static int add_input(engrate_train_options *o, int kind, const char *value, engrate_error *err)
{
    const char *flag = kind == ENGRATE_CATEGORICAL ? "categorical"
                       : kind == ENGRATE_SET       ? "set"
                                                   : "numeric";
    if (!value || !*value)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "--%s needs a column name", flag);
    if (o->n_inputs >= ER_MAX_INPUTS)
        return er_error(err, ENGRATE_E_LIMIT, NULL, 0, 0, "more than %d inputs", ER_MAX_INPUTS);
    opt_input in;
    memset(&in, 0, sizeof in);
    in.kind = kind;
    const char *colon = kind == ENGRATE_CATEGORICAL ? NULL : strchr(value, ':');
    size_t clen = colon ? (size_t)(colon - value) : strlen(value);
    if (!er_valid_id(value, clen))
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "--%s %s: the column name is the input's id and must be 1-%d "
                        "bytes of A-Z a-z 0-9 _ + # . -",
                        flag, value, ER_MAX_ID_BYTES);
    for (size_t i = 0; i < o->n_inputs; i++)
        if (strlen(o->inputs[i].col) == clen && !memcmp(o->inputs[i].col, value, clen))
            return er_error(err, ENGRATE_E_DUPLICATE, NULL, 0, 0,
                            "column '%.*s' is given as an input twice", (int)clen, value);
    if (kind == ENGRATE_SET) {
        const char *sep = colon ? colon + 1 : ";";
        if (!*sep || strlen(sep) >= sizeof in.sep || strpbrk(sep, "\"\r\n"))
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--set %s: the separator must be 1-8 bytes, no quote or line "
                            "break",
                            value);
        strcpy(in.sep, sep);
    }
    if (kind == ENGRATE_NUMERIC && colon) {
        const char *k = colon + 1;
        if (strncmp(k, "knots=", 6) != 0 || !k[6])
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--numeric %s: expected COL:knots=K1,K2,...", value);
        k += 6;
        size_t cap = 1;
        for (const char *p = k; *p; p++)
            cap += *p == ',';
        if (cap > ER_MAX_KNOTS)
            return er_error(err, ENGRATE_E_LIMIT, NULL, 0, 0, "--numeric %s: more than %d knots",
                            value, ER_MAX_KNOTS);
        in.knots = malloc(cap * sizeof *in.knots);
        if (!in.knots)
            return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        while (*k) {
            const char *e = strchr(k, ',');
            size_t n = e ? (size_t)(e - k) : strlen(k);
            double v;
            if (er_parse_double(k, n, &v) || fabs(v) > ER_MAX_ABS_NUMERIC ||
                (in.n_knots && v <= in.knots[in.n_knots - 1])) {
                free(in.knots);
                return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                                "--numeric %s: knots must be strictly increasing numbers "
                                "within +-1e9",
                                value);
            }
            in.knots[in.n_knots++] = v;
            k += n + (e ? 1 : 0);
            if (e && !*k) {
                free(in.knots);
                return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                                "--numeric %s: empty knot", value);
            }
        }
    }
    in.col = malloc(clen + 1);
    opt_input *t = realloc(o->inputs, (o->n_inputs + 1) * sizeof *t);
    if (!in.col || !t) {
        free(in.col);
        free(in.knots);
        if (t)
            o->inputs = t;
        return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    memcpy(in.col, value, clen);
    in.col[clen] = '\0';
    o->inputs = t;
    o->inputs[o->n_inputs++] = in;
    return 0;
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

ENGRATE_API int engrate_train_options_set(engrate_train_options *o, const char *key,
                                          const char *v, engrate_error *err)
{
    er_error_clear(err);
    if (!o || !key)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "no options or no key");
    int b;
    long l;
    if (!strcmp(key, "no-intercept") || !strcmp(key, "skip-bad-rows")) {
        if ((b = parse_bool(v)) < 0)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--%s takes yes/no, true/false or 1/0, not '%s'", key, v);
        if (key[0] == 'n')
            o->intercept = !b;
        else
            o->skip_bad = b;
        return 0;
    }
    if (!v)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "--%s needs a value", key);
    if (!strcmp(key, "target") || !strcmp(key, "weight")) {
        if (!*v || strlen(v) > 1000)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "--%s needs a column name", key);
        if (replace_str(key[0] == 't' ? &o->target : &o->weight, v))
            return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return 0;
    }
    if (!strcmp(key, "transform")) {
        if (!strcmp(v, "log"))
            o->transform = ENGRATE_TRANSFORM_LOG;
        else if (!strcmp(v, "none"))
            o->transform = ENGRATE_TRANSFORM_NONE;
        else
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--transform takes log or none, not '%s'", v);
        return 0;
    }
    if (!strcmp(key, "categorical"))
        return add_input(o, ENGRATE_CATEGORICAL, v, err);
    if (!strcmp(key, "set"))
        return add_input(o, ENGRATE_SET, v, err);
    if (!strcmp(key, "numeric"))
        return add_input(o, ENGRATE_NUMERIC, v, err);
    if (!strcmp(key, "lambda")) {
        double x;
        if (!strcmp(v, "auto")) {
            o->lambda_auto = 1;
            return 0;
        }
        if (er_parse_double(v, strlen(v), &x) || x < 0)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--lambda takes auto or a number >= 0, not '%s'", v);
        o->lambda_auto = 0;
        o->lambda = x;
        return 0;
    }
    if (!strcmp(key, "folds")) {
        if (parse_long(v, 0, 100, &l) || l == 1)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--folds takes 0 (no cross-validation) or 2..100, not '%s'", v);
        o->folds = (int)l;
        return 0;
    }
    if (!strcmp(key, "min-count")) {
        if (parse_long(v, 1, 1000000000, &l))
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--min-count takes a whole number >= 1, not '%s'", v);
        o->min_count = l;
        return 0;
    }
    if (!strcmp(key, "interval")) {
        double x;
        if (er_parse_double(v, strlen(v), &x) || !(x > 0 && x < 1))
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--interval takes a level between 0 and 1 (e.g. 0.8), not '%s'", v);
        o->interval = x;
        return 0;
    }
    if (!strcmp(key, "name") || !strcmp(key, "levels")) {
        if (key[0] == 'n' && !er_one_line(v))
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--name must be one line of UTF-8 text");
        if (!*v)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "--levels needs a file");
        if (replace_str(key[0] == 'n' ? &o->meta[ER_META_NAME] : &o->levels, v))
            return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return 0;
    }
    if (!strcmp(key, "meta")) {
        const char *eq = strchr(v, '=');
        for (int k = 0; eq && k < ER_META_COUNT; k++) {
            if (strlen(er_meta_keys[k]) == (size_t)(eq - v) &&
                !memcmp(er_meta_keys[k], v, (size_t)(eq - v))) {
                if (!valid_meta(k, eq + 1))
                    return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                                    "--meta %s: not a valid %s (see models/FORMAT.md)", v,
                                    er_meta_keys[k]);
                if (replace_str(&o->meta[k], eq + 1))
                    return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
                return 0;
            }
        }
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "--meta takes KEY=VALUE with KEY one of name, description, currency, "
                        "period, basis, as_of; not '%s'",
                        v);
    }
    if (!strcmp(key, "source")) {
        if (!er_one_line(v))
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--source must be one line of UTF-8 text");
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
    if (!strcmp(key, "threads")) {
        if (parse_long(v, 0, 2, &l))
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--threads takes 0 (automatic), 1 or 2, not '%s'", v);
        o->threads = (int)l;
        return 0;
    }
    if (!strcmp(key, "sample")) {
        if (parse_long(v, 100, 100000000, &l))
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "--sample takes a number of rows >= 100, not '%s'", v);
        o->sample = (size_t)l;
        return 0;
    }
    return er_error(err, ENGRATE_E_UNKNOWN_KEY, NULL, 0, 0, "unknown training option '%s'", key);
}

