/* fit.h: the trainer's numerical core, independent of CSV and of the model format.
 *
 * An er_acc is the weighted Gram matrix of [1 | X | y] in double-double: X'WX (packed
 * upper triangle, term 0 being the intercept column of ones), X'Wy, y'Wy and the row
 * count. Rows are added sparse, accumulators merge by addition, so one per fold (or per
 * machine) can be summed into the accumulator of all rows. From a Gram, er_fit_solve
 * fits ridge-penalised weighted least squares with a selected subset of the terms; the
 * er_fit_path_* functions give the error of a whole grid of penalties at once, for
 * choosing lambda by cross-validation or GCV. See docs/training.md. */
#ifndef ENGRATE_FIT_H
#define ENGRATE_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "ddouble.h"
#include "common.h"

/* Index of (i, j), i <= j, in a packed upper triangle stored column by column: adding
 * terms appends columns and never moves what is there. */
#define ER_PK(i, j) ((size_t)(j) * ((size_t)(j) + 1) / 2 + (size_t)(i))

typedef struct er_acc {
    size_t p;      /* terms (columns of X, the intercept column 0 included) */
    size_t cap;    /* terms allocated */
    er_dd *g;      /* X'WX, ER_PK(i, j) */
    er_dd *xy;     /* X'Wy */
    er_dd yy;      /* y'Wy */
    uint64_t n;    /* rows with a positive weight */
} er_acc;

ER_HIDDEN void er_acc_init(er_acc *a);
ER_HIDDEN void er_acc_free(er_acc *a);
/* Make room for p terms (new entries zero). 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int er_acc_reserve(er_acc *a, size_t p);
/* Add one row: nnz terms idx[] (strictly increasing, each < a->p; idx[0] = 0 for the
 * intercept) with values val[], target y, weight w > 0. Cost O(nnz^2). */
ER_HIDDEN void er_acc_add(er_acc *a, const uint32_t *idx, const double *val, size_t nnz,
                          double y, double w);
/* dst += src (dst grows to src's terms). 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int er_acc_merge(er_acc *dst, const er_acc *src);
/* Entry (i, j) of X'WX in either order. */
static inline er_dd er_acc_g(const er_acc *a, size_t i, size_t j)
{
    return i <= j ? a->g[ER_PK(i, j)] : a->g[ER_PK(j, i)];
}

/* What to fit: the terms `cols` (m of them, none of them 0) of an accumulator, with or
 * without the (unpenalised) intercept, penalty lambda * pen[j] * beta_j^2. */
typedef struct er_fit_spec {
    size_t m;
    const uint32_t *cols;
    const double *pen;
    int intercept;
} er_fit_spec;

typedef struct er_fit_result {
    double *beta;        /* m coefficients (caller's array) */
    double *se;          /* m standard errors (caller's array), or NULL: not computed */
    double b0, se0;      /* intercept and its standard error (0 without intercept) */
    double rss, tss;     /* weighted residual and total (centred with an intercept) SS */
    double r_squared, sigma;
    double df;           /* effective number of parameters: trace of the hat matrix */
    double cond;         /* 1-norm condition estimate of the scaled normal matrix */
    int refinements;     /* iterative refinement steps taken by the main solve */
    /* Optionally, with se: the covariance of n_cov of the coefficients, those at the
     * positions cov_idx[] (into cols), into cov (caller's array, n_cov x n_cov, row-major):
     * s^2 (C + Lambda)^-1 C (C + Lambda)^-1, whose diagonal is se squared. */
    const size_t *cov_idx;
    size_t n_cov;
    double *cov;
    int threads;         /* threads the standard errors' solves may use (0 or 1: this one) */
} er_fit_result;

/* Run fn(arg, i, n) for each i in [0, n) on n threads, this one among them, n being
 * `threads` clamped to [1, ER_TEAM_MAX]; a share whose thread cannot be started runs here
 * after the others. Each share writes only outputs of its own, so that what is computed
 * does not depend on n. */
#define ER_TEAM_MAX 64
ER_HIDDEN void er_team_run(int threads, void (*fn)(void *arg, int i, int n), void *arg);

/* Fit. Returns 0, ENGRATE_E_SINGULAR (err says how ill-conditioned, and names a constant
 * term through `names` when it can; names may be NULL), ENGRATE_E_DATA (no rows),
 * ENGRATE_E_NOMEM. */
ER_HIDDEN int er_fit_solve(const er_acc *a, const er_fit_spec *spec, double lambda,
                           er_fit_result *res, const char *const *names, engrate_error *err);

/* Held-out weighted SSE of (b0, beta) on the rows of accumulator `a`, exact from its Gram. */
ER_HIDDEN double er_fit_sse(const er_acc *a, const er_fit_spec *spec, double b0,
                            const double *beta);
/* The same for n <= ER_FIT_LANES coefficient vectors (b0[c], beta[c]) into out[c]: each
 * exactly what er_fit_sse gives, in about the time of one. */
#define ER_FIT_LANES 4
ER_HIDDEN void er_fit_sse_lanes(const er_acc *a, const er_fit_spec *spec, const double *b0,
                                const double *const *beta, double *out, int n);

/* A grid of penalties for one training accumulator, evaluated through one symmetric
 * eigendecomposition (O(m^3) once, O(m^2) per lambda). */
typedef struct er_path er_path;
ER_HIDDEN er_path *er_path_new(const er_acc *train, const er_fit_spec *spec, int *rc);
ER_HIDDEN void er_path_free(er_path *path);
/* Mean eigenvalue of the penalty-scaled centred normal matrix: the natural unit of lambda. */
ER_HIDDEN double er_path_scale(const er_path *path);
/* Coefficients at lambda (> 0) into beta[m], intercept into *b0. */
ER_HIDDEN void er_path_coef(const er_path *path, double lambda, double *beta, double *b0);
/* Residual SS on the training rows and effective degrees of freedom at lambda (GCV). */
ER_HIDDEN void er_path_rss_df(const er_path *path, double lambda, const double *beta,
                              double *rss, double *df);

#endif
