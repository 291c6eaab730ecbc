/* check_bylevel.c: curves that vary by the level of a categorical input (lib/bylevel.c,
 * lib/train/curves.c). The library: the accessors and the breakdown of
 * tests/data/model/valid/by-level and of a log model, against figures worked out by hand;
 * a saved model estimating as the loaded one, bit for bit. The trainer: the generating
 * slopes recovered exactly at --lambda 0 from data without noise (a slope per level, and a
 * change of slope at a knot per level); the options it refuses; the report. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <engrate.h>
#include <engrate_train.h>

#include "testutil.h"

#define NONE ENGRATE_NO_INDEX
#define REL_TOL(x) (fabs(x) * 1e-12)

static engrate_model *load(const char *rel)
{
    engrate_error err;
    engrate_model *m = engrate_model_load(test_path(rel), 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    return m;
}

static size_t level_of(const engrate_model *m, size_t input, const char *name)
{
    size_t l = NONE;
    ck_assert_int_eq(engrate_model_find_level(m, input, name, &l, NULL), 0);
    return l;
}

/* ---- The library ------------------------------------------------------------------- */

START_TEST(accessors)
{
    /* by-level: years (input 0) 20x - 10(x-10)+ on [0, 30], by country (input 1): de
     * deviates by 5 -5, in by -10 0, us not at all. */
    engrate_model *m = load("tests/data/model/valid/by-level/input.model");
    size_t us = level_of(m, 1, "us"), de = level_of(m, 1, "Germany"), in = level_of(m, 1, "in");
    ck_assert_uint_eq(engrate_input_by(m, 0), 1);
    ck_assert_uint_eq(engrate_input_by(m, 1), NONE); /* not numeric */
    ck_assert_uint_eq(engrate_input_by(m, 2), NONE); /* out of range */
    ck_assert_double_eq(engrate_input_deviation(m, 0, de, 0), 5);
    ck_assert_double_eq(engrate_input_deviation(m, 0, de, 1), -5);
    ck_assert_double_eq(engrate_input_deviation(m, 0, in, 0), -10);
    ck_assert(isnan(engrate_input_deviation(m, 0, us, 0)));   /* no curve of its own */
    ck_assert(isnan(engrate_input_deviation(m, 0, de, 2)));   /* no coefficient 2 */
    ck_assert(isnan(engrate_input_deviation(m, 0, 3, 0)));    /* no level 3 */
    ck_assert(isnan(engrate_input_deviation(m, 1, 0, 0)));    /* not numeric */
    /* de: 25x - 15(x-10)+, at 12: 300 - 30; in: 10x - 10(x-10)+, at 40 clamped to 30:
     * 300 - 200; us and no level: the input's own, at 12: 240 - 20. */
    ck_assert_double_eq(engrate_input_curve(m, 0, de, 12), 270);
    ck_assert_double_eq(engrate_input_curve(m, 0, in, 40), 100);
    ck_assert_double_eq(engrate_input_curve(m, 0, us, 12), 220);
    ck_assert_double_eq(engrate_input_curve(m, 0, NONE, 12), 220);
    ck_assert_double_eq(engrate_input_curve(m, 0, NONE, -3), 0);
    ck_assert(isnan(engrate_input_curve(m, 0, de, NAN)));
    ck_assert(isnan(engrate_input_curve(m, 0, 3, 12)));
    ck_assert(isnan(engrate_input_curve(m, 1, NONE, 12)));
    ck_assert(isnan(engrate_input_curve(NULL, 0, NONE, 12)));
    engrate_model_free(m);
    /* A model without `by`: every curve is the input's own. */
    m = load("tests/data/model/valid/reference/input.model");
    ck_assert_uint_eq(engrate_input_by(m, 2), NONE);
    ck_assert(isnan(engrate_input_deviation(m, 2, 0, 0)));
    ck_assert(isnan(engrate_input_curve(m, 2, 0, 6)));
    ck_assert_double_eq(engrate_input_curve(m, 2, NONE, 6), 80);
    engrate_model_free(m);
}
END_TEST

/* Row i of the breakdown: input, level, curve level, amount (exact: sums of integers and
 * halves), flags. */
static void row(const engrate_result *r, size_t i, size_t input, size_t level, size_t curve,
                double amount, unsigned flags)
{
    ck_assert_uint_eq(engrate_result_contribution_input(r, i), input);
    ck_assert_uint_eq(engrate_result_contribution_level(r, i), level);
    ck_assert_uint_eq(engrate_result_contribution_curve_level(r, i), curve);
    ck_assert_double_eq(engrate_result_contribution_amount(r, i), amount);
    ck_assert_uint_eq(engrate_result_contribution_flags(r, i), flags);
}

/* Estimate the profile: categorical input cat at `level` (none: NULL), numeric input num
 * at x (none: NaN). */
static void estimate_in(engrate_query *q, engrate_result *r, const char *cat, const char *level,
                        const char *num, double x)
{
    engrate_error err;
    engrate_query_reset(q);
    if (level)
        ck_assert_int_eq(engrate_query_add(q, cat, level, NULL, &err), 0);
    if (!isnan(x))
        ck_assert_int_eq(engrate_query_set_number(q, num, x, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
}

static void estimate(engrate_query *q, engrate_result *r, const char *country, double years)
{
    estimate_in(q, r, "country", country, "years", years);
}

START_TEST(breakdown_linear)
{
    /* Base: 400 + curve(6) 120 + typical country 12.5 = 532.5 (input order: years first).
     * A level's row carries its coef, what its curve adds at the typical 6 years (de:
     * 150 - 120 = 30; in: 60 - 120 = -60; us: 0), less 12.5; years' row is the level's
     * curve at the value less the same curve at 6. */
    engrate_model *m = load("tests/data/model/valid/by-level/input.model");
    size_t us = level_of(m, 1, "us"), de = level_of(m, 1, "de"), in = level_of(m, 1, "in");
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    ck_assert_double_eq(engrate_model_base(m), 532.5);
    /* de, 12 years: 400 + 270 + 20 = 690 = 532.5 + (270 - 150) + (20 + 30 - 12.5). */
    estimate(q, r, "de", 12);
    ck_assert_double_eq(engrate_result_estimate(r), 690);
    ck_assert_uint_eq(engrate_result_contribution_count(r), 3);
    row(r, 0, NONE, NONE, NONE, 532.5, ENGRATE_FLAG_REFERENCE);
    row(r, 1, 0, NONE, de, 120, 0);
    row(r, 2, 1, de, NONE, 37.5, 0);
    /* us, 12 years: its curve is the input's own: 400 + 220 + 50 = 670. */
    estimate(q, r, "us", 12);
    ck_assert_double_eq(engrate_result_estimate(r), 670);
    row(r, 1, 0, NONE, NONE, 100, 0);
    row(r, 2, 1, us, NONE, 37.5, 0);
    /* No country: the input's own curve, and the typical country taken out: 620. */
    estimate(q, r, NULL, 12);
    ck_assert_double_eq(engrate_result_estimate(r), 620);
    row(r, 1, 0, NONE, NONE, 100, 0);
    row(r, 2, 1, NONE, NONE, -12.5, ENGRATE_FLAG_REFERENCE | ENGRATE_FLAG_MISSING);
    /* in, years not given (default 4): 400 + 40 - 40 = 400 = 532.5 + (40 - 60) + (-40 -
     * 60 - 12.5). */
    estimate(q, r, "in", NAN);
    ck_assert_double_eq(engrate_result_estimate(r), 400);
    row(r, 1, 0, NONE, in, -20, ENGRATE_FLAG_DEFAULTED);
    row(r, 2, 1, in, NONE, -112.5, 0);
    /* Typical years add 0 whatever the level. */
    estimate(q, r, "in", 6);
    row(r, 1, 0, NONE, in, 0, 0);
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

static const char log_model[] =
    "engrate-model 2\n[model]\nname = by-log\ncurrency = JPY\nperiod = month\n"
    "transform = log\nintercept = 13\n[interval]\nlevel = 0.8\nlow = -0.2\nhigh = 0.25\n"
    "[input country]\nkind = categorical\nreference = 0.1\nlevels = 2\n"
    "[level us]\ncoef = 0.05\n[level de]\ncoef = 0.1\n"
    "[input years]\nkind = numeric\nmin = 0\nmax = 30\ndefault = 5\nknots = 10\n"
    "coef = 0.04 -0.02\nreference = 6\nby = country\nby.de = 0.01 -0.01\n";

START_TEST(breakdown_log)
{
    /* Base eta 13 + 0.1 + 0.24 = 13.34. de, 12 years: eta = 13 + 0.1 + (0.6 - 0.06) =
     * 13.64; from the base, country 0.1 + (0.3 - 0.24) - 0.1 = 0.06 (de's curve at 6 is
     * 0.3, the input's 0.24), years 0.54 - 0.3 = 0.24: 0.3 = 13.64 - 13.34. Each amount
     * is its difference times L = (e^13.64 - e^13.34) / 0.3. */
    engrate_error err;
    engrate_model *m = engrate_model_load_buffer(log_model, sizeof log_model - 1, NULL, 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    ck_assert_int_eq(engrate_query_add(q, "country", "de", NULL, &err), 0);
    ck_assert_int_eq(engrate_query_set_number(q, "years", 12, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    double e = exp(13.64), b = exp(13.34), lmean = (e - b) / 0.3;
    ck_assert_double_eq_tol(engrate_result_estimate(r), e, REL_TOL(e));
    ck_assert_double_eq_tol(engrate_result_contribution_amount(r, 0), b, REL_TOL(b));
    ck_assert_double_eq_tol(engrate_result_contribution_amount(r, 1), 0.06 * lmean,
                            1e-9 * lmean);
    ck_assert_double_eq_tol(engrate_result_contribution_amount(r, 2), 0.24 * lmean,
                            1e-9 * lmean);
    ck_assert_uint_eq(engrate_result_contribution_curve_level(r, 2), 1);
    double sum = 0;
    for (size_t i = 0; i < engrate_result_contribution_count(r); i++)
        sum += engrate_result_contribution_amount(r, i);
    ck_assert_double_eq_tol(sum, e, REL_TOL(e));
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

START_TEST(saved_model_estimates_the_same)
{
    /* Load, save to text, load again: every profile estimates the same bits, and the text
     * is a version 2 file. */
    engrate_error err;
    engrate_model *m = load("tests/data/model/valid/by-level/input.model");
    size_t len = 0;
    char *text = engrate_model_to_string(m, &len, &err);
    ck_assert_ptr_nonnull(text);
    ck_assert(strncmp(text, "engrate-model 2\n", 16) == 0);
    engrate_model *m2 = engrate_model_load_buffer(text, len, "saved", 0, &err);
    ck_assert_msg(m2 != NULL, "%s", err.text);
    engrate_string_free(text);
    engrate_query *q = engrate_query_new(m, &err), *q2 = engrate_query_new(m2, &err);
    engrate_result *r = engrate_result_new(m, &err), *r2 = engrate_result_new(m2, &err);
    const char *countries[] = {NULL, "us", "de", "in"};
    for (size_t c = 0; c < 4; c++)
        for (double x = -1; x <= 32; x += 0.75) {
            estimate(q, r, countries[c], x);
            estimate(q2, r2, countries[c], x);
            ck_assert(engrate_result_estimate(r) == engrate_result_estimate(r2));
            for (size_t i = 0; i < engrate_result_contribution_count(r); i++)
                ck_assert(engrate_result_contribution_amount(r, i) ==
                          engrate_result_contribution_amount(r2, i));
        }
    engrate_query_free(q);
    engrate_query_free(q2);
    engrate_result_free(r);
    engrate_result_free(r2);
    engrate_model_free(m);
    engrate_model_free(m2);
}
END_TEST

/* ---- The trainer ------------------------------------------------------------------- */

static engrate_model *train(const char *csv, const char *const *flags, size_t n,
                            engrate_train_report **rep, engrate_error *err)
{
    engrate_train_options *o = engrate_train_options_new();
    ck_assert_ptr_nonnull(o);
    for (size_t k = 0; k + 1 < n; k += 2)
        ck_assert_msg(engrate_train_options_set(o, flags[k], flags[k + 1], err) == 0, "%s %s",
                      flags[k], err->text);
    engrate_model *m = engrate_train_csv_buffer(csv, strlen(csv), "gen.csv", o, rep, err);
    engrate_train_options_free(o);
    return m;
}

/* Rows y = a_g + s_g x (+ t_g (x - 5)+ with knots) for groups a (most rows, so the
 * reference level at lambda 0), b and c, x = 1..n_x. */
static const struct {
    const char *g;
    double a, s, t;
} groups[] = {{"a", 100, 3, -1.5}, {"b", 50, 7, 2}, {"c", 20, -2, 0.5}};

static char *generate(int knot)
{
    static char csv[8192];
    size_t o = (size_t)snprintf(csv, sizeof csv, "g,x,y\n");
    for (size_t k = 0; k < 3; k++)
        for (int rep = 0; rep < (k == 0 ? 3 : 2); rep++)
            for (int x = 1; x <= 10; x++) {
                double y = groups[k].a + groups[k].s * x + (knot && x > 5 ? groups[k].t * (x - 5) : 0);
                o += (size_t)snprintf(csv + o, sizeof csv - o, "%s,%d,%.17g\n", groups[k].g, x, y);
            }
    ck_assert_uint_lt(o, sizeof csv - 1);
    return csv;
}

START_TEST(recovers_slopes_at_lambda_0)
{
    const char *flags[] = {"categorical", "g", "numeric", "x:by=g", "target", "y",
                           "transform", "none", "lambda", "0", "folds", "0"};
    engrate_error err;
    engrate_model *m = train(generate(0), flags, 12, NULL, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    size_t g = 0, x = 0;
    ck_assert_int_eq(engrate_model_input_index(m, "g", &g), 0);
    ck_assert_int_eq(engrate_model_input_index(m, "x", &x), 0);
    ck_assert_uint_eq(engrate_input_by(m, x), g);
    for (size_t k = 0; k < 3; k++) {
        size_t l = level_of(m, g, groups[k].g);
        double d = engrate_input_deviation(m, x, l, 0);
        if (k == 0) /* the reference level follows the input's own curve */
            ck_assert(isnan(d));
        double slope = engrate_input_coef(m, x, 0) + (k == 0 ? 0 : d);
        ck_assert_double_eq_tol(slope, groups[k].s, 1e-9);
        ck_assert_double_eq_tol(engrate_input_curve(m, x, l, 10) - engrate_input_curve(m, x, l, 1),
                                9 * groups[k].s, 1e-8); /* the data's range: 1 to 10 */
        /* Each row estimated as generated: a_g + s_g x. */
        engrate_query *q = engrate_query_new(m, &err);
        engrate_result *r = engrate_result_new(m, &err);
        for (int v = 1; v <= 10; v++) {
            estimate_in(q, r, "g", groups[k].g, "x", v);
            ck_assert_double_eq_tol(engrate_result_estimate(r), groups[k].a + groups[k].s * v,
                                    1e-8);
        }
        engrate_query_free(q);
        engrate_result_free(r);
    }
    engrate_model_free(m);
}
END_TEST

START_TEST(recovers_knots_at_lambda_0)
{
    const char *flags[] = {"categorical", "g", "numeric", "x:knots=5:by=g:vary=knots",
                           "target", "y", "transform", "none", "lambda", "0", "folds", "0"};
    engrate_error err;
    engrate_model *m = train(generate(1), flags, 12, NULL, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    size_t x = 0;
    ck_assert_int_eq(engrate_model_input_index(m, "x", &x), 0);
    for (size_t k = 0; k < 3; k++) {
        size_t l = level_of(m, 0, groups[k].g);
        for (size_t c = 0; c < 2; c++) {
            double d = k == 0 ? 0 : engrate_input_deviation(m, x, l, c);
            ck_assert_double_eq_tol(engrate_input_coef(m, x, c) + d,
                                    c == 0 ? groups[k].s : groups[k].t, 1e-9);
        }
    }
    engrate_model_free(m);
}
END_TEST

START_TEST(refused_options)
{
    static const struct {
        const char *numeric, *extra_key, *extra, *error;
    } cases[] = {
        {"x:by=skills", "set", "skills", "'skills' is a set input"},
        {"x:by=nowhere", NULL, NULL, "no input 'nowhere'"},
        {"x:by=g", "missing", "impute", "cannot be combined with --missing impute"},
    };
    const char csv[] = "g,skills,x,y\na,p,1,2\na,p,2,3\na,q,3,4\nb,q,1,5\nb,q,2,6\nb,p,3,8\n";
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        engrate_train_options *o = engrate_train_options_new();
        engrate_error err;
        ck_assert_int_eq(engrate_train_options_set(o, "categorical", "g", &err), 0);
        ck_assert_int_eq(engrate_train_options_set(o, "numeric", cases[c].numeric, &err), 0);
        ck_assert_int_eq(engrate_train_options_set(o, "target", "y", &err), 0);
        if (cases[c].extra_key)
            ck_assert_int_eq(engrate_train_options_set(o, cases[c].extra_key, cases[c].extra,
                                                       &err), 0);
        engrate_model *m = engrate_train_csv_buffer(csv, sizeof csv - 1, "x.csv", o, NULL, &err);
        ck_assert_ptr_null(m);
        ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
        ck_assert_msg(strstr(err.text, cases[c].error), "%s", err.text);
        engrate_train_options_free(o);
    }
    engrate_train_options *o = engrate_train_options_new();
    engrate_error err;
    ck_assert_int_eq(engrate_train_options_set(o, "numeric", "x:vary=knots", &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "numeric", "x:by=g:by=h", &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "numeric", "x:vary=curvy:by=g", &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "by-penalty", "-1", &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_train_options_set(o, "by-penalty", "auto", &err), 0);
    ck_assert_int_eq(engrate_train_options_set(o, "by-penalty", "30", &err), 0);
    engrate_train_options_free(o);
}
END_TEST

START_TEST(report_and_what_the_curves_remove)
{
    /* Slopes 3, 7 and -2 with a small deterministic wobble: the varying curves must fit
     * far better in cross-validation than one curve for all, and the report says so. */
    static char csv[65536];
    size_t o = (size_t)snprintf(csv, sizeof csv, "g,x,y\n");
    for (int rep = 0; rep < 12; rep++)
        for (size_t k = 0; k < 3; k++)
            for (int x = 1; x <= 10; x++)
                o += (size_t)snprintf(csv + o, sizeof csv - o, "%s,%d,%g\n", groups[k].g, x,
                                      groups[k].a + groups[k].s * x + ((x + rep) % 3 - 1) * 0.5);
    ck_assert_uint_lt(o, sizeof csv - 1);
    const char *flags[] = {"categorical", "g", "numeric", "x:by=g", "target", "y",
                           "transform", "none"};
    engrate_error err;
    engrate_train_report *rep = NULL;
    engrate_model *m = train(csv, flags, 8, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    double cv = engrate_train_report_value(rep, "cv_rmse");
    double pooled = engrate_train_report_value(rep, "cv_rmse_pooled");
    double ratio = engrate_train_report_value(rep, "by_penalty");
    ck_assert(cv < 0.7 && pooled > 3 * cv); /* the wobble's SD is 0.41; slopes differ by 9 */
    ck_assert(ratio >= 1 && ratio <= 1000);
    const char *json = engrate_train_report_json(rep);
    const char *c = strstr(json, "\"curves_by_level\": [");
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(strstr(c, "\"input\": \"x\", \"label\": \"x\", \"by\": \"g\""));
    ck_assert_ptr_nonnull(strstr(c, "\"vary\": \"slope\""));
    ck_assert_ptr_nonnull(strstr(c, "\"cv_rmse_removed\": "));
    ck_assert_ptr_nonnull(strstr(c, "{\"level\": \"a\""));
    ck_assert_ptr_nonnull(strstr(c, "{\"level\": \"c\""));
    ck_assert_ptr_nonnull(strstr(engrate_train_report_summary(rep), "x varies by g"));
    engrate_train_report_free(rep);
    engrate_model_free(m);
    /* Without `by` the report keeps an empty list, and no ratio. */
    const char *plain[] = {"categorical", "g", "numeric", "x", "target", "y", "transform", "none"};
    m = train(csv, plain, 8, &rep, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_ptr_nonnull(strstr(engrate_train_report_json(rep), "\"curves_by_level\": [],"));
    ck_assert(isnan(engrate_train_report_value(rep, "by_penalty")));
    ck_assert_double_eq_tol(engrate_train_report_value(rep, "cv_rmse"), pooled, 1e-12 * pooled);
    engrate_train_report_free(rep);
    engrate_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bylevel");
    TCase *tc = tcase_create("bylevel");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, accessors);
    tcase_add_test(tc, breakdown_linear);
    tcase_add_test(tc, breakdown_log);
    tcase_add_test(tc, saved_model_estimates_the_same);
    tcase_add_test(tc, recovers_slopes_at_lambda_0);
    tcase_add_test(tc, recovers_knots_at_lambda_0);
    tcase_add_test(tc, refused_options);
    tcase_add_test(tc, report_and_what_the_curves_remove);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
