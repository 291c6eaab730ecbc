/* curves.c: numeric curves that vary by the level of a categorical input
 * (--numeric years:knots=...:by=country; docs/training.md, "Curves that vary by a
 * level"). Each level seen often enough gets a deviation from the pooled curve: its own
 * slope (vary=slope, the default: one term per level, x on that level's rows), or its own
 * change of slope at every knot too (vary=knots: each piece of the curve on that level's
 * rows). The pass adds these pieces to the rows; after it they are centred at the typical
 * x (so that a level's own coefficient is its effect at the typical x, and a deviation
 * changes only the curve's shape), by a change of columns of the Gram matrices. Their
 * penalty is a multiple of lambda's, chosen with lambda by cross-validation, so that
 * levels with few rows keep close to the pooled curve. Here too: the model's `by` lines,
 * and the report's "curves_by_level". */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* The pieces a level's deviation has: the slope only, or every piece of the curve. */
static size_t pieces(const tinput *in)
{
    return in->vary == ER_VARY_KNOTS ? in->n_knots + 1 : 1;
}

/* ---- Set-up and the pass ----------------------------------------------------------- */

int tr_curves_setup(trainer *t)
{
    for (size_t i = 0; i < t->n_in; i++) {
        tinput *in = &t->in[i];
        if (in->kind != ENGRATE_NUMERIC || !in->by_col)
            continue;
        size_t b = tr_find_input(t, in->by_col);
        if (b == SIZE_MAX)
            return er_error(t->err, ENGRATE_E_INVALID, t->source, 0, 0,
                            "--numeric %s:by=%s: no input '%s' (give that column as "
                            "--categorical too)",
                            in->label, in->by_col, in->by_col);
        if (t->in[b].kind != ENGRATE_CATEGORICAL)
            return er_error(t->err, ENGRATE_E_INVALID, t->source, 0, 0,
                            "--numeric %s:by=%s: '%s' is a %s input; a curve varies by the "
                            "level of a categorical input (--categorical)",
                            in->label, in->by_col, t->in[b].label,
                            t->in[b].kind == ENGRATE_SET ? "set" : "numeric");
        if (t->o->missing == ER_MISSING_IMPUTE)
            return er_error(t->err, ENGRATE_E_INVALID, t->source, 0, 0,
                            "--numeric %s:by=%s cannot be combined with --missing impute (not "
                            "done yet); give --missing skip, or fill the values in",
                            in->label, in->by_col);
        in->by = b;
        t->curves_by = 1;
    }
    return 0;
}

/* Room in input i's table of deviations for level term lt. */
static int inter_room(tinput *in, uint32_t lt)
{
    size_t np = pieces(in);
    if (lt >= in->inter_cap) {
        size_t cap = in->inter_cap ? 2 * in->inter_cap : 64;
        while (cap <= lt)
            cap *= 2;
        uint32_t *n = realloc(in->inter, cap * np * sizeof *n);
        if (!n)
            return ENGRATE_E_NOMEM;
        memset(n + in->inter_cap * np, 0, (cap - in->inter_cap) * np * sizeof *n);
        in->inter = n;
        in->inter_cap = cap;
    }
    return 0;
}

int tr_curves_piece(trainer *t, size_t i, uint32_t lt, size_t p, uint32_t *out)
{
    tinput *in = &t->in[i];
    if (inter_room(in, lt))
        return ENGRATE_E_NOMEM;
    uint32_t *cell = &in->inter[lt * pieces(in) + p];
    if (!*cell && t->closed)
        return ENGRATE_E_DATA; /* the schema has every deviation its scan met */
    if (!*cell) {
        int rc = tr_new_term(t, (uint32_t)i, (uint32_t)p, NULL, -1);
        if (rc)
            return rc;
        *cell = (uint32_t)(t->n_terms - 1);
        t->terms[*cell].by_term = lt;
    }
    *out = *cell;
    return 0;
}

int tr_curves_take(trainer *t, uint32_t j)
{
    const term *tm = &t->terms[j];
    tinput *in = &t->in[tm->input];
    if (in->by == SIZE_MAX || tm->piece >= pieces(in) || tm->by_term >= j ||
        t->terms[tm->by_term].input != in->by)
        return ENGRATE_E_DATA;
    if (inter_room(in, tm->by_term))
        return ENGRATE_E_NOMEM;
    uint32_t *cell = &in->inter[tm->by_term * pieces(in) + tm->piece];
    if (*cell)
        return ENGRATE_E_DATA;
    *cell = j;
    return 0;
}

int tr_curves_row(trainer *t, size_t *nnz, const er_csv_field *f)
{
    size_t n0 = *nnz;
    for (size_t i = 0; i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        if (in->by == SIZE_MAX)
            continue;
        uint32_t lt = 0; /* the row's level of the by-column, if it gives one */
        for (size_t k = 1; k < n0 && !lt; k++)
            if (t->terms[t->ridx[k]].input == in->by)
                lt = t->ridx[k];
        for (size_t k = 1; lt && k < n0; k++) {
            const term *tm = &t->terms[t->ridx[k]];
            if (tm->input != i || tm->by_term || tm->piece >= pieces(in))
                continue; /* not one of the input's pooled pieces that vary */
            uint32_t j = 0;
            int rc = tr_curves_piece(t, i, lt, tm->piece, &j);
            if (rc == ENGRATE_E_DATA) {
                const term *lv = &t->terms[lt];
                const char *name = lv->label                   ? lv->label
                                   : lv->spellings != UINT32_MAX ? t->spells[lv->spellings].text
                                                                 : "?";
                const er_csv_field *at = &f[t->in[in->by].col];
                rc = tr_bad_row(t, "level not in the schema", ENGRATE_E_UNKNOWN_NAME, at->line,
                                at->col,
                                "column '%s': level '%s' has a '%s' the schema's scan did "
                                "not meet (scan the data you train on, all of it)",
                                t->in[in->by].label, name, in->label);
                return rc ? rc : 1;
            }
            if (rc)
                return er_error(t->err, rc, t->source, 0, 0,
                                rc == ENGRATE_E_LIMIT ? "more than %d terms (each level of "
                                                        "a by-column adds to them)"
                                                      : "out of memory",
                                ER_TRAIN_MAX_TERMS);
            if ((rc = tr_add_nz(t, nnz, j, t->rval[k])))
                return rc;
        }
    }
    return 0;
}

/* ---- Centring ---------------------------------------------------------------------- */

int tr_curves_centre(trainer *t)
{
    for (size_t i = 0; i < t->n_in; i++) {
        tinput *in = &t->in[i];
        if (in->by == SIZE_MAX)
            continue;
        size_t np = pieces(in);
        if (!(in->centre = er_pool_alloc(&t->pool, np * sizeof *in->centre)))
            return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        double x = dd_to_d(tr_term_mean(t, in->first)); /* scaled, as the pass sums it */
        if (isnan(x))
            x = 0;
        for (size_t p = 0; p < np; p++) {
            double knot = p ? ldexp(in->knots[p - 1], -in->scale) : 0;
            in->centre[p] = p == 0 ? x : x > knot ? x - knot : 0;
        }
        /* A fold whose rows came before a level's pieces were made has no column for them,
         * yet needs one: its rows of the level have the centred value -centre. */
        for (size_t k = 0; k < t->K; k++) {
            if (er_acc_reserve(&t->acc[k], t->n_terms))
                return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
            for (size_t j = 1; j < t->n_terms; j++) {
                const term *tm = &t->terms[j];
                if (tm->input == i && tm->by_term)
                    tr_add_column(&t->acc[k], j, tm->by_term, -in->centre[tm->piece]);
            }
        }
    }
    return 0;
}

void tr_curves_to_rows(const trainer *t, double *coef)
{
    for (size_t j = 1; j < t->n_terms; j++) {
        const term *tm = &t->terms[j];
        if (tm->by_term && t->in[tm->input].centre)
            coef[tm->by_term] -= coef[j] * t->in[tm->input].centre[tm->piece];
    }
}

int tr_is_deviation(const trainer *t, uint32_t term_i)
{
    return t->terms[term_i].by_term != 0;
}

/* ---- Lambda and the deviations' penalty -------------------------------------------- */

/* The ratios tried: 1 to 1000 in half-decades. */
#define N_RATIOS 7

/* The fit without the deviations, lambda chosen alike: its error and lambda. */
static int measure_pooled(trainer *t, const er_acc *total, const selection *sel, outcome *oc)
{
    size_t m = 0;
    uint32_t *cols = malloc(sel->m * sizeof *cols);
    double *pen = malloc(sel->m * sizeof *pen), grid[TR_GRID], err[TR_GRID];
    int rc = cols && pen ? 0 : er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    for (size_t k = 0; rc == 0 && k < sel->m; k++)
        if (!sel->dev[k]) {
            cols[m] = sel->cols[k];
            pen[m++] = sel->pen[k];
        }
    er_fit_spec spec = {m, cols, pen, t->o->intercept};
    size_t ng = t->o->lambda_auto ? TR_GRID : 1;
    grid[0] = t->o->lambda;
    if (rc == 0 && m > 0 && t->o->lambda_auto) { /* its own grid, as a fit without them */
        er_path *all = er_path_new(total, &spec, &rc);
        double scale = all ? er_path_scale(all) : 0;
        er_path_free(all);
        if (rc)
            rc = er_error(t->err, rc, NULL, 0, 0, "out of memory");
        tr_lambda_grid(scale > 0 ? scale : 1, grid);
    }
    if (rc == 0 && m > 0 && (rc = tr_grid_errors(t, total, &spec, grid, ng, err)) == 0) {
        size_t best = 0;
        for (size_t g = 1; g < ng; g++)
            if (err[g] < err[best])
                best = g;
        oc->cv_pooled = err[best];
        oc->lambda_pooled = grid[best];
    }
    free(cols);
    free(pen);
    return rc;
}

/* The penalties with the deviations' at `ratio` times: pen[k] = base[k] (* ratio). */
static void scale_deviations(const selection *sel, const double *base, double ratio,
                             double *pen)
{
    for (size_t k = 0; k < sel->m; k++)
        pen[k] = sel->dev[k] ? base[k] * ratio : base[k];
}

/* Try every ratio at every lambda of the grid (or at the lambda given): the best pair. */
static int search(trainer *t, const er_acc *total, selection *sel, outcome *oc,
                  const double *grid, size_t ng, const double *base, double *lambda)
{
    engrate_train_report *r = t->rep;
    double err[TR_GRID], best_err = INFINITY;
    er_fit_spec spec = {sel->m, sel->cols, sel->pen, t->o->intercept};
    for (size_t q = 0; q < oc->n_ratio; q++) {
        scale_deviations(sel, base, oc->ratio_grid[q], sel->pen);
        int rc = tr_grid_errors(t, total, &spec, grid, ng, err);
        if (rc)
            return rc;
        size_t g_best = 0;
        for (size_t g = 1; g < ng; g++)
            if (err[g] < err[g_best])
                g_best = g;
        oc->ratio_lambda[q] = grid[g_best];
        oc->ratio_err[q] = err[g_best];
        if (err[g_best] < best_err) { /* ties: the smaller ratio, the smaller lambda */
            best_err = err[g_best];
            oc->by_ratio = oc->ratio_grid[q];
            *lambda = grid[g_best];
            if (r->grid)
                memcpy(r->grid_err, err, ng * sizeof *err);
        }
    }
    if (!(best_err < INFINITY)) { /* every error NaN: keep the first */
        oc->by_ratio = oc->ratio_grid[0];
        *lambda = grid[0];
    }
    return 0;
}

int tr_curves_choose(trainer *t, const er_acc *total, selection *sel, outcome *oc,
                     double *lambda)
{
    const engrate_train_options *o = t->o;
    size_t nr = o->by_penalty_auto ? N_RATIOS : 1;
    double *base = malloc(sel->m * sizeof *base);
    oc->ratio_grid = malloc(nr * sizeof *oc->ratio_grid);
    oc->ratio_lambda = malloc(nr * sizeof *oc->ratio_lambda);
    oc->ratio_err = malloc(nr * sizeof *oc->ratio_err);
    if (!base || !oc->ratio_grid || !oc->ratio_lambda || !oc->ratio_err) {
        free(base);
        return er_error(t->err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
    }
    oc->n_ratio = nr;
    for (size_t q = 0; q < nr; q++)
        oc->ratio_grid[q] = o->by_penalty_auto ? pow(10.0, 0.5 * (double)q) : o->by_penalty;
    memcpy(base, sel->pen, sel->m * sizeof *base);
    int rc = 0;
    if (!o->lambda_auto && o->lambda == 0) { /* no penalty: nothing to choose */
        oc->by_ratio = oc->ratio_grid[0];
        oc->n_ratio = 0;
    } else if (o->lambda_auto) {
        er_fit_spec spec = {sel->m, sel->cols, sel->pen, o->intercept};
        er_path *all = er_path_new(total, &spec, &rc); /* the grid's scale, at ratio 1 */
        double scale = all ? er_path_scale(all) : 0;
        er_path_free(all);
        if (rc)
            rc = er_error(t->err, rc, NULL, 0, 0, "out of memory");
        else
            tr_lambda_grid(scale > 0 ? scale : 1, t->rep->grid);
        if (rc == 0)
            rc = search(t, total, sel, oc, t->rep->grid, TR_GRID, base, lambda);
    } else {
        double given = o->lambda;
        rc = search(t, total, sel, oc, &given, 1, base, lambda);
    }
    if (rc == 0 && (o->lambda_auto || o->lambda > 0))
        rc = measure_pooled(t, total, sel, oc);
    scale_deviations(sel, base, oc->by_ratio, sel->pen);
    free(base);
    if (rc == 0 && o->lambda_auto) {
        const double *g = t->rep->grid;
        if (*lambda == g[0] || *lambda == g[TR_GRID - 1])
            er_report_note(t->rep, "lambda %.3g is at the %s end of the grid searched",
                           *lambda, *lambda == g[0] ? "small" : "large");
    }
    if (rc == 0 && nr > 1 &&
        (oc->by_ratio == oc->ratio_grid[0] || oc->by_ratio == oc->ratio_grid[nr - 1]))
        er_report_note(t->rep, "the deviations' penalty, %.3g times lambda, is at the %s end "
                               "of the ratios searched (1 to 1000)",
                       oc->by_ratio, oc->by_ratio == oc->ratio_grid[0] ? "small" : "large");
    return rc;
}

/* ---- The model's lines ------------------------------------------------------------- */

/* Whether term j is one of the fitted columns. */
static int fitted(const selection *sel, uint32_t j)
{
    for (size_t k = 0; k < sel->m; k++)
        if (sel->cols[k] == j)
            return 1;
    return 0;
}

/* Level term lt's deviation from input in's curve in the data's units, into d (1 +
 * n_knots numbers, 0 for the pieces that do not vary); whether it has one fitted. */
static int deviation(const trainer *t, const selection *sel, const tinput *in, uint32_t lt,
                     const double *coef, double *d)
{
    size_t np = pieces(in);
    int any = 0;
    for (size_t p = 0; p <= in->n_knots; p++)
        d[p] = 0;
    for (size_t p = 0; lt < in->inter_cap && p < np; p++) {
        uint32_t j = in->inter[lt * np + p];
        if (j && fitted(sel, j)) {
            d[p] = ldexp(coef[j], tr_coef_scale(t, j));
            any = 1;
        }
    }
    return any;
}

int tr_curves_emit(const trainer *t, er_buf *b, size_t i, const selection *sel,
                   const double *coef)
{
    const tinput *in = &t->in[i];
    if (in->by == SIZE_MAX)
        return 0;
    ordered ol = {NULL, 0};
    if (tr_order_levels(t, in->by, &ol))
        return ENGRATE_E_NOMEM;
    er_buf_kv(b, "by", t->in[in->by].id);
    double d[ER_MAX_KNOTS + 1];
    for (size_t k = 0; k < ol.n; k++) {
        if (!deviation(t, sel, in, ol.terms[k], coef, d))
            continue;
        char key[ER_MAX_ID_BYTES + 8];
        snprintf(key, sizeof key, "by.%s", t->terms[ol.terms[k]].id);
        er_buf_kns(b, key, d, in->n_knots + 1);
    }
    free(ol.terms);
    return 0;
}

/* ---- The report -------------------------------------------------------------------- */

static void put_num(er_buf *b, double x)
{
    if (isfinite(x))
        er_buf_double(b, x);
    else
        er_buf_puts(b, "null");
}

static void put_nums(er_buf *b, const double *x, size_t n)
{
    er_buf_puts(b, "[");
    for (size_t k = 0; k < n; k++) {
        er_buf_puts(b, k ? ", " : "");
        put_num(b, x[k]);
    }
    er_buf_puts(b, "]");
}

/* One level's curve: its id, label, rows, coefficient (as the model writes it, and its
 * effect at the typical x), deviation and curve coefficients. The curve drawn on a grid,
 * with its band, is the report's inputs[].level_curves (figures.c). */
static void report_level(const trainer *t, er_buf *b, const tinput *in, uint32_t lt,
                         const double *pooled, const double *d, const double *coef)
{
    const term *tm = &t->terms[lt];
    double c[ER_MAX_KNOTS + 1], at_ref = ldexp(coef[lt], t->y_scale), written = coef[lt];
    for (size_t p = 0; lt < in->inter_cap && p < pieces(in); p++)
        if (in->inter[lt * pieces(in) + p])
            written -= coef[in->inter[lt * pieces(in) + p]] * in->centre[p];
    for (size_t p = 0; p <= in->n_knots; p++)
        c[p] = pooled[p] + d[p];
    er_buf_puts(b, "\n    {\"level\": ");
    er_buf_json_string(b, tm->id);
    er_buf_puts(b, ", \"name\": ");
    er_buf_json_string(b, tm->label);
    er_buf_printf(b, ", \"rows\": %llu, \"coef\": ", (unsigned long long)tm->count);
    put_num(b, ldexp(written, t->y_scale));
    er_buf_puts(b, ", \"at_reference\": ");
    put_num(b, at_ref);
    er_buf_puts(b, ", \"deviation\": ");
    put_nums(b, d, in->n_knots + 1);
    er_buf_puts(b, ", \"curve\": ");
    put_nums(b, c, in->n_knots + 1);
    er_buf_puts(b, "}");
}

/* The figures of the search: what the deviations cost and what they removed. */
static void report_fit(const trainer *t, er_buf *b, const outcome *oc)
{
    const engrate_train_report *r = t->rep;
    er_buf_puts(b, ", \"penalty_ratio\": ");
    put_num(b, oc->by_ratio);
    er_buf_puts(b, ", \"lambda\": ");
    put_num(b, oc->lambda);
    er_buf_puts(b, ", \"cv_rmse\": ");
    put_num(b, t->K >= 2 ? r->cv_rmse : NAN);
    er_buf_puts(b, ", \"cv_rmse_pooled\": ");
    put_num(b, t->K >= 2 ? oc->cv_pooled : NAN);
    er_buf_puts(b, ", \"lambda_pooled\": ");
    put_num(b, oc->lambda_pooled);
    er_buf_puts(b, ", \"cv_rmse_removed\": ");
    put_num(b, t->K >= 2 ? oc->cv_pooled - r->cv_rmse : NAN);
    er_buf_puts(b, ", \"penalty_search\": [");
    for (size_t q = 0; q < oc->n_ratio; q++) {
        er_buf_puts(b, q ? ", [" : "[");
        put_num(b, oc->ratio_grid[q]);
        er_buf_puts(b, ", ");
        put_num(b, oc->ratio_lambda[q]);
        er_buf_puts(b, ", ");
        put_num(b, oc->ratio_err[q]);
        er_buf_puts(b, "]");
    }
    er_buf_puts(b, "]");
}

/* One numeric input's entry of "curves_by_level"; its levels counted in *n_levels. */
static int report_input(const trainer *t, er_buf *b, size_t i, const selection *sel,
                        const outcome *oc, const double *coef, size_t *n_levels)
{
    const tinput *in = &t->in[i];
    double pooled[ER_MAX_KNOTS + 1], d[ER_MAX_KNOTS + 1];
    for (size_t p = 0; p <= in->n_knots; p++)
        pooled[p] = ldexp(coef[in->first + p], tr_coef_scale(t, in->first + (uint32_t)p));
    er_buf_puts(b, "{\"input\": ");
    er_buf_json_string(b, in->id);
    er_buf_puts(b, ", \"label\": ");
    er_buf_json_string(b, in->label);
    er_buf_puts(b, ", \"by\": ");
    er_buf_json_string(b, t->in[in->by].id);
    er_buf_puts(b, ", \"by_label\": ");
    er_buf_json_string(b, t->in[in->by].label);
    er_buf_printf(b, ", \"vary\": \"%s\", \"knots\": ",
                  in->vary == ER_VARY_KNOTS ? "knots" : "slope");
    put_nums(b, in->knots, in->n_knots);
    er_buf_puts(b, ", \"range\": [");
    put_num(b, in->min);
    er_buf_puts(b, ", ");
    put_num(b, in->max);
    er_buf_puts(b, "], \"reference\": ");
    put_num(b, ldexp(in->centre[0], in->scale));
    report_fit(t, b, oc);
    er_buf_puts(b, ", \"pooled\": {\"curve\": ");
    put_nums(b, pooled, in->n_knots + 1);
    er_buf_puts(b, "}, \"levels\": [");
    ordered ol = {NULL, 0};
    if (tr_order_levels(t, in->by, &ol))
        return ENGRATE_E_NOMEM;
    *n_levels = 0;
    for (size_t k = 0; k < ol.n; k++)
        if (deviation(t, sel, in, ol.terms[k], coef, d)) {
            er_buf_puts(b, *n_levels ? "," : "");
            report_level(t, b, in, ol.terms[k], pooled, d, coef);
            ++*n_levels;
        }
    free(ol.terms);
    er_buf_puts(b, "]}");
    return 0;
}

int tr_curves_report(trainer *t, const selection *sel, const outcome *oc, const double *coef)
{
    er_buf b = {0}, s = {0};
    int rc = 0, any = 0;
    er_buf_puts(&b, "[");
    for (size_t i = 0; rc == 0 && i < t->n_in; i++) {
        const tinput *in = &t->in[i];
        if (in->by == SIZE_MAX)
            continue;
        size_t n = 0;
        er_buf_puts(&b, any++ ? ",\n  " : "\n  ");
        rc = report_input(t, &b, i, sel, oc, coef, &n);
        er_buf_printf(&s, "%s varies by %s: %s for %zu levels, their penalty %.3g times "
                          "lambda's",
                      in->label, t->in[in->by].label,
                      in->vary == ER_VARY_KNOTS ? "a change of slope at every knot"
                                                : "a slope of their own",
                      n, oc->by_ratio);
        if (t->K >= 2 && isfinite(oc->cv_pooled) && isfinite(t->rep->cv_rmse))
            er_buf_printf(&s, "; CV RMSE %.6g, against %.6g with one curve for all (%.4g "
                              "less)",
                          t->rep->cv_rmse, oc->cv_pooled, oc->cv_pooled - t->rep->cv_rmse);
        er_buf_puts(&s, "\n");
    }
    er_buf_puts(&b, "]");
    if (rc || b.failed || s.failed) {
        free(b.s);
        free(s.s);
        return ENGRATE_E_NOMEM;
    }
    t->rep->curves_json = b.s;
    t->rep->curves_text = s.s;
    return 0;
}
