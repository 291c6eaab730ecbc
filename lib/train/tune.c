/* tune.c: the numbers after the pass: lambda by cross-validation (or GCV), the final
 * fit, one fit per fold at the chosen lambda for the CV figures, and the interval
 * calibrated on held-out residuals of the reservoir sample. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

void tr_outcome_free(outcome *oc, size_t K)
{
    free(oc->beta);
    free(oc->se);
    if (oc->fold_coef)
        for (size_t k = 0; k < K; k++)
            free(oc->fold_coef[k]);
    free(oc->fold_coef);
    free(oc->cov_pos);
    free(oc->cov);
    free(oc->ratio_grid);
    free(oc->ratio_lambda);
    free(oc->ratio_err);
}

/* acc = the sum of all folds but `skip` (SIZE_MAX: all), in fold order. */
static int sum_folds(trainer *t, er_acc *acc, size_t skip)
{
    er_acc_init(acc);
    if (er_acc_reserve(acc, t->n_terms))
        return ENGRATE_E_NOMEM;
    for (size_t k = 0; k < t->K; k++)
        if (k != skip && er_acc_merge(acc, &t->acc[k]))
            return ENGRATE_E_NOMEM;
    return 0;
}

#define GRID_LO (-6.0)
#define GRID_STEP 0.25

void tr_lambda_grid(double scale, double *grid)
{
    for (size_t g = 0; g < TR_GRID; g++)
        grid[g] = scale * pow(10.0, GRID_LO + GRID_STEP * (double)g);
}

/* cv_sse's work, shared among threads: fold k's held-out SSE along the grid into
 * sse[k * ng + g], or the code that stopped it into rc[k]. */
typedef struct cv_work {
    trainer *t;
    const er_fit_spec *spec;
    const double *grid;
    size_t ng;
    double *sse;
    int *rc;
} cv_work;

static void cv_folds(void *arg, int i, int n)
{
    cv_work *w = arg;
    trainer *t = w->t;
    size_t m1 = w->spec->m + 1;
    double *beta = malloc(ER_FIT_LANES * m1 * sizeof *beta);
    for (size_t k = (size_t)i; k < t->K; k += (size_t)n) {
        er_acc train;
        int rc = ENGRATE_E_NOMEM;
        er_path *pk = NULL;
        if (beta) {
            pk = sum_folds(t, &train, k) ? NULL : er_path_new(&train, w->spec, &rc);
            er_acc_free(&train);
        }
        w->rc[k] = pk ? 0 : rc;
        /* the grid's coefficients ER_FIT_LANES at a time, their errors side by side */
        for (size_t g0 = 0; pk && g0 < w->ng; g0 += ER_FIT_LANES) {
            double b0[ER_FIT_LANES];
            const double *bl[ER_FIT_LANES];
            int nl = 0;
            for (size_t g = g0; g < w->ng && nl < ER_FIT_LANES; g++, nl++) {
                double *b = beta + (size_t)nl * m1;
                er_path_coef(pk, w->grid[g], b, &b0[nl]);
                if (!w->spec->intercept)
                    b0[nl] = 0;
                bl[nl] = b;
            }
            er_fit_sse_lanes(&t->acc[k], w->spec, b0, bl, w->sse + k * w->ng + g0, nl);
        }
        er_path_free(pk);
    }
    free(beta);
}

/* The CV SSE of each fold's path at every lambda of the grid, summed into err in fold
 * order (the folds' paths computed on up to --threads threads). */
static int cv_sse(trainer *t, const er_fit_spec *spec, const double *grid, size_t ng,
                  double *err)
{
    cv_work w = {t, spec, grid, ng, malloc(t->K * ng * sizeof(double)),
                 malloc(t->K * sizeof(int))};
    int rc = w.sse && w.rc ? 0 : ENGRATE_E_NOMEM;
    if (rc == 0) {
        int n = tr_threads(t->o);
        er_team_run(n < (int)t->K ? n : (int)t->K, cv_folds, &w);
    }
    for (size_t k = 0; rc == 0 && k < t->K; k++) {
        rc = w.rc[k];
        for (size_t g = 0; rc == 0 && g < ng; g++)
            err[g] += w.sse[k * ng + g];
    }
    free(w.sse);
    free(w.rc);
    return rc ? er_error(t->err, rc, NULL, 0, 0, "out of memory") : 0;
}

int tr_grid_errors(trainer *t, const er_acc *total, const er_fit_spec *spec,
                   const double *grid, size_t ng, double *err)
{
    int rc = 0;
    memset(err, 0, ng * sizeof *err);
    if (t->K >= 2) {
        if ((rc = cv_sse(t, spec, grid, ng, err)) == 0) {
            double sw = dd_to_d(total->g[0]);
            for (size_t g = 0; g < ng; g++)
                err[g] = ldexp(sqrt(err[g] / sw), t->y_scale); /* CV RMSE */
        }
        return rc;
    }
    double *beta = malloc((spec->m + 1) * sizeof *beta);
    er_path *all = beta ? er_path_new(total, spec, &rc) : NULL;
    if (!all) {
        free(beta);
        return er_error(t->err, beta ? rc : ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    double n = (double)total->n;
    for (size_t g = 0; g < ng; g++) {
        double b0, rss, df;
        er_path_coef(all, grid[g], beta, &b0);
        er_path_rss_df(all, grid[g], beta, &rss, &df);
        df += spec->intercept ? 1 : 0;
        double d = 1 - df / n;
        err[g] = d > 0 ? ldexp(rss / (n * d * d), 2 * t->y_scale) /* GCV score */
                       : INFINITY;
    }
    er_path_free(all);
    free(beta);
    return 0;
}

static int choose_lambda(trainer *t, const er_acc *total, selection *sel, outcome *oc,
                         double *lambda)
{
    er_fit_spec spec = {sel->m, sel->cols, sel->pen, t->o->intercept};
    int rc;
    engrate_train_report *r = t->rep;
    r->grid = calloc(TR_GRID, sizeof *r->grid);
    r->grid_err = calloc(TR_GRID, sizeof *r->grid_err);
    if (!r->grid || !r->grid_err)
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    r->n_grid = TR_GRID;
    r->lambda_how = t->K >= 2 ? "cv" : "gcv";
    if (sel->n_dev) /* with a curve's deviations, lambda and their penalty together */
        return tr_curves_choose(t, total, sel, oc, lambda);
    er_path *all = er_path_new(total, &spec, &rc);
    if (!all)
        return er_error(t->err, rc, NULL, 0, 0, "out of memory");
    double scale = er_path_scale(all);
    er_path_free(all);
    tr_lambda_grid(scale > 0 ? scale : 1, r->grid);
    if ((rc = tr_grid_errors(t, total, &spec, r->grid, TR_GRID, r->grid_err)))
        return rc;
    size_t best = 0;
    for (size_t g = 1; g < TR_GRID; g++)
        if (r->grid_err[g] < r->grid_err[best])
            best = g;
    *lambda = r->grid[best];
    if (best == 0 || best == TR_GRID - 1)
        er_report_note(r, "lambda %.3g is at the %s end of the grid searched", *lambda,
                       best == 0 ? "small" : "large");
    return 0;
}

/* Weighted quantiles (the inverse of the empirical CDF) of residuals sorted by r, at q[0]
 * and q[1], leaving out each fold in turn and then none (s = 0, ..., K - 1; K): into
 * out[2 * s + j], in two passes over v. A quantile is the r where the weights summed in
 * v's order first reach q of the total; NaN when the total is not positive. scratch:
 * 4(K + 1). */
static void wquantiles(const resid *v, size_t n, uint32_t K, const double q[2], double *out,
                       double *scratch)
{
    double *tot = scratch, *cum = scratch + (K + 1), *thr = scratch + 2 * (K + 1);
    for (uint32_t s = 0; s <= K; s++)
        tot[s] = cum[s] = 0;
    for (size_t i = 0; i < n; i++)
        for (uint32_t s = 0; s <= K; s++)
            if (v[i].fold != (s < K ? s : UINT32_MAX))
                tot[s] += v[i].w;
    size_t left = 0;
    for (uint32_t s = 0; s <= K; s++)
        for (int j = 0; j < 2; j++) {
            thr[2 * s + j] = q[j] * tot[s] * (1 - 1e-12);
            out[2 * s + j] = NAN;
            left += tot[s] > 0;
        }
    for (size_t i = 0; i < n && left; i++)
        for (uint32_t s = 0; s <= K; s++) {
            if (v[i].fold == (s < K ? s : UINT32_MAX))
                continue;
            cum[s] += v[i].w;
            for (int j = 0; j < 2; j++)
                if (tot[s] > 0 && isnan(out[2 * s + j]) && cum[s] >= thr[2 * s + j]) {
                    out[2 * s + j] = v[i].r;
                    left--;
                }
        }
    for (uint32_t s = 0; s <= K; s++)
        for (int j = 0; j < 2; j++)
            if (tot[s] > 0 && isnan(out[2 * s + j]))
                out[2 * s + j] = v[n - 1].r;
}

/* The interval from the residuals in residual order: its quantiles of all rows, and
 * (with folds) those without each fold, into wq (2(K + 1), and 4(K + 1) of scratch
 * after), and the held-out coverage. */
static void interval(trainer *t, const resid *v, size_t m, int cv, double *wq)
{
    engrate_train_report *r = t->rep;
    double level = t->o->interval;
    const double q[2] = {(1 - level) / 2, (1 + level) / 2};
    uint32_t K = cv ? (uint32_t)t->K : 0; /* the quantiles without each fold, and of all */
    wquantiles(v, m, K, q, wq, wq + 2 * (K + 1));
    r->level = level;
    r->low = ldexp(wq[2 * K], t->y_scale);
    r->high = ldexp(wq[2 * K + 1], t->y_scale);
    if (!cv)
        return;
    /* Coverage on held-out folds: fold k's rows against the interval calibrated on the
     * residuals of the other folds, so no row judges an interval it helped make. */
    double in = 0, all = 0;
    for (uint32_t k = 0; k < K; k++) {
        double lo = wq[2 * k], hi = wq[2 * k + 1];
        for (size_t i = 0; i < m; i++) {
            if (v[i].fold != k)
                continue;
            all += v[i].w;
            if (v[i].r >= lo && v[i].r <= hi)
                in += v[i].w;
        }
    }
    r->coverage = all > 0 ? in / all : NAN;
}

/* The median APE (weighted) from the residuals that have one, in APE order. */
static void median_ape(trainer *t, resid *va, size_t ma)
{
    if (!ma)
        return;
    for (size_t i = 0; i < ma; i++) {
        va[i].r = va[i].ape;
        va[i].fold = 0;
    }
    const double q[2] = {0.5, 0.5};
    double out[2], scratch[4];
    wquantiles(va, ma, 0, q, out, scratch);
    t->rep->cv_mape = out[0];
}

/* The residuals in their orders on two threads (tr_sort_resid), and what each order gives
 * as soon as it is sorted: v by residual the interval, then its rows with an APE by APE
 * the median APE; vp by prediction the residuals by level (tr_level_residuals). Each
 * writes report fields of its own. */
typedef struct orders {
    trainer *t;
    resid *v, *vp;
    size_t m;
    int rc[2];
    int cv;
    double *wq;
} orders;

static void sort_orders(void *arg, int i, int n)
{
    orders *o = arg;
    for (int k = i; k < 2; k += n) {
        if (k == 1) {
            if (!(o->rc[1] = tr_sort_resid(o->vp, o->m, TR_BY_PRED)))
                o->rc[1] = tr_level_residuals(o->t, o->vp, o->m);
            continue;
        }
        if ((o->rc[0] = tr_sort_resid(o->v, o->m, TR_BY_R)))
            continue;
        interval(o->t, o->v, o->m, o->cv, o->wq);
        size_t ma = 0;
        for (size_t j = 0; j < o->m; j++)
            if (!isnan(o->v[j].ape))
                o->v[ma++] = o->v[j];
        if (!(o->rc[0] = tr_sort_resid(o->v, ma, TR_BY_APE)))
            median_ape(o->t, o->v, ma);
    }
}

/* The sample's residuals, computed on up to --threads threads, each a range of the
 * sample into the same range of v; then side by side in the sample's order. */
typedef struct predicting {
    const trainer *t;
    const outcome *oc;
    const double *coef;
    int cv;
    resid *v;
    size_t got[ER_TEAM_MAX];
} predicting;

static void predict_share(void *arg, int i, int n)
{
    predicting *p = arg;
    const trainer *t = p->t;
    const outcome *oc = p->oc;
    size_t lo = t->sample_n * (size_t)i / (size_t)n, hi = t->sample_n * (size_t)(i + 1) / (size_t)n;
    size_t m = lo;
    for (size_t i2 = lo; i2 < hi; i2++) {
        const srow *s = t->sample[i2];
#if defined(__GNUC__)
        if (i2 + 16 < hi && t->sample[i2 + 16]) { /* rows lie anywhere: ask ahead */
            __builtin_prefetch(t->sample[i2 + 16]);
            __builtin_prefetch((const char *)t->sample[i2 + 16] + 64);
        }
#endif
        if (!s)
            continue;
        double pred = p->cv ? tr_sample_predict(s, oc->fold_coef[s->fold][0],
                                                oc->fold_coef[s->fold])
                            : tr_sample_predict(s, oc->res.b0, p->coef);
        resid *e = &p->v[m++];
        e->r = s->y - pred;
        e->w = s->w;
        e->pred = pred;
        e->y = s->y;
        e->row = s;
        e->inside = -1;
        e->fold = p->cv ? s->fold : UINT32_MAX - 1;
        if (t->o->transform == ENGRATE_TRANSFORM_LOG)
            e->ape = fabs(expm1(-e->r));
        else
            e->ape = s->y != 0 ? fabs(e->r / s->y) : NAN;
    }
    p->got[i] = m - lo;
}

/* The rest of the calibration on one thread: v sorted in each order in turn (by residual,
 * by prediction, the rows with an APE by APE), which gives what the three copies give
 * (each order ties only residuals equal in all it is used for). Frees v and wq. */
static int calibrate_alone(trainer *t, resid *v, size_t m, int cv, double *wq)
{
    int rc = wq ? tr_sort_resid(v, m, TR_BY_R) : ENGRATE_E_NOMEM;
    if (rc == 0) {
        interval(t, v, m, cv, wq);
        rc = tr_sort_resid(v, m, TR_BY_PRED);
    }
    if (rc == 0)
        rc = tr_level_residuals(t, v, m);
    if (rc == 0) {
        for (size_t i = 0; cv && i < m; i++)
            v[i].inside = v[i].fold < t->K && v[i].r >= wq[2 * v[i].fold] &&
                          v[i].r <= wq[2 * v[i].fold + 1];
        tr_report_deciles(t, v, m, cv);
        size_t ma = 0;
        for (size_t i = 0; i < m; i++)
            if (!isnan(v[i].ape))
                v[ma++] = v[i];
        rc = tr_sort_resid(v, ma, TR_BY_APE);
        if (rc == 0)
            median_ape(t, v, ma);
    }
    free(v);
    free(wq);
    return rc ? er_error(t->err, rc, NULL, 0, 0, "out of memory") : 0;
}

static int calibrate(trainer *t, const selection *sel, outcome *oc)
{
    if (tr_sample_join(t)) /* the parts' samples, merged meanwhile */
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    size_t n = t->sample_n;
    resid *v = malloc((n + 1) * sizeof *v);
    double *coef = calloc(t->n_terms, sizeof *coef);
    if (!v || !coef) {
        free(v);
        free(coef);
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t k = 0; k < sel->m; k++)
        coef[sel->cols[k]] = oc->beta[k];
    int cv = t->K >= 2 && oc->fold_coef;
    tr_impute_to_rows(t, coef); /* the sampled rows hold values as the pass stored them */
    tr_curves_to_rows(t, coef);
    for (size_t k = 0; cv && k < t->K; k++) {
        tr_impute_to_rows(t, oc->fold_coef[k]);
        tr_curves_to_rows(t, oc->fold_coef[k]);
    }
    predicting pr = {t, oc, coef, cv, v, {0}};
    int threads = tr_threads(t->o);
    int np = n < 4096 || threads < 1 ? 1 : threads < ER_TEAM_MAX ? threads : ER_TEAM_MAX;
    er_team_run(np, predict_share, &pr);
    size_t m = 0;
    for (int i = 0; i < np; i++) { /* the shares' residuals, side by side */
        size_t lo = n * (size_t)i / (size_t)np;
        if (m != lo)
            memmove(v + m, v + lo, pr.got[i] * sizeof *v);
        m += pr.got[i];
    }
    free(coef);
    if (m == 0) {
        free(v);
        return er_error(t->err, ENGRATE_E_DATA, NULL, 0, 0, "no rows to calibrate with");
    }
    /* The orders at once: v by residual (the interval), then by APE (the rows that have
     * one: the median APE); a copy, vp, by prediction (the report's figures; the
     * residuals by level are taken as soon as it is sorted). Each order ties only
     * residuals equal in everything it is used for, so the order the rows come in
     * changes nothing. */
    double *wq = calloc(6 * (t->K + 1), sizeof *wq); /* wquantiles' out and scratch */
    if (threads < 2) /* one thread: the orders one after the other, in v, without copies */
        return calibrate_alone(t, v, m, cv, wq);
    resid *vp = malloc(m * sizeof *vp);
    orders job = {t, v, vp, m, {0, 0}, cv, wq};
    if (vp && wq) {
        memcpy(vp, v, m * sizeof *v);
        er_team_run(2, sort_orders, &job);
    }
    if (!vp || !wq || job.rc[0] || job.rc[1]) {
        free(v);
        free(vp);
        free(wq);
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t i = 0; cv && i < m; i++) /* held out and inside the interval without it */
        vp[i].inside = vp[i].fold < t->K && vp[i].r >= wq[2 * vp[i].fold] &&
                       vp[i].r <= wq[2 * vp[i].fold + 1];
    tr_report_deciles(t, vp, m, cv);
    free(wq);
    free(v);
    free(vp);
    return 0;
}

/* Fold k's fit at the chosen lambda, on the other folds, into oc->fold_coef[k] (by term,
 * b0 in [0]), and its held-out error and weight into *sse and *sw. Terms absent from the
 * training folds get coefficient 0. 0, ENGRATE_E_NOMEM, or another code with ferr filled
 * when the fold cannot be fitted. fc, fp, fnm, fb: scratch of sel->m + 1 entries. */
static int fit_fold(trainer *t, const selection *sel, outcome *oc, size_t k, uint32_t *fc,
                    double *fp, const char **fnm, double *fb, double *sse, double *sw,
                    engrate_error *ferr)
{
    er_acc train;
    oc->fold_coef[k] = calloc(t->n_terms, sizeof **oc->fold_coef);
    if (!oc->fold_coef[k])
        return ENGRATE_E_NOMEM;
    if (sum_folds(t, &train, k)) {
        er_acc_free(&train);
        return ENGRATE_E_NOMEM;
    }
    size_t fm = 0;
    for (size_t j = 0; j < sel->m; j++) {
        if (train.g[ER_PK(sel->cols[j], sel->cols[j])].hi == 0)
            continue;
        fc[fm] = sel->cols[j];
        fp[fm] = sel->pen[j];
        fnm[fm] = sel->names[j];
        fm++;
    }
    er_fit_spec fs = {fm, fc, fp, t->o->intercept};
    er_fit_result fr;
    memset(&fr, 0, sizeof fr);
    fr.beta = fb;
    int rc = train.n ? er_fit_solve(&train, &fs, oc->lambda, &fr, fnm, ferr) : ENGRATE_E_DATA;
    if (rc == ENGRATE_E_DATA && !train.n)
        er_error(ferr, rc, NULL, 0, 0, "no rows outside the fold");
    er_acc_free(&train);
    if (rc)
        return rc;
    oc->fold_coef[k][0] = fr.b0;
    for (size_t j = 0; j < fm; j++)
        oc->fold_coef[k][fc[j]] = fb[j];
    *sse = er_fit_sse(&t->acc[k], &fs, fr.b0, fb);
    *sw = t->acc[k].p ? dd_to_d(t->acc[k].g[0]) : 0;
    return 0;
}

/* fit_folds' work, shared among threads: fold k's fit, its code and error, its held-out
 * error and weight. */
typedef struct fold_work {
    trainer *t;
    const selection *sel;
    outcome *oc;
    int *rc;
    engrate_error *err;
    double *sse, *sw;
} fold_work;

static void fit_fold_share(void *arg, int i, int n)
{
    fold_work *w = arg;
    size_t m1 = w->sel->m + 1;
    double *fb = malloc(m1 * sizeof *fb);
    uint32_t *fc = malloc(m1 * sizeof *fc);
    double *fp = malloc(m1 * sizeof *fp);
    const char **fnm = malloc(m1 * sizeof *fnm);
    for (size_t k = (size_t)i; k < w->t->K; k += (size_t)n) {
        er_error_clear(&w->err[k]);
        w->rc[k] = fb && fc && fp && fnm
                       ? fit_fold(w->t, w->sel, w->oc, k, fc, fp, fnm, fb, &w->sse[k],
                                  &w->sw[k], &w->err[k])
                       : ENGRATE_E_NOMEM;
    }
    free(fb);
    free(fc);
    free(fp);
    free(fnm);
}

/* The fits of every fold at the chosen lambda, on up to --threads threads; the held-out
 * errors summed in fold order. A fold that cannot be fitted leaves no CV figures (a note
 * says why, for the first such fold) but does not stop training. */
static int fit_folds(trainer *t, const selection *sel, outcome *oc)
{
    size_t K = t->K;
    oc->fold_coef = calloc(K, sizeof *oc->fold_coef);
    fold_work w = {t, sel, oc, malloc(K * sizeof(int)), malloc(K * sizeof(engrate_error)),
                   malloc(K * sizeof(double)), malloc(K * sizeof(double))};
    int rc = oc->fold_coef && w.rc && w.err && w.sse && w.sw ? 0 : ENGRATE_E_NOMEM;
    if (rc == 0) {
        int n = tr_threads(t->o);
        er_team_run(n < (int)K ? n : (int)K, fit_fold_share, &w);
    }
    for (size_t k = 0; rc == 0 && k < K; k++) {
        rc = w.rc[k];
        if (rc && rc != ENGRATE_E_NOMEM) {
            er_report_note(t->rep, "cross-validation fold %zu could not be fitted (%s); no CV "
                                   "figures",
                           k + 1, w.err[k].text);
            rc = 0;
            break;
        }
        if (rc == 0) {
            oc->cv_sse += w.sse[k];
            oc->cv_sw += w.sw[k];
        }
        if (k + 1 == K)
            goto done;
    }
    /* a fold failed: no fold's coefficients are kept */
    for (size_t k = 0; oc->fold_coef && k < K; k++)
        free(oc->fold_coef[k]);
    free(oc->fold_coef);
    oc->fold_coef = NULL;
done:
    free(w.rc);
    free(w.err);
    free(w.sse);
    free(w.sw);
    return rc ? er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory") : 0;
}

/* Whether every sum of the Gram is finite (pass.c scales columns so that they are). */
static int sums_finite(const er_acc *a)
{
    for (size_t i = 0; i < ER_PK(0, a->p); i++)
        if (!isfinite(a->g[i].hi))
            return 0;
    for (size_t i = 0; i < a->p; i++)
        if (!isfinite(a->xy[i].hi))
            return 0;
    return isfinite(a->yy.hi);
}

int tr_fit_all(trainer *t, selection *sel, outcome *oc)
{
    const engrate_train_options *o = t->o;
    engrate_train_report *r = t->rep;
    er_acc total;
    int rc;
    memset(oc, 0, sizeof *oc);
    if (sum_folds(t, &total, SIZE_MAX)) {
        er_acc_free(&total);
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    if (total.n == 0) {
        er_acc_free(&total);
        return er_error(t->err, ENGRATE_E_DATA, t->source, 0, 0,
                        "no usable rows (%llu read, %llu skipped)",
                        (unsigned long long)t->rows_read, (unsigned long long)t->rows_skipped);
    }
    if (!sums_finite(&total)) {
        er_acc_free(&total);
        return er_error(t->err, ENGRATE_E_DATA, t->source, 0, 0,
                        "the sums of squares overflow: a column's values span more than "
                        "~1e150 from its first, or the weights are too large; rescale them");
    }
    if ((rc = tr_select_terms(t, &total, o->lambda, sel)))
        goto done;
    oc->lambda = o->lambda;
    oc->by_ratio = oc->cv_pooled = oc->lambda_pooled = NAN;
    if (o->lambda_auto && (rc = choose_lambda(t, &total, sel, oc, &oc->lambda)))
        goto done;
    if (!o->lambda_auto && sel->n_dev && (rc = tr_curves_choose(t, &total, sel, oc, &oc->lambda)))
        goto done;
    er_fit_spec spec = {sel->m, sel->cols, sel->pen, o->intercept};
    oc->beta = calloc(sel->m + 1, sizeof *oc->beta);
    oc->se = calloc(sel->m + 1, sizeof *oc->se);
    if (!oc->beta || !oc->se) {
        rc = er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    oc->res.beta = oc->beta;
    oc->res.se = oc->se;
    oc->res.threads = tr_threads(o);
    if ((rc = tr_curve_terms(t, sel, oc)))
        goto done;
    if ((rc = er_fit_solve(&total, &spec, oc->lambda, &oc->res, sel->names, t->err)))
        goto done;
    r->lambda = oc->lambda;
    r->n = (double)total.n;
    r->p = (double)(sel->m + (o->intercept ? 1 : 0));
    r->r_squared = oc->res.r_squared;
    r->residual_sd = ldexp(oc->res.sigma, t->y_scale);
    r->df = oc->res.df;
    r->cond = oc->res.cond;
    /* Cross-validation at the chosen lambda: one fit per fold without it. */
    if (t->K >= 2) {
        if ((rc = fit_folds(t, sel, oc)))
            goto done;
        r->folds = (double)t->K;
        if (oc->fold_coef)
            r->cv_rmse = ldexp(sqrt(oc->cv_sse / oc->cv_sw), t->y_scale);
    } else {
        r->folds = 0;
    }
    rc = calibrate(t, sel, oc);
done:
    er_acc_free(&total);
    return rc;
}
