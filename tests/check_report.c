/* check_report.c: the training report's figures (lib/train/figures.c, report.c) against
 * values worked out independently: by hand on files of a few rows (deciles, residuals by
 * level, a dropped level, a straight line's band), and for a curve with knots, weights
 * and a penalty by a second method, the covariance s^2 H C H formed here in long double
 * with a Gauss-Jordan inverse instead of the library's refined Cholesky solves. Also: the
 * report's base is the model's, its size does not grow with the rows, and it does not
 * depend on the number of threads; a curve that varies by 18 levels has their curves
 * largest first, bands for the largest. tests/report_json.py checks the held-out parts
 * (cross-validated deciles, coverage, residuals) with numpy, tests/report_by_level.py
 * the level curves' values and bands. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engrate_train.h"
#include "testutil.h"
#include "trainer.h"

static engrate_model *train_buf(const char *csv, const char *const *kv,
                                engrate_train_report **rep)
{
    engrate_train_options *o = engrate_train_options_new();
    engrate_error err;
    ck_assert_ptr_nonnull(o);
    for (size_t i = 0; kv[i]; i += 2)
        ck_assert_msg(engrate_train_options_set(o, kv[i], kv[i + 1], &err) == 0, "%s: %s",
                      kv[i], err.text);
    engrate_model *m = engrate_train_csv_buffer(csv, strlen(csv), "data.csv", o, rep, &err);
    engrate_train_options_free(o);
    ck_assert_msg(m != NULL, "%s", err.text);
    return m;
}

static const er_report_input *input(const engrate_train_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_inputs; i++)
        if (strcmp(r->inputs[i].id, id) == 0)
            return &r->inputs[i];
    ck_abort_msg("no input %s in the report", id);
    return NULL;
}

static const er_report_level *level(const er_report_input *in, const char *label)
{
    for (size_t i = 0; i < in->n_levels; i++)
        if (strcmp(in->levels[i].label, label) == 0)
            return &in->levels[i];
    ck_abort_msg("no level %s", label);
    return NULL;
}

/* Role a: 1, 3, 5, 7 (mean 4); b: 10 ... 20 by 2 (mean 15); least squares with lambda 0
 * and no folds. By hand: b, the most frequent, is the reference; a's coefficient is
 * 4 - 15 = -11 with s^2 = (20 + 70) / (10 - 2) = 11.25 and se = sqrt(s^2 (1/4 + 1/6)).
 * In-sample residuals: a's mean 0 and SD sqrt(20/4); b's mean 0 and SD sqrt(70/6). Ten
 * rows of equal weight are ten deciles of one row each, by prediction then target: a's
 * four rows (prediction 4), then b's six (15). */
START_TEST(levels_and_deciles_by_hand)
{
    const char *csv = "role,y\na,1\nb,10\na,3\nb,12\nb,14\na,5\nb,16\na,7\nb,18\nb,20\n";
    const char *const kv[] = {"target", "y", "transform", "none", "categorical", "role",
                              "lambda", "0", "folds", "0", "min-count", "1", NULL};
    engrate_train_report *r;
    engrate_model *m = train_buf(csv, kv, &r);
    static const double ys[] = {1, 3, 5, 7, 10, 12, 14, 16, 18, 20};
    ck_assert_int_eq(r->held_out, 0);
    ck_assert_double_eq(r->sample_rows, 10);
    ck_assert_uint_eq(r->n_bins, 10);
    for (int d = 0; d < 10; d++) {
        const er_report_bin *b = &r->bins[d];
        ck_assert_int_eq(b->decile, d + 1);
        ck_assert_double_eq(b->n, 1);
        ck_assert_double_eq_tol(b->predicted, d < 4 ? 4 : 15, 1e-12);
        ck_assert_double_eq_tol(b->actual, ys[d], 1e-12);
        ck_assert(isnan(b->coverage));
    }
    const er_report_input *in = input(r, "role");
    ck_assert_uint_eq(in->n_levels, 2);
    const er_report_level *a = level(in, "a"), *b = level(in, "b");
    ck_assert_str_eq(a->status, "fitted");
    ck_assert_double_eq_tol(a->estimate, -11, 1e-12);
    ck_assert_double_eq_tol(a->std_error, sqrt(11.25 * (1.0 / 4 + 1.0 / 6)), 1e-12);
    ck_assert_double_eq(a->count, 4);
    ck_assert_double_eq(a->weight, 4);
    ck_assert_double_eq(a->residual.n, 4);
    ck_assert_double_eq_tol(a->residual.mean, 0, 1e-12);
    ck_assert_double_eq_tol(a->residual.sd, sqrt(5.0), 1e-12);
    ck_assert_str_eq(b->status, "reference");
    ck_assert_double_eq(b->estimate, 0);
    ck_assert(isnan(b->std_error));
    ck_assert_double_eq(b->count, 6);
    ck_assert_double_eq_tol(b->residual.mean, 0, 1e-12);
    ck_assert_double_eq_tol(b->residual.sd, sqrt(70.0 / 6), 1e-12);
    ck_assert_double_eq(in->without.n, 0);
    const char *json = engrate_train_report_json(r);
    ck_assert_ptr_nonnull(strstr(json, "\"calibration\": {\"held_out\": false, \"rows\": 10"));
    ck_assert_ptr_nonnull(strstr(json, "{\"decile\": 10, \"n\": 1, \"weight\": 1, "
                                       "\"predicted_min\": 15, \"predicted_max\": 15, "
                                       "\"predicted\": 15, \"actual\": 20, \"coverage\": null}"));
    ck_assert_ptr_nonnull(strstr(json, "{\"label\": \"b\", \"id\": \"b\", \"name_en\": null, "
                                       "\"name_ja\": null, \"status\": \"reference\", "
                                       "\"count\": 6, \"weight\": 6, \"estimate\": 0, "
                                       "\"std_error\": null, \"residual\": {\"n\": 6"));
    ck_assert_ptr_nonnull(strstr(json, "\"without_level\": null}"));
    ck_assert_ptr_nonnull(strstr(json, "\"model\": {\"name\": \"model\", \"description\": "
                                       "null, \"currency\": \"XXX\", \"period\": \"month\""));
    ck_assert_ptr_nonnull(strstr(json, "\"data\": \"data.csv\""));
    ck_assert_ptr_nonnull(strstr(json, "\"min_count\": 1"));
    engrate_model_free(m);
    engrate_train_report_free(r);
}
END_TEST

/* y = 2, 4, 5, 4, 5 at x = 1 .. 5: by hand, slope 0.6 (Sxy 6, Sxx 10), intercept 2.2,
 * RSS 2.4, s^2 = 0.8, se(slope) = sqrt(0.08). The curve relative to the typical x, 3, is
 * 0.6 (x - 3) with standard error |x - 3| sqrt(0.08); the base is the estimate at x = 3,
 * the mean of y, 4. */
START_TEST(straight_line_band_by_hand)
{
    const char *csv = "x,y\n1,2\n2,4\n3,5\n4,4\n5,5\n";
    const char *const kv[] = {"target", "y", "transform", "none", "numeric", "x", "lambda", "0",
                              "folds", "0", NULL};
    engrate_train_report *r;
    engrate_model *m = train_buf(csv, kv, &r);
    const er_report_input *in = input(r, "x");
    ck_assert_double_eq(in->min, 1);
    ck_assert_double_eq(in->max, 5);
    ck_assert_double_eq_tol(in->reference, 3, 1e-15);
    ck_assert_uint_eq(in->n_curve, 49);
    for (size_t i = 0; i < in->n_curve; i++) {
        double x = in->curve[3 * i];
        ck_assert_double_eq_tol(x, 1 + 4 * (double)i / 48, 1e-15);
        ck_assert_double_eq_tol(in->curve[3 * i + 1], 0.6 * (x - 3), 1e-12);
        ck_assert_double_eq_tol(in->curve[3 * i + 2], fabs(x - 3) * sqrt(0.08), 1e-12);
    }
    ck_assert_double_eq_tol(r->base, 4, 1e-12);
    ck_assert(r->base == engrate_model_base(m));
    engrate_model_free(m);
    engrate_train_report_free(r);
}
END_TEST

/* c is seen once, fewer than --min-count 2 times: dropped, no id, no estimate, no weight;
 * its row is in the sample but, as the model sees it, gives no role: it is the input's
 * without_level. Without c no categorical input covers every row, so there is no
 * reference: the intercept is c's row, 100, and a, b are 2 - 100 and 5 - 100; c's row's
 * residual is 0. */
START_TEST(dropped_level_by_hand)
{
    const char *csv = "role,y\na,1\na,2\na,3\nb,4\nb,5\nb,6\nc,100\n";
    const char *const kv[] = {"target", "y", "transform", "none", "categorical", "role",
                              "lambda", "0", "folds", "0", "min-count", "2", NULL};
    engrate_train_report *r;
    engrate_model *m = train_buf(csv, kv, &r);
    const er_report_input *in = input(r, "role");
    ck_assert_uint_eq(in->n_levels, 3);
    const er_report_level *a = level(in, "a"), *c = level(in, "c");
    ck_assert_str_eq(a->status, "fitted");
    ck_assert_double_eq_tol(a->estimate, -98, 1e-9);
    ck_assert_str_eq(c->status, "dropped");
    ck_assert_ptr_null(c->id);
    ck_assert(isnan(c->estimate));
    ck_assert_double_eq(c->count, 1);
    ck_assert(isnan(c->weight));
    ck_assert_double_eq(c->residual.n, 0);
    ck_assert_double_eq(in->without.n, 1);
    ck_assert_double_eq_tol(in->without.mean, 0, 1e-9);
    ck_assert_double_eq(r->min_count, 2);
    ck_assert_ptr_nonnull(strstr(engrate_train_report_json(r),
                                 "{\"label\": \"c\", \"id\": null, \"name_en\": null, "
                                 "\"name_ja\": null, \"status\": \"dropped\", \"count\": 1"));
    engrate_model_free(m);
    engrate_train_report_free(r);
}
END_TEST

/* ---- A curve's band by a second method --------------------------------------------- */

static uint64_t rng_state;
static double unif(void)
{
    return test_unif(&rng_state);
}

#define NR 300
#define NP 3 /* x, (x - 5)+, (x - 12)+ */
static const double knots[] = {5, 12};

/* The rows: x in [0, 20], weights in [0.5, 2], y a bent line and noise. */
static char *curve_data(double *x, double *w, double *y)
{
    size_t cap = NR * 64 + 16;
    char *s = malloc(cap), *p = s;
    p += sprintf(p, "x,y,w\n");
    rng_state = 42;
    for (int i = 0; i < NR; i++) {
        x[i] = round(2000 * unif()) / 100;
        w[i] = 0.5 + round(150 * unif()) / 100;
        double bend = x[i] > 5 ? x[i] - 5 : 0;
        y[i] = 10 + 2 * x[i] - 1.5 * bend + 3 * (unif() - 0.5);
        y[i] = round(1000 * y[i]) / 1000;
        p += sprintf(p, "%.2f,%.3f,%.2f\n", x[i], y[i], w[i]);
    }
    return s;
}

static long double piece_of(int k, double x)
{
    if (k == 0)
        return x;
    double e = x - knots[k - 1];
    return e > 0 ? e : 0;
}

/* Inverse of A (n x n) in place, Gauss-Jordan with partial pivoting in long double. */
static void invert(long double *A, int n)
{
    long double inv[NP * NP] = {0};
    for (int i = 0; i < n; i++)
        inv[i * n + i] = 1;
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabsl(A[r * n + c]) > fabsl(A[piv * n + c]))
                piv = r;
        for (int k = 0; k < n; k++) {
            long double t = A[c * n + k];
            A[c * n + k] = A[piv * n + k];
            A[piv * n + k] = t;
            t = inv[c * n + k];
            inv[c * n + k] = inv[piv * n + k];
            inv[piv * n + k] = t;
        }
        long double d = A[c * n + c];
        for (int k = 0; k < n; k++) {
            A[c * n + k] /= d;
            inv[c * n + k] /= d;
        }
        for (int r = 0; r < n; r++) {
            if (r == c)
                continue;
            long double f = A[r * n + c];
            for (int k = 0; k < n; k++) {
                A[r * n + k] -= f * A[c * n + k];
                inv[r * n + k] -= f * inv[c * n + k];
            }
        }
    }
    memcpy(A, inv, sizeof inv);
}

/* The band of engrate's report against s^2 g'(H C H)g formed here: C the weighted centred
 * cross-products of the pieces, P the penalty (lambda times each piece's weighted
 * variance, docs/training.md), H = (C + P)^-1, b = H c, df = trace(H C) + 1, s^2 =
 * RSS / (n - df), g = pieces(x) - pieces(mean x). _i: lambda 0 (the band is s^2 C^-1's,
 * the closed form of least squares) and lambda 40. */
START_TEST(curve_band_second_method)
{
    static const char *const lambdas[] = {"0", "40"};
    double x[NR], w[NR], y[NR];
    char *csv = curve_data(x, w, y);
    const char *const kv[] = {"target", "y", "transform", "none", "weight", "w", "numeric",
                              "x:knots=5,12", "lambda", lambdas[_i], "folds", "0", NULL};
    engrate_train_report *r;
    engrate_model *m = train_buf(csv, kv, &r);
    long double lambda = strtold(lambdas[_i], NULL), sw = 0, mx[NP] = {0}, my = 0;
    for (int i = 0; i < NR; i++) {
        sw += w[i];
        my += w[i] * y[i];
        for (int k = 0; k < NP; k++)
            mx[k] += w[i] * piece_of(k, x[i]);
    }
    my /= sw;
    for (int k = 0; k < NP; k++)
        mx[k] /= sw;
    long double C[NP * NP] = {0}, c[NP] = {0}, H[NP * NP];
    for (int i = 0; i < NR; i++)
        for (int j = 0; j < NP; j++) {
            c[j] += w[i] * (piece_of(j, x[i]) - mx[j]) * (y[i] - my);
            for (int k = 0; k < NP; k++)
                C[j * NP + k] += w[i] * (piece_of(j, x[i]) - mx[j]) * (piece_of(k, x[i]) - mx[k]);
        }
    memcpy(H, C, sizeof H);
    for (int j = 0; j < NP; j++)
        H[j * NP + j] += lambda * C[j * NP + j] / sw;
    invert(H, NP);
    long double b[NP] = {0}, HC[NP * NP] = {0}, V[NP * NP] = {0}, df = 1, rss = 0;
    for (int j = 0; j < NP; j++)
        for (int k = 0; k < NP; k++) {
            b[j] += H[j * NP + k] * c[k];
            for (int l = 0; l < NP; l++)
                HC[j * NP + k] += H[j * NP + l] * C[l * NP + k];
        }
    for (int j = 0; j < NP; j++)
        df += HC[j * NP + j];
    for (int i = 0; i < NR; i++) {
        long double e = y[i] - my;
        for (int k = 0; k < NP; k++)
            e -= b[k] * (piece_of(k, x[i]) - mx[k]);
        rss += w[i] * e * e;
    }
    long double s2 = rss / (NR - df);
    for (int j = 0; j < NP; j++)
        for (int k = 0; k < NP; k++)
            for (int l = 0; l < NP; l++)
                V[j * NP + k] += s2 * HC[j * NP + l] * H[l * NP + k];
    const er_report_input *in = input(r, "x");
    ck_assert_double_eq_tol(in->reference, (double)mx[0], 1e-12);
    ck_assert_uint_ge(in->n_curve, 49);
    for (size_t i = 0; i < in->n_curve; i++) {
        double xi = in->curve[3 * i];
        long double g[NP], f = 0, var = 0;
        for (int k = 0; k < NP; k++) {
            g[k] = piece_of(k, xi) - piece_of(k, in->reference);
            f += b[k] * g[k];
        }
        for (int j = 0; j < NP; j++)
            for (int k = 0; k < NP; k++)
                var += g[j] * g[k] * V[j * NP + k];
        ck_assert_double_eq_tol(in->curve[3 * i + 1], (double)f, 1e-9 * (1 + fabsl(f)));
        ck_assert_double_eq_tol(in->curve[3 * i + 2], (double)sqrtl(var),
                                1e-9 * (1e-3 + sqrtl(var)));
    }
    /* The knots and the reference are points of the grid. */
    int at_knots = 0, at_ref = 0;
    for (size_t i = 0; i < in->n_curve; i++) {
        at_knots += in->curve[3 * i] == 5 || in->curve[3 * i] == 12;
        at_ref += in->curve[3 * i] == in->reference && in->curve[3 * i + 2] == 0;
    }
    ck_assert_int_eq(at_knots, 2);
    ck_assert_int_eq(at_ref, 1);
    ck_assert(r->base == engrate_model_base(m));
    engrate_model_free(m);
    engrate_train_report_free(r);
    free(csv);
}
END_TEST

/* ---- Size and order ------------------------------------------------------------------ */

static char *levels_data(int n)
{
    char *s = malloc((size_t)n * 48 + 32), *p = s;
    static const char *const roles[] = {"pm", "se", "pg", "qa"};
    static const char *const skills[] = {"java", "go", "sql", "aws", "c"};
    p += sprintf(p, "role,skills,certs,years,rate\n");
    rng_state = 7;
    for (int i = 0; i < n; i++) {
        int ro = (int)(4 * unif()), s1 = (int)(5 * unif()), s2 = (int)(5 * unif());
        double yrs = round(200 * unif()) / 10;
        double rate = 500000 * exp(0.1 * ro + 0.05 * s1 + 0.02 * (yrs > 8 ? 8 : yrs) +
                                   0.1 * (unif() - 0.5));
        p += sprintf(p, "%s,%s;%s,,%.1f,%.0f\n", roles[ro], skills[s1], skills[s2], yrs,
                     rate);
    }
    return s;
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

/* The same levels in 500 rows and in 20000: the report has the same number of values
 * (commas and brackets) and about the same length. And 1 or 2 threads, the same text. */
START_TEST(size_and_threads)
{
    const char *const kv1[] = {"numeric", "years:knots=3,8", "threads", "1", NULL};
    const char *const kv2[] = {"numeric", "years:knots=3,8", "threads", "2", NULL};
    char *small = levels_data(500), *large = levels_data(20000);
    engrate_train_report *rs, *rl, *rl2;
    engrate_model *ms = train_buf(small, kv1, &rs), *ml = train_buf(large, kv1, &rl);
    engrate_model *ml2 = train_buf(large, kv2, &rl2);
    const char *js = engrate_train_report_json(rs), *jl = engrate_train_report_json(rl);
    ck_assert_uint_eq(count_char(js, ','), count_char(jl, ','));
    ck_assert_uint_eq(count_char(js, '['), count_char(jl, '['));
    ck_assert_uint_lt(strlen(jl), strlen(js) * 11 / 10);
    ck_assert_str_eq(jl, engrate_train_report_json(rl2));
    ck_assert_uint_eq(rl->n_bins, 10);
    double w = 0;
    for (size_t d = 0; d < rl->n_bins; d++)
        w += rl->bins[d].weight;
    ck_assert_double_eq(w, 20000);
    engrate_model_free(ms);
    engrate_model_free(ml);
    engrate_model_free(ml2);
    engrate_train_report_free(rs);
    engrate_train_report_free(rl);
    engrate_train_report_free(rl2);
    free(small);
    free(large);
}
END_TEST

/* 18 groups, each with x = 0, 1, ..., 16 (and k % 4 of them again, for counts that
 * differ), y = k + (2 + k % 7) x with a wobble, the whole curve varying by group over 15
 * knots (vary=knots: 16 deviation terms a level): a level curve for each group, most
 * rows first (ties in the model's order), and bands for the 16 largest only (their 256
 * deviation terms), the other two null. Each curve is 0 at the reference, its standard
 * error 0 there. */
START_TEST(level_curves_largest_first)
{
    size_t cap = 1 << 16, o = 0;
    char *csv = malloc(cap);
    ck_assert_ptr_nonnull(csv);
    o += (size_t)snprintf(csv, cap, "g,x,y\n");
    for (int k = 0; k < 18; k++)
        for (int i = 0; i < 17 + k % 4; i++)
            o += (size_t)snprintf(csv + o, cap - o, "g%02d,%d,%g\n", k, i % 17,
                                  k + (2 + k % 7) * (i % 17) + ((i + k) % 3 - 1) * 0.25);
    ck_assert_uint_lt(o, cap - 1);
    const char *const kv[] = {"categorical", "g", "numeric",
                              "x:knots=0.5,1.5,2.5,3.5,4.5,5.5,6.5,7.5,8.5,9.5,10.5,11.5,"
                              "12.5,13.5,14.5:by=g:vary=knots",
                              "target", "y", "transform", "none", "min-count", "1", "lambda",
                              "1", "by-penalty", "1", "folds", "0", NULL};
    engrate_train_report *r;
    engrate_model *m = train_buf(csv, kv, &r);
    const er_report_input *x = input(r, "x");
    ck_assert_str_eq(x->by, "g");
    ck_assert_uint_eq(x->n_by_levels, 18);
    size_t banded = 0;
    for (size_t k = 0; k < x->n_by_levels; k++) {
        const er_report_curve *c = &x->by_levels[k];
        if (k > 0) {
            const er_report_curve *p = &x->by_levels[k - 1];
            ck_assert(c->count < p->count ||
                      (c->count == p->count && strcmp(c->id, p->id) > 0));
        }
        int nan_se = 0, at_ref = 0;
        for (size_t i = 0; i < c->n_curve; i++) {
            const double *pt = &c->curve[3 * i];
            nan_se += isnan(pt[2]);
            if (pt[0] == x->reference) {
                at_ref = 1;
                ck_assert_double_eq(pt[1], 0);
                ck_assert(pt[2] == 0 || isnan(pt[2]));
            }
        }
        ck_assert(at_ref);
        ck_assert(nan_se == 0 || nan_se == (int)c->n_curve);
        banded += nan_se == 0;
        ck_assert_int_eq(nan_se == 0, k < 16); /* the largest first */
    }
    ck_assert_uint_eq(banded, 16);
    engrate_model_free(m);
    engrate_train_report_free(r);
    free(csv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("figures");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, levels_and_deciles_by_hand);
    tcase_add_test(tc, straight_line_band_by_hand);
    tcase_add_test(tc, dropped_level_by_hand);
    tcase_add_loop_test(tc, curve_band_second_method, 0, 2);
    tcase_add_test(tc, size_and_threads);
    tcase_add_test(tc, level_curves_largest_first);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
