/* estimate.c: results (the answer and its breakdown) and the estimate itself, from a
 * query (query.c). The estimate path only reads the model: a few hash lookups and a short
 * sum, with no allocation once a query and a result exist (names that are unknown or
 * aliased are copied into buffers that grow once and are then reused). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

typedef er_term term;   /* internal.h: shared with what-if */

struct engrate_result {
    const engrate_model *m;
    double estimate, low, high, level;
    double eta, base;      /* the linear predictor and the base, for the breakdown   */
    unsigned flags;
    term *terms;           /* [0] is the base */
    size_t n_terms;
    names unknown;
    names aliased;
    engrate_query *scratch; /* for engrate_estimate_profile */
};

/* ---- Results ----------------------------------------------------------------------- */

ENGRATE_API engrate_result *engrate_result_new(const engrate_model *m, engrate_error *err)
{
    er_error_clear(err);
    if (!m) {
        er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "model is NULL");
        return NULL;
    }
    engrate_result *r = calloc(1, sizeof *r);
    if (r) {
        r->m = m;
        r->terms = malloc(m->max_terms * sizeof *r->terms);
    }
    if (!r || !r->terms) {
        engrate_result_free(r);
        er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    r->estimate = r->low = r->high = r->level = NAN;
    return r;
}

ENGRATE_API void engrate_result_free(engrate_result *r)
{
    if (!r)
        return;
    free(r->terms);
    er_names_free(&r->unknown);
    er_names_free(&r->aliased);
    engrate_query_free(r->scratch);
    free(r);
}

static void result_clear(engrate_result *r)
{
    r->estimate = r->low = r->high = r->level = NAN;
    r->flags = 0;
    r->n_terms = 0;
    r->unknown.n = r->unknown.text_n = 0;
    r->aliased.n = r->aliased.text_n = 0;
}

static int copy_names(names *dst, const names *src, const char *buf)
{
    dst->n = dst->text_n = 0;
    for (size_t i = 0; i < src->n; i++) {
        const given *g = &src->items[i];
        const char *s = buf + g->offset;
        if (er_names_push(dst, g->input, g->level, s, strlen(s)))
            return ENGRATE_E_NOMEM;
    }
    return 0;
}

/* engrate_estimate once its arguments are known to be there and to fit, and r cleared
 * (so that every failure leaves the result empty, never stale). */
static int estimate(const engrate_query *q, unsigned flags, engrate_result *r,
                    engrate_error *err)
{
    const engrate_model *m = q->m;
    if (flags & ~(unsigned)ENGRATE_STRICT)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "unknown estimate flags 0x%x",
                        flags);
    if ((flags & ENGRATE_STRICT) && q->unknown.n > 0) {
        const given *g = &q->unknown.items[0];
        const char *name = er_names_at(&q->unknown, 0);
        size_t s = 0;
        if (engrate_model_suggest(m, g->input, name, &s) == 0)
            return er_error(err, ENGRATE_E_UNKNOWN_NAME, NULL, 0, 0,
                            "unknown %s '%.80s' (did you mean '%s'?)", m->inputs[g->input].id,
                            name, engrate_level_name(m, g->input, s, "en"));
        return er_error(err, ENGRATE_E_UNKNOWN_NAME, NULL, 0, 0, "unknown %s '%.80s'",
                        m->inputs[g->input].id, name);
    }

    term *t = r->terms;
    size_t n = 0;
    unsigned all = 0;
    t[n++] = (term){-1, -1, m->intercept, NAN, m->has_reference ? ENGRATE_FLAG_REFERENCE : 0,
                    -1};
    double eta = m->intercept;
    for (size_t i = 0; i < m->n_inputs; i++) {
        const er_input *in = &m->inputs[i];
        if (in->kind == ENGRATE_CATEGORICAL) {
            int32_t l = q->chosen[i];
            if (l < 0) {
                all |= ENGRATE_FLAG_MISSING;
                if (m->has_reference && in->ref_effect != 0) /* the typical role, taken out */
                    t[n++] = (term){(int32_t)i, -1, 0, NAN,
                                    ENGRATE_FLAG_REFERENCE | ENGRATE_FLAG_MISSING, -1};
                continue;
            }
            const er_level *lv = &in->levels[l];
            unsigned f = lv->flags & ENGRATE_LEVEL_NO_EVIDENCE ? ENGRATE_FLAG_NO_EVIDENCE : 0;
            t[n++] = (term){(int32_t)i, l, lv->coef, NAN, f, -1};
            eta += lv->coef;
            all |= f;
        } else if (in->kind == ENGRATE_SET) {
            const uint32_t *levels = q->set_levels + in->level_base;
            for (size_t k = 0; k < q->set_count[i]; k++) {
                const er_level *lv = &in->levels[levels[k]];
                unsigned f =
                    lv->flags & ENGRATE_LEVEL_NO_EVIDENCE ? ENGRATE_FLAG_NO_EVIDENCE : 0;
                t[n++] = (term){(int32_t)i, (int32_t)levels[k], lv->coef, NAN, f, -1};
                eta += lv->coef;
                all |= f;
            }
            if (m->has_reference && in->ref_effect != 0) /* the typical set, taken out */
                t[n++] = (term){(int32_t)i, -1, 0, NAN, ENGRATE_FLAG_REFERENCE, -1};
        } else {
            double x = in->def;
            unsigned f = ENGRATE_FLAG_DEFAULTED;
            if (q->has_number[i]) {
                x = q->number[i];
                f = 0;
                if (x < in->min || x > in->max) {
                    x = x < in->min ? in->min : in->max;
                    f = ENGRATE_FLAG_CLAMPED;
                }
            }
            /* The curve of the level its `by` input has, if it has one of its own. */
            int32_t cl = in->by == ENGRATE_NO_INDEX ? -1 : er_curve_level(in, q->chosen[in->by]);
            double e = er_numeric_effect(in, cl, x, f == ENGRATE_FLAG_DEFAULTED);
            t[n++] = (term){(int32_t)i, -1, e, x, f, cl};
            eta += e;
            all |= f;
        }
    }
    if (q->unknown.n)
        all |= ENGRATE_FLAG_UNKNOWN;

    r->n_terms = n;
    r->eta = eta;
    r->base = q->base;
    if (m->transform == ENGRATE_TRANSFORM_LOG) {
        /* exp(eta + q) as exp(eta) exp(q), with exp(q) worked out once per query: one
         * exp() per estimate instead of three, and the same to an ulp or two. */
        r->estimate = exp(eta);
        r->low = r->estimate * q->low_factor;
        r->high = r->estimate * q->high_factor;
    } else {
        r->estimate = eta;
        r->low = eta + m->q_low;
        r->high = eta + m->q_high;
    }
    r->level = m->level;
    r->flags = all;
    if (q->unknown.n && copy_names(&r->unknown, &q->unknown, q->unknown.text))
        goto nomem;
    if (q->aliased.n && copy_names(&r->aliased, &q->aliased, q->aliased.text))
        goto nomem;
    return 0;
nomem:
    result_clear(r);
    return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
}

ENGRATE_API int engrate_estimate(const engrate_query *q, unsigned flags, engrate_result *r,
                                 engrate_error *err)
{
    er_error_clear(err);
    if (r)
        result_clear(r); /* a failure empties the result (engrate.h) */
    if (!q || !r)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "%s is NULL", q ? "result" : "query");
    if (r->m != q->m)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "the result was made for another model");
    return estimate(q, flags, r, err);
}

int er_estimate_profile(const engrate_model *m, const char *role, const char *const *skills,
                        size_t n_skills, const char *const *certs, size_t n_certs,
                        const double *years, unsigned flags, engrate_result *r,
                        engrate_error *err)
{
    result_clear(r);
    if (!r->scratch && !(r->scratch = engrate_query_new(m, err)))
        return err ? err->code : ENGRATE_E_NOMEM;
    int rc = er_query_set_profile(r->scratch, role, skills, n_skills, certs, n_certs, years,
                                  err);
    return rc < 0 ? rc : estimate(r->scratch, flags, r, err);
}

ENGRATE_API int engrate_estimate_profile(const engrate_model *m, const char *role,
                                         const char *const *skills, size_t n_skills,
                                         const char *const *certs, size_t n_certs,
                                         const double *years, unsigned flags,
                                         engrate_result *r, engrate_error *err)
{
    er_error_clear(err);
    if (!m || !r || r->m != m || (n_skills && !skills) || (n_certs && !certs)) {
        if (r)
            result_clear(r); /* a failure empties the result (engrate.h) */
        if (!m || !r)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "%s is NULL",
                            m ? "result" : "model");
        if (r->m != m)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "the result was made for another model");
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "%s is NULL with a count of %zu",
                        n_skills && !skills ? "skills" : "certs",
                        n_skills && !skills ? n_skills : n_certs);
    }
    return er_estimate_profile(m, role, skills, n_skills, certs, n_certs, years, flags, r,
                               err);
}

const engrate_model *er_query_model(const engrate_query *q) { return q->m; }

const er_term *er_result_terms(const engrate_result *r, size_t *n)
{
    *n = r->n_terms;
    return r->terms;
}

void er_result_summary(const engrate_result *r, double *estimate, double *low, double *high,
                       unsigned *flags)
{
    *estimate = r->estimate;
    *low = r->low;
    *high = r->high;
    *flags = r->flags;
}

/* ---- Result accessors -------------------------------------------------------------- */

#define RESULT_FIELD(fn, type, field, none)                                                \
    ENGRATE_API type fn(const engrate_result *r) { return r ? r->field : none; }
RESULT_FIELD(engrate_result_estimate, double, estimate, NAN)
RESULT_FIELD(engrate_result_low, double, low, NAN)
RESULT_FIELD(engrate_result_high, double, high, NAN)
RESULT_FIELD(engrate_result_level, double, level, NAN)
RESULT_FIELD(engrate_result_flags, unsigned, flags, 0)
RESULT_FIELD(engrate_result_contribution_count, size_t, n_terms, 0)
RESULT_FIELD(engrate_result_unknown_count, size_t, unknown.n, 0)
RESULT_FIELD(engrate_result_aliased_count, size_t, aliased.n, 0)

/* The amounts are worked out here, when asked for, rather than by every estimate: most
 * callers never look at the breakdown (the batch call cannot), and with a log model its
 * scale costs an expm1, the dearest step of an estimate. The same expressions give the
 * same bits whenever they are evaluated. */
ENGRATE_API double engrate_result_contribution_amount(const engrate_result *r, size_t i)
{
    if (!r || i >= r->n_terms)
        return NAN;
    if (i == 0)
        return r->base;
    const engrate_model *m = r->m;
    /* Measured from the reference (when the model has one): a categorical or numeric
     * input's term and a reference row less the input's typical effect; a set's levels
     * keep their own effects, the set's reference row taking its typical one out. */
    const term *t = &r->terms[i];
    const er_input *in = &m->inputs[t->input];
    double effect = in->kind == ENGRATE_SET && t->level >= 0 ? t->effect
                                                             : t->effect - in->ref_effect;
    /* A curve that varies by a level (models/FORMAT.md, "Curves that vary by a level"):
     * the numeric input's amount is measured from its level's curve at the typical value,
     * and the level's amount takes what its curve adds there. */
    if (m->has_reference && in->kind == ENGRATE_NUMERIC && t->curve >= 0)
        effect = t->effect - er_curve_with(in, er_curve_coefs(in, t->curve), in->ref);
    else if (m->has_reference && in->is_by && t->level >= 0)
        effect += er_by_reference_shift(m, (size_t)t->input, t->level);
    if (m->transform != ENGRATE_TRANSFORM_LOG)
        return effect;
    /* Log-mean Divisia split: L(E, B) = (E - B) / (ln E - ln B) = B expm1(T) / T. */
    double total = r->eta - m->base_eta;
    double lmean = total == 0 ? r->base : r->base * expm1(total) / total;
    return effect * lmean;
}

/* An index kept as int32_t, -1 for none, as the API gives it. */
static size_t index_or_none(int32_t i)
{
    return i < 0 ? ENGRATE_NO_INDEX : (size_t)i;
}

ENGRATE_API size_t engrate_result_contribution_input(const engrate_result *r, size_t i)
{
    return r && i < r->n_terms ? index_or_none(r->terms[i].input) : ENGRATE_NO_INDEX;
}

ENGRATE_API size_t engrate_result_contribution_level(const engrate_result *r, size_t i)
{
    return r && i < r->n_terms ? index_or_none(r->terms[i].level) : ENGRATE_NO_INDEX;
}

ENGRATE_API double engrate_result_contribution_value(const engrate_result *r, size_t i)
{
    return r && i < r->n_terms ? r->terms[i].value : NAN;
}

ENGRATE_API size_t engrate_result_contribution_curve_level(const engrate_result *r, size_t i)
{
    if (!r || i >= r->n_terms || r->terms[i].input < 0 ||
        r->m->inputs[r->terms[i].input].kind != ENGRATE_NUMERIC)
        return ENGRATE_NO_INDEX;
    return index_or_none(r->terms[i].curve);
}

ENGRATE_API unsigned engrate_result_contribution_flags(const engrate_result *r, size_t i)
{
    return r && i < r->n_terms ? r->terms[i].flags : 0;
}

ENGRATE_API const char *engrate_result_unknown_name(const engrate_result *r, size_t i)
{
    return r && i < r->unknown.n ? er_names_at(&r->unknown, i) : NULL;
}

ENGRATE_API size_t engrate_result_unknown_input(const engrate_result *r, size_t i)
{
    return r && i < r->unknown.n ? (size_t)r->unknown.items[i].input : ENGRATE_NO_INDEX;
}

ENGRATE_API const char *engrate_result_aliased_given(const engrate_result *r, size_t i)
{
    return r && i < r->aliased.n ? er_names_at(&r->aliased, i) : NULL;
}

ENGRATE_API size_t engrate_result_aliased_input(const engrate_result *r, size_t i)
{
    return r && i < r->aliased.n ? (size_t)r->aliased.items[i].input : ENGRATE_NO_INDEX;
}

ENGRATE_API size_t engrate_result_aliased_level(const engrate_result *r, size_t i)
{
    return r && i < r->aliased.n ? index_or_none(r->aliased.items[i].level) : ENGRATE_NO_INDEX;
}
