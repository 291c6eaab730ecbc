/* estimate.c: queries (what is asked), results (the answer and its breakdown) and the
 * estimate itself. The estimate path only reads the model: a few hash lookups and a short
 * sum, with no allocation once a query and a result exist (names that are unknown or
 * aliased are copied into buffers that grow once and are then reused). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A name as given, kept for the result: unknown (level < 0) or aliased. */
typedef struct given {
    uint32_t input;
    int32_t level;
    size_t offset;   /* into the owner's text buffer */
} given;

typedef struct names {
    given *items;
    size_t n, cap;
    char *text;
    size_t text_n, text_cap;
} names;

static int names_push(names *ns, size_t input, int level, const char *s, size_t len)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 8;
        given *items = realloc(ns->items, cap * sizeof *items);
        if (!items)
            return ENGRATE_E_NOMEM;
        ns->items = items;
        ns->cap = cap;
    }
    if (ns->text_cap - ns->text_n < len + 1) {
        size_t cap = ns->text_cap ? ns->text_cap : 256;
        while (cap - ns->text_n < len + 1)
            cap *= 2;
        char *text = realloc(ns->text, cap);
        if (!text)
            return ENGRATE_E_NOMEM;
        ns->text = text;
        ns->text_cap = cap;
    }
    memcpy(ns->text + ns->text_n, s, len);
    ns->text[ns->text_n + len] = '\0';
    ns->items[ns->n++] = (given){(uint32_t)input, (int32_t)level, ns->text_n};
    ns->text_n += len + 1;
    return 0;
}

static void names_free(names *ns)
{
    free(ns->items);
    free(ns->text);
}

static const char *names_at(const names *ns, size_t i)
{
    return ns->text + ns->items[i].offset;
}

struct engrate_query {
    const engrate_model *m;
    int32_t *chosen;       /* per input: categorical level or -1                  */
    double *number;        /* per input: numeric value                           */
    unsigned char *has_number;
    uint32_t *set_count;   /* per input: levels added to a set input              */
    uint32_t *set_levels;  /* per model level: a set input's levels, in the order given,
                            * in the run that starts at its level_base (a level given
                            * twice counts once, so each input's run fits)          */
    uint32_t *stamp;       /* per model level: == generation when added           */
    uint32_t generation;
    names unknown;
    names aliased;
    /* Worked out once from the model, which never changes, so that an estimate does not
     * redo them: the inputs engrate_estimate_profile fills (index or -1) and the base. */
    int profile_inputs[4]; /* PROFILE_ROLE ... PROFILE_YEARS                         */
    double base;           /* the intercept on the rate scale                        */
    double low_factor, high_factor; /* log models: exp(q_low), exp(q_high)           */
};

enum { PROFILE_ROLE, PROFILE_SKILLS, PROFILE_CERTS, PROFILE_YEARS };
static const char *const profile_ids[4] = {"role", "skills", "certs", "years"};

typedef struct term {
    int32_t input;
    int32_t level;
    double effect;         /* on the transformed scale */
    double value;
    unsigned flags;
} term;

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

static double inverse(const engrate_model *m, double eta)
{
    return m->transform == ENGRATE_TRANSFORM_LOG ? exp(eta) : eta;
}

/* ---- Queries ----------------------------------------------------------------------- */

/* The public functions wrap static ones so that the library's own calls on the estimate
 * path are direct calls the compiler can inline, not calls through the PLT that every
 * exported function of a shared library gets. */
static void query_reset(engrate_query *q);

ENGRATE_API engrate_query *engrate_query_new(const engrate_model *m, engrate_error *err)
{
    er_error_clear(err);
    if (!m) {
        er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "model is NULL");
        return NULL;
    }
    engrate_query *q = calloc(1, sizeof *q);
    size_t ni = m->n_inputs ? m->n_inputs : 1, nl = m->total_levels ? m->total_levels : 1;
    if (q) {
        q->m = m;
        q->chosen = malloc(ni * sizeof *q->chosen);
        q->number = calloc(ni, sizeof *q->number);
        q->has_number = calloc(ni, 1);
        q->set_count = malloc(ni * sizeof *q->set_count);
        q->set_levels = malloc(nl * sizeof *q->set_levels);
        q->stamp = calloc(nl, sizeof *q->stamp);
    }
    if (!q || !q->chosen || !q->number || !q->has_number || !q->set_count || !q->set_levels ||
        !q->stamp) {
        engrate_query_free(q);
        er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    for (int k = 0; k < 4; k++)
        q->profile_inputs[k] = engrate_model_input_index(m, profile_ids[k]);
    q->base = inverse(m, m->intercept);
    q->low_factor = exp(m->q_low);
    q->high_factor = exp(m->q_high);
    query_reset(q);
    return q;
}

ENGRATE_API void engrate_query_free(engrate_query *q)
{
    if (!q)
        return;
    free(q->chosen);
    free(q->number);
    free(q->has_number);
    free(q->set_count);
    free(q->set_levels);
    free(q->stamp);
    names_free(&q->unknown);
    names_free(&q->aliased);
    free(q);
}

static void query_reset(engrate_query *q)
{
    for (size_t i = 0; i < q->m->n_inputs; i++) {
        q->chosen[i] = -1;
        q->has_number[i] = 0;
        q->set_count[i] = 0;
    }
    if (++q->generation == 0) { /* wrapped: clear the stamps once every 2^32 resets */
        memset(q->stamp, 0, q->m->total_levels * sizeof *q->stamp);
        q->generation = 1;
    }
    q->unknown.n = q->unknown.text_n = 0;
    q->aliased.n = q->aliased.text_n = 0;
}

ENGRATE_API void engrate_query_reset(engrate_query *q)
{
    if (q)
        query_reset(q);
}

/* Add a level of input in = &q->m->inputs[input], a categorical or set input. */
static inline int add_level(engrate_query *q, const er_input *in, size_t input, size_t level)
{
    if (in->kind == ENGRATE_CATEGORICAL) {
        q->chosen[input] = (int32_t)level;
        return 0;
    }
    size_t g = in->level_base + level;
    if (q->stamp[g] != q->generation) { /* a level given twice counts once */
        q->stamp[g] = q->generation;
        q->set_levels[in->level_base + q->set_count[input]++] = (uint32_t)level;
    }
    return 0;
}

static int input_by_id(const engrate_query *q, const char *id, engrate_error *err)
{
    if (!id)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "input id is NULL");
    int i = engrate_model_input_index(q->m, id);
    if (i < 0)
        return er_error(err, ENGRATE_E_UNKNOWN_NAME, NULL, 0, 0,
                        "the model has no input '%.64s'", id);
    return i;
}

/* The name matching shared by engrate_query_add and the profile call. */
static int add_name(engrate_query *q, size_t input, const char *name, engrate_error *err)
{
    const er_input *in = &q->m->inputs[input];
    if (in->kind == ENGRATE_NUMERIC)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "input '%s' is numeric: give it a number", in->id);
    if (!name)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "a name for '%s' is NULL", in->id);
    int aliased = 0;
    int level = er_find_level(q->m, input, name, &aliased);
    if (level == ENGRATE_E_UTF8)
        return er_error(err, ENGRATE_E_UTF8, NULL, 0, 0,
                        "a name given for '%s' is not valid UTF-8", in->id);
    if (level == ENGRATE_E_UNKNOWN_NAME) {
        if (names_push(&q->unknown, input, -1, name, strlen(name)))
            return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return 1;
    }
    if (level < 0)
        return er_error(err, level, NULL, 0, 0, "cannot match a name for '%s'", in->id);
    if (aliased && names_push(&q->aliased, input, level, name, strlen(name)))
        return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    return add_level(q, in, input, (size_t)level);
}

ENGRATE_API int engrate_query_add(engrate_query *q, const char *input, const char *name,
                                  engrate_error *err)
{
    er_error_clear(err);
    if (!q)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "query is NULL");
    int i = input_by_id(q, input, err);
    return i < 0 ? i : add_name(q, (size_t)i, name, err);
}

ENGRATE_API int engrate_query_add_level(engrate_query *q, size_t input, size_t level,
                                        engrate_error *err)
{
    er_error_clear(err);
    if (!q)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "query is NULL");
    if (input >= q->m->n_inputs || q->m->inputs[input].kind == ENGRATE_NUMERIC ||
        level >= q->m->inputs[input].n_levels)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "no level %zu of a categorical or set input %zu", level, input);
    return add_level(q, &q->m->inputs[input], input, level);
}

static int set_number_at(engrate_query *q, size_t input, double value, engrate_error *err)
{
    if (input >= q->m->n_inputs || q->m->inputs[input].kind != ENGRATE_NUMERIC)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "input %zu is not numeric", input);
    if (!isfinite(value))
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "%s must be a finite number",
                        q->m->inputs[input].id);
    q->number[input] = value;
    q->has_number[input] = 1;
    return 0;
}

ENGRATE_API int engrate_query_set_number_at(engrate_query *q, size_t input, double value,
                                            engrate_error *err)
{
    er_error_clear(err);
    if (!q)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "query is NULL");
    return set_number_at(q, input, value, err);
}

ENGRATE_API int engrate_query_set_number(engrate_query *q, const char *input, double value,
                                         engrate_error *err)
{
    er_error_clear(err);
    if (!q)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "query is NULL");
    int i = input_by_id(q, input, err);
    return i < 0 ? i : set_number_at(q, (size_t)i, value, err);
}

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
    names_free(&r->unknown);
    names_free(&r->aliased);
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
        if (names_push(dst, g->input, g->level, s, strlen(s)))
            return ENGRATE_E_NOMEM;
    }
    return 0;
}

/* The value of a numeric input's curve at x. */
static double curve(const er_input *in, double x)
{
    double y = in->coefs[0] * x;
    for (size_t k = 0; k < in->n_knots; k++)
        if (x > in->knots[k])
            y += in->coefs[k + 1] * (x - in->knots[k]);
    return y;
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
        const char *name = names_at(&q->unknown, 0);
        int s = engrate_model_suggest(m, g->input, name);
        if (s >= 0)
            return er_error(err, ENGRATE_E_UNKNOWN_NAME, NULL, 0, 0,
                            "unknown %s '%.80s' (did you mean '%s'?)", m->inputs[g->input].id,
                            name, engrate_level_name(m, g->input, (size_t)s, "en"));
        return er_error(err, ENGRATE_E_UNKNOWN_NAME, NULL, 0, 0, "unknown %s '%.80s'",
                        m->inputs[g->input].id, name);
    }

    term *t = r->terms;
    size_t n = 0;
    unsigned all = 0;
    t[n++] = (term){-1, -1, m->intercept, NAN, 0};
    double eta = m->intercept;
    for (size_t i = 0; i < m->n_inputs; i++) {
        const er_input *in = &m->inputs[i];
        if (in->kind == ENGRATE_CATEGORICAL) {
            int32_t l = q->chosen[i];
            if (l < 0) {
                all |= ENGRATE_FLAG_MISSING;
                continue;
            }
            const er_level *lv = &in->levels[l];
            unsigned f = lv->flags & ENGRATE_LEVEL_NO_EVIDENCE ? ENGRATE_FLAG_NO_EVIDENCE : 0;
            t[n++] = (term){(int32_t)i, l, lv->coef, NAN, f};
            eta += lv->coef;
            all |= f;
        } else if (in->kind == ENGRATE_SET) {
            const uint32_t *levels = q->set_levels + in->level_base;
            for (size_t k = 0; k < q->set_count[i]; k++) {
                const er_level *lv = &in->levels[levels[k]];
                unsigned f =
                    lv->flags & ENGRATE_LEVEL_NO_EVIDENCE ? ENGRATE_FLAG_NO_EVIDENCE : 0;
                t[n++] = (term){(int32_t)i, (int32_t)levels[k], lv->coef, NAN, f};
                eta += lv->coef;
                all |= f;
            }
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
            double e = curve(in, x);
            if (f == ENGRATE_FLAG_DEFAULTED && in->has_missing)
                e += in->missing; /* as training imputed it (models/FORMAT.md, `missing`) */
            t[n++] = (term){(int32_t)i, -1, e, x, f};
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

/* The index of one of the inputs engrate_estimate_profile fills, as input_by_id gives it. */
static int profile_input(const engrate_query *q, int which, engrate_error *err)
{
    int i = q->profile_inputs[which];
    if (i < 0)
        return er_error(err, ENGRATE_E_UNKNOWN_NAME, NULL, 0, 0,
                        "the model has no input '%.64s'", profile_ids[which]);
    return i;
}

int er_estimate_profile(const engrate_model *m, const char *role, const char *const *skills,
                        size_t n_skills, const char *const *certs, size_t n_certs,
                        const double *years, unsigned flags, engrate_result *r,
                        engrate_error *err)
{
    result_clear(r);
    if (!r->scratch && !(r->scratch = engrate_query_new(m, err)))
        return err ? err->code : ENGRATE_E_NOMEM;
    engrate_query *q = r->scratch;
    query_reset(q);
    int rc = 0;
    if (role) {
        rc = profile_input(q, PROFILE_ROLE, err);
        if (rc >= 0)
            rc = add_name(q, (size_t)rc, role, err);
    }
    const char *const *lists[2] = {skills, certs};
    size_t counts[2] = {n_skills, n_certs};
    for (int k = 0; k < 2 && rc >= 0; k++) {
        if (counts[k] == 0)
            continue;
        int i = profile_input(q, k == 0 ? PROFILE_SKILLS : PROFILE_CERTS, err);
        if (i < 0)
            return i;
        for (size_t j = 0; j < counts[k] && rc >= 0; j++)
            rc = add_name(q, (size_t)i, lists[k][j], err);
    }
    if (rc >= 0 && years) {
        rc = profile_input(q, PROFILE_YEARS, err);
        if (rc >= 0)
            rc = set_number_at(q, (size_t)rc, *years, err);
    }
    return rc < 0 ? rc : estimate(q, flags, r, err);
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

void er_result_summary(const engrate_result *r, double *estimate, double *low, double *high,
                       unsigned *flags, size_t *n_unknown)
{
    *estimate = r->estimate;
    *low = r->low;
    *high = r->high;
    *flags = r->flags;
    *n_unknown = r->unknown.n;
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
    if (m->transform != ENGRATE_TRANSFORM_LOG)
        return r->terms[i].effect;
    /* Log-mean Divisia split: L(E, B) = (E - B) / (ln E - ln B) = B expm1(T) / T. */
    double total = r->eta - m->intercept;
    double lmean = total == 0 ? r->base : r->base * expm1(total) / total;
    return r->terms[i].effect * lmean;
}

ENGRATE_API int engrate_result_contribution_input(const engrate_result *r, size_t i)
{
    return r && i < r->n_terms ? r->terms[i].input : ENGRATE_E_INVALID;
}

ENGRATE_API int engrate_result_contribution_level(const engrate_result *r, size_t i)
{
    return r && i < r->n_terms ? r->terms[i].level : ENGRATE_E_INVALID;
}

ENGRATE_API double engrate_result_contribution_value(const engrate_result *r, size_t i)
{
    return r && i < r->n_terms ? r->terms[i].value : NAN;
}

ENGRATE_API unsigned engrate_result_contribution_flags(const engrate_result *r, size_t i)
{
    return r && i < r->n_terms ? r->terms[i].flags : 0;
}

ENGRATE_API const char *engrate_result_unknown_name(const engrate_result *r, size_t i)
{
    return r && i < r->unknown.n ? names_at(&r->unknown, i) : NULL;
}

ENGRATE_API int engrate_result_unknown_input(const engrate_result *r, size_t i)
{
    return r && i < r->unknown.n ? (int)r->unknown.items[i].input : ENGRATE_E_INVALID;
}

ENGRATE_API const char *engrate_result_aliased_given(const engrate_result *r, size_t i)
{
    return r && i < r->aliased.n ? names_at(&r->aliased, i) : NULL;
}

ENGRATE_API int engrate_result_aliased_input(const engrate_result *r, size_t i)
{
    return r && i < r->aliased.n ? (int)r->aliased.items[i].input : ENGRATE_E_INVALID;
}

ENGRATE_API int engrate_result_aliased_level(const engrate_result *r, size_t i)
{
    return r && i < r->aliased.n ? r->aliased.items[i].level : ENGRATE_E_INVALID;
}
