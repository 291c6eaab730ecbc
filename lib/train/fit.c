/* fit.c: weighted ridge least squares from double-double Gram matrices: the mergeable
 * accumulator, the solve (centring, column scaling, Cholesky, iterative refinement with
 * double-double residuals, standard errors) and the eigendecomposition path used to
 * choose lambda. Why it is done this way: docs/training.md. */
#include "config.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "fit.h"

/* ---- Accumulator ------------------------------------------------------------------- */

void er_acc_init(er_acc *a) { memset(a, 0, sizeof *a); }

void er_acc_free(er_acc *a)
{
    free(a->g);
    free(a->xy);
    er_acc_init(a);
}

int er_acc_reserve(er_acc *a, size_t p)
{
    if (p <= a->p)
        return 0;
    if (p > a->cap) {
        size_t cap = a->cap ? a->cap : 16;
        while (cap < p)
            cap *= 2;
        er_dd *g = realloc(a->g, ER_PK(0, cap) * sizeof *g);
        if (!g)
            return ENGRATE_E_NOMEM;
        a->g = g;
        er_dd *xy = realloc(a->xy, cap * sizeof *xy);
        if (!xy)
            return ENGRATE_E_NOMEM;
        a->xy = xy;
        a->cap = cap;
    }
    memset(a->g + ER_PK(0, a->p), 0, (ER_PK(0, p) - ER_PK(0, a->p)) * sizeof *a->g);
    memset(a->xy + a->p, 0, (p - a->p) * sizeof *a->xy);
    a->p = p;
    return 0;
}

void er_acc_add(er_acc *a, const uint32_t *idx, const double *val, size_t nnz, double y,
                double w)
{
    /* Each product w * v_k * v_l is formed exactly as a double-double (two_prod, then a
     * product with ~2^-106 error) and added with the accurate double-double sum. The
     * common cases, unit weight and 0/1 indicators, skip the multiplications. */
    for (size_t l = 0; l < nnz; l++) {
        er_dd *col = a->g + ER_PK(0, idx[l]);
        double vl = val[l];
        if (w == 1.0) {
            for (size_t k = 0; k <= l; k++) {
                double vk = val[k];
                er_dd t = vl == 1.0 ? dd_make(vk, 0) : vk == 1.0 ? dd_make(vl, 0)
                                                                 : dd_two_prod(vk, vl);
                col[idx[k]] = dd_add(col[idx[k]], t);
            }
        } else {
            for (size_t k = 0; k <= l; k++) {
                er_dd t = dd_two_prod(w, val[k]);
                if (vl != 1.0)
                    t = dd_mul_d(t, vl);
                col[idx[k]] = dd_add(col[idx[k]], t);
            }
        }
        a->xy[idx[l]] = dd_add(a->xy[idx[l]], dd_mul_d(dd_two_prod(w, vl), y));
    }
    a->yy = dd_add(a->yy, dd_mul_d(dd_two_prod(w, y), y));
    a->n++;
}

int er_acc_merge(er_acc *dst, const er_acc *src)
{
    if (er_acc_reserve(dst, src->p))
        return ENGRATE_E_NOMEM;
    size_t np = ER_PK(0, src->p);
    for (size_t i = 0; i < np; i++)
        dst->g[i] = dd_add(dst->g[i], src->g[i]);
    for (size_t i = 0; i < src->p; i++)
        dst->xy[i] = dd_add(dst->xy[i], src->xy[i]);
    dst->yy = dd_add(dst->yy, src->yy);
    dst->n += src->n;
    return 0;
}

/* ---- The centred system ------------------------------------------------------------ */

/* C (m x m, row-major), c (m) and y'Wy of the selected terms, centred by the weighted
 * means when there is an intercept (X_c'WX_c = X'WX - (X'w)(w'X)/sum w, in double-double),
 * raw otherwise. mean[j] gets the weighted means (0 without intercept). */
typedef struct sys {
    size_t m;
    er_dd *C, *c, yy, sw, ybar;
    er_dd *mean;
} sys;

static void sys_free(sys *s)
{
    free(s->C);
    free(s->c);
    free(s->mean);
}

static int sys_build(sys *s, const er_acc *a, const er_fit_spec *spec)
{
    size_t m = spec->m;
    memset(s, 0, sizeof *s);
    s->m = m;
    s->C = malloc((m * m + 1) * sizeof *s->C);
    s->c = malloc((m + 1) * sizeof *s->c);
    s->mean = malloc((m + 1) * sizeof *s->mean);
    if (!s->C || !s->c || !s->mean) {
        sys_free(s);
        return ENGRATE_E_NOMEM;
    }
    s->sw = a->p ? a->g[0] : dd_make(0, 0);
    if (spec->intercept && s->sw.hi > 0) {
        s->ybar = dd_div(a->xy[0], s->sw);
        for (size_t j = 0; j < m; j++)
            s->mean[j] = dd_div(er_acc_g(a, 0, spec->cols[j]), s->sw);
        for (size_t j = 0; j < m; j++) {
            for (size_t k = j; k < m; k++) {
                er_dd g = er_acc_g(a, spec->cols[j], spec->cols[k]);
                er_dd v = dd_sub(g, dd_mul(s->mean[j], er_acc_g(a, 0, spec->cols[k])));
                s->C[j * m + k] = v;
                s->C[k * m + j] = v;
            }
            s->c[j] = dd_sub(a->xy[spec->cols[j]], dd_mul(s->mean[j], a->xy[0]));
        }
        s->yy = dd_sub(a->yy, dd_mul(s->ybar, a->xy[0]));
    } else {
        s->ybar = dd_make(0, 0);
        for (size_t j = 0; j < m; j++) {
            s->mean[j] = dd_make(0, 0);
            for (size_t k = j; k < m; k++) {
                er_dd v = er_acc_g(a, spec->cols[j], spec->cols[k]);
                s->C[j * m + k] = v;
                s->C[k * m + j] = v;
            }
            s->c[j] = a->xy[spec->cols[j]];
        }
        s->yy = a->yy;
    }
    return 0;
}

/* r = b - (C + diag(pen)) x, in double-double, rounded, for n solves at once (lanes).
 * Each lane's operations are those of its solve alone, in the same order: the lanes only
 * let the processor overlap their chains of dependent additions, which one solve waits
 * on. Where the processor has FMA, a copy of this compiled for it does the products'
 * exact errors with one instruction instead of a call (fma gives the same bits either
 * way, and the build never contracts other arithmetic: -std=c11, -ffp-contract=off). */
#define LANES ER_FIT_LANES

/* Lane functions are inlined into their callers (the FMA copies among them), there
 * compiled for a constant lane count. */
ER_INLINE_ALWAYS void residual_lanes(const sys *s, const double *pen, const er_dd *const *b,
                           const double *const *x, double *const *r, int n)
{
    size_t m = s->m;
    for (size_t j = 0; j < m; j++) {
        er_dd acc[LANES];
        for (int c = 0; c < n; c++)
            acc[c] = b[c][j];
        const er_dd *row = s->C + j * m;
        for (size_t k = 0; k < m; k++) {
            er_dd v = row[k];
            for (int c = 0; c < n; c++)
                acc[c] = dd_sub(acc[c], dd_mul_d(v, x[c][k]));
        }
        for (int c = 0; c < n; c++) {
            if (pen)
                acc[c] = dd_sub(acc[c], dd_two_prod(pen[j], x[c][j]));
            r[c][j] = dd_to_d(acc[c]);
        }
    }
}

ER_FMA_CLONES
static void residual(const sys *s, const double *pen, const er_dd *const *b,
                     const double *const *x, double *const *r, int n)
{
    switch (n) { /* a constant lane count: the accumulators stay in registers */
    case 1: residual_lanes(s, pen, b, x, r, 1); break;
    case 2: residual_lanes(s, pen, b, x, r, 2); break;
    case 3: residual_lanes(s, pen, b, x, r, 3); break;
    default: residual_lanes(s, pen, b, x, r, LANES); break;
    }
}

/* x'(C)x - 2 x'c + yy, the residual sum of squares of x, in double-double. */
static double quad_rss(const sys *s, const double *x)
{
    size_t m = s->m;
    er_dd acc = s->yy;
    for (size_t j = 0; j < m; j++) {
        er_dd rowsum = dd_make(0, 0);
        const er_dd *row = s->C + j * m;
        for (size_t k = 0; k < m; k++)
            rowsum = dd_add(rowsum, dd_mul_d(row[k], x[k]));
        /* x_j * (C x)_j - 2 x_j c_j */
        acc = dd_add(acc, dd_mul_d(dd_sub(rowsum, dd_mul_d(s->c[j], 2.0)), x[j]));
    }
    return dd_to_d(acc);
}

/* ---- GSL without its error handler --------------------------------------------------
 *
 * GSL reports every error (an allocation that failed, dimensions that do not match, a
 * matrix that is not positive definite) through one error handler per process, which by
 * default prints and aborts; the library may neither abort nor set a handler that belongs
 * to its host (a Python or Ruby interpreter, a server). So it only makes calls that cannot
 * reach that handler: every matrix, vector and workspace is memory of ours (malloc,
 * checked: ENGRATE_E_NOMEM) handed to GSL as a view, never gsl_*_alloc; views are made of
 * m > 0 elements only; dimensions match by construction; and the routines used,
 * gsl_linalg_cholesky_svx, gsl_linalg_cholesky_rcond and gsl_eigen_symmv, have no other
 * error condition and allocate nothing (they work in the views and the workspace given).
 * tests/check_chaos.c fails any training run in which GSL allocates. docs/training.md,
 * "Memory". */

static gsl_matrix_view square_view(double *a, size_t m)
{
    return gsl_matrix_view_array(a, m, m);
}

/* ---- Factorisation ----------------------------------------------------------------- */

/* Cholesky of the scaled matrix A (m x m, row-major, m > 0) in place: L in the lower
 * triangle and on the diagonal; the upper triangle keeps A, which is where
 * gsl_linalg_cholesky_rcond reads A's norm (the layout gsl_linalg_cholesky_decomp1 leaves).
 * Our own few lines rather than gsl_linalg_cholesky_decomp1: GSL reports a matrix that is
 * not positive definite through its error handler (above). Returns the failing column
 * + 1, or 0 on success. */
static size_t cholesky(double *A, size_t m)
{
    for (size_t j = 0; j < m; j++) {
        double *rj = A + j * m;
        double d = rj[j];
        for (size_t k = 0; k < j; k++)
            d -= rj[k] * rj[k];
        if (!(d > 0) || !isfinite(d))
            return j + 1;
        d = sqrt(d);
        rj[j] = d;
        for (size_t i = j + 1; i < m; i++) {
            double *ri = A + i * m;
            double v = ri[j];
            for (size_t k = 0; k < j; k++)
                v -= ri[k] * rj[k];
            ri[j] = v / d;
        }
    }
    return 0;
}

typedef struct factor {
    size_t m;
    double *mem;      /* one block for the arrays below */
    double *d;        /* column scaling: 1/sqrt(diag) */
    double *pen;      /* lambda * pen[j] (NULL when lambda is 0) */
    double *L;        /* m x m: the factor (cholesky above) */
    double *t;        /* m: scratch of one solve (refined_solve) */
    double *work;     /* 3m: gsl_linalg_cholesky_rcond's workspace */
    double cond;
} factor;

static void factor_free(factor *f) { free(f->mem); }

/* Scale C + lambda*pen to unit diagonal, round, factor. Returns 0, ENGRATE_E_NOMEM, or
 * ENGRATE_E_SINGULAR with *bad = the zero column + 1 (0: not one column's fault). m > 0. */
static int factor_build(factor *f, const sys *s, const er_fit_spec *spec, double lambda,
                        size_t *bad)
{
    size_t m = s->m;
    memset(f, 0, sizeof *f);
    f->m = m;
    *bad = 0;
    if (!(f->mem = malloc((m * m + 6 * m) * sizeof *f->mem)))
        return ENGRATE_E_NOMEM;
    f->d = f->mem;
    f->pen = lambda > 0 ? f->d + m : NULL;
    f->L = f->d + 2 * m;
    f->t = f->L + m * m;
    f->work = f->t + m;
    for (size_t j = 0; j < m; j++) {
        if (f->pen)
            f->pen[j] = lambda * spec->pen[j];
        double diag = dd_to_d(s->C[j * m + j]) + (f->pen ? f->pen[j] : 0);
        if (!(diag > 0) || !isfinite(diag)) {
            *bad = j + 1;
            return ENGRATE_E_SINGULAR;
        }
        f->d[j] = 1 / sqrt(diag);
    }
    for (size_t j = 0; j < m; j++) {
        for (size_t k = 0; k < m; k++) {
            er_dd v = s->C[j * m + k];
            if (j == k && f->pen)
                v = dd_add_d(v, f->pen[j]);
            f->L[j * m + k] = dd_to_d(dd_mul_d(dd_mul_d(v, f->d[j]), f->d[k]));
        }
    }
    if (cholesky(f->L, m)) {
        f->cond = INFINITY;
        return ENGRATE_E_SINGULAR;
    }
    /* m x m factor and 3m workspace: the only error conditions of the call. */
    double rcond = 0;
    gsl_matrix_view L = square_view(f->L, m);
    gsl_vector_view work = gsl_vector_view_array(f->work, 3 * m);
    gsl_linalg_cholesky_rcond(&L.matrix, &rcond, &work.vector);
    f->cond = rcond > 0 ? 1 / rcond : INFINITY;
    return 0;
}

/* Solve (C + lambda*pen) x = b (b in double-double): a solve with the rounded factor of
 * the scaled matrix, then refinement steps whose residuals are computed in double-double
 * from the exact Gram, until the correction stops shrinking. Returns the number of steps,
 * or -1 when the corrections never got below 2^-40 of x (the answer is not reliable).
 * refined_lanes does n <= LANES such solves side by side (out[c]: lane c's steps, or -1),
 * each exactly as alone. r (m a lane) and t (m) are scratch: solves with scratch of their
 * own may run at once. */
static void refined_lanes(const factor *f, const sys *s, const er_dd *const *b,
                          double *const *x, double *const *r, double *tv, int n, int *out)
{
    size_t m = f->m;
    gsl_matrix_view L = square_view(f->L, m);
    gsl_vector_view t = gsl_vector_view_array(tv, m);
    double prev[LANES];
    int lane[LANES], na = n; /* the lanes still refining */
    for (int c = 0; c < n; c++) {
        for (size_t j = 0; j < m; j++)
            x[c][j] = 0;
        prev[c] = INFINITY;
        lane[c] = c;
        out[c] = 0;
    }
    for (int it = 0; it < 40 && na > 0; it++) {
        const er_dd *ab[LANES];
        const double *ax[LANES];
        double *ar[LANES];
        for (int a = 0; a < na; a++) {
            ab[a] = b[lane[a]];
            ax[a] = x[lane[a]];
            ar[a] = r[lane[a]];
        }
        if (it > 0) {
            residual(s, f->pen, ab, ax, ar, na);
        } else { /* x = 0: the residual is b */
            for (int a = 0; a < na; a++)
                for (size_t j = 0; j < m; j++)
                    ar[a][j] = dd_to_d(ab[a][j]);
        }
        int keep = 0;
        for (int a = 0; a < na; a++) {
            int c = lane[a];
            double *xc = x[c];
            for (size_t j = 0; j < m; j++)
                tv[j] = r[c][j] * f->d[j];
            gsl_linalg_cholesky_svx(&L.matrix, &t.vector); /* m x m and m: nothing to report */
            double dn = 0, xn = 0;
            for (size_t j = 0; j < m; j++) {
                double dx = tv[j] * f->d[j];
                xc[j] += dx;
                if (fabs(dx) > dn)
                    dn = fabs(dx);
                if (fabs(xc[j]) > xn)
                    xn = fabs(xc[j]);
            }
            out[c] = it;
            if (dn <= DBL_EPSILON * xn || dn == 0)
                continue;
            if (it > 0 && dn > 0.5 * prev[c]) { /* stopped shrinking: at the accuracy floor */
                out[c] = dn <= ldexp(xn, -40) ? it : -1;
                continue;
            }
            prev[c] = dn;
            lane[keep++] = c;
        }
        na = keep;
    }
    for (int a = 0; a < na; a++) /* 40 steps and still refining */
        out[lane[a]] = prev[lane[a]] <= ldexp(1.0, -40) ? out[lane[a]] : -1;
}

static int refined_solve(const factor *f, const sys *s, const er_dd *b, double *x, double *r,
                         double *tv)
{
    int steps;
    refined_lanes(f, s, &b, &x, &r, tv, 1, &steps);
    return steps;
}

/* ---- Work on several threads ------------------------------------------------------- */

typedef struct team_share {
    void (*fn)(void *, int, int);
    void *arg;
    int i, n;
} team_share;

static void *team_main(void *p)
{
    team_share *sh = p;
    sh->fn(sh->arg, sh->i, sh->n);
    return NULL;
}

void er_team_run(int threads, void (*fn)(void *arg, int i, int n), void *arg)
{
    int n = threads < 1 ? 1 : threads > ER_TEAM_MAX ? ER_TEAM_MAX : threads;
    pthread_t th[ER_TEAM_MAX];
    team_share sh[ER_TEAM_MAX];
    int started[ER_TEAM_MAX] = {0};
    for (int i = 1; i < n; i++) {
        sh[i] = (team_share){fn, arg, i, n};
        started[i] = pthread_create(&th[i], NULL, team_main, &sh[i]) == 0;
    }
    fn(arg, 0, n);
    for (int i = 1; i < n; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            fn(arg, i, n);
    }
}

/* Solves of (C + lambda*pen) u = e_col, one per column of `want`, shared among threads,
 * each share with scratch of its own and each column's results written to its own place:
 * the same numbers whatever the number of threads. */
typedef struct columns {
    const factor *f;
    const sys *s;
    const size_t *want;     /* the columns (NULL: 0, 1, ..., n - 1) */
    size_t n;
    double *U;              /* n x m: the solutions kept, or NULL */
    double *cu, *ucu, *ujj; /* per column, for the standard errors: (C u)_col, u'C u, u_col
                             * (NULL: not computed) */
    signed char *bad;       /* per column: the solve was not reliable */
    double *scratch;        /* per share: for each lane b (2m, er_dd), r and u (m each);
                             * then t (m) */
} columns;

#define COLUMN_SCRATCH (4 * LANES + 1) /* scratch of a share, in m doubles */

static void solve_columns(void *arg, int i, int n)
{
    columns *c = arg;
    size_t m = c->f->m;
    double *mine = c->scratch + (size_t)i * COLUMN_SCRATCH * m;
    double *t = mine + 4 * LANES * m;
    /* this share's columns i, i + n, i + 2n, ..., LANES at a time */
    for (size_t k0 = (size_t)i; k0 < c->n; k0 += (size_t)n * LANES) {
        const er_dd *b[LANES];
        double *u[LANES], *r[LANES];
        size_t ks[LANES];
        int nl = 0, steps[LANES];
        for (size_t k = k0; k < c->n && nl < LANES; k += (size_t)n, nl++) {
            double *lane = mine + (size_t)nl * 4 * m;
            er_dd *bl = (er_dd *)lane;
            size_t col = c->want ? c->want[k] : k;
            for (size_t l = 0; l < m; l++)
                bl[l] = dd_make(l == col, 0);
            b[nl] = bl;
            r[nl] = lane + 2 * m;
            u[nl] = c->U ? c->U + k * m : lane + 3 * m;
            ks[nl] = k;
        }
        refined_lanes(c->f, c->s, b, u, r, t, nl, steps);
        for (int a = 0; a < nl; a++) {
            size_t k = ks[a], col = c->want ? c->want[k] : k;
            c->bad[k] = steps[a] < 0;
            if (!c->cu)
                continue;
            double cu = 0, ucu = 0;
            for (size_t l = 0; l < m; l++) {
                double row = 0;
                for (size_t q = 0; q < m; q++)
                    row += dd_to_d(c->s->C[l * m + q]) * u[a][q];
                if (l == col)
                    cu = row;
                ucu += u[a][l] * row;
            }
            c->cu[k] = cu;
            c->ucu[k] = ucu;
            c->ujj[k] = u[a][col];
        }
    }
}

/* The solves of c on up to `threads` threads. 0 or ENGRATE_E_NOMEM. */
static int run_columns(columns *c, int threads)
{
    size_t m = c->f->m, n = threads < 1 ? 1 : (size_t)threads;
    if (n > ER_TEAM_MAX)
        n = ER_TEAM_MAX;
    if (n > c->n)
        n = c->n;
    if (n == 0)
        return 0;
    if (!(c->scratch = malloc(n * COLUMN_SCRATCH * m * sizeof *c->scratch)))
        return ENGRATE_E_NOMEM;
    er_team_run((int)n, solve_columns, c);
    free(c->scratch);
    c->scratch = NULL;
    return 0;
}

/* ---- Fit --------------------------------------------------------------------------- */

/* The covariance block of the coefficients res->cov_idx (a curve's terms: the report's
 * band), s^2 u_a'C u_b with u_a = H e_a, H = (C + lambda P)^-1, from refined solves as the
 * standard errors are (with lambda = 0, s^2 (C^-1)_ab = s^2 u_b[a]); its diagonal is what
 * er_fit_solve squares into se. 0 or ENGRATE_E_NOMEM. */
static int covariance(const factor *f, const sys *s, double lambda, double s2,
                      er_fit_result *res)
{
    size_t m = s->m, n = res->n_cov;
    double *U = malloc((n * m + m + 1) * sizeof *U);
    signed char *bad = malloc(n + 1);
    columns c = {f, s, res->cov_idx, n, U, NULL, NULL, NULL, bad, NULL};
    if (!U || !bad || run_columns(&c, res->threads)) {
        free(U);
        free(bad);
        return ENGRATE_E_NOMEM;
    }
    free(bad);
    double *cu = U + n * m; /* C u_b */
    for (size_t bj = 0; bj < n; bj++) {
        const double *ub = U + bj * m;
        for (size_t k = 0; k < m; k++) {
            double row = 0;
            for (size_t l = 0; l < m; l++)
                row += dd_to_d(s->C[k * m + l]) * ub[l];
            cu[k] = row;
        }
        for (size_t a = 0; a <= bj; a++) {
            const double *ua = U + a * m;
            double v = 0;
            if (lambda > 0)
                for (size_t k = 0; k < m; k++)
                    v += ua[k] * cu[k];
            else
                v = 0.5 * (ub[res->cov_idx[a]] + ua[res->cov_idx[bj]]);
            res->cov[a * n + bj] = res->cov[bj * n + a] = s2 * v;
        }
    }
    free(U);
    return 0;
}

int er_fit_solve(const er_acc *a, const er_fit_spec *spec, double lambda, er_fit_result *res,
                 const char *const *names, engrate_error *err)
{
    size_t m = spec->m;
    int rc;
    sys s;
    factor f;
    memset(&f, 0, sizeof f);
    double *r = NULL, *u = NULL;
    if (a->n == 0)
        return er_error(err, ENGRATE_E_DATA, NULL, 0, 0, "no rows to fit");
    if ((rc = sys_build(&s, a, spec)))
        return er_error(err, rc, NULL, 0, 0, "out of memory");
    res->b0 = 0;
    res->se0 = 0;
    res->cond = 1;
    res->refinements = 0;
    r = malloc((m + 1) * sizeof *r);
    u = malloc((m + 1) * sizeof *u);
    if (!r || !u) {
        rc = er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    if (m > 0) {
        size_t bad = 0;
        rc = factor_build(&f, &s, spec, lambda, &bad);
        if (rc == ENGRATE_E_NOMEM) {
            er_error(err, rc, NULL, 0, 0, "out of memory");
            goto done;
        }
        if (rc && bad && names) {
            er_error(err, rc, NULL, 0, 0,
                     "design too ill-conditioned: term '%s' is constant%s", names[bad - 1],
                     spec->intercept ? " (the intercept already covers it)" : " (all zero)");
            goto done;
        }
        if (rc) {
            er_error(err, rc, NULL, 0, 0,
                     "design too ill-conditioned: the normal matrix is not numerically "
                     "positive definite (condition number > 1e16); terms are collinear");
            goto done;
        }
        res->cond = f.cond;
        int steps = refined_solve(&f, &s, s.c, res->beta, r, f.t);
        if (steps < 0 || f.cond > 0.25 / DBL_EPSILON) {
            rc = er_error(err, ENGRATE_E_SINGULAR, NULL, 0, 0,
                          "design too ill-conditioned: condition number ~%.1e, the "
                          "coefficients cannot be determined reliably",
                          f.cond);
            goto done;
        }
        res->refinements = steps;
    }
    /* Statistics from the Gram: RSS of the fitted beta, TSS, R^2. */
    res->rss = quad_rss(&s, res->beta);
    if (res->rss < 0)
        res->rss = 0;
    res->tss = dd_to_d(s.yy);
    res->r_squared = res->tss > 0 ? 1 - res->rss / res->tss : NAN;
    if (spec->intercept) {
        er_dd t = s.ybar;
        for (size_t j = 0; j < m; j++)
            t = dd_sub(t, dd_mul_d(s.mean[j], res->beta[j]));
        res->b0 = dd_to_d(t);
    }
    /* Standard errors: Var(beta) = s^2 H C H with H = (C + lambda P)^-1 (the usual
     * s^2 C^-1 when lambda = 0), each column of H by a refined solve; the intercept
     * b0 = ybar - mean'beta has variance s^2 (1/sum w + v'Cv), v = H mean. */
    double df = 0;
    double *var = res->se;
    if (!var) { /* coefficients only (cross-validation fits) */
        res->df = NAN;
        res->sigma = NAN;
        rc = 0;
        goto done;
    }
    if (m > 0) { /* column j of H, u = H e_j: one solve each, on the threads allowed */
        double *col = malloc(3 * m * sizeof *col);
        signed char *bad = malloc(m);
        columns c = {&f, &s, NULL, m, NULL, col, col + m, col + 2 * m, bad, NULL};
        if (!col || !bad || run_columns(&c, res->threads)) {
            free(col);
            free(bad);
            rc = er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
            goto done;
        }
        size_t j = 0;
        while (j < m && !(bad[j] && lambda == 0)) {
            df += lambda > 0 ? c.cu[j] : 1;
            var[j] = lambda > 0 ? c.ucu[j] : c.ujj[j];
            j++;
        }
        free(col);
        free(bad);
        if (j < m) {
            rc = er_error(err, ENGRATE_E_SINGULAR, NULL, 0, 0,
                          "design too ill-conditioned: condition number ~%.1e", f.cond);
            goto done;
        }
    }
    res->df = df + (spec->intercept ? 1 : 0);
    double dfr = (double)a->n - res->df;
    double s2 = dfr > 0 ? res->rss / dfr : NAN;
    res->sigma = sqrt(s2);
    if (var) {
        for (size_t j = 0; j < m; j++)
            var[j] = sqrt(s2 * (var[j] > 0 ? var[j] : 0));
        if (spec->intercept) {
            double q = 0;
            if (m > 0) {
                refined_solve(&f, &s, s.mean, u, r, f.t);
                if (lambda > 0) {
                    for (size_t k = 0; k < m; k++) {
                        double row = 0;
                        for (size_t l = 0; l < m; l++)
                            row += dd_to_d(s.C[k * m + l]) * u[l];
                        q += u[k] * row;
                    }
                } else {
                    er_dd t = dd_make(0, 0);
                    for (size_t k = 0; k < m; k++)
                        t = dd_add(t, dd_mul_d(s.mean[k], u[k]));
                    q = dd_to_d(t);
                }
            }
            res->se0 = sqrt(s2 * (1 / dd_to_d(s.sw) + q));
        }
    }
    if (res->n_cov && res->cov && covariance(&f, &s, lambda, s2, res)) {
        rc = er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    rc = 0;
done:
    free(r);
    free(u);
    factor_free(&f);
    sys_free(&s);
    return rc;
}

/* gamma = (b0, beta) over terms (0, cols): yy - 2 gamma'X'Wy + gamma'X'WX gamma, for n
 * coefficient vectors at once, each lane's operations those of it alone (as in
 * residual_lanes). */
ER_INLINE_ALWAYS void sse_lanes(const er_acc *a, const er_fit_spec *spec, const double *b0,
                      const double *const *beta, double *out, int n)
{
    size_t m = spec->m;
    size_t off = spec->intercept ? 1 : 0;
    size_t nt = m + off;
    er_dd acc[LANES];
    for (int c = 0; c < n; c++)
        acc[c] = a->yy;
    for (size_t j = 0; j < nt; j++) {
        size_t cj = j < off ? 0 : spec->cols[j - off];
        if (cj >= a->p)
            continue;
        er_dd row[LANES];
        for (int c = 0; c < n; c++)
            row[c] = dd_make(0, 0);
        for (size_t k = 0; k < nt; k++) {
            size_t ck = k < off ? 0 : spec->cols[k - off];
            if (ck >= a->p)
                continue;
            er_dd g = er_acc_g(a, cj, ck);
            for (int c = 0; c < n; c++) {
                double gk = k < off ? b0[c] : beta[c][k - off];
                if (gk != 0)
                    row[c] = dd_add(row[c], dd_mul_d(g, gk));
            }
        }
        for (int c = 0; c < n; c++) {
            double gj = j < off ? b0[c] : beta[c][j - off];
            if (gj == 0)
                continue;
            row[c] = dd_sub(row[c], dd_mul_d(a->xy[cj], 2.0));
            acc[c] = dd_add(acc[c], dd_mul_d(row[c], gj));
        }
    }
    for (int c = 0; c < n; c++) {
        double v = dd_to_d(acc[c]);
        out[c] = v > 0 ? v : 0;
    }
}

ER_FMA_CLONES
void er_fit_sse_lanes(const er_acc *a, const er_fit_spec *spec, const double *b0,
                      const double *const *beta, double *out, int n)
{
    switch (n) {
    case 1: sse_lanes(a, spec, b0, beta, out, 1); break;
    case 2: sse_lanes(a, spec, b0, beta, out, 2); break;
    case 3: sse_lanes(a, spec, b0, beta, out, 3); break;
    default: sse_lanes(a, spec, b0, beta, out, LANES); break;
    }
}

double er_fit_sse(const er_acc *a, const er_fit_spec *spec, double b0, const double *beta)
{
    double out;
    er_fit_sse_lanes(a, spec, &b0, &beta, &out, 1);
    return out;
}

/* ---- Penalty path ------------------------------------------------------------------ */

struct er_path {
    size_t m;
    double *mem;    /* one block for the arrays below */
    double *eval;   /* eigenvalues of P^-1/2 C P^-1/2 */
    double *evec;   /* m x m, column k = eigenvector k */
    double *q;      /* V' P^-1/2 c */
    double *ps;     /* P^-1/2 */
    double *mean;   /* weighted means (0 without intercept) */
    double ybar;
    double scale;
    sys s;
};

/* The eigendecomposition of A (m x m, m > 0, destroyed) into eval and evec, in GSL's
 * tridiagonal QR with a workspace of ours (ws: 4m doubles; its fields are the public
 * ones of gsl_eigen.h, as gsl_eigen_symmv_alloc would fill them). */
static void eigen(double *A, size_t m, double *eval, double *evec, double *ws)
{
    gsl_matrix_view a = square_view(A, m), v = square_view(evec, m);
    gsl_vector_view e = gsl_vector_view_array(eval, m);
    gsl_eigen_symmv_workspace w = {.size = m, .d = ws, .sd = ws + m, .gc = ws + 2 * m,
                                   .gs = ws + 3 * m};
    gsl_eigen_symmv(&a.matrix, &e.vector, &v.matrix, &w); /* square, sizes match */
}

er_path *er_path_new(const er_acc *train, const er_fit_spec *spec, int *rc)
{
    size_t m = spec->m;
    er_path *p = calloc(1, sizeof *p);
    *rc = ENGRATE_E_NOMEM;
    if (!p)
        return NULL;
    p->m = m;
    if (sys_build(&p->s, train, spec)) {
        free(p);
        return NULL;
    }
    /* Kept: eval, q, ps, mean and evec. For the decomposition only: A and the workspace. */
    p->mem = malloc((m * m + 4 * m + 1) * sizeof *p->mem);
    double *tmp = m ? malloc((m * m + 4 * m) * sizeof *tmp) : NULL;
    if (!p->mem || (m && !tmp)) {
        free(tmp);
        er_path_free(p);
        return NULL;
    }
    p->eval = p->mem;
    p->q = p->eval + m;
    p->ps = p->q + m;
    p->mean = p->ps + m;
    p->evec = p->mean + m;
    p->ybar = dd_to_d(p->s.ybar);
    for (size_t j = 0; j < m; j++) {
        p->ps[j] = 1 / sqrt(spec->pen[j]);
        p->mean[j] = dd_to_d(p->s.mean[j]);
    }
    double tr = 0, *A = tmp;
    for (size_t j = 0; j < m; j++)
        for (size_t k = 0; k < m; k++)
            A[j * m + k] = dd_to_d(p->s.C[j * m + k]) * p->ps[j] * p->ps[k];
    for (size_t j = 0; j < m; j++)
        tr += A[j * m + j];
    p->scale = m ? tr / (double)m : 1;
    if (m) {
        eigen(A, m, p->eval, p->evec, tmp + m * m);
        for (size_t k = 0; k < m; k++) {
            if (!(p->eval[k] > 0))
                p->eval[k] = 0;
            double qk = 0;
            for (size_t j = 0; j < m; j++)
                qk += p->evec[j * m + k] * dd_to_d(p->s.c[j]) * p->ps[j];
            p->q[k] = qk;
        }
    }
    free(tmp);
    *rc = 0;
    return p;
}

void er_path_free(er_path *p)
{
    if (!p)
        return;
    free(p->mem);
    sys_free(&p->s);
    free(p);
}

double er_path_scale(const er_path *p) { return p->scale; }

void er_path_coef(const er_path *p, double lambda, double *beta, double *b0)
{
    size_t m = p->m;
    for (size_t j = 0; j < m; j++) {
        double v = 0;
        for (size_t k = 0; k < m; k++)
            v += p->evec[j * m + k] * p->q[k] / (p->eval[k] + lambda);
        beta[j] = v * p->ps[j];
    }
    double t = p->ybar;
    for (size_t j = 0; j < m; j++)
        t -= p->mean[j] * beta[j];
    *b0 = t;
}

void er_path_rss_df(const er_path *p, double lambda, const double *beta, double *rss, double *df)
{
    double v = quad_rss(&p->s, beta);
    *rss = v > 0 ? v : 0;
    double d = 0;
    for (size_t k = 0; k < p->m; k++)
        d += p->eval[k] / (p->eval[k] + lambda);
    *df = d;
}
