/* whatif.c: what-if questions about one profile: every single change from a candidate set
 * (a level added to a set input, a categorical input given another level, a numeric input
 * raised by a step), ranked by the estimate it gives; and the reverse, the fewest
 * additions (set levels, numeric steps) that reach a target rate. The profile is
 * estimated once by engrate_estimate; each candidate then costs a short sum and one exp(),
 * adding the terms in the estimate's own order so that its numbers are the estimate
 * call's, bit for bit (a level of an input that a numeric curve varies by changes that
 * curve too: eta_by_level). Nothing here allocates after engrate_whatif_new. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NO_LEVEL UINT32_MAX

/* A candidate change and what it gives; in a path, a step taken. */
typedef struct wrec {
    double estimate, low, high;
    double delta, delta_pct; /* from the profile (a ranking) or the step before (a path) */
    double value, step;      /* numeric changes: the new value and the step; else NaN  */
    uint32_t input, level;   /* level: NO_LEVEL for a numeric change                   */
    int change;              /* ENGRATE_CHANGE_*                                       */
    unsigned flags;          /* ENGRATE_FLAG_NO_EVIDENCE, ENGRATE_FLAG_CLAMPED         */
} wrec;

struct engrate_whatif {
    const engrate_model *m;
    engrate_result *r;        /* the profile's own estimate                            */
    double low_factor, high_factor; /* log models: exp(q_low), exp(q_high), as a query */
    /* Options */
    unsigned char *vary;      /* per input                                             */
    double steps[ENGRATE_WHATIF_MAX_STEPS];
    size_t n_steps;
    /* The working profile: the estimate's terms without its reference rows (which add
     * nothing), in the estimate's order, and where each input's terms are. */
    er_term *terms;
    size_t n_terms;
    double *prefix;           /* prefix[k]: the sum of terms[0..k), added in order      */
    size_t *pos, *cnt;        /* per input: its first term (or where it would go), count */
    unsigned char *changed;   /* per input: a numeric input raised along a path          */
    uint32_t *stamp;          /* per model level: == generation when the profile has it */
    uint32_t generation;
    /* Candidates, then the ranking or the path */
    wrec *cands;
    uint32_t *order;          /* candidate indexes, best first                         */
    size_t n_cands, cap_cands;
    wrec *path;
    size_t n_path, cap_path;
    const wrec *recs;         /* what the accessors read: ranked candidates or the path */
    const uint32_t *rec_index;/* recs[rec_index[i]] for a ranking, NULL for a path      */
    size_t n_recs;
    int reached;
};

static const double default_steps[] = {1, 3, 5};

/* ---- Making one ------------------------------------------------------------------- */

ENGRATE_API void engrate_whatif_free(engrate_whatif *w)
{
    if (!w)
        return;
    engrate_result_free(w->r);
    free(w->vary);
    free(w->terms);
    free(w->prefix);
    free(w->pos);
    free(w->cnt);
    free(w->changed);
    free(w->stamp);
    free(w->cands);
    free(w->order);
    free(w->path);
    free(w);
}

ENGRATE_API engrate_whatif *engrate_whatif_new(const engrate_model *m, engrate_error *err)
{
    er_error_clear(err);
    if (!m) {
        er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "model is NULL");
        return NULL;
    }
    engrate_whatif *w = calloc(1, sizeof *w);
    if (!w)
        goto nomem;
    w->m = m;
    size_t ni = m->n_inputs ? m->n_inputs : 1, nl = m->total_levels ? m->total_levels : 1;
    size_t numeric = 0;
    for (size_t i = 0; i < m->n_inputs; i++)
        numeric += m->inputs[i].kind == ENGRATE_NUMERIC;
    /* Every candidate is a level or a step of a numeric input; every step of a path
     * changes a set's level or another input, once. */
    w->cap_cands = m->total_levels + numeric * ENGRATE_WHATIF_MAX_STEPS;
    w->cap_path = m->total_levels + m->n_inputs;
    if (!(w->r = engrate_result_new(m, err)))
        goto fail; /* err says why */
    w->vary = malloc(ni);
    w->terms = malloc(m->max_terms * sizeof *w->terms);
    w->prefix = malloc((m->max_terms + 1) * sizeof *w->prefix);
    w->pos = malloc(ni * sizeof *w->pos);
    w->cnt = malloc(ni * sizeof *w->cnt);
    w->changed = malloc(ni);
    w->stamp = calloc(nl, sizeof *w->stamp);
    w->cands = malloc((w->cap_cands ? w->cap_cands : 1) * sizeof *w->cands);
    w->order = malloc((w->cap_cands ? w->cap_cands : 1) * sizeof *w->order);
    w->path = malloc((w->cap_path ? w->cap_path : 1) * sizeof *w->path);
    if (!w->vary || !w->terms || !w->prefix || !w->pos || !w->cnt || !w->changed ||
        !w->stamp || !w->cands || !w->order || !w->path)
        goto nomem;
    memset(w->vary, 1, ni);
    memcpy(w->steps, default_steps, sizeof default_steps);
    w->n_steps = sizeof default_steps / sizeof default_steps[0];
    w->low_factor = exp(m->q_low);
    w->high_factor = exp(m->q_high);
    return w;
nomem:
    er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
fail:
    engrate_whatif_free(w);
    return NULL;
}

ENGRATE_API int engrate_whatif_set_inputs(engrate_whatif *w, const size_t *inputs, size_t n,
                                          engrate_error *err)
{
    er_error_clear(err);
    if (!w)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "what-if is NULL");
    if (n && !inputs)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "inputs is NULL with a count of %zu",
                        n);
    for (size_t k = 0; k < n; k++)
        if (inputs[k] >= w->m->n_inputs)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "no input %zu (the model has %zu)", inputs[k], w->m->n_inputs);
    memset(w->vary, n == 0, w->m->n_inputs);
    for (size_t k = 0; k < n; k++)
        w->vary[inputs[k]] = 1;
    return 0;
}

ENGRATE_API int engrate_whatif_set_steps(engrate_whatif *w, const double *steps, size_t n,
                                         engrate_error *err)
{
    er_error_clear(err);
    if (!w)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "what-if is NULL");
    if (n > ENGRATE_WHATIF_MAX_STEPS)
        return er_error(err, ENGRATE_E_LIMIT, NULL, 0, 0, "%zu steps (at most %d)", n,
                        ENGRATE_WHATIF_MAX_STEPS);
    if (n && !steps)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "steps is NULL with a count of %zu",
                        n);
    for (size_t k = 0; k < n; k++)
        if (!isfinite(steps[k]) || steps[k] == 0)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "step %zu must be a finite number other than 0", k);
    if (n == 0) {
        steps = default_steps;
        n = sizeof default_steps / sizeof default_steps[0];
    }
    memcpy(w->steps, steps, n * sizeof *steps);
    w->n_steps = n;
    return 0;
}

/* ---- The working profile ----------------------------------------------------------- */

/* Where each input's terms are, the prefix sums, and which levels the profile has. */
static void index_profile(engrate_whatif *w)
{
    const engrate_model *m = w->m;
    if (++w->generation == 0) { /* wrapped: clear the stamps once every 2^32 runs */
        memset(w->stamp, 0, m->total_levels * sizeof *w->stamp);
        w->generation = 1;
    }
    size_t k = 1; /* terms[0] is the intercept */
    w->prefix[0] = 0;
    w->prefix[1] = w->terms[0].effect;
    for (size_t i = 0; i < m->n_inputs; i++) {
        w->pos[i] = k;
        while (k < w->n_terms && w->terms[k].input == (int32_t)i) {
            if (w->terms[k].level >= 0)
                w->stamp[m->inputs[i].level_base + (size_t)w->terms[k].level] = w->generation;
            w->prefix[k + 1] = w->prefix[k] + w->terms[k].effect;
            k++;
        }
        w->cnt[i] = k - w->pos[i];
    }
}

/* Forget the last run: no records, and the result emptied (engrate_estimate empties the
 * result it is given when it fails, here for want of a query). */
static void forget(engrate_whatif *w)
{
    w->n_recs = 0;
    w->n_path = 0;
    w->reached = 0;
    w->recs = NULL;
    w->rec_index = NULL;
    (void)engrate_estimate(NULL, 0, w->r, NULL);
}

/* Estimate q into w->r and take its terms as the working profile. */
static int load_profile(engrate_whatif *w, const engrate_query *q, unsigned flags,
                        engrate_error *err)
{
    forget(w);
    if (!q)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "query is NULL");
    if (er_query_model(q) != w->m)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "the query was made for another model");
    if (flags & ~(unsigned)(ENGRATE_STRICT | ENGRATE_WHATIF_NO_EVIDENCE))
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "unknown what-if flags 0x%x",
                        flags);
    int rc = engrate_estimate(q, flags & ENGRATE_STRICT, w->r, err);
    if (rc < 0)
        return rc;
    size_t n;
    const er_term *t = er_result_terms(w->r, &n);
    w->n_terms = 0;
    for (size_t k = 0; k < n; k++)
        if (!(t[k].flags & ENGRATE_FLAG_REFERENCE) || t[k].input < 0)
            w->terms[w->n_terms++] = t[k];
    index_profile(w);
    memset(w->changed, 0, w->m->n_inputs);
    return 0;
}

/* The estimate's sum for the working profile with its term at p replaced by one of effect
 * e (replace = 1), or with such a term put before p (replace = 0): the same additions in
 * the same order as engrate_estimate's for that profile. */
static double eta_with(const engrate_whatif *w, size_t p, int replace, double e)
{
    double eta = w->prefix[p] + e;
    for (size_t k = p + (size_t)replace; k < w->n_terms; k++)
        eta += w->terms[k].effect;
    return eta;
}

/* The estimate's sum for the working profile with categorical input i given level l
 * (coefficient coef) in place of its own, or before term p = pos[i] when it has none, and
 * each numeric input whose curve varies by i on l's curve: the same additions in the same
 * order as engrate_estimate's for that profile. */
static double eta_by_level(const engrate_whatif *w, size_t i, uint32_t l, double coef)
{
    const engrate_model *m = w->m;
    size_t p = w->pos[i];
    int replace = w->cnt[i] > 0;
    double eta = w->prefix[1]; /* the intercept */
    for (size_t k = 1; k <= w->n_terms; k++) {
        if (k == p)
            eta += coef;
        if (k == w->n_terms)
            break;
        if (k == p && replace)
            continue;
        const er_term *t = &w->terms[k];
        const er_input *in = &m->inputs[t->input];
        if (in->kind == ENGRATE_NUMERIC && in->by == i)
            eta += er_numeric_effect(in, er_curve_level(in, (int32_t)l), t->value,
                                     (t->flags & ENGRATE_FLAG_DEFAULTED) != 0);
        else
            eta += t->effect;
    }
    return eta;
}

/* ---- Candidates -------------------------------------------------------------------- */

static void put_numbers(const engrate_whatif *w, wrec *c, double eta)
{
    if (w->m->transform == ENGRATE_TRANSFORM_LOG) {
        c->estimate = exp(eta);
        c->low = c->estimate * w->low_factor;
        c->high = c->estimate * w->high_factor;
    } else {
        c->estimate = eta;
        c->low = eta + w->m->q_low;
        c->high = eta + w->m->q_high;
    }
}

/* The candidates of a categorical or set input. */
static void level_candidates(engrate_whatif *w, size_t i, int all_levels)
{
    const er_input *in = &w->m->inputs[i];
    int set = in->kind == ENGRATE_SET;
    size_t p = set ? w->pos[i] + w->cnt[i] : w->pos[i];
    int replace = !set && w->cnt[i] > 0;
    for (size_t l = 0; l < in->n_levels; l++) {
        const er_level *lv = &in->levels[l];
        if (w->stamp[in->level_base + l] == w->generation)
            continue; /* the profile has it */
        unsigned f = lv->flags & ENGRATE_LEVEL_NO_EVIDENCE ? ENGRATE_FLAG_NO_EVIDENCE : 0;
        if (f && !all_levels)
            continue;
        wrec *c = &w->cands[w->n_cands++];
        put_numbers(w, c, in->is_by ? eta_by_level(w, i, (uint32_t)l, lv->coef)
                                    : eta_with(w, p, replace, lv->coef));
        c->value = c->step = NAN;
        c->input = (uint32_t)i;
        c->level = (uint32_t)l;
        c->change = set ? ENGRATE_CHANGE_ADD : ENGRATE_CHANGE_LEVEL;
        c->flags = f;
    }
}

/* The candidates of a numeric input: its value plus each step, clamped; a step that changes
 * nothing, or gives a value an earlier step gave, is left out. */
static void step_candidates(engrate_whatif *w, size_t i)
{
    const er_input *in = &w->m->inputs[i];
    const er_term *t = &w->terms[w->pos[i]];
    if (w->cnt[i] != 1 || (t->flags & ENGRATE_FLAG_DEFAULTED))
        return; /* not given: a step from an unknown value means nothing */
    size_t first = w->n_cands;
    for (size_t s = 0; s < w->n_steps; s++) {
        double x = t->value + w->steps[s];
        unsigned f = 0;
        if (x < in->min || x > in->max) { /* as engrate_estimate clamps */
            x = x < in->min ? in->min : in->max;
            f = ENGRATE_FLAG_CLAMPED;
        }
        int seen = x == t->value;
        for (size_t k = first; k < w->n_cands && !seen; k++)
            seen = w->cands[k].value == x;
        if (seen)
            continue;
        wrec *c = &w->cands[w->n_cands++];
        put_numbers(w, c, eta_with(w, w->pos[i], 1, er_numeric_effect(in, t->curve, x, 0)));
        c->value = x;
        c->step = w->steps[s];
        c->input = (uint32_t)i;
        c->level = NO_LEVEL;
        c->change = ENGRATE_CHANGE_NUMBER;
        c->flags = f;
    }
}

/* Every candidate of the inputs that may vary, in candidate order: inputs in model order,
 * levels in model order, steps as given. For a path (additions), only additions: no
 * categorical input, and no numeric input that has changed already. */
static void candidates(engrate_whatif *w, unsigned flags, int additions)
{
    const engrate_model *m = w->m;
    w->n_cands = 0;
    for (size_t i = 0; i < m->n_inputs; i++) {
        if (!w->vary[i] || w->changed[i] ||
            (additions && m->inputs[i].kind == ENGRATE_CATEGORICAL))
            continue;
        if (m->inputs[i].kind == ENGRATE_NUMERIC)
            step_candidates(w, i);
        else
            level_candidates(w, i, (flags & ENGRATE_WHATIF_NO_EVIDENCE) != 0);
    }
}

/* Whether estimate x ranks before y: the higher first; a NaN estimate (from coefficients
 * that overflow) last. Equal estimates rank in candidate order, which the caller keeps. */
static int higher(double x, double y)
{
    return x > y || (isnan(y) && !isnan(x));
}

/* The best k candidates, best first, in w->order[0..k). Each candidate, in candidate order,
 * goes into the sorted list after every candidate that ranks before it or ties with it
 * (a binary search and a short move), so ties keep candidate order; once k are kept, a
 * candidate that does not beat the last is passed over with one compare. For the 111
 * candidates of a profile of the default model, all ranked, this takes half the
 * instructions of a heap (13,000 against 25,000, callgrind), whose sifting costs more than
 * the short moves it saves. */
static void rank(engrate_whatif *w, size_t k)
{
    uint32_t *o = w->order;
    const wrec *c = w->cands;
    size_t n = 0;
    for (uint32_t j = 0; j < (uint32_t)w->n_cands; j++) {
        double x = c[j].estimate;
        if (n == k && !higher(x, c[o[k - 1]].estimate))
            continue;
        size_t lo = 0, hi = n; /* the first kept candidate that x ranks before */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (higher(x, c[o[mid]].estimate))
                hi = mid;
            else
                lo = mid + 1;
        }
        size_t moved = (n == k ? k - 1 : n) - lo;
        memmove(&o[lo + 1], &o[lo], moved * sizeof *o);
        o[lo] = j;
        n += n < k;
    }
}

/* ---- Runs -------------------------------------------------------------------------- */

ENGRATE_API int engrate_whatif_run(engrate_whatif *w, const engrate_query *q, size_t limit,
                                   unsigned flags, engrate_error *err)
{
    er_error_clear(err);
    if (!w)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "what-if is NULL");
    int rc = load_profile(w, q, flags, err);
    if (rc < 0)
        return rc;
    candidates(w, flags, 0);
    size_t k = limit == 0 || limit > w->n_cands ? w->n_cands : limit;
    rank(w, k);
    double e0 = engrate_result_estimate(w->r);
    for (size_t j = 0; j < k; j++) {
        wrec *c = &w->cands[w->order[j]];
        c->delta = c->estimate - e0;
        c->delta_pct = e0 != 0 ? c->delta / e0 * 100 : NAN;
    }
    w->recs = w->cands;
    w->rec_index = w->order;
    w->n_recs = k;
    return 0;
}

/* Make addition c part of the working profile: a numeric input's new value (which then
 * changes no more), or a set's new level after its others, as a query would add it. */
static void apply(engrate_whatif *w, const wrec *c)
{
    size_t i = c->input, p = w->pos[i];
    const er_input *in = &w->m->inputs[i];
    if (c->change == ENGRATE_CHANGE_NUMBER) {
        w->terms[p].effect = er_numeric_effect(in, w->terms[p].curve, c->value, 0);
        w->terms[p].value = c->value;
        w->terms[p].flags = 0; /* given, and clamped into the range already */
        w->changed[i] = 1;
    } else {
        p += w->cnt[i];
        memmove(&w->terms[p + 1], &w->terms[p], (w->n_terms - p) * sizeof *w->terms);
        w->n_terms++;
        w->terms[p] = (er_term){(int32_t)i, (int32_t)c->level, in->levels[c->level].coef, NAN,
                                0, -1};
    }
    index_profile(w);
}

ENGRATE_API int engrate_whatif_target(engrate_whatif *w, const engrate_query *q, double rate,
                                      size_t max_changes, unsigned flags, engrate_error *err)
{
    er_error_clear(err);
    if (!w)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "what-if is NULL");
    if (!isfinite(rate)) {
        forget(w); /* empty, not stale */
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "the target rate must be finite");
    }
    int rc = load_profile(w, q, flags, err);
    if (rc < 0)
        return rc;
    double now = engrate_result_estimate(w->r);
    while (!(now >= rate) && (max_changes == 0 || w->n_path < max_changes)) {
        candidates(w, flags, 1);
        rank(w, 1);
        if (w->n_cands == 0 || !(w->cands[w->order[0]].estimate > now))
            break; /* nothing left raises it */
        wrec *c = &w->path[w->n_path++];
        *c = w->cands[w->order[0]];
        c->delta = c->estimate - now;
        c->delta_pct = now != 0 ? c->delta / now * 100 : NAN;
        apply(w, c);
        now = c->estimate;
    }
    w->reached = now >= rate;
    w->recs = w->path;
    w->n_recs = w->n_path;
    return 0;
}

/* ---- Accessors --------------------------------------------------------------------- */

static const wrec *rec_at(const engrate_whatif *w, size_t i)
{
    if (!w || i >= w->n_recs)
        return NULL;
    return &w->recs[w->rec_index ? w->rec_index[i] : i];
}

ENGRATE_API size_t engrate_whatif_count(const engrate_whatif *w) { return w ? w->n_recs : 0; }

ENGRATE_API int engrate_whatif_reached(const engrate_whatif *w) { return w ? w->reached : 0; }

ENGRATE_API const engrate_result *engrate_whatif_result(const engrate_whatif *w)
{
    return w ? w->r : NULL;
}

ENGRATE_API int engrate_whatif_change(const engrate_whatif *w, size_t i)
{
    const wrec *c = rec_at(w, i);
    return c ? c->change : ENGRATE_E_INVALID;
}

ENGRATE_API int engrate_whatif_input(const engrate_whatif *w, size_t i, size_t *input)
{
    const wrec *c = rec_at(w, i);
    if (!c || !input)
        return ENGRATE_E_INVALID;
    *input = c->input;
    return 0;
}

ENGRATE_API int engrate_whatif_level(const engrate_whatif *w, size_t i, size_t *level)
{
    const wrec *c = rec_at(w, i);
    if (!c || !level || c->level == NO_LEVEL)
        return ENGRATE_E_INVALID;
    *level = c->level;
    return 0;
}

#define REC_FIELD(fn, type, field, none)                                                   \
    ENGRATE_API type fn(const engrate_whatif *w, size_t i)                                 \
    {                                                                                      \
        const wrec *c = rec_at(w, i);                                                      \
        return c ? c->field : none;                                                        \
    }
REC_FIELD(engrate_whatif_estimate, double, estimate, NAN)
REC_FIELD(engrate_whatif_low, double, low, NAN)
REC_FIELD(engrate_whatif_high, double, high, NAN)
REC_FIELD(engrate_whatif_delta, double, delta, NAN)
REC_FIELD(engrate_whatif_delta_pct, double, delta_pct, NAN)
REC_FIELD(engrate_whatif_value, double, value, NAN)
REC_FIELD(engrate_whatif_step, double, step, NAN)
REC_FIELD(engrate_whatif_flags, unsigned, flags, 0)
