/* impute.c: --missing impute, as scikit-learn's SimpleImputer(strategy="mean",
 * add_indicator=True) does it: a numeric value that is not given is replaced by the
 * (weighted) mean of the values given, and a "was missing" indicator term is added.
 *
 * One pass cannot know that mean while it reads, so a missing value enters the sums as 0
 * with the indicator set. Every piece of the imputed column is then the stored column plus
 * a multiple of the indicator (piece_j(x) = stored_j + piece_j(mean) * indicator), a linear
 * change of columns; after the pass it is applied to the Gram matrices themselves
 * (G <- A'GA, exactly, in double-double), which then hold the sums of the imputed columns
 * as if the mean had been known all along. The fit, its penalty and its cross-validation
 * are then those of the imputed design. The model stores the mean as the input's default
 * and the indicator's coefficient as `missing`, so that an estimate without the value
 * computes curve(mean) + missing: what training fitted for rows without it. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <string.h>

#include "trainer.h"

/* Column j += alpha * column src of the design, in the sums of a: X'WX and X'Wy. */
void tr_add_column(er_acc *a, size_t j, size_t src, double alpha)
{
    if (alpha == 0 || a->p <= j || a->p <= src)
        return;
    er_dd gjs = er_acc_g(a, j, src), gss = er_acc_g(a, src, src);
    er_dd *gjj = &a->g[ER_PK(j, j)];
    *gjj = dd_add(*gjj, dd_add(dd_mul_d(gjs, 2 * alpha), dd_mul_d(dd_mul_d(gss, alpha), alpha)));
    for (size_t i = 0; i < a->p; i++) {
        if (i == j)
            continue;
        er_dd *gij = &a->g[i < j ? ER_PK(i, j) : ER_PK(j, i)];
        *gij = dd_add(*gij, dd_mul_d(er_acc_g(a, i, src), alpha));
    }
    a->xy[j] = dd_add(a->xy[j], dd_mul_d(a->xy[src], alpha));
}

/* The value of piece k of input in at x (in the data's units), scaled as the pass scales. */
static double piece_at(const tinput *in, size_t k, double x)
{
    double v = k == 0 ? x : x > in->knots[k - 1] ? x - in->knots[k - 1] : 0;
    return ldexp(v, -in->scale);
}

/* The weighted mean of the values given: sum(w x) / (sum(w) - sum(w * missing)). */
static double mean_given(const trainer *t, const tinput *in)
{
    er_dd sx = dd_make(0, 0), sw = dd_make(0, 0), swm = dd_make(0, 0);
    for (size_t k = 0; k < t->K; k++) {
        const er_acc *a = &t->acc[k];
        if (a->p <= in->first || a->p <= in->miss)
            continue;
        sx = dd_add(sx, a->g[ER_PK(0, in->first)]);
        sw = dd_add(sw, a->g[0]);
        swm = dd_add(swm, a->g[ER_PK(0, in->miss)]);
    }
    er_dd given = dd_sub(sw, swm);
    return given.hi > 0 ? ldexp(dd_to_d(dd_div(sx, given)), in->scale) : NAN;
}

void tr_impute(trainer *t)
{
    for (size_t i = 0; i < t->n_in; i++) {
        tinput *in = &t->in[i];
        if (in->kind != ENGRATE_NUMERIC || !in->miss)
            continue;
        double m = mean_given(t, in);
        if (!(in->min <= in->max)) { /* no value given at all: impute 0 */
            in->min = in->max = 0;
            m = 0;
        }
        in->imputed = m < in->min ? in->min : m > in->max ? in->max : m;
        for (size_t k = 0; k < t->K; k++)
            for (size_t p = 0; p <= in->n_knots; p++)
                tr_add_column(&t->acc[k], in->first + p, in->miss, piece_at(in, p, in->imputed));
    }
}

void tr_impute_to_rows(const trainer *t, double *coef)
{
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        if (in->kind != ENGRATE_NUMERIC || !in->miss)
            continue;
        for (size_t p = 0; p <= in->n_knots; p++)
            coef[in->miss] += coef[in->first + p] * piece_at(in, p, in->imputed);
    }
}
