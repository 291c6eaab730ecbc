/* figures.c: what the report's figures need, binned so that the report's size does not
 * grow with the rows: predicted against actual by decile of the (out-of-fold) prediction
 * with the interval's coverage in each, and residuals per level, both from the reservoir
 * sample; each numeric input's curve on a grid with its standard-error band, from the
 * fit's covariance of the curve's terms; each categorical and set input's levels with
 * their coefficients, standard errors, counts and whether they were fitted or dropped.
 * docs/training.md, "The report", lists the keys. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

#define N_DECILES 10
#define CURVE_STEPS 48 /* grid intervals between a numeric input's min and max */
#define LEVEL_STEPS 16 /* the same for each level's curve, which the report holds many of */

/* ---- The curves' covariance ------------------------------------------------------- */

/* A curve that varies by a level gets bands for the deviations of its largest levels, at
 * most this many terms (whole levels): each costs a solve and a product with the m x m
 * Gram matrix, so that the bands never cost more than a few times the fit itself. */
#define BAND_DEVIATIONS 256

/* A selected deviation term: its level's count and term, for the largest levels first. */
typedef struct devterm {
    uint64_t count;
    uint32_t level;
    size_t k; /* its position in the selection */
} devterm;

static int dev_cmp(const void *pa, const void *pb)
{
    const devterm *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    return a->k < b->k ? -1 : a->k > b->k;
}

/* Whether term j is a piece of a numeric input's curve (pooled, or a level's deviation). */
static int curve_piece(const trainer *t, uint32_t j)
{
    const term *tm = &t->terms[j];
    return t->in[tm->input].kind == ENGRATE_NUMERIC && tm->piece != TR_MISSING_PIECE;
}

int tr_curve_terms(trainer *t, const selection *sel, outcome *oc)
{
    size_t n = 0, nd = 0;
    devterm *dev = malloc((sel->m + 1) * sizeof *dev);
    oc->cov_pos = malloc((sel->m + 1) * sizeof *oc->cov_pos);
    if (!dev || !oc->cov_pos) {
        free(dev);
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t k = 0; k < sel->m; k++) {
        const term *tm = &t->terms[sel->cols[k]];
        if (!curve_piece(t, sel->cols[k]))
            continue;
        if (tm->by_term)
            dev[nd++] = (devterm){t->terms[tm->by_term].count, tm->by_term, k};
        else
            oc->cov_pos[n++] = k;
    }
    qsort(dev, nd, sizeof *dev, dev_cmp);
    for (size_t d = 0; d < nd; d++)
        if (d < BAND_DEVIATIONS || dev[d].level == dev[d - 1].level)
            oc->cov_pos[n++] = dev[d].k;
        else
            break;
    free(dev);
    if (n == 0)
        return 0;
    if (!(oc->cov = malloc(n * n * sizeof *oc->cov)))
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    oc->n_cov = n;
    oc->res.cov_idx = oc->cov_pos;
    oc->res.n_cov = oc->n_cov;
    oc->res.cov = oc->cov;
    return 0;
}

/* ---- Deciles and residuals by level ------------------------------------------------- */

/* Decile d holds the rows whose cumulative weight at their middle is in [d/10, (d+1)/10)
 * of the total: with equal weights, n/10 rows each, the lowest predictions first. */
static void deciles(trainer *t, const resid *v, size_t m)
{
    engrate_train_report *r = t->rep;
    double total = 0, cum = 0;
    double sp[N_DECILES] = {0}, sy[N_DECILES] = {0}, in[N_DECILES] = {0};
    er_report_bin *b = r->bins;
    for (size_t i = 0; i < m; i++)
        total += v[i].w;
    for (int d = 0; d < N_DECILES; d++)
        b[d] = (er_report_bin){d + 1, 0, 0, NAN, NAN, NAN, NAN, NAN};
    for (size_t i = 0; i < m; i++) {
        double mid = (cum + 0.5 * v[i].w) / total;
        int d = (int)(mid * N_DECILES);
        d = d < 0 ? 0 : d >= N_DECILES ? N_DECILES - 1 : d;
        cum += v[i].w;
        if (b[d].n == 0)
            b[d].pred_min = v[i].pred;
        b[d].pred_max = v[i].pred;
        b[d].n++;
        b[d].weight += v[i].w;
        sp[d] += v[i].w * v[i].pred;
        sy[d] += v[i].w * v[i].y;
        in[d] += v[i].inside > 0 ? v[i].w : 0;
    }
    r->n_bins = 0;
    for (int d = 0; d < N_DECILES; d++) {
        if (b[d].n == 0)
            continue;
        er_report_bin *o = &b[r->n_bins++];
        *o = b[d];
        o->predicted = ldexp(sp[d] / b[d].weight, t->y_scale);
        o->actual = ldexp(sy[d] / b[d].weight, t->y_scale);
        o->pred_min = ldexp(b[d].pred_min, t->y_scale);
        o->pred_max = ldexp(b[d].pred_max, t->y_scale);
        o->coverage = r->held_out ? in[d] / b[d].weight : NAN;
    }
}

/* Add a residual to a group: pass 0 counts and sums for the mean, pass 1 the squares
 * about it (in `sd` until finish_stats). */
static void add_stat(er_rstat *s, const resid *e, int pass)
{
    if (pass == 0) {
        s->n++;
        s->weight += e->w;
        s->mean += e->w * e->r;
    } else {
        double d = e->r - s->mean;
        s->sd += e->w * d * d;
    }
}

/* A level seen fewer than --min-count times and not named by a levels file: not in the
 * model. Training in parts with a schema keeps no sums for it, so the report gives it no
 * weight or residuals in any case, and its rows count as giving no level of the input, as
 * the model sees them. */
static int dropped(const trainer *t, uint32_t j)
{
    return t->terms[j].lf < 0 && t->terms[j].count < (uint64_t)t->o->min_count;
}

/* One pass over the sampled rows: each level a row gives, and each input none of whose
 * levels it gives (mark: n_in scratch). */
static void level_pass(trainer *t, const resid *v, size_t m, unsigned char *mark, int pass)
{
    for (size_t i = 0; i < m; i++) {
        const srow *s = v[i].row;
#if defined(__GNUC__)
        if (i + 16 < m) { /* the rows lie anywhere: ask for one a few steps ahead */
            __builtin_prefetch(v[i + 16].row);
            __builtin_prefetch((const char *)v[i + 16].row + 64);
        }
#endif
        const uint32_t *ix = (const uint32_t *)(s->data + s->nval);
        memset(mark, 0, t->n_in);
        for (size_t k = 0; k < s->nnz; k++) {
            uint32_t j = ix[k] & 0x7fffffffu;
            const term *tm = &t->terms[j];
            if (j == 0 || t->in[tm->input].kind == ENGRATE_NUMERIC || dropped(t, j))
                continue;
            mark[tm->input] = 1;
            add_stat(&t->lres[j], &v[i], pass);
        }
        for (size_t in = 0; in < t->n_in; in++)
            if (!mark[in] && t->in[in].kind != ENGRATE_NUMERIC)
                add_stat(&t->nres[in], &v[i], pass);
    }
}

static void stats_mean(er_rstat *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].weight > 0)
            s[i].mean /= s[i].weight;
}

static void stats_finish(er_rstat *s, size_t n, int y_scale)
{
    for (size_t i = 0; i < n; i++) {
        if (!(s[i].weight > 0)) {
            s[i] = (er_rstat){0, 0, NAN, NAN};
            continue;
        }
        s[i].sd = ldexp(sqrt(s[i].sd / s[i].weight), y_scale);
        s[i].mean = ldexp(s[i].mean, y_scale);
    }
}

int tr_level_residuals(trainer *t, const resid *v, size_t m)
{
    t->lres = calloc(t->n_terms, sizeof *t->lres);
    t->nres = calloc(t->n_in + 1, sizeof *t->nres);
    unsigned char *mark = malloc(t->n_in + 1);
    if (!t->lres || !t->nres || !mark) {
        free(mark);
        return ENGRATE_E_NOMEM;
    }
    level_pass(t, v, m, mark, 0);
    stats_mean(t->lres, t->n_terms);
    stats_mean(t->nres, t->n_in);
    level_pass(t, v, m, mark, 1);
    stats_finish(t->lres, t->n_terms, t->y_scale);
    stats_finish(t->nres, t->n_in, t->y_scale);
    free(mark);
    return 0;
}

void tr_report_deciles(trainer *t, const resid *v, size_t m, int held_out)
{
    engrate_train_report *r = t->rep;
    r->held_out = held_out;
    r->sample_rows = (double)m;
    deciles(t, v, m);
}

/* ---- Inputs ------------------------------------------------------------------------ */

/* s copied into the report's pool (NULL stays NULL); *bad set when memory ran out. */
static const char *keep(engrate_train_report *r, const char *s, int *bad)
{
    if (!s)
        return NULL;
    const char *c = er_pool_strndup(&r->pool, s, strlen(s));
    *bad |= !c;
    return c;
}

/* The piece k of a numeric input at x (in the data's units): x, or x's excess over the
 * knot k-1. */
static double piece(const tinput *in, size_t k, double x)
{
    if (k == 0)
        return x;
    double e = x - in->knots[k - 1];
    return e > 0 ? e : 0;
}

static int dbl_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

/* The grid of a numeric input's curve: `steps` equal steps over its range, its knots
 * inside it and its reference, in order, each once. n: how many (x has room for
 * CURVE_STEPS + 2 + n_knots). */
static size_t grid(const tinput *in, double ref, int steps, double *x)
{
    size_t n = 0;
    for (int i = 0; i <= steps; i++)
        x[n++] = i == steps ? in->max : in->min + (in->max - in->min) * i / (double)steps;
    for (size_t k = 0; k < in->n_knots; k++)
        if (in->knots[k] > in->min && in->knots[k] < in->max)
            x[n++] = in->knots[k];
    x[n++] = ref;
    qsort(x, n, sizeof *x, dbl_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || x[i] != x[u - 1])
            x[u++] = x[i];
    return u;
}

/* One coefficient of a curve: the piece it multiplies, its value (scaled units, as
 * fitted: pass.c) and its place in the covariance (SIZE_MAX: not computed). A level's
 * curve has two per piece that varies: the pooled one and the level's deviation. */
typedef struct cterm {
    size_t piece, ci;
    double beta;
} cterm;

static size_t cov_index(const outcome *oc, int32_t p)
{
    for (size_t c = 0; p >= 0 && c < oc->n_cov; c++)
        if (oc->cov_pos[c] == (size_t)p)
            return c;
    return SIZE_MAX;
}

/* The curve of coefficients ct[0..q) relative to the reference, f(x) - f(ref), on the
 * grid x[0..n), with the standard error of that difference, sqrt(g'Vg) for g = pieces(x)
 * - pieces(ref) and V the coefficients' covariance (NaN when not computed): n triples
 * in the report's pool, or NULL when memory ran out. */
static double *draw(trainer *t, const tinput *in, double ref, const outcome *oc,
                    const cterm *ct, size_t q, const double *x, size_t n)
{
    double *out = er_pool_alloc(&t->rep->pool, 3 * n * sizeof *out);
    int known = 1;
    for (size_t a = 0; a < q; a++)
        known &= ct[a].ci != SIZE_MAX;
    for (size_t i = 0; out && i < n; i++) {
        double g[ER_MAX_KNOTS + 1], f = 0, var = 0;
        for (size_t k = 0; k <= in->n_knots; k++)
            g[k] = ldexp(piece(in, k, x[i]) - piece(in, k, ref), -in->scale);
        for (size_t a = 0; a < q; a++) {
            f += ct[a].beta * g[ct[a].piece];
            for (size_t b = 0; known && b < q; b++)
                var += g[ct[a].piece] * g[ct[b].piece] *
                       oc->cov[ct[a].ci * oc->n_cov + ct[b].ci];
        }
        out[3 * i] = x[i];
        out[3 * i + 1] = ldexp(f, t->y_scale);
        out[3 * i + 2] = known ? ldexp(sqrt(var > 0 ? var : 0), t->y_scale) : NAN;
    }
    return out;
}

/* A numeric input's pooled curve (ct: its n_knots + 1 coefficients); 0 pieces when one
 * of them was not fitted (no curve). */
static size_t pooled_terms(const tinput *in, const int32_t *pos, const outcome *oc,
                           cterm *ct)
{
    for (size_t k = 0; k <= in->n_knots; k++) {
        int32_t p = pos[in->first + k];
        ct[k] = (cterm){k, cov_index(oc, p), p >= 0 ? oc->beta[p] : 0};
        if (ct[k].ci == SIZE_MAX)
            return 0;
    }
    return in->n_knots + 1;
}

static int curve(trainer *t, er_report_input *ri, const tinput *in, const int32_t *pos,
                 const outcome *oc)
{
    cterm ct[ER_MAX_KNOTS + 1];
    double x[CURVE_STEPS + ER_MAX_KNOTS + 3];
    size_t q = pooled_terms(in, pos, oc, ct);
    if (q == 0)
        return 0; /* not fitted: no curve */
    size_t n = grid(in, ri->reference, CURVE_STEPS, x);
    if (!(ri->curve = draw(t, in, ri->reference, oc, ct, q, x, n)))
        return ENGRATE_E_NOMEM;
    ri->n_curve = n;
    return 0;
}

/* A level of the by-column: its count, and its place in the model's order for ties. */
typedef struct bylevel {
    uint64_t count;
    size_t order;
    uint32_t term;
} bylevel;

static int bylevel_cmp(const void *pa, const void *pb)
{
    const bylevel *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Level term lt's curve: the pooled coefficients ct[0..np) and the level's deviations
 * appended; how many in all (np: the level has none fitted, and follows the pooled one). */
static size_t level_terms(const tinput *in, uint32_t lt, const int32_t *pos,
                          const outcome *oc, cterm *ct, size_t np)
{
    size_t q = np, nd = in->vary == ER_VARY_KNOTS ? in->n_knots + 1 : 1;
    for (size_t p = 0; lt < in->inter_cap && p < nd; p++) {
        uint32_t j = in->inter[lt * nd + p];
        if (j && pos[j] >= 0)
            ct[q++] = (cterm){p, cov_index(oc, pos[j]), oc->beta[pos[j]]};
    }
    return q;
}

static void level_names(trainer *t, er_report_curve *c, uint32_t lt, int *bad)
{
    const term *tm = &t->terms[lt];
    c->id = keep(t->rep, tm->id, bad);
    c->label = keep(t->rep, tm->label, bad);
    if (tm->lf >= 0) {
        c->name_en = keep(t->rep, t->lf[tm->lf].name_en, bad);
        c->name_ja = keep(t->rep, t->lf[tm->lf].name_ja, bad);
    }
    c->count = (double)tm->count;
}

/* A curve that varies by a level: each level's with a deviation fitted, the largest
 * levels first (their bands NaN beyond the BAND_DEVIATIONS kept by tr_curve_terms). */
static int level_curves(trainer *t, er_report_input *ri, const tinput *in,
                        const int32_t *pos, const outcome *oc)
{
    cterm ct[2 * (ER_MAX_KNOTS + 1)];
    double x[CURVE_STEPS + ER_MAX_KNOTS + 3];
    size_t np = pooled_terms(in, pos, oc, ct), n = grid(in, ri->reference, LEVEL_STEPS, x);
    ordered ol = {NULL, 0};
    int bad = 0;
    ri->by = keep(t->rep, t->in[in->by].id, &bad);
    if (np == 0 || bad || tr_order_levels(t, in->by, &ol))
        return bad ? ENGRATE_E_NOMEM : np == 0 ? 0 : ENGRATE_E_NOMEM;
    bylevel *lv = malloc((ol.n + 1) * sizeof *lv);
    ri->by_levels = er_pool_alloc(&t->rep->pool, (ol.n + 1) * sizeof *ri->by_levels);
    for (size_t k = 0; lv && k < ol.n; k++)
        lv[k] = (bylevel){t->terms[ol.terms[k]].count, k, ol.terms[k]};
    if (lv)
        qsort(lv, ol.n, sizeof *lv, bylevel_cmp);
    for (size_t k = 0; lv && ri->by_levels && !bad && k < ol.n; k++) {
        size_t q = level_terms(in, lv[k].term, pos, oc, ct, np);
        if (q == np)
            continue;
        er_report_curve *c = &ri->by_levels[ri->n_by_levels++];
        *c = (er_report_curve){0};
        level_names(t, c, lv[k].term, &bad);
        c->curve = draw(t, in, ri->reference, oc, ct, q, x, n);
        c->n_curve = n;
        bad |= !c->curve;
    }
    bad |= !lv || !ri->by_levels;
    free(lv);
    free(ol.terms);
    return bad ? ENGRATE_E_NOMEM : 0;
}

/* The sum of the weights of the rows that give term j, from the accumulators. */
static double term_weight(const trainer *t, uint32_t j)
{
    er_dd s = dd_make(0, 0);
    for (size_t k = 0; k < t->K; k++)
        if (t->acc[k].p > j)
            s = dd_add(s, t->acc[k].g[ER_PK(j, j)]);
    return dd_to_d(s);
}

static void level_figures(trainer *t, er_report_level *l, uint32_t j, const selection *sel,
                          const int32_t *pos, const outcome *oc, int *bad)
{
    engrate_train_report *r = t->rep;
    const term *tm = &t->terms[j];
    l->label = keep(r, tm->label, bad);
    l->id = keep(r, tm->id, bad);
    if (tm->lf >= 0) {
        l->name_en = keep(r, t->lf[tm->lf].name_en, bad);
        l->name_ja = keep(r, t->lf[tm->lf].name_ja, bad);
    }
    l->count = (double)tm->count;
    l->weight = dropped(t, j) ? NAN : term_weight(t, j);
    l->estimate = l->std_error = NAN;
    if (pos[j] >= 0) {
        l->status = "fitted";
        l->estimate = ldexp(oc->beta[pos[j]], t->y_scale);
        l->std_error = ldexp(oc->se[pos[j]], t->y_scale);
    } else if (sel->reference[tm->input] == j) {
        l->status = "reference";
        l->estimate = 0;
    } else if ((tm->flags & ENGRATE_LEVEL_NO_EVIDENCE) || tm->lf >= 0) {
        l->status = "no_evidence";
    } else {
        l->status = "dropped";
    }
    l->residual = t->lres ? t->lres[j] : (er_rstat){0, 0, NAN, NAN};
}

/* A categorical or set input's levels: the model's, in its order, then those dropped by
 * --min-count, in the order the data first gave them. */
static int levels(trainer *t, er_report_input *ri, size_t i, const selection *sel,
                  const int32_t *pos, const outcome *oc)
{
    engrate_train_report *r = t->rep;
    ordered ol = {NULL, 0};
    int bad = 0;
    if (tr_order_levels(t, i, &ol))
        return ENGRATE_E_NOMEM;
    size_t n = ol.n;
    for (size_t j = 1; j < t->n_terms; j++)
        n += t->terms[j].input == i && t->terms[j].lf < 0 &&
             t->terms[j].count < (uint64_t)t->o->min_count;
    ri->levels = n ? er_pool_alloc(&r->pool, n * sizeof *ri->levels) : NULL;
    if (n && !ri->levels) {
        free(ol.terms);
        return ENGRATE_E_NOMEM;
    }
    for (size_t k = 0; k < ol.n; k++)
        level_figures(t, &ri->levels[ri->n_levels++], ol.terms[k], sel, pos, oc, &bad);
    for (uint32_t j = 1; j < t->n_terms; j++)
        if (t->terms[j].input == i && t->terms[j].lf < 0 &&
            t->terms[j].count < (uint64_t)t->o->min_count)
            level_figures(t, &ri->levels[ri->n_levels++], j, sel, pos, oc, &bad);
    ri->without = t->nres ? t->nres[i] : (er_rstat){0, 0, NAN, NAN};
    free(ol.terms);
    return bad ? ENGRATE_E_NOMEM : 0;
}

static int numeric(trainer *t, er_report_input *ri, const tinput *in, const int32_t *pos,
                   const outcome *oc)
{
    engrate_train_report *r = t->rep;
    ri->min = in->min;
    ri->max = in->max;
    ri->reference = tr_numeric_reference(t, in);
    ri->missing = (double)in->n_missing;
    if (in->n_knots) {
        double *k = er_pool_alloc(&r->pool, in->n_knots * sizeof *k);
        if (!k)
            return ENGRATE_E_NOMEM;
        memcpy(k, in->knots, in->n_knots * sizeof *k);
        ri->knots = k;
        ri->n_knots = in->n_knots;
    }
    if (!isfinite(ri->min) || ri->min > ri->max)
        return 0;
    int rc = curve(t, ri, in, pos, oc);
    return rc == 0 && in->by != SIZE_MAX ? level_curves(t, ri, in, pos, oc) : rc;
}

int tr_report_inputs(trainer *t, const selection *sel, const outcome *oc)
{
    engrate_train_report *r = t->rep;
    int bad = 0, rc = 0;
    int32_t *pos = tr_selection_positions(t, sel);
    r->inputs = er_pool_alloc(&r->pool, (t->n_in + 1) * sizeof *r->inputs);
    if (!pos || !r->inputs) {
        free(pos);
        return ENGRATE_E_NOMEM;
    }
    for (size_t k = 0; k < ER_META_COUNT; k++)
        r->meta[k] = keep(r, tr_meta(t, k), &bad);
    r->source = keep(r, t->source, &bad);
    r->min_count = (double)t->o->min_count;
    for (size_t i = 0; i < t->n_in && !rc && !bad; i++) {
        const tinput *in = &t->in[i];
        er_report_input *ri = &r->inputs[r->n_inputs++];
        ri->id = keep(r, in->id, &bad);
        ri->label = keep(r, in->label, &bad);
        ri->label_en = keep(r, in->label_en, &bad);
        ri->label_ja = keep(r, in->label_ja, &bad);
        ri->kind = in->kind;
        rc = in->kind == ENGRATE_NUMERIC ? numeric(t, ri, in, pos, oc)
                                         : levels(t, ri, i, sel, pos, oc);
    }
    free(pos);
    return rc || bad ? ENGRATE_E_NOMEM : 0;
}
