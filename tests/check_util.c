/* check_util.c: what both libraries share (lib/common.h): the number grammar both the
 * loader and the trainer read numbers with, the shortest exact writer, the text buffer and
 * the hash of the trainer's tables. Numbers are checked against the C library's strtod in
 * the "C" locale, an independent conversion, on hand-picked edge cases and on many
 * generated decimals. */
#define _GNU_SOURCE 1
#include <check.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "testutil.h"

/* strtod in the "C" locale (made once): the reference. */
static locale_t c_locale;
static double ref(const char *s)
{
    if (!c_locale)
        c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    ck_assert_ptr_nonnull(c_locale);
    locale_t old = uselocale(c_locale);
    double v = strtod(s, NULL);
    uselocale(old);
    return v;
}

static void free_locale(void)
{
    if (c_locale)
        freelocale(c_locale);
}

/* How many generated cases: fewer under valgrind and the sanitizers (ENGRATE_TEST_LIGHT). */
static int cases(void)
{
    const char *light = getenv("ENGRATE_TEST_LIGHT");
    return light && *light && strcmp(light, "0") != 0 ? 10000 : 200000;
}

static int parse(const char *s, double *v)
{
    return er_parse_double(s, strlen(s), v);
}

START_TEST(edge_cases_match_strtod)
{
    static const char *const ok[] = {
        "0", "-0", "+0", "1", "-1", ".5", "5.", "0.1", "1e22", "1e23", "1e-22", "1e-23",
        "9007199254740992", "9007199254740993", "123456789012345678901234567890",
        "0.000000000000000000000000000001", "2.2250738585072014e-308",
        "4.9406564584124654e-324", "1.7976931348623157e308", "3.14159265358979323846",
        "1E5", "1e+5", "-2.5E-3", "0.1e1", "00012", "1234567890123456789", "0.30000000000000004"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = NAN;
        ck_assert_msg(parse(ok[i], &v) == 0, "'%s' refused", ok[i]);
        double r = ref(ok[i]);
        ck_assert_msg(memcmp(&v, &r, sizeof v) == 0, "'%s': %.17g, strtod %.17g", ok[i], v, r);
    }
}
END_TEST

START_TEST(outside_the_grammar_is_refused)
{
    static const char *const bad[] = {"", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "1,5",
                                      " 1", "1 ", "0x10", "inf", "nan", "1e400", "-1e400",
                                      "--1", "1e5e5", "１"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 0;
        ck_assert_msg(parse(bad[i], &v) == ENGRATE_E_NUMBER, "'%s' accepted", bad[i]);
    }
    char longest[70];
    memset(longest, '1', sizeof longest);
    double v;
    ck_assert_int_eq(er_parse_double(longest, 63, &v), 0);
    ck_assert_int_eq(er_parse_double(longest, 64, &v), ENGRATE_E_NUMBER);
}
END_TEST

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A random decimal of the grammar: sign, 1-25 digits with a point somewhere (or none),
 * an exponent sometimes. Both the exact fast path and strtod's are exercised. */
static void random_decimal(char *out)
{
    size_t n = 0, digits = 1 + next() % 25, point = next() % (digits + 2);
    if (next() % 3 == 0)
        out[n++] = next() % 2 ? '-' : '+';
    for (size_t i = 0; i < digits; i++) {
        if (i == point)
            out[n++] = '.';
        out[n++] = (char)('0' + next() % 10);
    }
    if (next() % 3 == 0)
        n += (size_t)sprintf(out + n, "e%d", (int)(next() % 80) - 40);
    out[n] = '\0';
}

START_TEST(random_decimals_match_strtod)
{
    char s[64];
    for (int i = 0, n = cases(); i < n; i++) {
        random_decimal(s);
        double v = NAN;
        ck_assert_msg(parse(s, &v) == 0, "'%s' refused", s);
        double r = ref(s);
        ck_assert_msg(memcmp(&v, &r, sizeof v) == 0, "'%s': %.17g, strtod %.17g", s, v, r);
    }
}
END_TEST

START_TEST(shortest_form_reads_back_exactly)
{
    char buf[32];
    for (int i = 0, total = cases(); i < total; i++) {
        uint64_t bits = next();
        double x;
        memcpy(&x, &bits, sizeof x);
        if (!isfinite(x))
            continue;
        int n = er_format_double(x, buf);
        ck_assert_int_eq(n, (int)strlen(buf));
        double back = NAN;
        ck_assert_msg(er_parse_double(buf, (size_t)n, &back) == 0, "'%s' refused", buf);
        /* -0 is written as 0: the one documented exception */
        ck_assert_msg(back == x && (x != 0 || back == 0), "%a written '%s' reads %a", x, buf,
                      back);
        /* shortest: one digit fewer does not read back (checked with the reference) */
        char shorter[40];
        snprintf(shorter, sizeof shorter, "%.*g", n > 1 ? 15 : 1, x);
        if (strlen(shorter) < (size_t)n)
            ck_assert_msg(ref(shorter) != x, "'%s' is shorter than '%s' for %a", shorter, buf,
                          x);
    }
}
END_TEST

START_TEST(buffer_lines)
{
    er_buf b = {0};
    double xs[] = {1.5, -2, 0.1};
    er_buf_kv(&b, "name", "tiny");
    er_buf_kn(&b, "intercept", 13.3);
    er_buf_kns(&b, "coef", xs, 3);
    er_buf_printf(&b, "%s=%d", "n", 42);
    ck_assert_int_eq(b.failed, 0);
    ck_assert_str_eq(b.s, "name = tiny\nintercept = 13.3\ncoef = 1.5 -2 0.1\nn=42");
    ck_assert_uint_eq(b.len, strlen(b.s));
    free(b.s);
}
END_TEST

START_TEST(hash_spreads_low_bits)
{
    /* The trainer's tables take the low bits: keys that differ in one byte, or only in the
     * input, land in different buckets of a small table most of the time. */
    enum { BUCKETS = 64, KEYS = 6400 };
    unsigned count[BUCKETS] = {0};
    char key[16];
    for (int i = 0; i < KEYS; i++) {
        int n = snprintf(key, sizeof key, "level%d", i);
        count[er_hash((size_t)(i % 3), key, (size_t)n) % BUCKETS]++;
    }
    for (int k = 0; k < BUCKETS; k++) /* expected 100 each; a 6-sigma band */
        ck_assert_msg(count[k] > 40 && count[k] < 160, "bucket %d has %u", k, count[k]);
    ck_assert_uint_ne(er_hash(0, "java", 4), er_hash(1, "java", 4));
    ck_assert_uint_eq(er_hash(2, "java", 4), er_hash(2, "java", 4));
    ck_assert_uint_ne(er_hash(0, "", 0), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util");
    atexit(free_locale);
    TCase *tc = tcase_create("numbers");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, edge_cases_match_strtod);
    tcase_add_test(tc, outside_the_grammar_is_refused);
    tcase_add_test(tc, random_decimals_match_strtod);
    tcase_add_test(tc, shortest_form_reads_back_exactly);
    suite_add_tcase(s, tc);
    tc = tcase_create("text and hash");
    tcase_add_test(tc, buffer_lines);
    tcase_add_test(tc, hash_spreads_low_bits);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
