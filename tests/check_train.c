/* check_train.c: training (lib/train/fit.c, lib/train/train.c). Least-squares accuracy against the
 * NIST StRD certified values (tests/data/nist); coefficients recovered from synthetic data
 * made here from known effects with a fixed seed, within tolerances from the noise level;
 * a trained model used through the estimation API; the per-fold accumulators merging into
 * the accumulator of all rows; byte-identical models for 1 and 2 threads; the levels file;
 * the residuals' sort against qsort; and every row error with its code, line and column. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engrate_train.h"
#include "fit.h"
#include "testutil.h"
#include "trainer.h"

/* ---- Helpers ----------------------------------------------------------------------- */

/* Options from "key", "value" pairs (value NULL for switches), NULL-terminated. */
static engrate_train_options *options(const char *const *kv)
{
    engrate_train_options *o = engrate_train_options_new();
    engrate_error err;
    ck_assert_ptr_nonnull(o);
    for (size_t i = 0; kv && kv[i]; i += 2)
        ck_assert_msg(engrate_train_options_set(o, kv[i], kv[i + 1], &err) == 0, "%s: %s",
                      kv[i], err.text);
    return o;
}

static engrate_model *train_buf(const char *csv, const char *const *kv,
                                engrate_train_report **rep, engrate_error *err)
{
    engrate_train_options *o = options(kv);
    engrate_model *m = engrate_train_csv_buffer(csv, strlen(csv), "data.csv", o, rep, err);
    engrate_train_options_free(o);
    return m;
}

/* Log relative error: the number of correct significant digits (15 at most). */
static double lre(double got, double want)
{
    double e = want != 0 ? fabs(got - want) / fabs(want) : fabs(got);
    if (e == 0)
        return 15;
    double d = -log10(e);
    return d > 15 ? 15 : d;
}

static uint64_t rng_state;
static double unif(void)
{
    return test_unif(&rng_state);
}
static double gauss(void) { return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif()); }

/* A growing text. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;
static void tprintf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap ? t->cap * 2 : 1 << 16;
        t->s = realloc(t->s, t->cap);
        ck_assert_ptr_nonnull(t->s);
    }
}

static double report_coef(const engrate_train_report *r, const char *name, double *se)
{
    for (size_t i = 0; i < engrate_train_report_term_count(r); i++)
        if (strcmp(engrate_train_report_term(r, i), name) == 0) {
            if (se)
                *se = engrate_train_report_std_error(r, i);
            return engrate_train_report_estimate(r, i);
        }
    ck_abort_msg("no term %s in the report", name);
    return NAN;
}

/* ---- NIST StRD --------------------------------------------------------------------- */

typedef struct nist {
    const char *name;
    int intercept, n_x;
    double beta[11], sd[11];
    double resid_sd, r2;
    double min_lre;   /* digits required of every estimate, standard error, sigma, R^2 */
} nist;

/* Certified values: NIST/ITL StRD, https://www.itl.nist.gov/div898/strd/lls/lls.shtml.
 * R's lm gets about 12-13 digits on Longley and drops a column of Filip. */
static const nist sets[] = {
    {"Norris", 1, 1, {-0.262323073774029, 1.00211681802045},
     {0.232818234301152, 0.429796848199937E-03}, 0.884796396144373, 0.999993745883712, 12.5},
    {"Pontius", 1, 2, {0.673565789473684E-03, 0.732059160401003E-06, -0.316081871345029E-14},
     {0.107938612033077E-03, 0.157817399981659E-09, 0.486652849992036E-16},
     0.205177424076185E-03, 0.999999900178537, 12.5},
    {"NoInt1", 0, 1, {2.07438016528926}, {0.165289256198347E-01}, 3.56753034006338,
     0.999365492298663, 14},
    {"NoInt2", 0, 1, {0.727272727272727}, {0.420827318078432E-01}, 0.369274472937998,
     0.993348115299335, 14},
    {"Longley", 1, 6,
     {-3482258.63459582, 15.0618722713733, -0.358191792925910E-01, -2.02022980381683,
      -1.03322686717359, -0.511041056535807E-01, 1829.15146461355},
     {890420.383607373, 84.9149257747669, 0.334910077722432E-01, 0.488399681651699,
      0.214274163161675, 0.226073200069370, 455.478499142212},
     304.854073561965, 0.995479004577296, 14},
    {"Wampler1", 1, 5, {1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0}, 0, 1, 14},
    {"Wampler2", 1, 5, {1, 0.1, 0.01, 0.001, 0.0001, 0.00001}, {0, 0, 0, 0, 0, 0}, 0, 1, 13},
    {"Wampler3", 1, 5, {1, 1, 1, 1, 1, 1},
     {2152.32624678170, 2363.55173469681, 779.343524331583, 101.475507550350,
      5.64566512170752, 0.112324854679312},
     2360.14502379268, 0.999995559025820, 14},
    {"Wampler4", 1, 5, {1, 1, 1, 1, 1, 1},
     {215232.624678170, 236355.173469681, 77934.3524331583, 10147.5507550350,
      564.566512170752, 11.2324854679312},
     236014.502379268, 0.957478440825662, 14},
    {"Wampler5", 1, 5, {1, 1, 1, 1, 1, 1},
     {21523262.4678170, 23635517.3469681, 7793435.24331583, 1014755.07550350,
      56456.6512170752, 1123.24854679312},
     23601450.2379268, 0.224668921574940E-02, 13},
};

static engrate_train_options *nist_options(const nist *s)
{
    engrate_train_options *o = options((const char *const[]){
        "target", "y", "transform", "none", "lambda", "0", "folds", "0", NULL});
    engrate_error err;
    static const char *const poly[] = {"x", "x2", "x3", "x4", "x5",
                                       "x6", "x7", "x8", "x9", "x10"};
    static const char *const longley[] = {"x1", "x2", "x3", "x4", "x5", "x6"};
    int is_longley = strcmp(s->name, "Longley") == 0;
    for (int k = 0; k < s->n_x; k++)
        ck_assert_int_eq(
            engrate_train_options_set(o, "numeric", is_longley ? longley[k] : poly[k], &err), 0);
    if (!s->intercept)
        ck_assert_int_eq(engrate_train_options_set(o, "no-intercept", NULL, &err), 0);
    return o;
}

START_TEST(nist_certified)
{
    const nist *s = &sets[_i];
    char rel[256];
    snprintf(rel, sizeof rel, "tests/data/nist/%s.csv", s->name);
    engrate_train_options *o = nist_options(s);
    engrate_train_report *rep = NULL;
    engrate_error err;
    engrate_model *m = engrate_train_csv(test_path(rel), o, &rep, &err);
    /* Every one gives a model, Pontius too (x^2 reaches 9e12: any finite number is data). */
    ck_assert_msg(m != NULL && rep != NULL, "%s: %s", s->name, err.text);
    size_t p = (size_t)s->n_x + (size_t)s->intercept;
    ck_assert_uint_eq(engrate_train_report_term_count(rep), p);
    double worst = 15;
    for (size_t j = 0; j < p; j++) {
        size_t c = s->intercept ? j : j + 1; /* certified index: beta0 first */
        double est = engrate_train_report_estimate(rep, j);
        double se = engrate_train_report_std_error(rep, j);
        double want = s->intercept ? s->beta[j] : s->beta[j];
        (void)c;
        double l1 = lre(est, want), l2 = lre(se, s->sd[j]);
        if (s->sd[j] == 0) /* exact fits: the standard error must be (near) 0 */
            l2 = se <= 1e-15 * fabs(want) + 1e-300 ? 15 : lre(se, 0);
        worst = fmin(worst, fmin(l1, l2));
        ck_assert_msg(l1 >= s->min_lre && l2 >= s->min_lre,
                      "%s %s: estimate %.17g (LRE %.1f), se %.17g (LRE %.1f)", s->name,
                      engrate_train_report_term(rep, j), est, l1, se, l2);
    }
    double sig = engrate_train_report_value(rep, "residual_sd");
    double r2 = engrate_train_report_value(rep, "r_squared");
    double lsig = s->resid_sd ? lre(sig, s->resid_sd) : (sig < 1e-9 ? 15 : 0);
    ck_assert_msg(lsig >= s->min_lre, "%s: residual sd %.17g (LRE %.1f)", s->name, sig, lsig);
    ck_assert_msg(lre(r2, s->r2) >= s->min_lre, "%s: R^2 %.17g", s->name, r2);
    fprintf(stderr, "%-9s LRE >= %.1f (estimates and standard errors), sigma %.1f, R^2 %.1f\n",
            s->name, worst, lsig, lre(r2, s->r2));
    engrate_model_free(m);
    engrate_train_report_free(rep);
    engrate_train_options_free(o);
}
END_TEST

/* Filip (a degree-10 polynomial) has a scaled normal matrix with condition number ~1e18:
 * beyond what a double factorisation refined against the exact Gram can solve, so it is
 * reported as such, never answered with garbage. */
START_TEST(nist_filip_is_refused)
{
    nist s = {"Filip", 1, 10, {0}, {0}, 0, 0, 0};
    engrate_train_options *o = nist_options(&s);
    engrate_train_report *rep = (engrate_train_report *)&s;
    engrate_error err;
    engrate_model *m = engrate_train_csv(test_path("tests/data/nist/Filip.csv"), o, &rep, &err);
    ck_assert_ptr_null(m);
    ck_assert_ptr_null(rep);
    ck_assert_int_eq(err.code, ENGRATE_E_SINGULAR);
    ck_assert_msg(strstr(err.text, "ill-conditioned") && strstr(err.text, "condition number"),
                  "%s", err.text);
    engrate_train_options_free(o);
}
END_TEST

/* ---- Synthetic data ---------------------------------------------------------------- */

#define N_ROLES 4
#define N_SKILLS 6
static const char *const role_ids[N_ROLES] = {"dev", "pm", "pmo", "qa"};
static const double role_p[N_ROLES] = {0.4, 0.2, 0.2, 0.2}; /* dev is the most frequent */
static const double role_eff[N_ROLES] = {0.0, 0.30, 0.20, -0.15};
static const char *const skill_ids[N_SKILLS] = {"c", "c++", "go", "java", "python", "sql"};
static const double skill_eff[N_SKILLS] = {0.02, 0.08, 0.12, 0.05, 0.07, -0.03};
#define B0 13.2
#define SLOPE 0.05
#define KNOT_CHANGE (-0.035)
#define SIGMA 0.1

static double true_eta(int role, const int *sk, double years)
{
    double eta = B0 + role_eff[role] + SLOPE * years + KNOT_CHANGE * fmax(0, years - 10);
    for (int k = 0; k < N_SKILLS; k++)
        eta += sk[k] ? skill_eff[k] : 0;
    return eta;
}

/* n rows, log rate = true_eta + N(0, SIGMA^2), seed fixed. */
static char *synthetic(int n, uint64_t seed)
{
    text t = {0};
    rng_state = seed;
    tprintf(&t, "role,skills,certs,years,rate\r\n");
    for (int i = 0; i < n; i++) {
        double u = unif(), c = 0;
        int role = 0;
        while (role < N_ROLES - 1 && u > (c += role_p[role]))
            role++;
        int sk[N_SKILLS];
        tprintf(&t, "%s,\"", role_ids[role]);
        int first = 1;
        for (int k = 0; k < N_SKILLS; k++) {
            sk[k] = unif() < 0.35;
            if (sk[k]) {
                tprintf(&t, "%s%s", first ? "" : "; ", skill_ids[k]);
                first = 0;
            }
        }
        double years = floor(unif() * 300) / 10;
        double rate = exp(true_eta(role, sk, years) + SIGMA * gauss());
        tprintf(&t, "\",,%.1f,%.6f\r\n", years, rate);
    }
    return t.s;
}

static const char *const syn_plain[] = {"categorical", "role",   "set",    "skills",
                                        "numeric",     "years:knots=10", "lambda", "0",
                                        "min-count",   "1",      NULL};

START_TEST(recovers_generating_coefficients)
{
    int n = 20000;
    char *csv = synthetic(n, 42);
    engrate_train_report *rep;
    engrate_error err;
    engrate_model *m = train_buf(csv, syn_plain, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    /* With lambda 0 the most frequent role (dev) is the reference: the intercept absorbs
     * its effect and the others are differences from it. Tolerance: 4.5 standard errors,
     * and the standard errors themselves must be what the noise level implies. */
    double se, est;
    est = report_coef(rep, "(intercept)", &se);
    ck_assert_double_eq_tol(est, B0 + role_eff[0], 4.5 * se);
    for (int r = 1; r < N_ROLES; r++) {
        char name[64];
        snprintf(name, sizeof name, "role=%s", role_ids[r]);
        est = report_coef(rep, name, &se);
        /* SE of a difference of two group means ~ sigma sqrt(1/n1 + 1/n2) */
        double expect_se = SIGMA * sqrt(1 / (n * role_p[r]) + 1 / (n * role_p[0]));
        ck_assert_double_eq_tol(se, expect_se, 0.2 * expect_se);
        ck_assert_double_eq_tol(est, role_eff[r] - role_eff[0], 4.5 * se);
    }
    for (int k = 0; k < N_SKILLS; k++) {
        char name[64];
        snprintf(name, sizeof name, "skills=%s", skill_ids[k]);
        est = report_coef(rep, name, &se);
        double expect_se = SIGMA / sqrt(n * 0.35 * 0.65);
        ck_assert_double_eq_tol(se, expect_se, 0.2 * expect_se);
        ck_assert_double_eq_tol(est, skill_eff[k], 4.5 * se);
    }
    est = report_coef(rep, "years", &se);
    ck_assert_double_eq_tol(est, SLOPE, 4.5 * se);
    est = report_coef(rep, "years>10", &se);
    ck_assert_double_eq_tol(est, KNOT_CHANGE, 4.5 * se);
    ck_assert_double_eq_tol(engrate_train_report_value(rep, "residual_sd"), SIGMA, 0.03 * SIGMA);
    ck_assert_double_eq(engrate_train_report_value(rep, "n"), n);
    ck_assert_double_eq(engrate_train_report_value(rep, "p"), 1 + 3 + 6 + 2);
    /* The model reproduces the generating rates through the estimation API. */
    engrate_result *res = engrate_result_new(m, &err);
    ck_assert_ptr_nonnull(res);
    for (int r = 0; r < N_ROLES; r++) {
        for (int years = 0; years <= 25; years += 5) {
            int sk[N_SKILLS] = {r % 2, 1, 0, r == 3, 1, 0};
            const char *names[N_SKILLS];
            size_t ns = 0;
            for (int k = 0; k < N_SKILLS; k++)
                if (sk[k])
                    names[ns++] = skill_ids[k];
            double y = years;
            ck_assert_int_eq(engrate_estimate_profile(m, role_ids[r], names, ns, NULL, 0, &y,
                                                      ENGRATE_STRICT, res, &err),
                             0);
            double want = exp(true_eta(r, sk, years));
            ck_assert_double_eq_tol(engrate_result_estimate(res), want, 0.02 * want);
            ck_assert(engrate_result_low(res) < want && want < engrate_result_high(res));
        }
    }
    engrate_result_free(res);
    engrate_model_free(m);
    engrate_train_report_free(rep);
    free(csv);
}
END_TEST

START_TEST(ridge_auto_and_calibrated_interval)
{
    char *csv = synthetic(20000, 7);
    engrate_train_report *rep;
    engrate_error err;
    const char *const kv[] = {"categorical", "role", "set", "skills", "numeric",
                              "years:knots=10", "interval", "0.8", NULL};
    engrate_model *m = train_buf(csv, kv, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    double lambda = engrate_train_report_value(rep, "lambda");
    ck_assert(lambda > 0 && isfinite(lambda));
    ck_assert_double_eq(engrate_train_report_value(rep, "folds"), 5);
    /* out-of-fold RMSE ~ sigma; the 80% interval ~ +-1.2816 sigma; held-out coverage ~80% */
    ck_assert_double_eq_tol(engrate_train_report_value(rep, "cv_rmse"), SIGMA, 0.03 * SIGMA);
    ck_assert_double_eq_tol(engrate_model_interval_low(m), -1.2816 * SIGMA, 0.06 * SIGMA);
    ck_assert_double_eq_tol(engrate_model_interval_high(m), 1.2816 * SIGMA, 0.06 * SIGMA);
    ck_assert_double_eq_tol(engrate_train_report_value(rep, "coverage"), 0.8, 0.02);
    /* median |exp(e) - 1| for e ~ N(0, 0.1^2) is about 0.0675 */
    ck_assert_double_eq_tol(engrate_train_report_value(rep, "cv_mape"), 0.0675, 0.006);
    ck_assert_double_eq(engrate_model_training(m, "coverage"),
                        engrate_train_report_value(rep, "coverage"));
    /* every level gets an indicator with lambda > 0: the roles' differences still come back */
    double pm = report_coef(rep, "role=pm", NULL), dev = report_coef(rep, "role=dev", NULL);
    ck_assert_double_eq_tol(pm - dev, role_eff[1] - role_eff[0], 0.01);
    const char *json = engrate_train_report_json(rep);
    ck_assert_ptr_nonnull(strstr(json, "\"cv\": {\"folds\": 5, \"rmse\": "));
    ck_assert_ptr_nonnull(strstr(json, "{\"term\": \"years>10\", \"estimate\": "));
    ck_assert_ptr_nonnull(strstr(json, "\"lambda_selection\": \"cv\""));
    engrate_model_free(m);
    engrate_train_report_free(rep);
    free(csv);
}
END_TEST

/* Same input, same options: the same bytes, whether one thread or two did the work. */
START_TEST(deterministic_across_threads)
{
    char *csv = synthetic(30000, 99);
    char *out[3];
    for (int i = 0; i < 3; i++) {
        const char *const kv[] = {"categorical", "role", "set", "skills", "numeric", "years",
                                  "threads", i == 0 ? "1" : "2", NULL};
        engrate_error err;
        engrate_model *m = train_buf(csv, kv, NULL, &err);
        ck_assert_msg(m != NULL, "%s", err.text);
        out[i] = engrate_model_to_string(m, NULL, &err);
        ck_assert_ptr_nonnull(out[i]);
        engrate_model_free(m);
    }
    ck_assert_str_eq(out[0], out[1]);
    ck_assert_str_eq(out[1], out[2]);
    for (int i = 0; i < 3; i++)
        engrate_string_free(out[i]);
    free(csv);
}
END_TEST

/* ---- The accumulator --------------------------------------------------------------- */

/* The Gram of all rows equals the merge of per-fold Grams: exactly for integer data (every
 * sum is exact), and to double-double precision for general data. */
START_TEST(fold_merge_equals_all_rows)
{
    for (int exact = 0; exact < 2; exact++) {
        er_acc all, fold[5], merged;
        er_acc_init(&all);
        er_acc_init(&merged);
        for (int k = 0; k < 5; k++)
            er_acc_init(&fold[k]);
        rng_state = 1234;
        for (int i = 0; i < 5000; i++) {
            uint32_t idx[6] = {0};
            double val[6] = {1};
            size_t nnz = 1;
            for (uint32_t j = 1; j < 12; j++)
                if (unif() < 0.3 && nnz < 6) {
                    idx[nnz] = j;
                    val[nnz++] = exact ? floor(unif() * 100) - 50 : gauss() * 1e3;
                }
            double y = exact ? floor(unif() * 1000) : gauss() * 1e6 + 1e7;
            double w = exact ? 1 + floor(unif() * 3) : 0.5 + unif();
            int k = i % 5;
            ck_assert_int_eq(er_acc_reserve(&all, 12), 0);
            ck_assert_int_eq(er_acc_reserve(&fold[k], 12), 0);
            er_acc_add(&all, idx, val, nnz, y, w);
            er_acc_add(&fold[k], idx, val, nnz, y, w);
        }
        for (int k = 0; k < 5; k++)
            ck_assert_int_eq(er_acc_merge(&merged, &fold[k]), 0);
        ck_assert_uint_eq(merged.n, all.n);
        ck_assert_uint_eq(merged.p, all.p);
        for (size_t i = 0; i < ER_PK(0, all.p); i++) {
            double a = all.g[i].hi + all.g[i].lo, b = merged.g[i].hi + merged.g[i].lo;
            if (exact) {
                ck_assert(all.g[i].hi == merged.g[i].hi && all.g[i].lo == merged.g[i].lo);
            } else {
                ck_assert(all.g[i].hi == merged.g[i].hi);
                ck_assert_double_eq_tol(all.g[i].lo, merged.g[i].lo, 1e-28 * fabs(a) + 1e-300);
                (void)b;
            }
        }
        for (size_t i = 0; i < all.p; i++)
            ck_assert(all.xy[i].hi == merged.xy[i].hi);
        ck_assert(all.yy.hi == merged.yy.hi);
        er_acc_free(&all);
        er_acc_free(&merged);
        for (int k = 0; k < 5; k++)
            er_acc_free(&fold[k]);
    }
}
END_TEST

/* A hand calculation: y = 1, 3, 2 at x = 0, 1, 2, weights 1, 2, 1. Weighted means
 * xbar = 1, ybar = 9/4; Sxx = 2, Sxy = 1: slope 1/2, intercept 7/4. */
START_TEST(weighted_hand_calculation)
{
    const char *csv = "x,y,w\n0,1,1\n1,3,2\n2,2,1\n";
    const char *const kv[] = {"target", "y", "transform", "none", "weight", "w", "numeric", "x",
                              "lambda", "0", "folds", "0", NULL};
    engrate_train_report *rep;
    engrate_error err;
    engrate_model *m = train_buf(csv, kv, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_double_eq_tol(report_coef(rep, "x", NULL), 0.5, 1e-15);
    ck_assert_double_eq_tol(report_coef(rep, "(intercept)", NULL), 1.75, 1e-15);
    ck_assert_double_eq_tol(engrate_input_default(m, 0), 1.0, 1e-15); /* weighted mean */
    engrate_model_free(m);
    engrate_train_report_free(rep);
}
END_TEST

/* The reference profile: four kinds of row, three times each (so that the three folds
 * share them), weights 1, 1, 2, 4 of 8 per copy. By hand: role a on 2/8 of the weight,
 * b on 6/8; skill x on 3/8, y on 2/8; years (2 + 4 + 2 * 6 + 4 * 8) / 8 = 6.25. The
 * typical effects are those shares times the model's coefficients; and as the years curve
 * is linear, the base is the weighted mean of the rows' linear predictors, which the
 * model's own estimates of the rows give (a second way to the same number). */
START_TEST(reference_is_the_average_row)
{
    static const char *const rows[] = {"a,x,2,500000,1", "a,,4,560000,1", "b,x;y,6,700000,2",
                                       "b,,8,650000,4"};
    static const double weight[] = {1, 1, 2, 4};
    text t = {0};
    tprintf(&t, "role,skills,years,rate,w\n");
    for (int copy = 0; copy < 3; copy++)
        for (int k = 0; k < 4; k++)
            tprintf(&t, "%s\n", rows[k]);
    const char *const kv[] = {"categorical", "role", "set",   "skills", "numeric", "years",
                              "weight",      "w",    "lambda", "0.01",  "folds",   "3",
                              "min-count",   "1",    NULL};
    engrate_error err;
    engrate_model *m = train_buf(t.s, kv, NULL, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_int_eq(engrate_model_has_reference(m), 1);
    ck_assert_str_eq(engrate_level_id(m, 0, 0), "a");
    ck_assert_str_eq(engrate_level_id(m, 1, 0), "x");
    double role = 0.25 * engrate_level_coef(m, 0, 0) + 0.75 * engrate_level_coef(m, 0, 1);
    double skills = 0.375 * engrate_level_coef(m, 1, 0) + 0.25 * engrate_level_coef(m, 1, 1);
    ck_assert_double_eq_tol(engrate_input_reference(m, 0), role, 1e-15);
    ck_assert_double_eq_tol(engrate_input_reference(m, 1), skills, 1e-15);
    ck_assert_double_eq(engrate_input_reference(m, 2), 6.25);
    ck_assert_double_eq(engrate_input_default(m, 2), 6.25);
    /* the base: the weighted mean of log(estimate) over the rows */
    engrate_result *r = engrate_result_new(m, &err);
    double sum = 0;
    const char *const profile_skills[4][2] = {{"x"}, {NULL}, {"x", "y"}, {NULL}};
    const size_t n_skills[] = {1, 0, 2, 0};
    const char *const roles[] = {"a", "a", "b", "b"};
    const double years[] = {2, 4, 6, 8};
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(engrate_estimate_profile(m, roles[k], profile_skills[k], n_skills[k],
                                                  NULL, 0, &years[k], 0, r, &err),
                         0);
        sum += weight[k] * log(engrate_result_estimate(r));
    }
    ck_assert_double_eq_tol(log(engrate_model_base(m)), sum / 8, 1e-12);
    engrate_result_free(r);
    engrate_model_free(m);
    free(t.s);
}
END_TEST

/* The condition number reported is the 1-norm one of the scaled normal matrix. For
 *   A = [1 -1/2 -1/5; -1/2 1 -2/5; -1/5 -2/5 1]   (unit diagonal: scaling leaves it be)
 * by hand: det A = 47/100, A^-1 = [84 58 40; 58 96 50; 40 50 75] / 47, so ||A||_1 = 1.9,
 * ||A^-1||_1 = 204/47 and cond_1 = 1938/235. A^-1 has no negative entry, and then the
 * estimate GSL makes (Hager, Higham) finds that column at its first step: it is exact.
 * It reads ||A||_1 from the triangle beside the factor, which must hold A (with the
 * factor's own entries there it said 9.02). */
START_TEST(condition_number_of_a_known_matrix)
{
    static const double A[3][3] = {{1, -0.5, -0.2}, {-0.5, 1, -0.4}, {-0.2, -0.4, 1}};
    er_acc a;
    er_acc_init(&a);
    ck_assert_int_eq(er_acc_reserve(&a, 4), 0);
    for (size_t j = 1; j <= 3; j++) {
        for (size_t k = j; k <= 3; k++)
            a.g[ER_PK(j, k)] = dd_make(A[j - 1][k - 1], 0);
        a.xy[j] = dd_make((double)j, 0);
    }
    a.yy = dd_make(100, 0);
    a.n = 10;
    const uint32_t cols[3] = {1, 2, 3};
    const double pen[3] = {1, 1, 1};
    er_fit_spec spec = {3, cols, pen, 0};
    double beta[3];
    er_fit_result res = {.beta = beta};
    engrate_error err;
    ck_assert_int_eq(er_fit_solve(&a, &spec, 0, &res, NULL, &err), 0);
    ck_assert_double_eq_tol(res.cond, 1938.0 / 235.0, 1e-12 * 1938.0 / 235.0);
    er_acc_free(&a);
}
END_TEST

/* Standard errors from the inverse of the Hilbert matrix H (h_jk = 1/(j+k-1)), whose
 * entries are integers in closed form:
 *   (H^-1)_jj = (2j-1) * (C(n+j-1, n-j) * C(2j-2, j-1))^2,
 * for n = 6: 36, 14700, 564480, 3628800, 4410000, 698544 (cond ~1.5e7). With lambda 0 the
 * squared standard errors are s^2 (H^-1)_jj, so their ratios are those integers' whatever
 * s^2 is. The solves run side by side in lanes, grouped differently by each thread count;
 * every grouping must give the same bits. */
START_TEST(standard_errors_of_the_hilbert_matrix)
{
    enum { N = 6 };
    static const double hinv_diag[N] = {36, 14700, 564480, 3628800, 4410000, 698544};
    er_acc a;
    er_acc_init(&a);
    ck_assert_int_eq(er_acc_reserve(&a, N + 1), 0);
    for (size_t j = 1; j <= N; j++) {
        for (size_t k = j; k <= N; k++)
            a.g[ER_PK(j, k)] = dd_div(dd_make(1, 0), dd_make((double)(j + k - 1), 0));
        a.xy[j] = dd_make((double)j, 0);
    }
    a.yy = dd_make(1e6, 0);
    a.n = 100;
    const uint32_t cols[N] = {1, 2, 3, 4, 5, 6};
    const double pen[N] = {1, 1, 1, 1, 1, 1};
    er_fit_spec spec = {N, cols, pen, 0};
    double first[N];
    for (int threads = 1; threads <= N; threads++) {
        double beta[N], se[N];
        er_fit_result res = {.beta = beta, .se = se, .threads = threads};
        engrate_error err;
        ck_assert_int_eq(er_fit_solve(&a, &spec, 0, &res, NULL, &err), 0);
        for (size_t j = 0; j < N; j++) {
            double want = hinv_diag[j] / hinv_diag[0];
            double got = (se[j] / se[0]) * (se[j] / se[0]);
            ck_assert_msg(fabs(got - want) <= 1e-12 * want, "se %zu: %.17g, want %.17g", j,
                          got, want);
            if (threads == 1)
                first[j] = se[j];
            else
                ck_assert_msg(se[j] == first[j], "se %zu with %d threads", j, threads);
        }
    }
    er_acc_free(&a);
}
END_TEST

/* The held-out SSE from a Gram against the residuals summed row by row (long double),
 * and several coefficient vectors at once (lanes) against each alone, bit for bit. */
START_TEST(held_out_sse_in_lanes)
{
    enum { ROWS = 40, P = 5 };
    er_acc a;
    er_acc_init(&a);
    ck_assert_int_eq(er_acc_reserve(&a, P), 0);
    double x[ROWS][P], y[ROWS];
    unsigned seed = 7;
    for (int i = 0; i < ROWS; i++) {
        uint32_t idx[P];
        size_t nnz = 0;
        for (int j = 0; j < P; j++) {
            seed = seed * 1103515245u + 12345u;
            x[i][j] = j == 0 ? 1 : (seed >> 16) % 3 == 0 ? 0 : (double)((seed >> 8) % 97) / 8;
            if (x[i][j] != 0)
                idx[nnz++] = (uint32_t)j;
        }
        double val[P];
        for (size_t k = 0; k < nnz; k++)
            val[k] = x[i][idx[k]];
        y[i] = 3 + x[i][1] - 0.5 * x[i][3] + (double)(i % 5) / 4;
        er_acc_add(&a, idx, val, nnz, y[i], 1.0);
    }
    const uint32_t cols[P - 1] = {1, 2, 3, 4};
    const double pen[P - 1] = {1, 1, 1, 1};
    er_fit_spec spec = {P - 1, cols, pen, 1};
    static const double betas[ER_FIT_LANES][P] = {
        {3, 1, 0, -0.5, 0}, {2.5, 0.75, 0.125, -0.25, 0.5}, {0, 0, 0, 0, 0}, {4, -1, 2, 0, 1}};
    double alone[ER_FIT_LANES];
    for (int c = 0; c < ER_FIT_LANES; c++) {
        long double sse = 0;
        for (int i = 0; i < ROWS; i++) {
            long double r = y[i];
            for (int j = 0; j < P; j++)
                r -= (long double)betas[c][j] * x[i][j];
            sse += r * r;
        }
        alone[c] = er_fit_sse(&a, &spec, betas[c][0], betas[c] + 1);
        ck_assert_msg(fabsl(alone[c] - sse) <= 1e-12L * (sse + 1), "lane %d: %.17g, want %.17Lg",
                      c, alone[c], sse);
    }
    for (int n = 1; n <= ER_FIT_LANES; n++)
        for (int shift = 0; shift < ER_FIT_LANES; shift++) {
            double b0[ER_FIT_LANES], out[ER_FIT_LANES];
            const double *b[ER_FIT_LANES];
            for (int c = 0; c < n; c++) {
                int k = (c + shift) % ER_FIT_LANES;
                b0[c] = betas[k][0];
                b[c] = betas[k] + 1;
            }
            er_fit_sse_lanes(&a, &spec, b0, b, out, n);
            for (int c = 0; c < n; c++)
                ck_assert_msg(out[c] == alone[(c + shift) % ER_FIT_LANES],
                              "%d lanes, lane %d", n, c);
        }
    er_acc_free(&a);
}
END_TEST

/* A fold whose training rows are collinear (b = a but in one row, held out in that fold)
 * cannot be fitted without a penalty; the fold fits run on the threads, and the outcome
 * must not depend on how many: one note for that fold, no CV figures, the same report. */
START_TEST(a_fold_that_cannot_be_fitted)
{
    char csv[4096] = "a,b,rate\n";
    for (int i = 1; i <= 40; i++) {
        size_t n = strlen(csv);
        snprintf(csv + n, sizeof csv - n, "%d,%d,%d\n", i, i, 500000 + i * 1000 + (i % 7) * 3000);
    }
    strcat(csv, "20,25,650000\n");
    char *json[3];
    for (int th = 1; th <= 3; th++) {
        char threads[4];
        snprintf(threads, sizeof threads, "%d", th);
        const char *const kv[] = {"numeric", "a", "numeric", "b", "lambda", "0",
                                  "threads", threads, NULL};
        engrate_train_report *rep = NULL;
        engrate_error err;
        engrate_model *m = train_buf(csv, kv, &rep, &err);
        ck_assert_msg(m != NULL, "%s", err.text);
        ck_assert(isnan(engrate_train_report_value(rep, "cv_rmse")));
        const char *j = engrate_train_report_json(rep);
        ck_assert_ptr_nonnull(j);
        const char *note = strstr(j, "could not be fitted");
        ck_assert_ptr_nonnull(note);
        ck_assert_ptr_null(strstr(note + 1, "could not be fitted"));
        json[th - 1] = strdup(j);
        engrate_train_report_free(rep);
        engrate_model_free(m);
    }
    ck_assert_str_eq(json[0], json[1]);
    ck_assert_str_eq(json[0], json[2]);
    for (int i = 0; i < 3; i++)
        free(json[i]);
}
END_TEST

/* ---- Steals between the reading threads --------------------------------------------- */

/* A file whose first half costs many times more a byte than its second: short rows, then
 * rows with a long column no input reads. Skill s9 is only in the third quarter of the
 * first half (which steals take), s8 only in the second half. The rows at a quarter and
 * at three quarters of the first half and at the middle of the second have years
 * odd[0], odd[1] and odd[2] (NULL: a number as the others); the second is on line *line.
 * Returns the path (a static buffer). */
static const char *steal_file(const char *const odd[3], int *line)
{
    static char path[] = "/tmp/check_train_steal.XXXXXX";
    strcpy(path, "/tmp/check_train_steal.XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs("role,skills,years,note,rate\n", f);
    const long mb = 1024L * 1024L, at_odd[3] = {mb / 4, mb * 3 / 4, mb * 3 / 2};
    int lines = 1, k = 0;
    char note[1500];
    memset(note, 'x', sizeof note - 1);
    note[sizeof note - 1] = '\0';
    uint64_t x = 12345;
    for (long at = 0; (at = ftell(f)) < 2 * mb;) {
        int half = at >= mb;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int role = (int)(x >> 60) % 4, skill = (int)(x >> 54) % 8, years = (int)(x >> 40) % 30;
        if (half ? lines % 50 == 0 : at > mb / 2 && at < mb * 7 / 8 && lines % 400 == 0)
            skill = half ? 8 : 9;
        double rate = 400000 + 60000 * role + 20000 * skill + 9000 * years +
                      (double)((x >> 20) % 50000);
        char y[16];
        snprintf(y, sizeof y, "%d", years);
        lines++;
        if (k < 3 && at > at_odd[k]) {
            if (k == 1)
                *line = lines;
            if (odd[k])
                snprintf(y, sizeof y, "%s", odd[k]);
            k++;
        }
        fprintf(f, "r%d,s%d,%s,%s,%.0f\n", role, skill, y, half ? note : "", rate);
    }
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* Train from the file at path as engrate_train_csv does, with parts split down to 64 KiB
 * left (skipping bad rows or not): the model's text (or NULL, with *err), the report's
 * JSON into *json when json is not NULL, and the parts read. */
static char *steal_train(const char *path, const char *threads, int skip, char **json,
                         size_t *parts, engrate_error *err)
{
    const char *const kv[] = {"categorical", "role", "set", "skills", "numeric", "years",
                              "threads", threads, skip ? "skip-bad-rows" : NULL, "1", NULL};
    engrate_train_options *o = options(kv);
    trainer t;
    tr_source src = {path, NULL, 0, path};
    ck_assert_int_eq(tr_init(&t, o, err), 0);
    t.steal_min = 64 * 1024;
    int rc = tr_read(&t, &src, 1);
    ck_assert_int_ne(rc, TR_RESPLIT); /* the cuts are records' ends */
    *parts = t.parts_read;
    engrate_train_report *rep = NULL;
    engrate_model *m = rc == 0 ? tr_finish(&t, &rep) : NULL;
    tr_release(&t);
    engrate_train_options_free(o);
    if (json) {
        const char *j = rep ? engrate_train_report_json(rep) : NULL;
        *json = j ? strdup(j) : NULL;
    }
    engrate_train_report_free(rep);
    char *out = m ? engrate_model_to_string(m, NULL, err) : NULL;
    engrate_model_free(m);
    return out;
}

/* The thread of the cheap second half is done early and takes parts of the first half
 * from the other: more parts than threads, and the one thread's model and report, whose
 * notes list the skipped rows in the file's order (so the parts were merged in the order
 * of their starts); without skipping, the fault in the first half's third quarter (in a
 * part taken) is reported at its line. Steals depend on timing, so each two-thread
 * training is tried until one steals (it nearly always does at once). Under valgrind
 * (ENGRATE_TEST_LIGHT), which runs one thread at a time, a steal is not required. */
START_TEST(steals_give_the_single_pass)
{
    int light = getenv("ENGRATE_TEST_LIGHT") != NULL;
    const size_t want_parts = light ? 2 : 3;
    const int max_tries = light ? 3 : 20;
    const char *const three[3] = {"one?", "two?", "three?"};
    int line;
    const char *path = steal_file(three, &line);
    engrate_error err;
    size_t parts = 0;
    char *want_json, *got_json;
    char *want = steal_train(path, "1", 1, &want_json, &parts, &err);
    ck_assert_msg(want != NULL, "%s", err.text);
    ck_assert_ptr_nonnull(want_json);
    ck_assert_uint_eq(parts, 1);
    const char *n1 = strstr(want_json, "one?"), *n2 = strstr(want_json, "two?"),
               *n3 = strstr(want_json, "three?");
    ck_assert(n1 && n2 && n3 && n1 < n2 && n2 < n3); /* the notes, in the file's order */
    int tries = 0;
    do {
        char *got = steal_train(path, "2", 1, &got_json, &parts, &err);
        ck_assert_msg(got != NULL, "%s", err.text);
        ck_assert_str_eq(got, want);
        ck_assert_str_eq(got_json, want_json);
        engrate_string_free(got);
        free(got_json);
    } while (parts < 3 && ++tries < max_tries);
    ck_assert_uint_ge(parts, want_parts);
    engrate_string_free(want);
    free(want_json);
    unlink(path);
    const char *const one[3] = {NULL, "seven", NULL};
    path = steal_file(one, &line);
    tries = 0;
    do {
        ck_assert_ptr_null(steal_train(path, "2", 0, NULL, &parts, &err));
        ck_assert_int_eq(err.code, ENGRATE_E_NUMBER);
        ck_assert_int_eq(err.line, line);
        ck_assert_int_eq(err.column, 7);
    } while (parts < 3 && ++tries < max_tries);
    ck_assert_uint_ge(parts, want_parts);
    unlink(path);
}
END_TEST

/* ---- Levels file, min-count, names -------------------------------------------------- */

START_TEST(levels_file_order_names_and_evidence)
{
    char path[] = "/tmp/check_train_levels.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *levels = "input,level,name_en,name_ja,aliases,evidence\n"
                         "role,,Role,職種,,\n"
                         "role,pmo,PMO,PMO,ＰＭＯ支援,\n"
                         "role,pm,Project manager,プロジェクトマネージャー,PM|プロマネ,\n"
                         "role,arch,Architect,アーキテクト,,none\n";
    ck_assert_int_eq(write(fd, levels, strlen(levels)), (int)strlen(levels));
    close(fd);
    char *csv = synthetic(3000, 5);
    const char *const kv[] = {"categorical", "role", "set",    "skills",
                              "numeric",     "years", "levels", path,
                              "meta",        "currency=JPY", "source", "made by check_train",
                              NULL};
    engrate_error err;
    engrate_model *m = train_buf(csv, kv, NULL, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_str_eq(engrate_input_label(m, 0, "ja"), "職種");
    ck_assert_uint_eq(engrate_input_level_count(m, 0), 5);
    /* the levels file's order first, then the others by id */
    ck_assert_str_eq(engrate_level_id(m, 0, 0), "pmo");
    ck_assert_str_eq(engrate_level_id(m, 0, 1), "pm");
    ck_assert_str_eq(engrate_level_id(m, 0, 2), "arch");
    ck_assert_str_eq(engrate_level_id(m, 0, 3), "dev");
    ck_assert_str_eq(engrate_level_id(m, 0, 4), "qa");
    ck_assert_uint_eq(engrate_level_flags(m, 0, 2), ENGRATE_LEVEL_NO_EVIDENCE);
    ck_assert_double_eq(engrate_level_coef(m, 0, 2), 0);
    ck_assert_str_eq(engrate_level_name(m, 0, 1, "ja"), "プロジェクトマネージャー");
    ck_assert_int_eq(test_find(m, 0, "プロマネ", NULL), 1);
    ck_assert_str_eq(engrate_model_meta(m, "currency"), "JPY");
    ck_assert_str_eq(engrate_model_source(m, 0), "made by check_train");
    engrate_model_free(m);
    /* a level marked evidence=none must not occur in the data */
    const char *bad = "role,skills,certs,years,rate\npm,,,3,500000\narch,,,4,600000\n";
    m = train_buf(bad, kv, NULL, &err);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(err.code, ENGRATE_E_DATA);
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 1);
    ck_assert_ptr_nonnull(strstr(err.text, "evidence=none"));
    unlink(path);
    free(csv);
}
END_TEST

START_TEST(min_count_drops_rare_levels)
{
    text t = {0};
    tprintf(&t, "role,skills,certs,years,rate\n");
    rng_state = 3;
    for (int i = 0; i < 400; i++)
        tprintf(&t, "%s,%s,,%d,%.0f\n", i % 2 ? "dev" : "pm", i == 7 ? "cobol;java" : "java",
                i % 30, 500000 * exp(0.1 * gauss()));
    const char *const kv[] = {"categorical", "role", "set", "skills", "numeric", "years",
                              "min-count", "2", NULL};
    engrate_train_report *rep;
    engrate_error err;
    engrate_model *m = train_buf(t.s, kv, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_uint_eq(engrate_input_level_count(m, 1), 1);
    ck_assert_int_eq(test_find(m, 1, "cobol", NULL), ENGRATE_E_UNKNOWN_NAME);
    int noted = 0;
    for (size_t i = 0; i < engrate_train_report_note_count(rep); i++)
        noted |= strstr(engrate_train_report_note(rep, i),
                        "skills: 1 level seen fewer than 2 times (--min-count) dropped: "
                        "'cobol' (1)") != NULL;
    ck_assert(noted);
    engrate_model_free(m);
    engrate_train_report_free(rep);
    free(t.s);
}
END_TEST

/* A file with the CSV features (BOM, CRLF, quoted commas, line breaks and quotes, an empty
 * line, no final line break) trains like any other, from its path. */
START_TEST(trains_from_an_edge_case_file)
{
    const char *const kv[] = {"lambda", "0.5", "folds", "0", "min-count", "1", NULL};
    engrate_train_options *o = options(kv);
    engrate_train_report *rep;
    engrate_error err;
    engrate_model *m = engrate_train_csv(test_path("tests/data/train/edge.csv"), o, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_double_eq(engrate_train_report_value(rep, "n"), 8);
    int skills = test_input_index(m, "skills");
    ck_assert_int_ge(skills, 0);
    ck_assert_uint_eq(engrate_input_level_count(m, (size_t)skills), 3); /* java python sql */
    ck_assert_int_ge(test_find(m, (size_t)skills, "sql", NULL), 0);
    ck_assert_double_eq(engrate_input_min(m, (size_t)test_input_index(m, "years")), 1);
    ck_assert_double_eq(engrate_input_max(m, (size_t)test_input_index(m, "years")), 20);
    engrate_model_free(m);
    engrate_train_report_free(rep);
    engrate_train_options_free(o);
}
END_TEST

/* ---- Errors -------------------------------------------------------------------------- */

typedef struct bad_case {
    const char *csv;
    int code, line, col;
    const char *text;
} bad_case;

static const char *const defaults_kv[] = {"folds", "0", "lambda", "0.1", NULL};

static const bad_case bad[] = {
    {"role,skills,certs,years,rate\npm,java,,12a,500000\n", ENGRATE_E_NUMBER, 2, 10,
     "data.csv:2:10: column 'years': '12a' is not a number"},
    {"role,skills,certs,years,rate\npm,java,,12,0\n", ENGRATE_E_DATA, 2, 13,
     "column 'rate': 0 is not positive"},
    {"role,skills,certs,years,rate\npm,java,,12,-5\n", ENGRATE_E_DATA, 2, 13,
     "column 'rate': -5 is not positive"},
    {"role,skills,certs,years,rate\npm,java,,12,\n", ENGRATE_E_NUMBER, 2, 13,
     "column 'rate': empty, no value (give --missing skip, or fill it in)"},
    {"role,skills,certs,years,rate\npm,java,,12,nan\n", ENGRATE_E_NUMBER, 2, 13,
     "column 'rate': 'nan' means no value"},
    {"role,skills,certs,years,rate\npm,java,,,500000\n", ENGRATE_E_NUMBER, 2, 10,
     "column 'years': empty, no value (give --missing skip or impute, or fill it in)"},
    {"role,skills,certs,years,rate\npm,java,,NA,500000\n", ENGRATE_E_NUMBER, 2, 10,
     "data.csv:2:10: column 'years': 'NA' means no value"},
    {"role,skills,certs,years,rate\npm,java,,\"5年\",８０万円くらい\n", ENGRATE_E_NUMBER, 2, 17,
     "column 'rate': '８０万円くらい' is not a number (accepted: "},
    {"role,skills,certs,years,rate\npm,java,,3,500000,x\n", ENGRATE_E_SYNTAX, 2, 19,
     "the row has 6 fields, the header 5"},
    {"role,skills,certs,years,rate\npm,java\n", ENGRATE_E_SYNTAX, 2, 4,
     "the row has 2 fields, the header 5"},
    {"role,skills,certs,years,rate\npm,\"java;./.\",,3,500000\n", ENGRATE_E_DATA, 2, 4,
     "column 'skills': './.' has nothing to name a level by"},
    {"role,skills,certs,years,rate\npm,\"java\x01\",,3,500000\n", ENGRATE_E_DATA, 2, 4,
     "column 'skills': a label holds a control character"},
    {"role,skills,certs,years,rate\npm,java,,3,500000\npm,java,,4,600000\n", ENGRATE_E_DATA,
     0, 0, "no level of 'role', 'skills', 'certs' is seen at least 3 times"},
    /* a field after a line break inside a quoted field: its own physical line */
    {"role,skills,certs,years,rate\npm,java,\"c1;\r\nc2\",12a,500000\n", ENGRATE_E_NUMBER, 3,
     5, "data.csv:3:5: column 'years': '12a' is not a number"},
    {"role,skills,certs,years,rate\npm,x,,3,\"50\"0\n", ENGRATE_E_SYNTAX, 2, 13,
     "after a closing quote"},
    {"role,skills,certs,years,rate\npm,x,,3,\"500\n", ENGRATE_E_SYNTAX, 2, 9,
     "quoted field is never closed"},
    {"role,skills,certs,years,rate\npm,x,,3,5\xff\n", ENGRATE_E_UTF8, 2, 9, "not valid UTF-8"},
    {"role,skills,years,rate\npm,x,3,500000\n", ENGRATE_E_MISSING, 1, 0,
     "no column 'certs' (a default input"},
    {"role;skills;certs;years;rate\npm;x;;3;500000\n", ENGRATE_E_MISSING, 1, 0,
     "the header is one field holding ';': give --delimiter ';'"},
    {"role,skills,certs,years,wage\npm,x,,3,500000\n", ENGRATE_E_MISSING, 1, 0,
     "no column 'rate' (the target)"},
    {"role,skills,certs,years,rate,rate\n", ENGRATE_E_DUPLICATE, 1, 30,
     "column 'rate' appears twice"},
    {"", ENGRATE_E_MISSING, 1, 0, "the file is empty"},
    {"role,skills,certs,years,rate\n", ENGRATE_E_DATA, 0, 0, "no usable rows"},
};

START_TEST(row_errors)
{
    const bad_case *c = &bad[_i];
    engrate_train_report *rep = (engrate_train_report *)c;
    engrate_error err;
    engrate_model *m = train_buf(c->csv, defaults_kv, &rep, &err);
    ck_assert_ptr_null(m);
    ck_assert_ptr_null(rep);
    ck_assert_msg(err.code == c->code, "case %d: code %d, want %d: %s", _i, err.code, c->code,
                  err.text);
    ck_assert_msg(err.line == c->line && err.column == c->col, "case %d: %d:%d, want %d:%d (%s)",
                  _i, err.line, err.column, c->line, c->col, err.text);
    ck_assert_msg(strstr(err.text, c->text), "case %d: '%s' lacks '%s'", _i, err.text, c->text);
}
END_TEST

START_TEST(skip_bad_rows_counts_them)
{
    char *good = synthetic(200, 11);
    text t = {0};
    tprintf(&t, "%s", good);
    tprintf(&t, "pm,java,,12a,500000\r\npm,java,,3,0\r\npm,x,,3,\"50\"0\r\npm,java\r\n");
    const char *const kv[] = {"skip-bad-rows", NULL, "folds", "0", "lambda", "1", NULL};
    engrate_train_report *rep;
    engrate_error err;
    engrate_model *m = train_buf(t.s, kv, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_double_eq(engrate_train_report_value(rep, "rows_read"), 204);
    ck_assert_double_eq(engrate_train_report_value(rep, "rows_skipped"), 4);
    ck_assert_double_eq(engrate_train_report_value(rep, "n"), 200);
    ck_assert_ptr_nonnull(strstr(engrate_train_report_summary(rep), "4 skipped"));
    ck_assert_ptr_nonnull(strstr(engrate_train_report_json(rep), "\"not a number\": 1"));
    engrate_model_free(m);
    engrate_train_report_free(rep);
    free(t.s);
    free(good);
}
END_TEST

START_TEST(collinear_design_is_singular)
{
    /* x2 = 2 x1 exactly: no unique answer with lambda 0 */
    text t = {0};
    tprintf(&t, "x1,x2,y\n");
    for (int i = 0; i < 50; i++)
        tprintf(&t, "%d,%d,%d\n", i, 2 * i, 3 * i + (i % 7));
    const char *const kv[] = {"target", "y", "transform", "none", "numeric", "x1", "numeric",
                              "x2", "lambda", "0", "folds", "0", NULL};
    engrate_error err;
    engrate_train_report *rep;
    ck_assert_ptr_null(train_buf(t.s, kv, &rep, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_SINGULAR);
    ck_assert_ptr_nonnull(strstr(err.text, "ill-conditioned"));
    /* a constant column is named */
    const char *csv = "x,c,y\n1,5,2\n2,5,3\n3,5,5\n4,5,4\n";
    const char *const kv2[] = {"target", "y", "transform", "none", "numeric", "x", "numeric",
                               "c", "lambda", "0", "folds", "0", NULL};
    ck_assert_ptr_null(train_buf(csv, kv2, &rep, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_SINGULAR);
    ck_assert_ptr_nonnull(strstr(err.text, "term 'c' is constant"));
    free(t.s);
}
END_TEST

START_TEST(bad_options)
{
    engrate_train_options *o = engrate_train_options_new();
    engrate_error err;
    ck_assert_int_eq(engrate_train_options_set(o, "lambdaa", "1", &err), ENGRATE_E_UNKNOWN_KEY);
    ck_assert_int_eq(engrate_train_options_set(o, "lambda", "-1", &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "folds", "1", &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "interval", "1", &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "numeric", "years:knots=5,3", &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "numeric", "years:knots=5,x", &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "set", "skills:", &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "meta", "currency=yen", &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "meta", "period=fortnight", &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "categorical", "role", &err), 0);
    ck_assert_int_eq(engrate_train_options_set(o, "set", "role", &err), ENGRATE_E_DUPLICATE);
    ck_assert_int_eq(engrate_train_options_set(o, "transform", "sqrt", &err), ENGRATE_E_INVALID);
    ck_assert_ptr_nonnull(strstr(err.text, "log or none"));
    engrate_train_options_free(o);
    engrate_train_options_free(NULL);
    engrate_train_report_free(NULL);
}
END_TEST

/* The report's JSON is saved whole, over what was there, with nothing else left in the
 * directory; a path that cannot be written is an I/O error that names it. */
START_TEST(report_saved_whole)
{
    char *csv = synthetic(300, 5);
    engrate_train_report *rep = NULL;
    engrate_error err;
    engrate_model *m = train_buf(csv, NULL, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    free(csv);
    char dir[] = "/tmp/check_train_report.XXXXXX", path[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("an older report\n", f);
    fclose(f);
    ck_assert_int_eq(engrate_train_report_save(rep, path, &err), 0);
    size_t len;
    char *saved = test_read(path, &len);
    ck_assert_ptr_nonnull(saved);
    ck_assert_str_eq(saved, engrate_train_report_json(rep));
    ck_assert_uint_eq(len, strlen(engrate_train_report_json(rep)));
    free(saved);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    ck_assert_int_eq(entries, 1);
    snprintf(path, sizeof path, "%s/missing/r.json", dir);
    ck_assert_int_eq(engrate_train_report_save(rep, path, &err), ENGRATE_E_IO);
    ck_assert_ptr_nonnull(strstr(err.text, "missing/r.json"));
    ck_assert_int_eq(engrate_train_report_save(NULL, path, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_report_save(rep, NULL, &err), ENGRATE_E_INVALID);
    snprintf(path, sizeof path, "%s/r.json", dir);
    unlink(path);
    rmdir(dir);
    engrate_train_report_free(rep);
    engrate_model_free(m);
}
END_TEST

/* ---- Cells, labels and ids ----------------------------------------------------------- */

/* Numbers as spreadsheets write them, with their values worked out by hand. */
START_TEST(cell_numbers)
{
    static const struct {
        const char *cell;
        double want;
    } ok[] = {{"800000", 800000},     {" 800000 ", 800000},     {"800,000", 800000},
              {"1,234,567.5", 1234567.5}, {"８００，０００", 800000}, {"¥800,000", 800000},
              {"￥800000", 800000},   {"\\800,000", 800000},   {"800000円", 800000},
              {"80万円", 800000},     {"80万", 800000},         {"80.5万円", 805000},
              {"８０ 万円", 800000},  {"800千円", 800000},      {"-¥5", -5},
              {"¥-5", -5},            {"－３", -3},             {"−3", -3},
              {"1e3", 1000},          {".5", 0.5},              {"5年", 5},
              {"６ヶ月", 0.5},        {"1年6ヶ月", 1.5},        {"3か月", 0.25},
              {"2年3カ月", 2.25},     {"１．５年", 1.5},        {"0ヶ月", 0}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double x = NAN;
        ck_assert_msg(tr_cell_number(ok[i].cell, strlen(ok[i].cell), &x) == 0, "%s",
                      ok[i].cell);
        ck_assert_msg(x == ok[i].want, "%s: %.17g, want %.17g", ok[i].cell, x, ok[i].want);
    }
    static const char *const refused[] = {"12a",  "1,00",  "1,0000", ",100", "80万円くらい",
                                      "約80万円", "80万円〜", "1e3万", "¥5年", "5年-3ヶ月",
                                      "ヶ月",  "5ヶ", "$5",   "80M",  "1 000",  "nan",
                                      "inf",   "0x10", "--5", "5年5年", "\x01" "5"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        double x;
        ck_assert_msg(tr_cell_number(refused[i], strlen(refused[i]), &x) == ENGRATE_E_NUMBER, "%s",
                      refused[i]);
    }
    static const char *const none[] = {"", "  ", "NA", "na", "N/A", "#N/A", "NaN", "NULL",
                                       "None", "-", "－", "―", "不明", "\xE3\x80\x80NA"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        ck_assert_msg(tr_cell_missing(none[i], strlen(none[i])), "'%s'", none[i]);
    ck_assert(!tr_cell_missing("0", 1));
    ck_assert(!tr_cell_missing("NAN1", 4));
}
END_TEST

/* Plain decimals (the pass reads them by a path of their own): the value strtod gives,
 * correctly rounded, for random digits around the fast path's limits (15 significant
 * digits, 22 after the point), with leading zeros, signs and trailing zeros. */
START_TEST(cell_numbers_plain_as_strtod)
{
    rng_state = 20261201;
    char cell[64];
    for (int i = 0; i < 200000; i++) {
        size_t o = 0, ints = (size_t)(unif() * 19), fracs = (size_t)(unif() * 26);
        if (unif() < 0.3)
            cell[o++] = '-';
        for (size_t k = 0; k <= ints; k++) /* one digit at least */
            cell[o++] = (char)('0' + (unif() < 0.2 ? 0 : (int)(unif() * 10)));
        if (fracs) {
            cell[o++] = '.';
            for (size_t k = 0; k < fracs; k++)
                cell[o++] = (char)('0' + (unif() < 0.2 ? 0 : (int)(unif() * 10)));
        }
        cell[o] = '\0';
        double x = NAN, want = strtod(cell, NULL);
        ck_assert_msg(tr_cell_number(cell, o, &x) == 0, "%s", cell);
        ck_assert_msg(memcmp(&x, &want, sizeof x) == 0, "%s: %.17g, strtod %.17g", cell, x,
                      want);
    }
    static const char *const refused[] = {"-", "1.2.3", "1-", "12 3", "1e"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        double x;
        ck_assert_msg(tr_cell_number(refused[i], strlen(refused[i]), &x) == ENGRATE_E_NUMBER,
                      "%s", refused[i]);
    }
}
END_TEST

/* Ids made from labels: the label when it is one, else its readable part, else a hash
 * (FNV-1a, worked out here independently of the trainer's code). */
static unsigned fnv32(const char *s)
{
    unsigned long long h = 14695981039346656037ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (unsigned)(h ^ (h >> 32));
}

START_TEST(ids_from_labels)
{
    char id[ER_MAX_ID_BYTES + 1], want[80];
    tr_make_id("Java", "java", id);
    ck_assert_str_eq(id, "Java");
    tr_make_id("Mobile developer - iOS", "x", id);
    ck_assert_str_eq(id, "Mobile_developer_-_iOS");
    tr_make_id("Cloud (AWS, GAE, Azure, etc.)", "x", id);
    ck_assert_str_eq(id, "Cloud_AWS_GAE_Azure_etc.");
    tr_make_id("システムエンジニア", "システムエンジニア", id);
    snprintf(want, sizeof want, "x%08x", fnv32("システムエンジニア"));
    ck_assert_str_eq(id, want);
    tr_make_id("Java開発", "java開発", id);
    snprintf(want, sizeof want, "Java-%08x", fnv32("java開発"));
    ck_assert_str_eq(id, want);
    tr_make_id("-", "-", id); /* folds to nothing: not an id people could type */
    snprintf(want, sizeof want, "x%08x", fnv32("-"));
    ck_assert_str_eq(id, want);
    const char *long_label = "Some college/university study without earning a bachelor's "
                             "degree";
    tr_make_id(long_label, "k", id);
    snprintf(want, sizeof want, "%.55s-%08x",
             "Some_college_university_study_without_earning_a_bachelo", fnv32("k"));
    ck_assert_str_eq(id, want);
    ck_assert_uint_le(strlen(id), ER_MAX_ID_BYTES);
}
END_TEST

/* Labels as levels: spellings that fold alike are one level named by the most frequent,
 * with a note; labels with blanks and in Japanese keep their text (format version 2) and
 * are found by it; an id taken by another label's name gets a hash. */
START_TEST(labels_are_levels)
{
    const char *csv = "role,skills,certs,years,rate\n"
                      "Mobile developer - iOS,Java,,1,500000\n"
                      "システムエンジニア,java,,2,520000\n"
                      "Mobile developer - iOS,Java;Cloud (AWS),,3,560000\n"
                      "システムエンジニア,ＪＡＶＡ;Cloud_AWS,,4,580000\n"
                      "Mobile developer - iOS,Java;Cloud_AWS,,5,600000\n"
                      "システムエンジニア,Cloud (AWS),,6,590000\n";
    const char *const kv[] = {"lambda", "1", "folds", "0", "min-count", "1", NULL};
    engrate_train_report *rep;
    engrate_error err;
    engrate_model *m = train_buf(csv, kv, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_uint_eq(engrate_input_level_count(m, 0), 2);
    size_t any;
    ck_assert_int_eq(engrate_model_find_level(m, 0, "Mobile developer - iOS", &any, NULL), 0);
    ck_assert_int_eq(engrate_model_find_level(m, 0, "システム エンジニア", &any, NULL), 0);
    ck_assert_str_eq(engrate_level_id(m, 0, 0), "Mobile_developer_-_iOS");
    ck_assert_str_eq(engrate_level_name(m, 0, 0, "ja"), "Mobile developer - iOS");
    /* skills: Java (3) + java (1) + ＪＡＶＡ (1) are one; Cloud (AWS) and Cloud_AWS two */
    ck_assert_uint_eq(engrate_input_level_count(m, 1), 3);
    size_t cloud1 = 0, cloud2 = 0, java = 0;
    ck_assert_int_eq(engrate_model_find_level(m, 1, "Cloud (AWS)", &cloud1, NULL), 0);
    ck_assert_int_eq(engrate_model_find_level(m, 1, "Cloud_AWS", &cloud2, NULL), 0);
    ck_assert_uint_ne(cloud1, cloud2);
    char want[80];
    snprintf(want, sizeof want, "Cloud_AWS-%08x", fnv32("Cloud (AWS)"));
    ck_assert_str_eq(engrate_level_id(m, 1, cloud1), want);
    ck_assert_str_eq(engrate_level_id(m, 1, cloud2), "Cloud_AWS");
    ck_assert_int_eq(engrate_model_find_level(m, 1, "JAVA", &java, NULL), 0);
    ck_assert_str_eq(engrate_level_id(m, 1, java), "Java");
    int noted = 0;
    for (size_t i = 0; i < engrate_train_report_note_count(rep); i++)
        noted |= strstr(engrate_train_report_note(rep, i),
                        "skills: 'Java' (3), 'java' (1), 'ＪＡＶＡ' (1) are one level, 'Java'") !=
                 NULL;
    ck_assert(noted);
    char *saved = engrate_model_to_string(m, NULL, &err);
    ck_assert(strncmp(saved, "engrate-model 2\n", 16) == 0);
    ck_assert_ptr_nonnull(strstr(saved, "\nname = システムエンジニア\n"));
    engrate_string_free(saved);
    engrate_model_free(m);
    engrate_train_report_free(rep);
}
END_TEST

/* Which inputs: the flags' columns; the defaults when every flag only changes a default
 * input's option (the man page's example); and the columns left out, said. */
START_TEST(flags_add_inputs)
{
    char *csv = synthetic(300, 21);
    engrate_error err;
    engrate_train_report *rep;
    const char *const knots[] = {"numeric", "years:knots=3,10", "folds", "0", NULL};
    engrate_model *m = train_buf(csv, knots, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_uint_eq(engrate_model_input_count(m), 4);
    ck_assert_uint_eq(engrate_input_knot_count(m, 3), 2);
    engrate_model_free(m);
    engrate_train_report_free(rep);
    const char *const only[] = {"numeric", "years", "categorical", "role", "folds", "0", NULL};
    m = train_buf(csv, only, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_uint_eq(engrate_model_input_count(m), 2);
    ck_assert_str_eq(engrate_input_id(m, 0), "years");
    int noted = 0;
    for (size_t i = 0; i < engrate_train_report_note_count(rep); i++)
        noted |= !strcmp(engrate_train_report_note(rep, i),
                         "2 columns of the header not used: 'skills', 'certs'");
    ck_assert(noted);
    engrate_model_free(m);
    engrate_train_report_free(rep);
    /* a header spelling the default columns otherwise: found, and the inputs keep the
     * names the shortcuts use (the header's spelling is their label) */
    memcpy(csv, "Role,Skills,Certs,Years,Rate", 28);
    const char *const dflt[] = {"folds", "0", NULL};
    m = train_buf(csv, dflt, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_str_eq(engrate_input_id(m, 0), "role");
    ck_assert_str_eq(engrate_input_label(m, 0, "en"), "Role");
    engrate_result *r = engrate_result_new(m, &err);
    double y = 5;
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", NULL, 0, NULL, 0, &y, ENGRATE_STRICT, r,
                                              &err),
                     0);
    engrate_result_free(r);
    engrate_model_free(m);
    engrate_train_report_free(rep);
    free(csv);
}
END_TEST

/* Skipped rows past --max-skipped, missing values skipped, and their reasons. */
START_TEST(skipping_has_a_limit)
{
    char *good = synthetic(40, 11);
    text t = {0};
    tprintf(&t, "%spm,java,,NA,500000\r\npm,java,,,500000\r\npm,java,,x,1\r\n", good);
    engrate_train_report *rep;
    engrate_error err;
    const char *const skip[] = {"skip-bad-rows", NULL, "folds", "0", NULL};
    ck_assert_ptr_null(train_buf(t.s, skip, &rep, &err)); /* 3 of 43: 7% */
    ck_assert_int_eq(err.code, ENGRATE_E_DATA);
    ck_assert_ptr_nonnull(strstr(err.text, "3 of 43 rows skipped (7.0%), more than --max-skipped "
                                           "0.05 allows (missing value 2, not a number 1)"));
    free(t.s);
    t = (text){0};
    tprintf(&t, "%spm,java,,NA,500000\r\n", good);
    engrate_model *m = train_buf(t.s, skip, &rep, &err); /* 1 of 41: 2.4% */
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_ptr_nonnull(strstr(engrate_train_report_json(rep), "\"missing value\": 1"));
    engrate_model_free(m);
    engrate_train_report_free(rep);
    const char *const miss[] = {"missing", "skip", "max-skipped", "0", "folds", "0", NULL};
    ck_assert_ptr_null(train_buf(t.s, miss, &rep, &err));
    ck_assert_ptr_nonnull(strstr(err.text, "1 of 41 rows skipped (2.4%), more than "
                                           "--max-skipped 0 allows (missing value 1); the "
                                           "first: data.csv:42:10: column 'years': no value"));
    free(t.s);
    free(good);
}
END_TEST

/* ---- The residuals' sort ---------------------------------------------------------- */

/* A value that ties often: either zero, one of a few others (the smallest subnormals, the
 * infinities), NaN when `nan`, else a random one. */
static double tie_value(int nan)
{
    static const double few[] = {1.5, -1.5, 0x1p-1074, -0x1p-1074,
                                 1e300, -INFINITY, INFINITY, 3};
    double u = unif();
    if (u < 0.3)
        return u < 0.15 ? 0.0 : -0.0;
    if (u < 0.6)
        return few[(size_t)(unif() * 8)];
    if (nan && u < 0.63)
        return NAN;
    return gauss();
}

/* n residuals to sort by `by`: values that tie often (with `run`, 4 in 5 primary keys a
 * zero of either sign: one long run of equal keys), NaN only in the primary key (with
 * `nan`, at least one) and where the order takes NaN (ape by residual). Each one's input
 * place in `inside`, so that equal ones can be told apart. */
static void random_resids(resid *v, size_t n, int by, int run, int nan)
{
    static const double weights[] = {1, 2, 0.5};
    for (size_t i = 0; i < n; i++) {
        resid *e = &v[i];
        e->r = tie_value(nan && by == TR_BY_R);
        e->ape = tie_value(by == TR_BY_R || (nan && by == TR_BY_APE));
        e->pred = tie_value(nan && by == TR_BY_PRED);
        e->y = tie_value(0);
        e->w = weights[(size_t)(unif() * 3)];
        e->fold = unif() < 0.1 ? UINT32_MAX - 1 : (uint32_t)(unif() * 3);
        e->row = NULL;
        e->inside = (int)i;
        double *key = by == TR_BY_R ? &e->r : by == TR_BY_APE ? &e->ape : &e->pred;
        if (run && unif() < 0.8)
            *key = unif() < 0.5 ? 0.0 : -0.0;
        if (nan && i == n / 2)
            *key = NAN; /* at least one */
    }
}

static int (*order_cmp)(const void *, const void *);

/* The order, then the input place: what a stable sort gives, whatever qsort's algorithm. */
static int stable_cmp(const void *a, const void *b)
{
    int c = order_cmp(a, b);
    const resid *x = a, *y = b;
    return c ? c : (x->inside > y->inside) - (x->inside < y->inside);
}

/* tr_sort_resid against qsort with the same comparator: element for element, equal ones
 * in input order (glibc's qsort is a stable merge sort), with many ties in the primary
 * key, zeros of both signs, long runs of one key, and NaN (qsort's order then, as
 * before). */
START_TEST(residual_sort_is_qsorts_order)
{
    static const size_t sizes[] = {0, 1, 2, 3, 16, 17, 40, 1000, 30000};
    static const int orders[] = {TR_BY_R, TR_BY_APE, TR_BY_PRED};
    int (*const cmps[])(const void *, const void *) = {tr_resid_cmp, tr_ape_cmp,
                                                       tr_pred_cmp};
    rng_state = 77;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (int o = 0; o < 3; o++)
            for (int variant = 0; variant < 3; variant++) {
                size_t n = sizes[s];
                int nan = variant == 2;
                resid *v = malloc((n + 1) * sizeof *v);
                resid *want = malloc((n + 1) * sizeof *want);
                ck_assert(v && want);
                random_resids(v, n, orders[o], variant == 1, nan);
                memcpy(want, v, n * sizeof *v);
                order_cmp = cmps[o];
                qsort(want, n, sizeof *want, nan ? order_cmp : stable_cmp);
#ifdef __GLIBC__
                if (!nan) { /* what the trainer did before: the same order */
                    resid *plain = malloc((n + 1) * sizeof *plain);
                    ck_assert_ptr_nonnull(plain);
                    memcpy(plain, v, n * sizeof *v);
                    qsort(plain, n, sizeof *plain, order_cmp);
                    ck_assert(n == 0 || memcmp(plain, want, n * sizeof *v) == 0);
                    free(plain);
                }
#endif
                ck_assert_int_eq(tr_sort_resid(v, n, orders[o]), 0);
                for (size_t i = 0; i < n; i++)
                    ck_assert_msg(memcmp(&v[i], &want[i], sizeof *v) == 0,
                                  "n %zu, order %d, variant %d: place %zu has input %d, "
                                  "qsort's %d",
                                  n, o, variant, i, v[i].inside, want[i].inside);
                free(v);
                free(want);
            }
}
END_TEST

/* ---- The program: a failed run leaves an existing model alone ---------------------- */

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(cli_never_damages_a_model)
{
    const char *top = getenv("top_builddir");
    if (!top)
        return; /* not under make check */
    char dir[] = "/tmp/check_train_cli.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[8192], path[4096];
    snprintf(path, sizeof path, "%s/old.model", dir);
    FILE *f = fopen(path, "w");
    fputs("sentinel\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/bad.csv", dir);
    f = fopen(path, "w");
    fputs("role,skills,certs,years,rate\npm,java,,12a,500000\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s/tools/engrate-train -q -o %s/old.model %s 2>%s/err",
             top, dir, path, dir);
    ck_assert_int_eq(run(cmd), 1);
    snprintf(path, sizeof path, "%s/old.model", dir);
    size_t len;
    char *old = test_read(path, &len);
    ck_assert_str_eq(old, "sentinel\n");
    free(old);
    snprintf(path, sizeof path, "%s/err", dir);
    char *msg = test_read(path, &len);
    ck_assert_ptr_nonnull(strstr(msg, "bad.csv:2:10: column 'years': '12a' is not a number"));
    free(msg);
    /* a good run replaces it with a model that loads, and writes the JSON report */
    char *csv = synthetic(500, 8);
    snprintf(path, sizeof path, "%s/good.csv", dir);
    f = fopen(path, "w");
    fputs(csv, f);
    fclose(f);
    free(csv);
    snprintf(cmd, sizeof cmd,
             "%s/tools/engrate-train -q -o %s/old.model --report-json %s/r.json %s", top, dir,
             dir, path);
    ck_assert_int_eq(run(cmd), 0);
    snprintf(path, sizeof path, "%s/old.model", dir);
    engrate_error err;
    engrate_model *m = engrate_model_load(path, 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_str_eq(engrate_model_meta(m, "name"), "old");
    engrate_model_free(m);
    snprintf(path, sizeof path, "%s/r.json", dir);
    char *json = test_read(path, &len);
    ck_assert_ptr_nonnull(strstr(json, "\"coefficients\": ["));
    free(json);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    run(cmd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("nist");
    tcase_add_loop_test(tc, nist_certified, 0, (int)(sizeof sets / sizeof sets[0]));
    tcase_add_test(tc, nist_filip_is_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("fit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, recovers_generating_coefficients);
    tcase_add_test(tc, ridge_auto_and_calibrated_interval);
    tcase_add_test(tc, deterministic_across_threads);
    tcase_add_test(tc, steals_give_the_single_pass);
    tcase_add_test(tc, a_fold_that_cannot_be_fitted);
    tcase_add_test(tc, fold_merge_equals_all_rows);
    tcase_add_test(tc, weighted_hand_calculation);
    tcase_add_test(tc, reference_is_the_average_row);
    tcase_add_test(tc, condition_number_of_a_known_matrix);
    tcase_add_test(tc, standard_errors_of_the_hilbert_matrix);
    tcase_add_test(tc, held_out_sse_in_lanes);
    tcase_add_test(tc, levels_file_order_names_and_evidence);
    tcase_add_test(tc, min_count_drops_rare_levels);
    tcase_add_test(tc, trains_from_an_edge_case_file);
    tcase_add_test(tc, cell_numbers);
    tcase_add_test(tc, cell_numbers_plain_as_strtod);
    tcase_add_test(tc, ids_from_labels);
    tcase_add_test(tc, labels_are_levels);
    tcase_add_test(tc, flags_add_inputs);
    tcase_add_test(tc, skipping_has_a_limit);
    tcase_add_test(tc, residual_sort_is_qsorts_order);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, row_errors, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, skip_bad_rows_counts_them);
    tcase_add_test(tc, collinear_design_is_singular);
    tcase_add_test(tc, bad_options);
    tcase_add_test(tc, report_saved_whole);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cli_never_damages_a_model);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
