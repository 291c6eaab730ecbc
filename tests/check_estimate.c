/* check_estimate.c: estimates, intervals and breakdowns, against values worked out by hand
 * from the coefficients in models/example.model and tests/data/model/valid/linear, the
 * breakdown measured from a reference profile (tests/data/model/valid/reference and
 * reference-log), and many threads sharing one model. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>

#include <engrate.h>

#include "testutil.h"

static engrate_model *load(const char *rel)
{
    engrate_error err;
    engrate_model *m = engrate_model_load(test_path(rel), 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    return m;
}

#define REL_TOL(x) (fabs(x) * 1e-12)

/* The breakdown adds up, and with a log model every amount is its effect times the
 * logarithmic mean L = (E - B) / (ln E - ln B). */
static void check_breakdown(const engrate_model *m, const engrate_result *r)
{
    double e = engrate_result_estimate(r), sum = 0;
    size_t n = engrate_result_contribution_count(r);
    for (size_t i = 0; i < n; i++)
        sum += engrate_result_contribution_amount(r, i);
    ck_assert_double_eq_tol(sum, e, REL_TOL(e));
    if (engrate_model_transform(m) == ENGRATE_TRANSFORM_LOG) {
        double b = exp(engrate_model_intercept(m));
        ck_assert_double_eq_tol(engrate_result_contribution_amount(r, 0), b, REL_TOL(b));
    }
}

START_TEST(hand_computed_profile)
{
    engrate_model *m = load("models/example.model");
    engrate_error err;
    engrate_result *r = engrate_result_new(m, &err);
    const char *skills[] = {"java", "Python"};
    const char *certs[] = {"PMP"};
    double years = 8;
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", skills, 2, certs, 1, &years, 0, r, &err),
                     0);
    /* eta = 13.4 + 0.3 (pm) + 0.02 (java) + 0.05 (python) + 0 (pmp)
     *       + 0.06*8 - 0.04*(8-3) (years, knot 10 not reached) = 14.05 */
    double eta = 14.05, e = exp(eta);
    ck_assert_double_eq_tol(engrate_result_estimate(r), e, REL_TOL(e));
    ck_assert_double_eq_tol(engrate_result_low(r), exp(eta - 0.2), REL_TOL(e));
    ck_assert_double_eq_tol(engrate_result_high(r), exp(eta + 0.2), REL_TOL(e));
    ck_assert_double_eq(engrate_result_level(r), 0.8);
    /* base, role, 2 skills, 1 cert, years */
    ck_assert_uint_eq(engrate_result_contribution_count(r), 6);
    double b = exp(13.4), lmean = (e - b) / (eta - 13.4);
    const double effects[] = {0, 0.3, 0.02, 0.05, 0, 0.28};
    const int inputs[] = {-1, 0, 1, 1, 2, 3};
    const int levels[] = {-1, 0, 0, 1, 0, -1};
    for (size_t i = 1; i < 6; i++) {
        ck_assert_double_eq_tol(engrate_result_contribution_amount(r, i), effects[i] * lmean,
                                REL_TOL(e));
        ck_assert_int_eq(engrate_result_contribution_input(r, i), inputs[i]);
        ck_assert_int_eq(engrate_result_contribution_level(r, i), levels[i]);
    }
    ck_assert_double_eq(engrate_result_contribution_value(r, 5), 8);
    ck_assert_uint_eq(engrate_result_contribution_flags(r, 4), ENGRATE_FLAG_NO_EVIDENCE);
    ck_assert_uint_eq(engrate_result_flags(r), ENGRATE_FLAG_NO_EVIDENCE);
    check_breakdown(m, r);
    ck_assert_uint_eq(engrate_result_unknown_count(r), 0);
    ck_assert_uint_eq(engrate_result_aliased_count(r), 0);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

START_TEST(years_clamped_and_defaulted)
{
    engrate_model *m = load("models/example.model");
    engrate_error err;
    engrate_result *r = engrate_result_new(m, &err);
    double years = 50;
    ck_assert_int_eq(engrate_estimate_profile(m, "pg", NULL, 0, NULL, 0, &years, 0, r, &err), 0);
    /* clamped to max 40: 0.06*40 - 0.04*37 - 0.02*30 = 0.32; pg -0.1 */
    ck_assert_double_eq_tol(engrate_result_estimate(r), exp(13.4 - 0.1 + 0.32), 1e-6);
    ck_assert_uint_eq(engrate_result_flags(r), ENGRATE_FLAG_CLAMPED);
    ck_assert_double_eq(engrate_result_contribution_value(r, 2), 40);
    years = -3; /* clamped to min 0: the curve is 0 there */
    ck_assert_int_eq(engrate_estimate_profile(m, "pg", NULL, 0, NULL, 0, &years, 0, r, &err), 0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), exp(13.3), 1e-6);
    /* not given: default 5 -> 0.3 - 0.08 = 0.22; no role given either */
    ck_assert_int_eq(engrate_estimate_profile(m, NULL, NULL, 0, NULL, 0, NULL, 0, r, &err), 0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), exp(13.62), 1e-6);
    ck_assert_uint_eq(engrate_result_flags(r), ENGRATE_FLAG_DEFAULTED | ENGRATE_FLAG_MISSING);
    check_breakdown(m, r);
    /* NaN: not known, as NULL: default 5 -> 13.4 - 0.1 + 0.22 */
    double nan_years = NAN;
    ck_assert_int_eq(engrate_estimate_profile(m, "pg", NULL, 0, NULL, 0, &nan_years, 0, r, &err),
                     0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), exp(13.52), 1e-6);
    ck_assert_uint_eq(engrate_result_flags(r), ENGRATE_FLAG_DEFAULTED);
    ck_assert_double_eq(engrate_result_contribution_value(r, 2), 5);
    double inf_years = INFINITY;
    ck_assert_int_eq(engrate_estimate_profile(m, "pg", NULL, 0, NULL, 0, &inf_years, 0, r, &err),
                     ENGRATE_E_INVALID);
    ck_assert(isnan(engrate_result_estimate(r))); /* emptied, not stale */
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

START_TEST(duplicates_count_once)
{
    engrate_model *m = load("models/example.model");
    engrate_error err;
    engrate_result *r = engrate_result_new(m, &err);
    const char *skills[] = {"java", "JAVA", "Ｊａｖａ", " java "};
    double years = 3;
    ck_assert_int_eq(engrate_estimate_profile(m, "se", skills, 4, NULL, 0, &years, 0, r, &err),
                     0);
    /* 13.4 + 0.05 + 0.02 + 0.18 */
    ck_assert_double_eq_tol(engrate_result_estimate(r), exp(13.65), 1e-6);
    ck_assert_uint_eq(engrate_result_contribution_count(r), 4);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

/* Levels given to a query in any order come back in input order (engrate.h), each set
 * input's in the order given; a reset query forgets them. example.model: role 0,
 * skills 1 (java 0, python 1, ruby 2, c++ 3, c# 4), certs 2 (pmp 0, ipa_pm 1), years 3. */
START_TEST(breakdown_in_input_order)
{
    engrate_model *m = load("models/example.model");
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    for (int round = 0; round < 2; round++) {
        engrate_query_reset(q);
        ck_assert_int_eq(engrate_query_add(q, "certs", "ipa_pm", NULL, &err), 0);
        ck_assert_int_eq(engrate_query_add(q, "skills", "ruby", NULL, &err), 0);
        ck_assert_int_eq(engrate_query_set_number(q, "years", 2, &err), 0);
        ck_assert_int_eq(engrate_query_add(q, "certs", "pmp", NULL, &err), 0);
        ck_assert_int_eq(engrate_query_add(q, "skills", "java", NULL, &err), 0);
        ck_assert_int_eq(engrate_query_add(q, "role", "pg", NULL, &err), 0);
        ck_assert_int_eq(engrate_query_add(q, "skills", "Ruby", NULL, &err), 0); /* again */
        ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
        const int inputs[] = {-1, 0, 1, 1, 2, 2, 3};
        const int levels[] = {-1, 3, 2, 0, 1, 0, -1};
        ck_assert_uint_eq(engrate_result_contribution_count(r), 7);
        for (size_t i = 0; i < 7; i++) {
            ck_assert_int_eq(engrate_result_contribution_input(r, i), inputs[i]);
            ck_assert_int_eq(engrate_result_contribution_level(r, i), levels[i]);
        }
    }
    /* After a reset, only what is given again counts: 13.4 + 0.02 (java) + 0.3 (years 5) */
    engrate_query_reset(q);
    ck_assert_int_eq(engrate_query_add(q, "skills", "java", NULL, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_uint_eq(engrate_result_contribution_count(r), 3);
    ck_assert_double_eq_tol(engrate_result_estimate(r), exp(13.4 + 0.02 + 0.3 - 0.08), 1e-6);
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

START_TEST(unknown_and_aliased_names)
{
    engrate_model *m = load("models/example.model");
    engrate_error err;
    engrate_result *r = engrate_result_new(m, &err);
    const char *skills[] = {"Jva", "cobol", "cpp"};
    double years = 3;
    ck_assert_int_eq(engrate_estimate_profile(m, "プロマネ", skills, 3, NULL, 0, &years, 0, r, &err),
                     0);
    /* lenient: unknown names add nothing. 13.4 + 0.3 + 0.04 (c++) + 0.18 */
    ck_assert_double_eq_tol(engrate_result_estimate(r), exp(13.92), 1e-6);
    ck_assert_uint_eq(engrate_result_flags(r), ENGRATE_FLAG_UNKNOWN);
    ck_assert_uint_eq(engrate_result_unknown_count(r), 2);
    ck_assert_str_eq(engrate_result_unknown_name(r, 0), "Jva");
    ck_assert_str_eq(engrate_result_unknown_name(r, 1), "cobol");
    ck_assert_int_eq(engrate_result_unknown_input(r, 1), 1);
    ck_assert_uint_eq(engrate_result_aliased_count(r), 2);
    ck_assert_str_eq(engrate_result_aliased_given(r, 0), "プロマネ");
    ck_assert_int_eq(engrate_result_aliased_input(r, 0), 0);
    ck_assert_int_eq(engrate_result_aliased_level(r, 0), 0);
    ck_assert_str_eq(engrate_result_aliased_given(r, 1), "cpp");
    ck_assert_ptr_null(engrate_result_unknown_name(r, 2));
    /* strict: an error that names the input and suggests */
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", skills, 3, NULL, 0, &years,
                                              ENGRATE_STRICT, r, &err),
                     ENGRATE_E_UNKNOWN_NAME);
    ck_assert_str_eq(err.text, "unknown skills 'Jva' (did you mean 'Java'?)");
    ck_assert_uint_eq(engrate_result_contribution_count(r), 0);
    /* invalid UTF-8 is an error even when lenient */
    const char *bad[] = {"ja\xffva"};
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", bad, 1, NULL, 0, NULL, 0, r, &err),
                     ENGRATE_E_UTF8);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

/* What engrate_query_add says of each name. */
START_TEST(name_flags)
{
    engrate_model *m = load("models/example.model");
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    static const struct {
        const char *name;
        unsigned flags;
    } cases[] = {
        {"java", 0},                  /* the id */
        {"Ｊａｖａ", 0},              /* folds to the id */
        {"cpp", ENGRATE_NAME_ALIASED},
        {"C++", 0},                   /* the display name, which folds to the id */
        {"jva", ENGRATE_NAME_UNKNOWN},
        {"", ENGRATE_NAME_BLANK},
        {"  \t", ENGRATE_NAME_BLANK},
        {"\xe3\x80\x80", ENGRATE_NAME_BLANK}, /* U+3000 */
        {"・-_", ENGRATE_NAME_BLANK},   /* only separators: names nothing */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsigned flags = 99;
        ck_assert_int_eq(engrate_query_add(q, "skills", cases[k].name, &flags, &err), 0);
        ck_assert_msg(flags == cases[k].flags, "'%s': flags %u, not %u", cases[k].name, flags,
                      cases[k].flags);
    }
    /* blank names are not unknown: only jva is; java and c++ counted once each */
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_uint_eq(engrate_result_unknown_count(r), 1);
    ck_assert_str_eq(engrate_result_unknown_name(r, 0), "jva");
    ck_assert_uint_eq(engrate_result_aliased_count(r), 1);
    ck_assert_uint_eq(engrate_result_contribution_count(r), 1 + 2 + 1); /* base, 2, years */
    /* a blank role leaves the role missing */
    unsigned flags = 0;
    ck_assert_int_eq(engrate_query_add(q, "role", " ", &flags, &err), 0);
    ck_assert_uint_eq(flags, ENGRATE_NAME_BLANK);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_uint_eq(engrate_result_flags(r) & ENGRATE_FLAG_MISSING, ENGRATE_FLAG_MISSING);
    /* failures set no flags */
    flags = 99;
    ck_assert_int_eq(engrate_query_add(q, "skills", "j\xffva", &flags, &err), ENGRATE_E_UTF8);
    ck_assert_uint_eq(flags, 0);
    flags = 99;
    ck_assert_int_eq(engrate_query_add(q, "nope", "java", &flags, &err), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_uint_eq(flags, 0);
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

/* The estimate of a query made by engrate_query_add_list(input, text), and of one made
 * level by level from `levels` (indexes of that input, -1 ending the list): the same. */
static void list_is(engrate_model *m, const char *input, const char *text, const int *levels,
                    unsigned want_flags)
{
    engrate_error err;
    engrate_query *a = engrate_query_new(m, &err), *b = engrate_query_new(m, &err);
    engrate_result *ra = engrate_result_new(m, &err), *rb = engrate_result_new(m, &err);
    size_t in = ENGRATE_NO_INDEX;
    ck_assert_int_eq(engrate_model_input_index(m, input, &in), 0);
    unsigned flags = 99;
    ck_assert_msg(engrate_query_add_list(a, input, text, &flags, &err) == 0, "'%s': %s", text,
                  err.text);
    ck_assert_msg(flags == want_flags, "'%s': flags %u, not %u", text, flags, want_flags);
    for (size_t k = 0; levels[k] >= 0; k++)
        ck_assert_int_eq(engrate_query_add_level(b, in, (size_t)levels[k], &err), 0);
    ck_assert_int_eq(engrate_estimate(a, 0, ra, &err), 0);
    ck_assert_int_eq(engrate_estimate(b, 0, rb, &err), 0);
    ck_assert_msg(engrate_result_estimate(ra) == engrate_result_estimate(rb), "'%s'", text);
    ck_assert_uint_eq(engrate_result_contribution_count(ra), engrate_result_contribution_count(rb));
    engrate_query_free(a);
    engrate_query_free(b);
    engrate_result_free(ra);
    engrate_result_free(rb);
}

START_TEST(lists_typed_in_one_field)
{
    engrate_model *m = load("models/example.model");
    static const int java_python[] = {0, 1, -1}, java_python_ruby[] = {0, 1, 2, -1};
    static const int none[] = {-1}, cpp[] = {3, -1}, ruby[] = {2, -1}, pm[] = {0, -1};
    list_is(m, "skills", "Java、Python", java_python, 0);
    list_is(m, "skills", "java,python", java_python, 0);
    list_is(m, "skills", "java;python", java_python, 0);
    list_is(m, "skills", "Ｊａｖａ，ＰＹＴＨＯＮ；ｒｕｂｙ", java_python_ruby, 0);
    list_is(m, "skills", "java､python", java_python, 0);          /* U+FF64 */
    list_is(m, "skills", " java ; python ;; ,ruby,", java_python_ruby, ENGRATE_NAME_BLANK);
    list_is(m, "skills", "\xe3\x80\x80java\xe3\x80\x80\xc2\xa0, python\t", java_python, 0);
    list_is(m, "skills", "python, java, Python", java_python, 0);  /* twice: once */
    list_is(m, "skills", "cpp", cpp, ENGRATE_NAME_ALIASED);
    list_is(m, "skills", "", none, ENGRATE_NAME_BLANK);
    list_is(m, "skills", " 、 ", none, ENGRATE_NAME_BLANK);
    /* never split at / or spaces: each of these is one (unknown) name */
    list_is(m, "skills", "C/C++", none, ENGRATE_NAME_UNKNOWN);
    list_is(m, "skills", "Visual Basic", none, ENGRATE_NAME_UNKNOWN);
    list_is(m, "skills", "ruby / java", none, ENGRATE_NAME_UNKNOWN);
    list_is(m, "skills", "jva、ruby", ruby, ENGRATE_NAME_UNKNOWN);
    /* a categorical input takes one part */
    list_is(m, "role", "pm", pm, 0);
    list_is(m, "role", " pm ,", pm, ENGRATE_NAME_BLANK);

    /* the unknown names kept are the parts, trimmed, as given */
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    ck_assert_int_eq(engrate_query_add_list(q, "skills", " jva ;Visual Basic、C/C++\xe3\x80\x80",
                                            NULL, &err),
                     0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_uint_eq(engrate_result_unknown_count(r), 3);
    ck_assert_str_eq(engrate_result_unknown_name(r, 0), "jva");
    ck_assert_str_eq(engrate_result_unknown_name(r, 1), "Visual Basic");
    ck_assert_str_eq(engrate_result_unknown_name(r, 2), "C/C++");
    ck_assert_int_eq(engrate_estimate(q, ENGRATE_STRICT, r, &err), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_str_eq(err.text, "unknown skills 'jva' (did you mean 'Java'?)");

    /* refused, and nothing added: two roles, bad UTF-8 anywhere, wrong input, NULLs */
    engrate_query_reset(q);
    unsigned flags = 99;
    ck_assert_int_eq(engrate_query_add_list(q, "role", "pm、pmo", &flags, &err), ENGRATE_E_INVALID);
    ck_assert_str_eq(err.text, "input 'role' takes one level, and 'pm、pmo' names 2");
    ck_assert_uint_eq(flags, 0);
    ck_assert_int_eq(engrate_query_add_list(q, "skills", "java, ruby, j\xffva", &flags, &err),
                     ENGRATE_E_UTF8);
    ck_assert_int_eq(engrate_query_add_list(q, "years", "5", &flags, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add_list(q, "nope", "java", &flags, &err),
                     ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(engrate_query_add_list(q, "skills", NULL, &flags, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add_list(q, NULL, "java", &flags, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add_list(NULL, "skills", "java", &flags, &err),
                     ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    /* 13.4 + default years 5 (0.22); no role, no skill */
    ck_assert_double_eq_tol(engrate_result_estimate(r), exp(13.62), exp(13.62) * 1e-12);
    ck_assert_uint_eq(engrate_result_contribution_count(r), 2);
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

START_TEST(linear_model_by_query)
{
    engrate_model *m = load("tests/data/model/valid/linear/input.model");
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    ck_assert_int_eq(engrate_query_add(q, "role", "Operations", NULL, &err), 0);
    ck_assert_int_eq(engrate_query_set_number(q, "years", 12, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    /* 400 - 25 + (20*12 - 10*(12-2) - 5*(12-10)) = 505 */
    ck_assert_double_eq_tol(engrate_result_estimate(r), 505, 1e-12);
    ck_assert_double_eq_tol(engrate_result_low(r), 455, 1e-12);
    ck_assert_double_eq_tol(engrate_result_high(r), 565, 1e-12);
    ck_assert_double_eq(engrate_result_level(r), 0.5);
    ck_assert_double_eq(engrate_result_contribution_amount(r, 0), 400);
    ck_assert_double_eq(engrate_result_contribution_amount(r, 1), -25);
    ck_assert_double_eq(engrate_result_contribution_amount(r, 2), 130);
    /* a categorical input takes the last level given */
    ck_assert_int_eq(engrate_query_add(q, "role", "dev", NULL, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), 630, 1e-12);
    /* NaN forgets the years set: dev + default years 4 -> 400 + 100 + 80 - 20 = 560 */
    ck_assert_int_eq(engrate_query_set_number(q, "years", NAN, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), 560, 1e-12);
    ck_assert_uint_eq(engrate_result_flags(r), ENGRATE_FLAG_DEFAULTED);
    ck_assert_int_eq(engrate_query_set_number_at(q, 1, 12, &err), 0);
    ck_assert_int_eq(engrate_query_set_number_at(q, 1, -NAN, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), 560, 1e-12);
    /* reset forgets everything: intercept + default years 4 -> 400 + 80 - 20 = 460 */
    engrate_query_reset(q);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), 460, 1e-12);
    /* by index */
    ck_assert_int_eq(engrate_query_add_level(q, 0, 1, &err), 0);
    ck_assert_int_eq(engrate_query_set_number_at(q, 1, 1, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), 395, 1e-12);
    ck_assert_int_eq(engrate_query_add_level(q, 0, 2, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add_level(q, 1, 0, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_set_number_at(q, 0, 1, &err), ENGRATE_E_INVALID);
    /* misuse */
    ck_assert_int_eq(engrate_query_add(q, "rol", "dev", NULL, &err), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_str_eq(err.text, "the model has no input 'rol'");
    ck_assert_int_eq(engrate_query_add(q, "years", "5", NULL, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add(q, "role", NULL, NULL, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add(q, NULL, "dev", NULL, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_add(NULL, "role", "dev", NULL, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_set_number(q, "role", 1, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_set_number(q, "years", INFINITY, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_set_number(q, "years", -INFINITY, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_query_set_number_at(q, 1, INFINITY, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_estimate(q, 8, r, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_estimate(NULL, 0, r, &err), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_estimate(q, 0, NULL, &err), ENGRATE_E_INVALID);
    /* the profile call needs the conventional input names */
    const char *skills[] = {"x"};
    ck_assert_int_eq(engrate_estimate_profile(m, NULL, skills, 1, NULL, 0, NULL, 0, r, &err),
                     ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(engrate_estimate_profile(m, NULL, NULL, 2, NULL, 0, NULL, 0, r, &err),
                     ENGRATE_E_INVALID);
    /* a result belongs to its model */
    engrate_model *other = load("models/example.model");
    engrate_result *r2 = engrate_result_new(other, &err);
    ck_assert_int_eq(engrate_estimate(q, 0, r2, &err), ENGRATE_E_INVALID);
    engrate_result_free(r2);
    engrate_model_free(other);
    ck_assert_ptr_null(engrate_query_new(NULL, &err));
    ck_assert_ptr_null(engrate_result_new(NULL, &err));
    engrate_query_free(NULL);
    engrate_result_free(NULL);
    ck_assert(isnan(engrate_result_estimate(NULL)));
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

/* ---- The breakdown measured from a reference profile ------------------------------ */

/* Contribution i is (input, level) with this amount, exactly (a linear model's amounts
 * are sums of small integers, exact in binary). */
/* input and level: ENGRATE_NO_INDEX ((size_t)-1, written -1 below) where there is none. */
static void check_row(const engrate_result *r, size_t i, size_t input, size_t level,
                      double amount, unsigned flags)
{
    ck_assert_uint_eq(engrate_result_contribution_input(r, i), input);
    ck_assert_uint_eq(engrate_result_contribution_level(r, i), level);
    ck_assert_double_eq(engrate_result_contribution_amount(r, i), amount);
    ck_assert_uint_eq(engrate_result_contribution_flags(r, i), flags);
}

START_TEST(reference_breakdown_linear)
{
    /* tests/data/model/valid/reference: intercept 400; role dev 100, ops -25, typical 30;
     * skills go 20, sql 10, excel 0 (no evidence), typical 12; years 20x - 10(x-2)+
     * - 5(x-10)+ on [0, 30], default 4, typical 6: curve(6) = 120 - 40 = 80.
     * Base = 400 + 30 + 12 + 80 = 522. */
    engrate_model *m = load("tests/data/model/valid/reference/input.model");
    ck_assert_int_eq(engrate_model_has_reference(m), 1);
    ck_assert_double_eq(engrate_model_base(m), 522);
    ck_assert_double_eq(engrate_input_reference(m, 0), 30);
    ck_assert_double_eq(engrate_input_reference(m, 2), 6);
    ck_assert_double_eq(engrate_input_reference_effect(m, 1), 12);
    ck_assert_double_eq(engrate_input_reference_effect(m, 2), 80);
    ck_assert(isnan(engrate_input_reference(m, 3)));
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    /* dev, go, 12 years: 400 + 100 + 20 + (240 - 100 - 10) = 650. From the base: role
     * 100 - 30 = 70; go its own 20; the typical skills taken out -12; years 130 - 80 = 50:
     * 522 + 70 + 20 - 12 + 50 = 650. */
    ck_assert_int_eq(engrate_query_add(q, "role", "dev", NULL, &err), 0);
    ck_assert_int_eq(engrate_query_add(q, "skills", "go", NULL, &err), 0);
    ck_assert_int_eq(engrate_query_set_number(q, "years", 12, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_double_eq(engrate_result_estimate(r), 650);
    ck_assert_uint_eq(engrate_result_contribution_count(r), 5);
    check_row(r, 0, -1, -1, 522, ENGRATE_FLAG_REFERENCE);
    check_row(r, 1, 0, 0, 70, 0);
    check_row(r, 2, 1, 0, 20, 0);
    check_row(r, 3, 1, -1, -12, ENGRATE_FLAG_REFERENCE);
    check_row(r, 4, 2, -1, 50, 0);
    ck_assert(isnan(engrate_result_contribution_value(r, 3)));
    /* Typical years add 0: ops, 6 years: 400 - 25 + 80 = 455 = 522 - 55 - 12 + 0. */
    engrate_query_reset(q);
    ck_assert_int_eq(engrate_query_add(q, "role", "ops", NULL, &err), 0);
    ck_assert_int_eq(engrate_query_set_number(q, "years", 6, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_double_eq(engrate_result_estimate(r), 455);
    ck_assert_uint_eq(engrate_result_contribution_count(r), 4);
    check_row(r, 1, 0, 1, -55, 0);
    check_row(r, 2, 1, -1, -12, ENGRATE_FLAG_REFERENCE);
    check_row(r, 3, 2, -1, 0, 0);
    /* Nothing given: 400 + curve(4) = 400 + 80 - 20 = 460 = 522 - 30 (no role: the
     * typical one taken out) - 12 - 20 (default 4 years: 60 - 80). */
    engrate_query_reset(q);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_double_eq(engrate_result_estimate(r), 460);
    ck_assert_uint_eq(engrate_result_contribution_count(r), 4);
    check_row(r, 1, 0, -1, -30, ENGRATE_FLAG_REFERENCE | ENGRATE_FLAG_MISSING);
    check_row(r, 2, 1, -1, -12, ENGRATE_FLAG_REFERENCE);
    check_row(r, 3, 2, -1, -20, ENGRATE_FLAG_DEFAULTED);
    ck_assert_uint_eq(engrate_result_flags(r), ENGRATE_FLAG_MISSING | ENGRATE_FLAG_DEFAULTED);
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

START_TEST(reference_breakdown_log)
{
    /* tests/data/model/valid/reference-log: intercept 13; role pm 0.3, pg -0.1, typical
     * 0.1; skills java 0.05, typical 0.02; certs typical 0; years 0.02 x, typical 5.
     * Base eta = 13 + 0.1 + 0.02 + 0 + 0.1 = 13.22. pm, java, pmp, 10 years: eta = 13 +
     * 0.3 + 0.05 + 0 + 0.2 = 13.55; its differences from the base: role 0.3 - 0.1 = 0.2,
     * java 0.05, typical skills -0.02, pmp 0 (typical certs 0: no reference row), years
     * 0.2 - 0.1 = 0.1, adding up to 0.33 = 13.55 - 13.22. Each amount is its difference
     * times L = (e^13.55 - e^13.22) / 0.33. */
    engrate_model *m = load("tests/data/model/valid/reference-log/input.model");
    double e = exp(13.55), b = exp(13.22), lmean = (e - b) / 0.33;
    ck_assert_double_eq_tol(engrate_model_base(m), b, REL_TOL(b));
    engrate_error err;
    engrate_result *r = engrate_result_new(m, &err);
    const char *skills[] = {"java"}, *certs[] = {"pmp"};
    double years = 10;
    ck_assert_int_eq(
        engrate_estimate_profile(m, "pm", skills, 1, certs, 1, &years, 0, r, &err), 0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), e, REL_TOL(e));
    ck_assert_uint_eq(engrate_result_contribution_count(r), 6);
    const int inputs[] = {-1, 0, 1, 1, 2, 3}, levels[] = {-1, 0, 0, -1, 0, -1};
    const double diffs[] = {0, 0.2, 0.05, -0.02, 0, 0.1};
    double sum = 0;
    for (size_t i = 0; i < 6; i++) {
        double a = engrate_result_contribution_amount(r, i);
        ck_assert_int_eq(engrate_result_contribution_input(r, i), inputs[i]);
        ck_assert_int_eq(engrate_result_contribution_level(r, i), levels[i]);
        if (i > 0)
            ck_assert_double_eq_tol(a, diffs[i] * lmean, REL_TOL(e));
        sum += a;
    }
    ck_assert_double_eq_tol(engrate_result_contribution_amount(r, 0), b, REL_TOL(b));
    ck_assert_double_eq_tol(sum, e, REL_TOL(e));
    /* Amounts of both signs: pm, no skills, 0 years: eta = 13.3; from the base, role 0.2,
     * the typical skills taken out -0.02, years 0 - 0.1 = -0.1: 0.08 = 13.3 - 13.22. */
    years = 0;
    ck_assert_int_eq(engrate_estimate_profile(m, "pm", NULL, 0, NULL, 0, &years, 0, r, &err),
                     0);
    e = exp(13.3);
    lmean = (e - b) / 0.08;
    ck_assert_uint_eq(engrate_result_contribution_count(r), 4);
    ck_assert_double_eq_tol(engrate_result_contribution_amount(r, 1), 0.2 * lmean, REL_TOL(e));
    ck_assert_double_eq_tol(engrate_result_contribution_amount(r, 2), -0.02 * lmean,
                            REL_TOL(e));
    ck_assert_double_eq_tol(engrate_result_contribution_amount(r, 3), -0.1 * lmean, REL_TOL(e));
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

START_TEST(no_reference_keeps_the_intercept)
{
    /* An older file (no reference): the base is exp(intercept) and there are no reference
     * rows, as before the reference existed. */
    engrate_model *m = load("models/example.model");
    ck_assert_int_eq(engrate_model_has_reference(m), 0);
    ck_assert_double_eq_tol(engrate_model_base(m), exp(13.4), REL_TOL(exp(13.4)));
    ck_assert(isnan(engrate_input_reference(m, 0)));
    ck_assert(isnan(engrate_input_reference_effect(m, 3)));
    engrate_error err;
    engrate_result *r = engrate_result_new(m, &err);
    ck_assert_int_eq(engrate_estimate_profile(m, NULL, NULL, 0, NULL, 0, NULL, 0, r, &err), 0);
    ck_assert_uint_eq(engrate_result_contribution_count(r), 2); /* base, years */
    ck_assert_uint_eq(engrate_result_contribution_flags(r, 0), 0);
    engrate_result_free(r);
    engrate_model_free(m);
    ck_assert_int_eq(engrate_model_has_reference(NULL), 0);
    ck_assert(isnan(engrate_model_base(NULL)));
}
END_TEST

/* ---- Threads ----------------------------------------------------------------------- */

#define GRID 64

static const char *const role_names[] = {"pm", "pmo", "se", "pg", NULL};
static const char *const skill_names[] = {"java", "python", "ruby", "c++", "c#"};

static void grid_profile(int i, const char **role, const char **skills, size_t *n_skills,
                         double *years)
{
    *role = role_names[i % 5];
    *n_skills = (size_t)(i % 6);
    for (size_t k = 0; k < *n_skills; k++)
        skills[k] = skill_names[(k + (size_t)i) % 5];
    *years = (double)(i % 45) - 2;
}

typedef struct job {
    const engrate_model *m;
    const double *expected;
    int mismatches;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    engrate_result *r = engrate_result_new(j->m, NULL);
    for (int round = 0; round < 2000; round++)
        for (int i = 0; i < GRID; i++) {
            const char *role, *skills[5];
            size_t ns;
            double years;
            grid_profile((i + round) % GRID, &role, skills, &ns, &years);
            engrate_estimate_profile(j->m, role, skills, ns, NULL, 0, &years, 0, r, NULL);
            double got = engrate_result_estimate(r);
            if (memcmp(&got, &j->expected[(i + round) % GRID], sizeof got) != 0)
                j->mismatches++;
        }
    engrate_result_free(r);
    return NULL;
}

START_TEST(threads_share_one_model)
{
    engrate_model *m = load("models/example.model");
    double expected[GRID];
    engrate_result *r = engrate_result_new(m, NULL);
    for (int i = 0; i < GRID; i++) {
        const char *role, *skills[5];
        size_t ns;
        double years;
        grid_profile(i, &role, skills, &ns, &years);
        ck_assert_int_eq(
            engrate_estimate_profile(m, role, skills, ns, NULL, 0, &years, 0, r, NULL), 0);
        expected[i] = engrate_result_estimate(r);
    }
    engrate_result_free(r);
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    job jobs[THREADS];
    for (int k = 0; k < THREADS; k++) {
        jobs[k] = (job){m, expected, 0};
        ck_assert_int_eq(pthread_create(&t[k], NULL, worker, &jobs[k]), 0);
    }
    for (int k = 0; k < THREADS; k++) {
        pthread_join(t[k], NULL);
        ck_assert_int_eq(jobs[k].mismatches, 0);
    }
    engrate_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("estimate");
    TCase *tc = tcase_create("estimate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, hand_computed_profile);
    tcase_add_test(tc, years_clamped_and_defaulted);
    tcase_add_test(tc, duplicates_count_once);
    tcase_add_test(tc, breakdown_in_input_order);
    tcase_add_test(tc, unknown_and_aliased_names);
    tcase_add_test(tc, name_flags);
    tcase_add_test(tc, lists_typed_in_one_field);
    tcase_add_test(tc, linear_model_by_query);
    tcase_add_test(tc, reference_breakdown_linear);
    tcase_add_test(tc, reference_breakdown_log);
    tcase_add_test(tc, no_reference_keeps_the_intercept);
    tcase_add_test(tc, threads_share_one_model);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
