/* bylevel.c: numeric curves that vary by the level of a categorical input (format version
 * 2; models/FORMAT.md, "Curves that vary by a level"), e.g. years of experience by
 * country: the `by` keys of an [input], their checks once every input is read (a `by` may
 * name an input further down the file), the levels' curves the estimate uses, their
 * canonical lines, and the accessors of the public API. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

/* ---- Reading ----------------------------------------------------------------------- */

/* Room for one more deviation in a pool array of n (capacities 4, 8, 16 ...). */
static er_dev *one_more(er_pool *pool, er_dev *arr, size_t n)
{
    if (arr && (n < 4 || (n & (n - 1)) != 0))
        return arr;
    er_dev *bigger = er_pool_alloc(pool, (n < 4 ? 4 : 2 * n) * sizeof *bigger);
    if (bigger && n)
        memcpy(bigger, arr, n * sizeof *arr);
    return bigger;
}

/* An id in a key or a value: 0, or the error. */
static int check_id(er_parser *p, er_span id, const char *ls, const char *what)
{
    if (id.n > ER_MAX_ID_BYTES)
        return er_fmt_fail(p, ENGRATE_E_LIMIT, id.s, ls, "%s longer than %d bytes", what,
                           ER_MAX_ID_BYTES);
    if (!er_valid_id(id.s, id.n))
        return er_fmt_fail(p, ENGRATE_E_SYNTAX, id.s, ls,
                           "'%.*s' is not %s (1 to %d of A-Z a-z 0-9 _ + # . -)",
                           (int)(id.n > 80 ? 80 : id.n), id.s, what, ER_MAX_ID_BYTES);
    return 0;
}

/* `by.LEVEL = d0 d1 ...`: as many numbers as `coef`, which must come first. */
static int deviation_key(er_parser *p, er_span key, er_span v, const char *ls)
{
    er_input *in = p->input;
    er_span id = {key.s + 3, key.n - 3};
    int rc = check_id(p, id, ls, "a level id");
    if (rc)
        return rc;
    if (!in->coefs)
        return er_fmt_fail(p, ENGRATE_E_SYNTAX, key.s, ls,
                           "'%.*s' must come after coef (it has as many numbers)",
                           (int)(key.n > 80 ? 80 : key.n), key.s);
    if (in->n_devs == ER_MAX_LEVELS)
        return er_fmt_fail(p, ENGRATE_E_LIMIT, key.s, ls, "more than %d deviations",
                           ER_MAX_LEVELS);
    double *d = NULL;
    size_t n = 0;
    if ((rc = er_fmt_numbers(p, v, ls, &d, &n, ER_MAX_KNOTS + 1)))
        return rc;
    if (n != in->n_knots + 1)
        return er_fmt_fail(p, ENGRATE_E_MISSING, v.s, ls,
                           "%.*s has %zu number%s; like coef it needs %zu", (int)key.n,
                           key.s, n, n == 1 ? "" : "s", in->n_knots + 1);
    er_dev *devs = one_more(&p->m->pool, in->devs, in->n_devs);
    const char *level_id = er_pool_strndup(&p->m->pool, id.s, id.n);
    if (!devs || !level_id)
        return er_fmt_fail(p, ENGRATE_E_NOMEM, NULL, NULL, "out of memory");
    in->devs = devs;
    in->devs[in->n_devs++] = (er_dev){level_id, d, 0, p->line, (int)(key.s - ls) + 1};
    return 0;
}

int er_by_key(er_parser *p, er_span key, er_span v, const char *ls)
{
    er_input *in = p->input;
    int rc = er_fmt_needs_v2(p, key, ls, "input");
    if (rc)
        return rc;
    if (in->kind == 0)
        return er_fmt_fail(p, ENGRATE_E_MISSING, key.s, ls, "'kind' must come first in [input]");
    if (in->kind != ENGRATE_NUMERIC)
        return er_fmt_fail(p, ENGRATE_E_UNKNOWN_KEY, key.s, ls,
                           "'%.*s' is only for numeric inputs", (int)(key.n > 80 ? 80 : key.n),
                           key.s);
    if (key.n > 2)
        return deviation_key(p, key, v, ls);
    er_by_at *at = &p->by_at[in - p->m->inputs];
    if (at->id)
        return er_fmt_fail(p, ENGRATE_E_DUPLICATE, key.s, ls, "'by' given twice");
    if ((rc = check_id(p, v, ls, "an input id")))
        return rc;
    if (!(at->id = er_pool_strndup(&p->m->pool, v.s, v.n)))
        return er_fmt_fail(p, ENGRATE_E_NOMEM, NULL, NULL, "out of memory");
    at->line = p->line;
    at->col = (int)(v.s - ls) + 1;
    return 0;
}

int er_by_end_input(er_parser *p)
{
    er_input *in = p->input;
    if (in->n_devs && !p->by_at[in - p->m->inputs].id)
        return er_error(p->err, ENGRATE_E_MISSING, p->source, in->devs[0].line,
                        in->devs[0].col,
                        "input '%s' has a deviation (by.%s) but no 'by' naming the input "
                        "whose levels they are",
                        in->id, in->devs[0].level_id);
    return 0;
}

/* The level of input `by` whose id is exactly dv's: 0 with *level, or the error. */
static int find_level(er_parser *p, const er_input *in, size_t by, const er_dev *dv,
                      size_t *level)
{
    const engrate_model *m = p->m;
    const er_input *b = &m->inputs[by];
    unsigned flags = 0;
    int rc = er_find_level(m, by, dv->level_id, strlen(dv->level_id), level, &flags);
    if (rc == 0 && strcmp(b->levels[*level].id, dv->level_id) == 0)
        return 0;
    if (rc == 0)
        return er_error(p->err, ENGRATE_E_INVALID, p->source, dv->line, dv->col,
                        "input '%s': by.%s names no level of '%s' (a deviation names the "
                        "level by its id: did you mean by.%s?)",
                        in->id, dv->level_id, b->id, b->levels[*level].id);
    return er_error(p->err, ENGRATE_E_INVALID, p->source, dv->line, dv->col,
                    "input '%s': by.%s names no level of '%s'", in->id, dv->level_id, b->id);
}

/* Input i's `by`, once every input is read: the input it names, and its levels' curves. */
static int resolve_input(er_parser *p, size_t i)
{
    engrate_model *m = p->m;
    er_input *in = &m->inputs[i];
    const er_by_at *at = &p->by_at[i];
    size_t by = ENGRATE_NO_INDEX;
    if (engrate_model_input_index(m, at->id, &by) < 0)
        return er_error(p->err, ENGRATE_E_INVALID, p->source, at->line, at->col,
                        "input '%s': by names no input '%s'", in->id, at->id);
    er_input *b = &m->inputs[by];
    if (b->kind != ENGRATE_CATEGORICAL)
        return er_error(p->err, ENGRATE_E_INVALID, p->source, at->line, at->col,
                        "input '%s': by must name a categorical input, and '%s' is %s",
                        in->id, b->id, b->kind == ENGRATE_SET ? "a set" : "numeric");
    size_t w = in->n_knots + 1;
    in->curve_of = er_pool_alloc(&m->pool, (b->n_levels ? b->n_levels : 1) * sizeof(uint32_t));
    in->curves = er_pool_alloc(&m->pool, (in->n_devs ? in->n_devs : 1) * w * sizeof(double));
    if (!in->curve_of || !in->curves)
        return er_error(p->err, ENGRATE_E_NOMEM, p->source, 0, 0, "out of memory");
    memset(in->curve_of, 0xff, b->n_levels * sizeof(uint32_t));
    for (size_t k = 0; k < in->n_devs; k++) {
        er_dev *dv = &in->devs[k];
        size_t l = 0;
        int rc = find_level(p, in, by, dv, &l);
        if (rc)
            return rc;
        if (in->curve_of[l] != UINT32_MAX)
            return er_error(p->err, ENGRATE_E_DUPLICATE, p->source, dv->line, dv->col,
                            "input '%s': by.%s given twice", in->id, dv->level_id);
        if (b->levels[l].flags & ENGRATE_LEVEL_NO_EVIDENCE)
            return er_error(p->err, ENGRATE_E_INVALID, p->source, dv->line, dv->col,
                            "input '%s': level '%s' has evidence = none, so no curve of its "
                            "own",
                            in->id, dv->level_id);
        for (size_t j = 0; j < w; j++) {
            double c = in->coefs[j] + dv->d[j];
            if (!isfinite(c))
                return er_error(p->err, ENGRATE_E_INVALID, p->source, dv->line, dv->col,
                                "input '%s': coef + by.%s is not finite", in->id,
                                dv->level_id);
            in->curves[k * w + j] = c;
        }
        dv->level = (uint32_t)l;
        in->curve_of[l] = (uint32_t)k;
    }
    in->by = by;
    b->is_by = 1;
    return 0;
}

int er_by_resolve(er_parser *p)
{
    for (size_t i = 0; i < p->m->n_inputs; i++) {
        int rc = p->by_at[i].id ? resolve_input(p, i) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- Writing ----------------------------------------------------------------------- */

void er_by_write(er_buf *o, const engrate_model *m, const er_input *in)
{
    if (in->by == ENGRATE_NO_INDEX)
        return;
    const er_input *b = &m->inputs[in->by];
    er_buf_kv(o, "by", b->id);
    for (size_t l = 0; l < b->n_levels; l++) {
        if (in->curve_of[l] == UINT32_MAX)
            continue;
        char key[ER_MAX_ID_BYTES + 8];
        snprintf(key, sizeof key, "by.%s", b->levels[l].id);
        er_buf_kns(o, key, in->devs[in->curve_of[l]].d, in->n_knots + 1);
    }
}

/* ---- The breakdown ----------------------------------------------------------------- */

double er_by_reference_shift(const engrate_model *m, size_t input, int32_t l)
{
    double s = 0;
    for (size_t j = 0; m->has_reference && j < m->n_inputs; j++) {
        const er_input *in = &m->inputs[j];
        if (in->kind != ENGRATE_NUMERIC || in->by != input)
            continue;
        int32_t cl = er_curve_level(in, l);
        if (cl >= 0)
            s += er_curve_with(in, er_curve_coefs(in, cl), in->ref) - in->ref_effect;
    }
    return s;
}

/* ---- Accessors --------------------------------------------------------------------- */

static const er_input *numeric_at(const engrate_model *m, size_t i)
{
    return m && i < m->n_inputs && m->inputs[i].kind == ENGRATE_NUMERIC ? &m->inputs[i]
                                                                         : NULL;
}

ENGRATE_API size_t engrate_input_by(const engrate_model *m, size_t input)
{
    const er_input *in = numeric_at(m, input);
    return in ? in->by : ENGRATE_NO_INDEX;
}

ENGRATE_API double engrate_input_deviation(const engrate_model *m, size_t input, size_t level,
                                           size_t k)
{
    const er_input *in = numeric_at(m, input);
    if (!in || in->by == ENGRATE_NO_INDEX || level >= m->inputs[in->by].n_levels ||
        k > in->n_knots || in->curve_of[level] == UINT32_MAX)
        return NAN;
    return in->devs[in->curve_of[level]].d[k];
}

ENGRATE_API double engrate_input_curve(const engrate_model *m, size_t input, size_t level,
                                       double x)
{
    const er_input *in = numeric_at(m, input);
    if (!in || isnan(x) || (level != ENGRATE_NO_INDEX &&
                            (in->by == ENGRATE_NO_INDEX || level >= m->inputs[in->by].n_levels)))
        return NAN;
    x = x < in->min ? in->min : x > in->max ? in->max : x;
    int32_t cl = level == ENGRATE_NO_INDEX ? -1 : er_curve_level(in, (int32_t)level);
    return er_curve_with(in, er_curve_coefs(in, cl), x);
}
