/* check_batch.c: engrate_estimate_batch. Its numbers are compared bit for bit with
 * engrate_estimate_profile on the same profiles (lenient and strict, with unknown and
 * aliased names, missing and clamped values), one profile against a value worked out by
 * hand from models/example.model, and the argument checks, the per-profile failures and
 * several threads sharing one model. */
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

/* Equal as bits: NaN equals NaN, and 0.0 does not equal -0.0. */
static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ---- A batch of varied profiles, in CSR form --------------------------------------- */

#define N 300
#define MAX_NAMES 4

static const char *const role_pool[] = {"pm", "PMO", "プロマネ", "se", "pg", "Prgrammer",
                                        NULL};
static const char *const skill_pool[] = {"java", "Python", "ruby", "cpp", "C#", "jva",
                                         "cobol", "Ｊａｖａ"};
static const char *const cert_pool[] = {"pmp", "ＰＭＰ", "ipa_pm",
                                        "情報処理技術者試験プロジェクトマネージャ", "cissp"};

typedef struct batch {
    const char *roles[N];
    const char *skills[N * MAX_NAMES];
    size_t skill_offsets[N + 1];
    const char *certs[N * MAX_NAMES];
    size_t cert_offsets[N + 1];
    double years[N];
} batch;

/* Deterministic, varied: every pool entry, 0..3 names, years missing (NaN), inside and
 * outside the range seen in training, fractional. */
static void make_batch(batch *b)
{
    uint32_t x = 12345;
#define NEXT() (x = x * 1103515245u + 12345u, (x >> 16) & 0x7fff)
    size_t ns = 0, nc = 0;
    for (size_t i = 0; i < N; i++) {
        b->roles[i] = role_pool[NEXT() % (sizeof role_pool / sizeof role_pool[0])];
        b->skill_offsets[i] = ns;
        for (unsigned k = NEXT() % MAX_NAMES; k > 0; k--)
            b->skills[ns++] = skill_pool[NEXT() % (sizeof skill_pool / sizeof skill_pool[0])];
        b->cert_offsets[i] = nc;
        for (unsigned k = NEXT() % 3; k > 0; k--)
            b->certs[nc++] = cert_pool[NEXT() % (sizeof cert_pool / sizeof cert_pool[0])];
        unsigned y = NEXT() % 10;
        b->years[i] = y == 0 ? NAN : y == 1 ? 55.5 : y == 2 ? -1 : (double)(NEXT() % 400) / 10;
    }
    b->skill_offsets[N] = ns;
    b->cert_offsets[N] = nc;
#undef NEXT
}

/* What the single call gives for profile i of b (with NaN years passed as they are: the
 * single call takes NaN for "not known" as the batch does). */
static int single(const engrate_model *m, const batch *b, size_t i, unsigned flags,
                  engrate_result *r)
{
    const double *y = &b->years[i];
    size_t s0 = b->skill_offsets[i], c0 = b->cert_offsets[i];
    return engrate_estimate_profile(m, b->roles[i], b->skills + s0, b->skill_offsets[i + 1] - s0,
                                    b->certs + c0, b->cert_offsets[i + 1] - c0, y, flags, r,
                                    NULL);
}

static void check_against_single(unsigned flags)
{
    engrate_model *m = load("models/example.model");
    static batch b;
    make_batch(&b);
    double est[N], lo[N], hi[N];
    unsigned fl[N];
    int st[N];
    engrate_error err;
    size_t failed = 99;
    int rc_batch = engrate_estimate_batch(m, N, b.roles, b.skills, b.skill_offsets, b.certs,
                                          b.cert_offsets, b.years, flags, est, lo, hi, fl, st,
                                          &failed, &err);
    engrate_result *r = engrate_result_new(m, NULL);
    size_t expect_failed = 0;
    int unknown = 0, first = 0;
    for (size_t i = 0; i < N; i++) {
        int rc = single(m, &b, i, flags, r);
        if (rc < 0) {
            if (expect_failed++ == 0)
                first = rc;
            ck_assert_int_eq(st[i], rc);
            ck_assert(isnan(est[i]) && isnan(lo[i]) && isnan(hi[i]));
            ck_assert_uint_eq(fl[i], 0);
            continue;
        }
        unknown += engrate_result_unknown_count(r) > 0;
        ck_assert_int_eq(st[i], 0); /* unknown names ignored: estimated */
        ck_assert_msg(same_bits(est[i], engrate_result_estimate(r)), "profile %zu: %.17g %.17g",
                      i, est[i], engrate_result_estimate(r));
        ck_assert(same_bits(lo[i], engrate_result_low(r)));
        ck_assert(same_bits(hi[i], engrate_result_high(r)));
        ck_assert_uint_eq(fl[i], engrate_result_flags(r));
    }
    ck_assert_uint_eq(failed, expect_failed);
    ck_assert_int_eq(rc_batch, first); /* the first failure's code, or 0 */
    if (flags & ENGRATE_STRICT) {
        /* The batch has unknown names, so strict fails some profiles... */
        ck_assert_uint_gt(failed, 0);
        ck_assert_int_eq(err.code, ENGRATE_E_UNKNOWN_NAME);
        ck_assert_msg(strncmp(err.text, "profile ", 8) == 0, "%s", err.text);
    } else {
        /* ...and lenient estimates every one, flagging those with unknown names. */
        ck_assert_uint_eq(failed, 0);
        ck_assert_int_gt(unknown, 0);
        ck_assert_int_eq(err.code, 0);
        ck_assert_str_eq(err.text, "");
    }
    engrate_result_free(r);
    engrate_model_free(m);
}

START_TEST(same_bits_as_single_call)
{
    check_against_single(0);
}
END_TEST

START_TEST(same_bits_as_single_call_strict)
{
    check_against_single(ENGRATE_STRICT);
}
END_TEST

START_TEST(hand_computed_profile)
{
    engrate_model *m = load("models/example.model");
    const char *roles[] = {"pm", NULL};
    const char *skills[] = {"java", "Python"};
    const size_t skill_offsets[] = {0, 2, 2};
    const char *certs[] = {"PMP"};
    const size_t cert_offsets[] = {0, 1, 1};
    const double years[] = {8, NAN};
    double est[2], lo[2], hi[2];
    unsigned fl[2];
    int st[2];
    ck_assert_int_eq(engrate_estimate_batch(m, 2, roles, skills, skill_offsets, certs,
                                            cert_offsets, years, 0, est, lo, hi, fl, st, NULL,
                                            NULL),
                     0);
    /* 13.4 + 0.3 (pm) + 0.02 (java) + 0.05 (python) + 0 (pmp) + 0.06*8 - 0.04*(8-3) */
    ck_assert_double_eq_tol(est[0], exp(14.05), exp(14.05) * 1e-12);
    ck_assert_double_eq_tol(lo[0], exp(13.85), exp(14.05) * 1e-12);
    ck_assert_double_eq_tol(hi[0], exp(14.25), exp(14.05) * 1e-12);
    ck_assert_uint_eq(fl[0], ENGRATE_FLAG_NO_EVIDENCE);
    /* nothing given: default years 5 -> 0.3 - 0.08 = 0.22, no role */
    ck_assert_double_eq_tol(est[1], exp(13.62), exp(13.62) * 1e-12);
    ck_assert_uint_eq(fl[1], ENGRATE_FLAG_DEFAULTED | ENGRATE_FLAG_MISSING);
    ck_assert_int_eq(st[0], 0);
    ck_assert_int_eq(st[1], 0);
    engrate_model_free(m);
}
END_TEST

START_TEST(null_arrays_mean_none)
{
    engrate_model *m = load("models/example.model");
    double est[3], hi[3];
    int st[3];
    engrate_error err;
    /* no roles, names or years: three default profiles; unwanted outputs NULL */
    ck_assert_int_eq(engrate_estimate_batch(m, 3, NULL, NULL, NULL, NULL, NULL, NULL, 0, est,
                                            NULL, hi, NULL, st, NULL, &err),
                     0);
    for (int i = 0; i < 3; i++) {
        ck_assert_double_eq_tol(est[i], exp(13.62), 1e-6);
        ck_assert_double_eq_tol(hi[i], exp(13.82), 1e-6);
        ck_assert_int_eq(st[i], 0);
    }
    /* offsets with no names at all need no names array */
    const size_t empty[] = {0, 0, 0, 0};
    ck_assert_int_eq(engrate_estimate_batch(m, 3, NULL, NULL, empty, NULL, empty, NULL, 0, est,
                                            NULL, NULL, NULL, NULL, NULL, &err),
                     0);
    ck_assert_double_eq_tol(est[2], exp(13.62), 1e-6);
    /* n = 0 does nothing, whatever the arrays */
    ck_assert_int_eq(engrate_estimate_batch(m, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL,
                                            NULL, NULL, NULL, NULL, NULL, &err),
                     0);
    /* all outputs NULL: still estimates, still counts failures */
    const double inf[] = {INFINITY};
    size_t failed = 0;
    ck_assert_int_eq(engrate_estimate_batch(m, 1, NULL, NULL, NULL, NULL, NULL, inf, 0, NULL,
                                            NULL, NULL, NULL, NULL, &failed, &err),
                     ENGRATE_E_INVALID);
    ck_assert_uint_eq(failed, 1);
    engrate_model_free(m);
}
END_TEST

/* Offsets that do not start at 0: the second half of a batch passed on its own. */
START_TEST(part_of_a_batch)
{
    engrate_model *m = load("models/example.model");
    static batch b;
    make_batch(&b);
    double whole[N], part[N];
    ck_assert_int_eq(engrate_estimate_batch(m, N, b.roles, b.skills, b.skill_offsets, b.certs,
                                            b.cert_offsets, b.years, 0, whole, NULL, NULL, NULL,
                                            NULL, NULL, NULL),
                     0);
    size_t k = N / 2 + 7;
    ck_assert_int_eq(engrate_estimate_batch(m, N - k, b.roles + k, b.skills,
                                            b.skill_offsets + k, b.certs, b.cert_offsets + k,
                                            b.years + k, 0, part, NULL, NULL, NULL, NULL, NULL,
                                            NULL),
                     0);
    for (size_t i = k; i < N; i++)
        ck_assert(same_bits(whole[i], part[i - k]));
    engrate_model_free(m);
}
END_TEST

/* A profile that fails has its status and NaNs; the others are estimated; the call returns
 * the first failure's code, err has it with its index, and *n_failed counts them. */
START_TEST(failures_do_not_stop_the_batch)
{
    engrate_model *m = load("models/example.model");
    const char *roles[] = {"pm", "pm", "pm", "pm", "pm"};
    const char *skills[] = {"java", NULL, "jva", "ja\xffva"};
    const size_t skill_offsets[] = {0, 1, 2, 3, 4, 4};
    const double years[] = {3, 3, 3, 3, INFINITY};
    double est[5], lo[5], hi[5];
    unsigned fl[5];
    int st[5];
    engrate_error err;
    size_t failed = 0;
    ck_assert_int_eq(engrate_estimate_batch(m, 5, roles, skills, skill_offsets, NULL, NULL,
                                            years, 0, est, lo, hi, fl, st, &failed, &err),
                     ENGRATE_E_INVALID);
    ck_assert_uint_eq(failed, 3);
    ck_assert_int_eq(st[0], 0);
    ck_assert_int_eq(st[1], ENGRATE_E_INVALID); /* a NULL name */
    ck_assert_int_eq(st[2], 0);                 /* unknown, ignored: flagged */
    ck_assert_int_eq(st[3], ENGRATE_E_UTF8);
    ck_assert_int_eq(st[4], ENGRATE_E_INVALID); /* infinite years */
    ck_assert_double_eq_tol(est[0], exp(13.4 + 0.3 + 0.02 + 0.18), 1e-6);
    ck_assert_double_eq_tol(est[2], exp(13.4 + 0.3 + 0.18), 1e-6);
    ck_assert_uint_eq(fl[2], ENGRATE_FLAG_UNKNOWN);
    for (int i = 1; i < 5; i += 2) {
        ck_assert(isnan(est[i]) && isnan(lo[i]) && isnan(hi[i]));
        ck_assert_uint_eq(fl[i], 0);
    }
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_str_eq(err.text, "profile 1: a name for 'skills' is NULL");

    /* strict: the unknown name fails its profile, with the suggestion */
    ck_assert_int_eq(engrate_estimate_batch(m, 3, roles + 2, skills, skill_offsets + 2, NULL,
                                            NULL, years, ENGRATE_STRICT, est, lo, hi, fl, st,
                                            &failed, &err),
                     ENGRATE_E_UNKNOWN_NAME);
    ck_assert_uint_eq(failed, 2);
    ck_assert_int_eq(st[0], ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(st[1], ENGRATE_E_UTF8);
    ck_assert_int_eq(st[2], 0);
    ck_assert_int_eq(err.code, ENGRATE_E_UNKNOWN_NAME);
    ck_assert_str_eq(err.text, "profile 0: unknown skills 'jva' (did you mean 'Java'?)");
    /* err and n_failed may be NULL */
    ck_assert_int_eq(engrate_estimate_batch(m, 5, roles, skills, skill_offsets, NULL, NULL,
                                            years, 0, est, lo, hi, fl, st, NULL, NULL),
                     ENGRATE_E_INVALID);
    engrate_model_free(m);
}
END_TEST

/* Wrong arguments: a negative code, err filled, no failed profile counted and no output
 * written. */
START_TEST(argument_errors)
{
    engrate_model *m = load("models/example.model");
    const char *names[] = {"java", "ruby"};
    const size_t good[] = {0, 1, 2}, bad[] = {0, 2, 1};
    double est[2] = {-1, -1};
    int st[2] = {99, 99};
    engrate_error err;
    size_t failed = 99;
#define CALL(model, n, skills, offsets, flags)                                             \
    engrate_estimate_batch(model, n, NULL, skills, offsets, NULL, NULL, NULL, flags, est,   \
                           NULL, NULL, NULL, st, &failed, &err)
    ck_assert_int_eq(CALL(NULL, 2, names, good, 0), ENGRATE_E_INVALID);
    ck_assert_str_eq(err.text, "model is NULL");
    ck_assert_int_eq(CALL(m, 2, names, good, 4), ENGRATE_E_INVALID);
    ck_assert_str_eq(err.text, "unknown estimate flags 0x4");
    ck_assert_int_eq(CALL(m, 2, names, bad, 0), ENGRATE_E_INVALID);
    ck_assert_str_eq(err.text, "skills offsets decrease at profile 1 (2, then 1)");
    ck_assert_int_eq(CALL(m, 2, names, NULL, 0), ENGRATE_E_INVALID);
    ck_assert_str_eq(err.text, "skills given without skills offsets");
    ck_assert_int_eq(CALL(m, 2, NULL, good, 0), ENGRATE_E_INVALID);
    ck_assert_str_eq(err.text, "skills is NULL with 2 names in the offsets");
    ck_assert_int_eq(engrate_estimate_batch(m, 2, NULL, NULL, NULL, names, bad, NULL, 0, est,
                                            NULL, NULL, NULL, st, &failed, &err),
                     ENGRATE_E_INVALID);
    ck_assert_str_eq(err.text, "certs offsets decrease at profile 1 (2, then 1)");
#undef CALL
    ck_assert(est[0] == -1 && est[1] == -1 && st[0] == 99 && st[1] == 99);
    ck_assert_uint_eq(failed, 0);
    engrate_model_free(m);
}
END_TEST

/* ---- Threads ----------------------------------------------------------------------- */

typedef struct job {
    const engrate_model *m;
    const batch *b;
    const double *expected;
    int mismatches;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    double est[N];
    for (int round = 0; round < 200; round++) {
        engrate_estimate_batch(j->m, N, j->b->roles, j->b->skills, j->b->skill_offsets,
                               j->b->certs, j->b->cert_offsets, j->b->years, 0, est, NULL,
                               NULL, NULL, NULL, NULL, NULL);
        for (size_t i = 0; i < N; i++)
            j->mismatches += !same_bits(est[i], j->expected[i]);
    }
    return NULL;
}

START_TEST(threads_share_one_model)
{
    engrate_model *m = load("models/example.model");
    static batch b;
    make_batch(&b);
    static double expected[N];
    engrate_result *r = engrate_result_new(m, NULL);
    for (size_t i = 0; i < N; i++) {
        ck_assert_int_ge(single(m, &b, i, 0, r), 0);
        expected[i] = engrate_result_estimate(r);
    }
    engrate_result_free(r);
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    job jobs[THREADS];
    for (int k = 0; k < THREADS; k++) {
        jobs[k] = (job){m, &b, expected, 0};
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
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("batch");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, same_bits_as_single_call);
    tcase_add_test(tc, same_bits_as_single_call_strict);
    tcase_add_test(tc, hand_computed_profile);
    tcase_add_test(tc, null_arrays_mean_none);
    tcase_add_test(tc, part_of_a_batch);
    tcase_add_test(tc, failures_do_not_stop_the_batch);
    tcase_add_test(tc, argument_errors);
    tcase_add_test(tc, threads_share_one_model);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
