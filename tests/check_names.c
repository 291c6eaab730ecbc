/* check_names.c: name folding and matching (models/FORMAT.md, "Name matching"), with the
 * expected folded forms written out by hand from the rules, and the work of the name
 * index (it links the library's pieces, to count that). */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS */
#include <check.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <engrate.h>

#include "internal.h" /* er_index_probes */
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

/* The start of a model named `name` with one set input, skills, of `levels` levels, which
 * the caller writes after it; the length written. */
static size_t skills_model_head(char *text, size_t cap, const char *name, int levels)
{
    return (size_t)snprintf(text, cap,
                            "engrate-model 1\n"
                            "[model]\nname = %s\ncurrency = JPY\nperiod = month\n"
                            "transform = log\nintercept = 13\n"
                            "[interval]\nlevel = 0.8\nlow = -0.2\nhigh = 0.2\n"
                            "[input skills]\nkind = set\nlevels = %d\n",
                            name, levels);
}

/* A model whose skill ids have every length from 1 to 44 bytes (a name is read 8 bytes at
 * a time, so every length of a last, short word), with separators inside, and for each a
 * display name that folds to the id and an alias that does not. */
#define SPELL_LEVELS 44
static engrate_model *spellings_model(void)
{
    size_t cap = 64 * 1024, n = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    n += skills_model_head(text, cap, "spellings", SPELL_LEVELS);
    for (int len = 1; len <= SPELL_LEVELS; len++) {
        char id[64], shown[128];
        /* The first two bytes say the length, so no two ids fold alike. */
        for (int i = 0; i < len; i++)
            id[i] = i == 0 ? (char)('a' + len % 26) : i == 1 ? (char)('a' + len / 26)
                    : i % 5 == 3 ? '_' : i % 7 == 4 ? '.' : (char)('a' + (i * 7 + len) % 26);
        id[len] = '\0';
        /* The id in capitals with its separators as spaces: the same level, not aliased. */
        size_t k = 0;
        for (int i = 0; i < len; i++)
            shown[k++] = id[i] == '_' || id[i] == '.' ? ' ' : (char)(id[i] - 'a' + 'A');
        shown[k] = '\0';
        n += (size_t)snprintf(text + n, cap - n,
                              "[level %s]\ncoef = 0.01\nname.en = %s\nalias = スキル-%s\n", id,
                              shown, id);
    }
    engrate_error err;
    engrate_model *m = engrate_model_load_buffer(text, n, "spellings", 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    free(text);
    return m;
}

/* Respellings of name that fold to the same key: capitals, blanks and hyphens added,
 * full-width forms. */
static size_t respell(const char *name, char out[][600])
{
    size_t n = 0, len = strlen(name);
    snprintf(out[n++], 600, "%s", name);
    char *o = out[n++];
    for (size_t i = 0; i <= len; i++)
        o[i] = name[i] >= 'a' && name[i] <= 'z' ? (char)(name[i] - 'a' + 'A') : name[i];
    snprintf(out[n++], 600, " %s-", name);
    size_t mid = len / 2;
    while (mid > 0 && ((unsigned char)name[mid] & 0xC0) == 0x80) /* not inside a character */
        mid--;
    snprintf(out[n++], 600, "%.*s - %s", (int)mid, name, name + mid);
    o = out[n++];
    size_t k = 0;
    for (size_t i = 0; i < len && k + 4 < 600; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c > 0x20 && c < 0x7f) { /* U+FF01..U+FF5E: EF BC 81.. / EF BD 80.. */
            unsigned cp = 0xFEE0u + c;
            o[k++] = (char)0xEF;
            o[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            o[k++] = (char)(0x80 | (cp & 0x3F));
        } else {
            o[k++] = (char)c;
        }
    }
    o[k] = '\0';
    return n;
}

/* Every id, display name and alias of every level, and respellings of each, find that
 * level; aliased is set exactly when the name's folded form is not the id's. Whether a
 * lookup takes the name as given or folds it first is the library's affair: the answer
 * must be the same. */
static void check_every_spelling(const engrate_model *m)
{
    for (size_t in = 0; in < engrate_model_input_count(m); in++) {
        if (engrate_input_kind(m, in) == ENGRATE_NUMERIC)
            continue;
        for (size_t l = 0; l < engrate_input_level_count(m, in); l++) {
            const char *names[2 + 64];
            size_t nn = 0;
            names[nn++] = engrate_level_id(m, in, l);
            names[nn++] = engrate_level_name(m, in, l, "en");
            for (size_t a = 0; a < engrate_level_alias_count(m, in, l) && nn < 66; a++)
                names[nn++] = engrate_level_alias(m, in, l, a);
            char id_folded[600], folded[600];
            ck_assert_int_ge(engrate_fold_name(names[0], id_folded, sizeof id_folded), 0);
            for (size_t i = 0; i < nn; i++) {
                char spelled[8][600];
                size_t ns = respell(names[i], spelled);
                for (size_t j = 0; j < ns; j++) {
                    int aliased = -1;
                    int got = engrate_model_find_level(m, in, spelled[j], &aliased);
                    ck_assert_msg(got == (int)l, "'%s' (input %zu): %d, not level %zu",
                                  spelled[j], in, got, l);
                    ck_assert_int_ge(engrate_fold_name(spelled[j], folded, sizeof folded), 0);
                    ck_assert_msg(aliased == (strcmp(folded, id_folded) != 0),
                                  "'%s': aliased %d", spelled[j], aliased);
                }
            }
        }
    }
}

START_TEST(every_spelling_finds_its_level)
{
    engrate_model *m = example();
    check_every_spelling(m);
    engrate_model_free(m);
    m = spellings_model();
    check_every_spelling(m);
    /* Near misses of each length are unknown: a letter changed (in each place after the
     * two that say the length), one added, one dropped. */
    size_t skills = 0;
    for (size_t l = 0; l < SPELL_LEVELS; l++) {
        char name[128];
        size_t len = strlen(engrate_level_id(m, skills, l));
        for (size_t i = 2; i < len; i++) {
            snprintf(name, sizeof name, "%s", engrate_level_id(m, skills, l));
            if (name[i] == '_' || name[i] == '.')
                continue;
            name[i] = name[i] == 'z' ? 'y' : 'z';
            ck_assert_msg(engrate_model_find_level(m, skills, name, NULL) ==
                              ENGRATE_E_UNKNOWN_NAME,
                          "'%s' found", name);
        }
        snprintf(name, sizeof name, "%sq", engrate_level_id(m, skills, l));
        ck_assert_int_eq(engrate_model_find_level(m, skills, name, NULL),
                         ENGRATE_E_UNKNOWN_NAME);
        snprintf(name, sizeof name, "%s", engrate_level_id(m, skills, l) + 1);
        if (len > 1)
            ck_assert_int_eq(engrate_model_find_level(m, skills, name, NULL),
                             ENGRATE_E_UNKNOWN_NAME);
    }
    engrate_model_free(m);
}
END_TEST

/* A name that ends where readable memory ends is read up to its NUL and no further
 * (a lookup reads names a word at a time): the page after it is made unreadable. */
START_TEST(names_at_the_end_of_memory)
{
    engrate_model *m = spellings_model();
    long page = sysconf(_SC_PAGESIZE);
    ck_assert_int_gt(page, 0);
    char *mem = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(mem, MAP_FAILED);
    ck_assert_int_eq(mprotect(mem + page, (size_t)page, PROT_NONE), 0);
    engrate_error err;
    engrate_result *r = engrate_result_new(m, &err);
    ck_assert_ptr_nonnull(r);
    for (size_t l = 0; l < SPELL_LEVELS; l++) {
        for (int variant = 0; variant < 2; variant++) {
            const char *src = variant == 0 ? engrate_level_id(m, 0, l)
                                           : engrate_level_name(m, 0, l, "en");
            size_t len = strlen(src);
            char *name = mem + page - (len + 1);
            memcpy(name, src, len + 1);
            ck_assert_int_eq(engrate_model_find_level(m, 0, name, NULL), (int)l);
            const char *skills[] = {name};
            ck_assert_int_eq(engrate_estimate_profile(m, NULL, skills, 1, NULL, 0, NULL, 0, r,
                                                      &err),
                             0);
            ck_assert_int_eq(engrate_result_contribution_level(r, 1), (int)l);
        }
    }
    engrate_result_free(r);
    munmap(mem, 2 * (size_t)page);
    engrate_model_free(m);
}
END_TEST

/* A model with more names than the index keeps as written (it drops them before it grows
 * past 2^20 slots: lib/internal.h, ER_RAW_KEYS_MAX_SLOTS; here 5,000 levels of 62 names,
 * each changed by folding, would make 620,000 keys) finds all of them, as written and
 * respelled, through folding.
 * Skipped when ENGRATE_TEST_LIGHT is set (under valgrind). */
START_TEST(more_names_than_kept_as_written)
{
    const char *light = getenv("ENGRATE_TEST_LIGHT");
    if (light && *light && strcmp(light, "0") != 0)
        return;
    enum { LEVELS = 5000, ALIASES = 60 };
    size_t cap = (size_t)LEVELS * ALIASES * 20 + 4096, n = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    n += skills_model_head(text, cap, "many", LEVELS);
    for (int l = 0; l < LEVELS; l++) {
        n += (size_t)snprintf(text + n, cap - n, "[level s_%d]\ncoef = 0\nname.en = S %d\n", l,
                              l);
        for (int a = 0; a < ALIASES; a++)
            n += (size_t)snprintf(text + n, cap - n, "alias = A%d-x%d\n", l, a);
    }
    ck_assert_uint_lt(n, cap);
    engrate_error err;
    engrate_model *m = engrate_model_load_buffer(text, n, "many", 0, &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    free(text);
    const int probe[] = {0, 1, LEVELS / 2, LEVELS - 1};
    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
        int l = probe[i], aliased = -1;
        char name[64];
        snprintf(name, sizeof name, "s_%d", l);
        ck_assert_int_eq(engrate_model_find_level(m, 0, name, &aliased), l);
        ck_assert_int_eq(aliased, 0);
        snprintf(name, sizeof name, "S %d", l); /* folds to the id */
        ck_assert_int_eq(engrate_model_find_level(m, 0, name, &aliased), l);
        ck_assert_int_eq(aliased, 0);
        for (int a = 0; a < ALIASES; a += ALIASES - 1) {
            snprintf(name, sizeof name, "A%d-x%d", l, a);
            ck_assert_int_eq(engrate_model_find_level(m, 0, name, &aliased), l);
            ck_assert_int_eq(aliased, 1);
            snprintf(name, sizeof name, "a %d X %d", l, a);
            ck_assert_int_eq(engrate_model_find_level(m, 0, name, &aliased), l);
            ck_assert_int_eq(aliased, 1);
        }
    }
    engrate_model_free(m);
}
END_TEST

/* The index's work per name does not grow with the model. With linear probing in a table
 * at most half full, finding a key visits (1 + 1/(1 - 1/2)) / 2 = 1.5 slots on average
 * at worst, whatever the number of keys, unless the hash clusters the keys or someone who
 * knows it aims them (the key is drawn per model: docs/hardening.md, "Hash flooding").
 * This counts it exactly (er_index_probes) for 1,000 to 100,000 levels of three names
 * each, in place of the time a load takes, which a busy machine can stretch at will (the
 * times are bench/engrate-bench's: docs/performance.md). */
START_TEST(index_work_per_name_does_not_grow)
{
    const char *light = getenv("ENGRATE_TEST_LIGHT");
    int max_levels = light && *light && strcmp(light, "0") != 0 ? 10000 : 100000;
    for (int levels = 1000; levels <= max_levels; levels *= 10) {
        size_t cap = (size_t)levels * 80 + 4096, n = 0;
        char *text = malloc(cap);
        ck_assert_ptr_nonnull(text);
        n += skills_model_head(text, cap, "index", levels);
        for (int l = 0; l < levels; l++)
            n += (size_t)snprintf(text + n, cap - n,
                                  "[level s_%d]\ncoef = 0\nname.en = Skill %d\nalias = alias %d\n",
                                  l, l, l);
        ck_assert_uint_lt(n, cap);
        engrate_error err;
        engrate_model *m = engrate_model_load_buffer(text, n, "index", 0, &err);
        ck_assert_msg(m != NULL, "%s", err.text);
        free(text);
        size_t keys, probes = er_index_probes(m, &keys);
        /* each name folded, and (while the index is small) as written when that differs */
        ck_assert_uint_ge(keys, 3 * (size_t)levels);
        double mean = (double)probes / (double)keys;
        ck_assert_msg(mean >= 1 && mean <= 2, "%d levels: %.3f slots per key", levels, mean);
        engrate_model_free(m);
    }
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
    tcase_add_test(tc, every_spelling_finds_its_level);
    tcase_add_test(tc, names_at_the_end_of_memory);
    tcase_add_test(tc, more_names_than_kept_as_written);
    tcase_add_test(tc, index_work_per_name_does_not_grow);
    tcase_add_test(tc, suggestions);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
