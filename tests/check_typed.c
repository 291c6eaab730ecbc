/* check_typed.c: names as people type them, against the default model (models/jp-freelance,
 * built by make): every skill of tests/data/names/typed-skills.csv resolves to the level
 * written next to it (chosen from the model's published names, names.csv), one by one and
 * all together in one field; katakana and kanji near misses get their suggestion. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <engrate.h>

#include "testutil.h"

/* The default model as make builds it, in the build directory. */
static engrate_model *default_model(void)
{
    static char path[4096];
    const char *top = getenv("top_builddir");
    snprintf(path, sizeof path, "%s/models/jp-freelance.model", top && *top ? top : ".");
    engrate_error err;
    engrate_model *m = engrate_model_load(path, 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    return m;
}

static size_t input_of(const engrate_model *m, const char *id)
{
    size_t i = ENGRATE_NO_INDEX;
    ck_assert_int_eq(engrate_model_input_index(m, id, &i), 0);
    ck_assert_uint_ne(i, ENGRATE_NO_INDEX);
    return i;
}

/* One row of typed-skills.csv: "typed,level" (no quoting: no field has a comma). */
typedef struct row {
    char typed[256];
    char level[64];
} row;

enum { MAX_ROWS = 512 };

static size_t read_rows(row *rows)
{
    char *text = test_read(test_path("tests/data/names/typed-skills.csv"), NULL);
    ck_assert_ptr_nonnull(text);
    size_t n = 0;
    char *line = strtok(text, "\n");
    ck_assert_str_eq(line, "typed,level");
    while ((line = strtok(NULL, "\n")) != NULL) {
        char *comma = strrchr(line, ',');
        ck_assert_msg(comma && n < MAX_ROWS, "bad line '%s'", line);
        *comma = '\0';
        snprintf(rows[n].typed, sizeof rows[n].typed, "%s", line);
        snprintf(rows[n].level, sizeof rows[n].level, "%s", comma + 1);
        n++;
    }
    free(text);
    return n;
}

START_TEST(typed_skills_resolve)
{
    engrate_model *m = default_model();
    size_t skills = input_of(m, "skills");
    static row rows[MAX_ROWS];
    size_t n = read_rows(rows), found = 0;
    ck_assert_uint_ge(n, 62);
    for (size_t i = 0; i < n; i++) {
        size_t level = ENGRATE_NO_INDEX;
        unsigned flags = 0;
        int rc = engrate_model_find_level(m, skills, rows[i].typed, &level, &flags);
        const char *got = rc == 0 ? engrate_level_id(m, skills, level) : "(none)";
        if (rc == 0 && strcmp(got, rows[i].level) == 0)
            found++;
        else
            fprintf(stderr, "'%s': %s, not %s\n", rows[i].typed, got, rows[i].level);
    }
    ck_assert_msg(found == n, "%zu of %zu typed skills resolve", found, n);
    engrate_model_free(m);
}
END_TEST

/* All of them in one field, separated as people separate them: the query holds exactly
 * the levels of the list, each once, and nothing unknown. */
START_TEST(typed_skills_in_one_field)
{
    engrate_model *m = default_model();
    size_t skills = input_of(m, "skills");
    static row rows[MAX_ROWS];
    size_t n = read_rows(rows);
    static const char *const separators[] = {"、", ", ", "；", "，", ";", " , "};
    static char field[MAX_ROWS * 300];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(field + len, sizeof field - len, "%s%s", i ? separators[i % 6] : "",
                                rows[i].typed);
    ck_assert_uint_lt(len, sizeof field - 1);
    engrate_error err;
    engrate_query *q = engrate_query_new(m, &err);
    engrate_result *r = engrate_result_new(m, &err);
    unsigned flags = 99;
    ck_assert_int_eq(engrate_query_add_list(q, "skills", field, &flags, &err), 0);
    ck_assert_uint_eq(flags & (ENGRATE_NAME_UNKNOWN | ENGRATE_NAME_BLANK), 0);
    ck_assert_int_eq(engrate_estimate(q, ENGRATE_STRICT, r, &err), 0);
    /* the distinct levels of the list, in the breakdown once each */
    size_t distinct = 0, terms = 0;
    for (size_t i = 0; i < n; i++) {
        int first = 1;
        for (size_t j = 0; j < i; j++)
            first &= strcmp(rows[j].level, rows[i].level) != 0;
        distinct += first;
    }
    for (size_t k = 0; k < engrate_result_contribution_count(r); k++) {
        size_t level = engrate_result_contribution_level(r, k);
        if (engrate_result_contribution_input(r, k) != skills || level == ENGRATE_NO_INDEX)
            continue; /* another input, or the row that takes the typical skills out */
        const char *id = engrate_level_id(m, skills, level);
        int listed = 0;
        for (size_t i = 0; i < n; i++)
            listed |= strcmp(rows[i].level, id) == 0;
        ck_assert_msg(listed, "'%s' is not in the list", id);
        terms++;
    }
    ck_assert_uint_eq(terms, distinct);
    engrate_query_free(q);
    engrate_result_free(r);
    engrate_model_free(m);
}
END_TEST

/* "Did you mean" for kana and kanji: one code point off is one edit. */
START_TEST(katakana_near_misses)
{
    engrate_model *m = default_model();
    static const struct {
        const char *input, *typed, *level;
    } cases[] = {
        {"skills", "ジャバスクリプ", "javascript"},         /* a kana short */
        {"skills", "アマゾンウェブサービ", "aws"},
        {"skills", "ｱﾏｿﾞﾝｳｪﾌﾞｻｰﾋﾞ", "aws"},                /* the same, half-width */
        {"skills", "タイプスクリップト", "typescript"},     /* a kana too many */
        {"skills", "セールスホース", "salesforce"},         /* a kana wrong */
        {"role", "システムエンジニヤ", "se"},
        {"role", "ﾌﾟﾛｼﾞｪｸﾄﾏﾈｰｼﾞﾔｰ", "pm"},                 /* ヤ for ャ, half-width */
        {"certs", "基本情報技術者試", "ipa_fe"},           /* a kanji short */
        {"certs", "応用情報技術車試験", "ipa_ap"},         /* a kanji wrong */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t input = input_of(m, cases[k].input), level = ENGRATE_NO_INDEX;
        ck_assert_msg(engrate_model_find_level(m, input, cases[k].typed, NULL, NULL) ==
                          ENGRATE_E_UNKNOWN_NAME,
                      "'%s' is a name", cases[k].typed);
        ck_assert_msg(engrate_model_suggest(m, input, cases[k].typed, &level) == 0,
                      "no suggestion for '%s'", cases[k].typed);
        ck_assert_str_eq(engrate_level_id(m, input, level), cases[k].level);
    }
    /* too far: nothing */
    size_t level = 0;
    ck_assert_int_eq(engrate_model_suggest(m, input_of(m, "skills"), "ジャバスクリ", &level),
                     0); /* 2 of 6: within a third */
    ck_assert_int_eq(engrate_model_suggest(m, input_of(m, "skills"), "ヨガインストラクター",
                                           &level),
                     ENGRATE_E_UNKNOWN_NAME);
    ck_assert_uint_eq(level, ENGRATE_NO_INDEX);
    engrate_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("typed");
    TCase *tc = tcase_create("typed");
    tcase_add_test(tc, typed_skills_resolve);
    tcase_add_test(tc, typed_skills_in_one_field);
    tcase_add_test(tc, katakana_near_misses);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
