/* check_names.c: name folding and matching (models/FORMAT.md, "Name matching"), with the
 * expected folded forms written out by hand from the rules. */
#include <check.h>

#include <engrate.h>

#include "testutil.h"

static engrate_model *example(void)
{
    engrate_error err;
    engrate_model *m = engrate_model_load(test_path("models/example.model"), 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    return m;
}

static void fold_is(const char *in, const char *want)
{
    char buf[512];
    int n = engrate_fold_name(in, buf, sizeof buf);
    ck_assert_msg(n >= 0, "'%s' failed: %d", in, n);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(n, (int)strlen(want));
}

START_TEST(folding_rules)
{
    fold_is("PMP", "pmp");
    fold_is("ＰＭＰ", "pmp");                  /* full-width letters */
    fold_is("ＡＷＳ　ＳＡＡ", "awssaa");        /* full-width with ideographic space */
    fold_is("  Node.js ", "nodejs");
    fold_is("node js", "nodejs");
    fold_is("Objective-C", "objectivec");
    fold_is("ruby_on_rails", "rubyonrails");
    fold_is("CI/CD", "cicd");
    fold_is("C++", "c++");
    fold_is("C#", "c#");
    fold_is("Ｃ＋＋", "c++");                  /* full-width plus signs */
    fold_is("プロジェクト・マネージャー", "プロジェクトマネージャー"); /* middle dot dropped */
    fold_is("プロジェクトマネージャー", "プロジェクトマネージャー");   /* long vowel kept */
    fold_is("ＰＭＯ‐サポート", "pmoサポート");  /* U+2010 hyphen dropped */
    fold_is("A−B", "ab");                      /* U+2212 minus dropped */
    fold_is("", "");
}
END_TEST

START_TEST(folding_errors)
{
    char buf[8];
    ck_assert_int_eq(engrate_fold_name("\xff", buf, sizeof buf), ENGRATE_E_UTF8);
    ck_assert_int_eq(engrate_fold_name("a\xe3\x81", buf, sizeof buf), ENGRATE_E_UTF8);
    ck_assert_int_eq(engrate_fold_name("\xed\xa0\x80", buf, sizeof buf), ENGRATE_E_UTF8);
    ck_assert_int_eq(engrate_fold_name("abcdefghij", buf, sizeof buf), ENGRATE_E_LIMIT);
    ck_assert_int_eq(engrate_fold_name(NULL, buf, sizeof buf), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_fold_name("a", NULL, 4), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_fold_name("a", buf, 0), ENGRATE_E_INVALID);
}
END_TEST

START_TEST(levels_found_by_id_name_and_alias)
{
    engrate_model *m = example();
    int role = engrate_model_input_index(m, "role");
    int skills = engrate_model_input_index(m, "skills");
    int certs = engrate_model_input_index(m, "certs");
    int aliased = -1;
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)role, "PM", &aliased), 0);
    ck_assert_int_eq(aliased, 0); /* the id, folded */
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)role, "プロマネ", &aliased), 0);
    ck_assert_int_eq(aliased, 1);
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)role, "Project Manager", &aliased), 0);
    ck_assert_int_eq(aliased, 1);
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)role, "プロジェクトマネジャー", NULL), 0);
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)role, "ＰＭＯ", NULL), 1);
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)skills, "CPP", NULL), 3);
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)skills, "c++", NULL), 3);
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)skills, "C#", NULL), 4);
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)skills, "c", NULL),
                     ENGRATE_E_UNKNOWN_NAME);
    /* names belong to their input: PMP is a cert, not a skill */
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)certs, "pmp", NULL), 0);
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)skills, "pmp", NULL),
                     ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)role, "\xc3\x28", NULL),
                     ENGRATE_E_UTF8);
    ck_assert_int_eq(engrate_model_find_level(m, 99, "pm", NULL), ENGRATE_E_INVALID);
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)role, NULL, NULL), ENGRATE_E_INVALID);
    /* a name far longer than any the model can hold is unknown, not an error */
    char *huge = malloc(1 << 20);
    memset(huge, 'a', (1 << 20) - 1);
    huge[(1 << 20) - 1] = '\0';
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)role, huge, NULL),
                     ENGRATE_E_UNKNOWN_NAME);
    huge[5000] = '\xff';
    ck_assert_int_eq(engrate_model_find_level(m, (size_t)role, huge, NULL), ENGRATE_E_UTF8);
    free(huge);
    engrate_model_free(m);
}
END_TEST

START_TEST(suggestions)
{
    engrate_model *m = example();
    size_t role = (size_t)engrate_model_input_index(m, "role");
    size_t skills = (size_t)engrate_model_input_index(m, "skills");
    ck_assert_int_eq(engrate_model_suggest(m, skills, "Jva"), 0);        /* one deletion */
    ck_assert_int_eq(engrate_model_suggest(m, skills, "pyhton"), 1);     /* a swap: 2 edits */
    ck_assert_int_eq(engrate_model_suggest(m, role, "pgg"), 3);          /* pg: 1 edit */
    ck_assert_int_eq(engrate_model_suggest(m, role, "pmx"), 0); /* pm and pmo tie: lower */
    ck_assert_int_eq(engrate_model_suggest(m, role, "プロマネー"), 0);    /* alias + 1 */
    ck_assert_int_eq(engrate_model_suggest(m, skills, "cobol"), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(engrate_model_suggest(m, skills, ""), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(engrate_model_suggest(m, 3, "x"), ENGRATE_E_INVALID); /* numeric */
    engrate_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, folding_rules);
    tcase_add_test(tc, folding_errors);
    tcase_add_test(tc, levels_found_by_id_name_and_alias);
    tcase_add_test(tc, suggestions);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
