/* check_model.c: model files. Every file under tests/data/model/invalid/ must fail with
 * the code, line and column written by hand in its `error` file; every file under
 * valid/ must load and save to its hand-written canonical form; and the writer's output
 * must read back to the same bits. */
#define _GNU_SOURCE 1
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <engrate.h>

#include "testutil.h"

static const struct {
    const char *name;
    int code;
} codes[] = {
    {"ENGRATE_E_INVALID", ENGRATE_E_INVALID},         {"ENGRATE_E_NOMEM", ENGRATE_E_NOMEM},
    {"ENGRATE_E_IO", ENGRATE_E_IO},                   {"ENGRATE_E_SYNTAX", ENGRATE_E_SYNTAX},
    {"ENGRATE_E_VERSION", ENGRATE_E_VERSION},         {"ENGRATE_E_LIMIT", ENGRATE_E_LIMIT},
    {"ENGRATE_E_DUPLICATE", ENGRATE_E_DUPLICATE},     {"ENGRATE_E_UNKNOWN_KEY", ENGRATE_E_UNKNOWN_KEY},
    {"ENGRATE_E_NUMBER", ENGRATE_E_NUMBER},           {"ENGRATE_E_MISSING", ENGRATE_E_MISSING},
    {"ENGRATE_E_UTF8", ENGRATE_E_UTF8},               {"ENGRATE_E_UNKNOWN_NAME", ENGRATE_E_UNKNOWN_NAME},
};

static int code_of(const char *name)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(codes[i].name, name) == 0)
            return codes[i].code;
    return 1; /* not a code: makes the comparison fail */
}

/* The case directories below dir, sorted so that failures are reported in a stable order. */
static size_t list_cases(const char *dir, char names[][256], size_t cap)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap)
        if (e->d_name[0] != '.')
            snprintf(names[n++], 256, "%s", e->d_name);
    closedir(d);
    qsort(names, n, 256, (int (*)(const void *, const void *))strcmp);
    return n;
}

START_TEST(invalid_files_fail_where_expected)
{
    static char names[256][256];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_path("tests/data/model/invalid"));
    size_t n = list_cases(dir, names, 256);
    ck_assert_uint_ge(n, 60);
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4400], expect_path[4400], want_code[64];
        int want_line = -1, want_col = -1;
        snprintf(path, sizeof path, "%s/%s/input.model", dir, names[i]);
        snprintf(expect_path, sizeof expect_path, "%s/%s/error", dir, names[i]);
        char *expect = test_read(expect_path, NULL);
        ck_assert_msg(expect != NULL, "no error file for %s", names[i]);
        ck_assert_int_eq(sscanf(expect, "%63s %d %d", want_code, &want_line, &want_col), 3);
        free(expect);
        engrate_error err;
        engrate_model *m = engrate_model_load(path, 0, &err);
        if (m || err.code != code_of(want_code) || err.line != want_line ||
            err.column != want_col) {
            fprintf(stderr, "%s: want %s %d %d, got %s %d %d: %s\n", names[i], want_code,
                    want_line, want_col, m ? "success" : engrate_strerror(err.code),
                    err.line, err.column, m ? "" : err.text);
            failures++;
        }
        /* The message names the file and the place. */
        if (!m && want_line > 0)
            ck_assert_msg(strstr(err.text, "input.model:") != NULL, "%s: '%s'", names[i],
                          err.text);
        engrate_model_free(m);
    }
    ck_assert_int_eq(failures, 0);
}
END_TEST

START_TEST(valid_files_save_canonically)
{
    static char names[64][256];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", test_path("tests/data/model/valid"));
    size_t n = list_cases(dir, names, 64);
    ck_assert_uint_ge(n, 2);
    for (size_t i = 0; i < n; i++) {
        char path[4400], canon_path[4400];
        snprintf(path, sizeof path, "%s/%s/input.model", dir, names[i]);
        snprintf(canon_path, sizeof canon_path, "%s/%s/canonical.model", dir, names[i]);
        engrate_error err;
        engrate_model *m = engrate_model_load(path, 0, &err);
        ck_assert_msg(m != NULL, "%s: %s", names[i], err.text);
        size_t len = 0;
        char *text = engrate_model_to_string(m, &len, &err);
        char *want = test_read(canon_path, NULL);
        ck_assert_ptr_nonnull(want);
        ck_assert_str_eq(text, want);
        ck_assert_uint_eq(len, strlen(want));
        /* The canonical form is a fixed point. */
        engrate_model *m2 = engrate_model_load_buffer(text, len, names[i], 0, &err);
        ck_assert_msg(m2 != NULL, "%s: %s", names[i], err.text);
        char *text2 = engrate_model_to_string(m2, NULL, &err);
        ck_assert_str_eq(text2, text);
        engrate_string_free(text);
        engrate_string_free(text2);
        free(want);
        engrate_model_free(m);
        engrate_model_free(m2);
    }
}
END_TEST

START_TEST(messy_file_reads_what_it_says)
{
    engrate_error err;
    engrate_model *m =
        engrate_model_load(test_path("tests/data/model/valid/messy/input.model"), 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_str_eq(engrate_model_meta(m, "name"), "messy");
    ck_assert_str_eq(engrate_model_meta(m, "currency"), "USD");
    ck_assert_str_eq(engrate_model_meta(m, "description"), "tabs and CRLF");
    ck_assert_ptr_null(engrate_model_meta(m, "as_of"));
    ck_assert_ptr_null(engrate_model_meta(m, "nonsense"));
    ck_assert_int_eq(engrate_model_transform(m), ENGRATE_TRANSFORM_NONE);
    ck_assert_double_eq(engrate_model_intercept(m), 50);
    ck_assert_uint_eq(engrate_model_source_count(m), 2);
    ck_assert_str_eq(engrate_model_source(m, 1), "two");
    ck_assert_ptr_null(engrate_model_source(m, 2));
    ck_assert_double_eq(engrate_model_training(m, "rows"), 10);
    ck_assert_double_eq(engrate_model_training(m, "lambda"), 0.001);
    ck_assert(isnan(engrate_model_training(m, "cv_rmse")));
    ck_assert_double_eq(engrate_model_interval_level(m), 0.9);
    ck_assert_double_eq(engrate_model_interval_low(m), -10);
    ck_assert_double_eq(engrate_model_interval_high(m), 12.5);
    ck_assert_uint_eq(engrate_model_input_count(m), 2);
    ck_assert_int_eq(test_input_index(m, "years"), 1);
    ck_assert_int_eq(test_input_index(m, "Years"), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(engrate_input_kind(m, 0), ENGRATE_SET);
    ck_assert_str_eq(engrate_input_label(m, 0, "ja"), "言語");
    ck_assert_str_eq(engrate_input_label(m, 0, "fr"), "Language");
    ck_assert_str_eq(engrate_input_label(m, 1, "en"), "years"); /* no label: the id */
    ck_assert_uint_eq(engrate_input_level_count(m, 0), 2);
    ck_assert_str_eq(engrate_level_id(m, 0, 0), "c++");
    ck_assert_str_eq(engrate_level_name(m, 0, 1, "en"), "c");
    ck_assert_double_eq(engrate_level_coef(m, 0, 1), -2.5);
    ck_assert_uint_eq(engrate_level_alias_count(m, 0, 0), 1);
    ck_assert_str_eq(engrate_level_alias(m, 0, 0, 0), "cpp");
    ck_assert_ptr_null(engrate_level_alias(m, 0, 0, 1));
    ck_assert_double_eq(engrate_input_min(m, 1), 0);
    ck_assert_double_eq(engrate_input_max(m, 1), 20);
    ck_assert_double_eq(engrate_input_default(m, 1), 3);
    ck_assert_double_eq(engrate_input_coef(m, 1, 0), 1.5);
    ck_assert(isnan(engrate_input_coef(m, 1, 1)));
    ck_assert(isnan(engrate_input_min(m, 0)));
    /* Out of range indexes answer NULL / NaN / 0, never crash. */
    ck_assert_ptr_null(engrate_input_id(m, 99));
    ck_assert_ptr_null(engrate_level_id(m, 0, 99));
    ck_assert(isnan(engrate_level_coef(m, 99, 0)));
    ck_assert_uint_eq(engrate_input_level_count(m, 99), 0);
    engrate_model_free(m);
}
END_TEST

/* Doubles of every magnitude, written and read back, keep every bit. */
START_TEST(numbers_round_trip_exactly)
{
    uint64_t state = 0x243F6A8885A308D3ull;
    char text[512];
    for (int i = 0; i < 20000; i++) {
        /* xorshift64: raw bit patterns give every exponent and mantissa. */
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        double x;
        memcpy(&x, &state, sizeof x);
        if (!isfinite(x) || fabs(x) > 1e300 || fabs(x) < 1e-300)
            continue;
        snprintf(text, sizeof text,
                 "engrate-model 1\n[model]\nname = n\ncurrency = JPY\nperiod = month\n"
                 "transform = none\nintercept = %.17g\n[interval]\nlevel = 0.5\nlow = 0\n"
                 "high = 0\n",
                 x);
        engrate_error err;
        engrate_model *m = engrate_model_load_buffer(text, strlen(text), "n", 0, &err);
        ck_assert_msg(m != NULL, "%s", err.text);
        ck_assert(engrate_model_intercept(m) == x);
        char *saved = engrate_model_to_string(m, NULL, &err);
        engrate_model *m2 = engrate_model_load_buffer(saved, strlen(saved), "n", 0, &err);
        ck_assert_msg(m2 != NULL, "%s", err.text);
        uint64_t a, b;
        double x2 = engrate_model_intercept(m2);
        memcpy(&a, &x, sizeof a);
        memcpy(&b, &x2, sizeof b);
        ck_assert_msg(a == b, "%.17g came back as %.17g", x, x2);
        /* and the writer picked the shortest form: no more than 17 significant digits */
        const char *line = strstr(saved, "intercept = ");
        ck_assert_ptr_nonnull(line);
        engrate_string_free(saved);
        engrate_model_free(m);
        engrate_model_free(m2);
    }
}
END_TEST

START_TEST(shortest_decimal_is_written)
{
    const char *text = "engrate-model 1\n[model]\nname = n\ncurrency = JPY\nperiod = month\n"
                       "transform = log\nintercept = 0.1\n[interval]\nlevel = 0.8\n"
                       "low = -0.30000000000000004\nhigh = 1e-7\n";
    engrate_error err;
    engrate_model *m = engrate_model_load_buffer(text, strlen(text), NULL, 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    char *s = engrate_model_to_string(m, NULL, &err);
    ck_assert_ptr_nonnull(strstr(s, "intercept = 0.1\n"));
    ck_assert_ptr_nonnull(strstr(s, "level = 0.8\n"));
    ck_assert_ptr_nonnull(strstr(s, "low = -0.30000000000000004\n"));
    ck_assert_ptr_nonnull(strstr(s, "high = 1e-07\n"));
    engrate_string_free(s);
    engrate_model_free(m);
}
END_TEST

START_TEST(example_model_round_trips)
{
    engrate_error err;
    const char *path = test_path("models/example.model");
    engrate_model *m = engrate_model_load(path, 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    char *a = engrate_model_to_string(m, NULL, &err);
    char *b = engrate_model_to_string(m, NULL, &err);
    ck_assert_str_eq(a, b); /* deterministic */
    engrate_model *m2 = engrate_model_load_buffer(a, strlen(a), "copy", 0, &err);
    ck_assert_msg(m2 != NULL, "%s", err.text);
    for (size_t i = 0; i < engrate_model_input_count(m); i++)
        for (size_t l = 0; l < engrate_input_level_count(m, i); l++)
            ck_assert(engrate_level_coef(m, i, l) == engrate_level_coef(m2, i, l));
    engrate_string_free(a);
    engrate_string_free(b);
    engrate_model_free(m);
    engrate_model_free(m2);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
    engrate_error err;
    ck_assert_ptr_null(engrate_model_load(NULL, 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_null(engrate_model_load(test_path("models/example.model"), 4, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_null(engrate_model_load_buffer(NULL, 5, NULL, 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_INVALID);
    ck_assert_ptr_null(engrate_model_load("/nonexistent/x.model", 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_IO);
    ck_assert_ptr_nonnull(strstr(err.text, "/nonexistent/x.model"));
    ck_assert_ptr_null(engrate_model_load(test_path("tests"), 0, &err)); /* a directory */
    ck_assert_int_lt(err.code, 0);
    /* err may be NULL */
    ck_assert_ptr_null(engrate_model_load("/nonexistent/x.model", 0, NULL));
    ck_assert_ptr_null(engrate_model_to_string(NULL, NULL, &err));
    ck_assert_int_eq(engrate_model_save(NULL, "x", 0, &err), ENGRATE_E_INVALID);
    engrate_model_free(NULL);
    engrate_string_free(NULL);
    ck_assert_str_eq(engrate_strerror(ENGRATE_E_DUPLICATE), "duplicate");
    ck_assert_str_eq(engrate_strerror(-999), "unknown error code");
    ck_assert_uint_eq(engrate_error_size(), sizeof(engrate_error));
}
END_TEST

START_TEST(newer_version_says_so)
{
    const char *text = "engrate-model 7\n[model]\n";
    engrate_error err;
    ck_assert_ptr_null(engrate_model_load_buffer(text, strlen(text), "future.model", 0, &err));
    ck_assert_int_eq(err.code, ENGRATE_E_VERSION);
    ck_assert_ptr_nonnull(strstr(err.text, "future.model:1:15: format version 7 is newer"));
}
END_TEST

/* Format version 2 (models/FORMAT.md): labels and names as the data wrote them are found
 * and shown, and `missing` is what a profile without the value adds. The numbers are the
 * file's own (tests/data/model/valid/version2), worked out by hand below. */
START_TEST(version2_labels_names_and_missing)
{
    engrate_error err;
    engrate_model *m = engrate_model_load(test_path("tests/data/model/valid/version2/input.model"),
                                          0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    size_t in = 99;
    ck_assert_int_eq(engrate_model_find_input(m, "職種", &in), 0);
    ck_assert_uint_eq(in, 0);
    ck_assert_int_eq(engrate_model_find_input(m, "role", &in), 0); /* label.en, folded */
    ck_assert_uint_eq(in, 0);
    ck_assert_int_eq(engrate_model_find_input(m, "x7e3a1c55", &in), 0); /* the id */
    ck_assert_uint_eq(in, 1);
    ck_assert_int_eq(engrate_model_find_input(m, "経験 年数", &in), 0); /* blanks fold away */
    ck_assert_uint_eq(in, 1);
    ck_assert_int_eq(engrate_model_find_input(m, "years", &in), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(engrate_model_find_input(m, "\xff", &in), ENGRATE_E_UTF8);
    ck_assert_int_eq(engrate_model_find_input(NULL, "x", &in), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_model_find_input(m, "x", NULL), ENGRATE_E_INVALID);
    /* labels: the language asked for, else as written, else English, else the id */
    ck_assert_str_eq(engrate_input_label(m, 0, "en"), "Role");
    ck_assert_str_eq(engrate_input_label(m, 0, "ja"), "職種");
    ck_assert_str_eq(engrate_input_label(m, 1, "en"), "経験年数");
    ck_assert_str_eq(engrate_level_name(m, 0, 1, "en"), "Systems engineer");
    ck_assert_str_eq(engrate_level_name(m, 0, 1, "ja"), "システムエンジニア");
    ck_assert_str_eq(engrate_level_name(m, 0, 0, "ja"), "PMO");
    size_t level = 0;
    ck_assert_int_eq(engrate_model_find_level(m, 0, "システム エンジニア", &level, NULL), 0);
    ck_assert_uint_eq(level, 1);
    /* eta = 13 + 0.1 + curve(8) = 13.1 + 0.04 * 8 - 0.02 * 3; without years:
     * 13.1 + curve(7.5) + missing = 13.1 + 0.3 - 0.05 - 0.05 */
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    ck_assert_int_eq(engrate_query_add(q, "x2c1f0a9b", "システムエンジニア", NULL, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), exp(13.1 + 0.3 - 0.05 - 0.05), 1e-6);
    ck_assert(engrate_result_flags(r) & ENGRATE_FLAG_DEFAULTED);
    ck_assert_int_eq(engrate_query_set_number(q, "x7e3a1c55", 8, &err), 0);
    ck_assert_int_eq(engrate_estimate(q, 0, r, &err), 0);
    ck_assert_double_eq_tol(engrate_result_estimate(r), exp(13.1 + 0.32 - 0.06), 1e-6);
    engrate_result_free(r);
    engrate_query_free(q);
    engrate_model_free(m);
}
END_TEST

START_TEST(default_model_follows_environment)
{
    engrate_error err;
    setenv("ENGRATE_MODEL", test_path("tests/data/model/valid/linear/input.model"), 1);
    engrate_model *m = engrate_model_load_default(0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    ck_assert_str_eq(engrate_model_meta(m, "name"), "linear");
    engrate_model_free(m);
    setenv("ENGRATE_MODEL", "/nonexistent/default.model", 1);
    ck_assert_ptr_null(engrate_model_load_default(0, &err));
    ck_assert_ptr_nonnull(strstr(err.text, "/nonexistent/default.model"));
    unsetenv("ENGRATE_MODEL");
    ck_assert_ptr_nonnull(strstr(engrate_model_default_path(), "default.model"));
}
END_TEST

START_TEST(save_is_atomic)
{
    char dir[] = "/tmp/engrate-save-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256], bad[256];
    snprintf(path, sizeof path, "%s/m.model", dir);
    snprintf(bad, sizeof bad, "%s/missing/m.model", dir);
    engrate_error err;
    engrate_model *m = engrate_model_load(test_path("models/example.model"), 0, &err);
    ck_assert_ptr_nonnull(m);
    FILE *f = fopen(path, "w");
    fputs("old contents\n", f);
    fclose(f);
    ck_assert_int_eq(engrate_model_save(m, path, 0, &err), 0);
    char *saved = test_read(path, NULL);
    char *text = engrate_model_to_string(m, NULL, &err);
    ck_assert_str_eq(saved, text);
    /* A save that cannot happen leaves nothing behind and says where. */
    ck_assert_int_eq(engrate_model_save(m, bad, 0, &err), ENGRATE_E_IO);
    ck_assert_ptr_nonnull(strstr(err.text, bad));
    DIR *d = opendir(dir);
    int entries = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        entries += e->d_name[0] != '.';
    closedir(d);
    ck_assert_int_eq(entries, 1); /* m.model only: no temporary file left */
    free(saved);
    engrate_string_free(text);
    engrate_model_free(m);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(version_matches_header)
{
    ck_assert_str_eq(engrate_version_string(), ENGRATE_VERSION_STRING);
    ck_assert_int_eq(engrate_version_major(), ENGRATE_VERSION_MAJOR);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, invalid_files_fail_where_expected);
    tcase_add_test(tc, valid_files_save_canonically);
    tcase_add_test(tc, messy_file_reads_what_it_says);
    tcase_add_test(tc, numbers_round_trip_exactly);
    tcase_add_test(tc, shortest_decimal_is_written);
    tcase_add_test(tc, example_model_round_trips);
    tcase_add_test(tc, bad_arguments_are_refused);
    tcase_add_test(tc, newer_version_says_so);
    tcase_add_test(tc, version2_labels_names_and_missing);
    tcase_add_test(tc, default_model_follows_environment);
    tcase_add_test(tc, save_is_atomic);
    tcase_add_test(tc, version_matches_header);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
