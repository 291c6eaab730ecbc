/* check_names.c: name folding and matching (models/FORMAT.md, "Name matching"), with the
 * expected folded forms written out by hand from the rules, checked for every code point
 * against utf8proc's own whole-string NFKC_Casefold (a second method), the names people
 * type (tests/data/names) against the default model, and the work of the name index (it
 * links the library's pieces, to count that). */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS */
#include <check.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

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
    int n = test_fold(in, buf, sizeof buf);
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

/* Compatibility forms and case folding (Unicode's NFKC_Casefold), with the separators of
 * the ASCII rules still removed. */
START_TEST(folding_unicode)
{
    fold_is("ﾊﾟｲｿﾝ", "パイソン");               /* half-width katakana, voiced marks */
    fold_is("ｼｽﾃﾑｴﾝｼﾞﾆｱ", "システムエンジニア");
    fold_is("ﾌﾟﾛｼﾞｪｸﾄﾏﾈｰｼﾞｬｰ", "プロジェクトマネージャー"); /* ｰ is the long vowel mark */
    fold_is("ｱﾏｿﾞﾝ･ｳｪﾌﾞ･ｻｰﾋﾞｽ", "アマゾンウェブサービス"); /* ･ U+FF65 is ・ */
    fold_is("ハ\xe3\x82\x9b", "バ");   /* ゛ U+309B is a space and a mark: they compose */
    fold_is("①②", "12");                     /* circled digits */
    fold_is("Ⓐⓦⓢ", "aws");                    /* circled letters, upper and lower */
    fold_is("㈱", "(株)");
    fold_is("㍿", "株式会社");
    fold_is("Ⅸ", "ix");                        /* a Roman numeral */
    fold_is("ﬁle", "file");                     /* a ligature */
    fold_is("Straße", "strasse");               /* full case folding: ß is ss */
    fold_is("STRASSE", "strasse");
    fold_is("ΟΔΥΣΣΕΥΣ", "οδυσσευσ");            /* Greek capitals */
    fold_is("Ｃ＋＋", "c++");
    fold_is("Ｃ＃", "c#");
    fold_is("e\xcc\x81", "\xc3\xa9");            /* e and U+0301 compose: é */
    fold_is("E\xcc\x81", "\xc3\xa9");
    fold_is("Ja\xe2\x80\x8bva", "java");          /* zero-width space: ignorable */
    fold_is("Ja\xc2\xad" "va", "java");               /* soft hyphen: ignorable */
    fold_is("a\xe2\x80\x83" "b\xe1\x9a\x80" "c\xe2\x80\xa8" "d", "abcd"); /* em space, ogham, U+2028 */
    fold_is("a\xc2\xa0" "b", "ab");                   /* no-break space */
    fold_is("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", "한"); /* conjoining jamo compose */
    fold_is("한국어", "한국어");
    fold_is("ぱいそん", "ぱいそん");             /* hiragana is not katakana */
    fold_is("マネジャー", "マネジャー");         /* the long vowel mark stays */
    fold_is("〜", "〜");
}
END_TEST

/* Whether folding drops code point c, by models/FORMAT.md's list: written out here, not
 * taken from the library. */
static int separator(utf8proc_int32_t c)
{
    if (c < 0x80)
        return strchr(" \t\n\v\f\r-_./", (int)c) != NULL && c != 0;
    utf8proc_category_t k = utf8proc_category(c);
    return c == 0x30FB || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 ||
           k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP;
}

/* s with the separators taken out. */
static void drop_separators(char *s)
{
    char *o = s;
    for (const char *p = s; *p;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)p, -1, &c);
        if (n <= 0)
            ck_abort_msg("utf8proc gave invalid UTF-8: '%s'", s);
        if (!separator(c)) {
            memmove(o, p, (size_t)n);
            o += n;
        }
        p += n;
    }
    *o = '\0';
}

/* Every code point, alone: folded as utf8proc_NFKC_Casefold folds a whole string (its own
 * decomposition, ordering and composition, where the library folds a character at a
 * time), separators dropped; and folding the folded form again changes nothing, alone and
 * after a letter, before a combining mark (where composition could change it).
 * ENGRATE_TEST_LIGHT (valgrind): every 61st code point. */
START_TEST(folding_agrees_with_nfkc_casefold)
{
    /* Plain tests in the loop, ck_abort_msg only on a failure: every ck_assert writes to
     * check's pipe, a million times over. */
    const char *light = getenv("ENGRATE_TEST_LIGHT");
    utf8proc_int32_t step = light && *light && strcmp(light, "0") != 0 ? 61 : 1;
    char in[16], ctx[32], folded[128], again[128];
    for (utf8proc_int32_t c = 1; c <= 0x10FFFF; c += step) {
        if (c >= 0xD800 && c <= 0xDFFF)
            continue;
        utf8proc_ssize_t n = utf8proc_encode_char(c, (utf8proc_uint8_t *)in);
        in[n] = '\0';
        size_t len = 0;
        if (engrate_fold_name(in, folded, sizeof folded, &len) != 0 || len != strlen(folded))
            ck_abort_msg("U+%04X: not folded", (unsigned)c);
        utf8proc_uint8_t *ref = utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)in);
        if (!ref)
            ck_abort_msg("U+%04X: utf8proc failed", (unsigned)c);
        drop_separators((char *)ref);
        if (strcmp((const char *)ref, folded) != 0)
            ck_abort_msg("U+%04X: '%s', NFKC_Casefold '%s'", (unsigned)c, folded, ref);
        free(ref);
        if (engrate_fold_name(folded, again, sizeof again, NULL) != 0 || strcmp(again, folded))
            ck_abort_msg("U+%04X: folded twice '%s', once '%s'", (unsigned)c, again, folded);
        snprintf(ctx, sizeof ctx, "e%s\xcc\x81", in); /* after a letter, before U+0301 */
        if (engrate_fold_name(ctx, folded, sizeof folded, NULL) != 0 ||
            engrate_fold_name(folded, again, sizeof again, NULL) != 0 || strcmp(again, folded))
            ck_abort_msg("e U+%04X U+0301: twice '%s', once '%s'", (unsigned)c, again, folded);
    }
}
END_TEST

START_TEST(folding_errors)
{
    char buf[8];
    size_t len = 99;
    ck_assert_int_eq(engrate_fold_name("abc", buf, sizeof buf, &len), 0);
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(engrate_fold_name("\xff", buf, sizeof buf, &len), ENGRATE_E_UTF8);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(test_fold("\xff", buf, sizeof buf), ENGRATE_E_UTF8);
    ck_assert_int_eq(test_fold("a\xe3\x81", buf, sizeof buf), ENGRATE_E_UTF8);
    ck_assert_int_eq(test_fold("\xed\xa0\x80", buf, sizeof buf), ENGRATE_E_UTF8);
    ck_assert_int_eq(test_fold("abcdefghij", buf, sizeof buf), ENGRATE_E_LIMIT);
    ck_assert_int_eq(test_fold(NULL, buf, sizeof buf), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_fold("a", NULL, 4), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_fold("a", buf, 0), ENGRATE_E_INVALID);
}
END_TEST

START_TEST(levels_found_by_id_name_and_alias)
{
    engrate_model *m = example();
    int role = test_input_index(m, "role");
    int skills = test_input_index(m, "skills");
    int certs = test_input_index(m, "certs");
    int aliased = -1;
    ck_assert_int_eq(test_find(m, (size_t)role, "PM", &aliased), 0);
    ck_assert_int_eq(aliased, 0); /* the id, folded */
    ck_assert_int_eq(test_find(m, (size_t)role, "プロマネ", &aliased), 0);
    ck_assert_int_eq(aliased, 1);
    ck_assert_int_eq(test_find(m, (size_t)role, "Project Manager", &aliased), 0);
    ck_assert_int_eq(aliased, 1);
    ck_assert_int_eq(test_find(m, (size_t)role, "プロジェクトマネジャー", NULL), 0);
    ck_assert_int_eq(test_find(m, (size_t)role, "ＰＭＯ", NULL), 1);
    ck_assert_int_eq(test_find(m, (size_t)skills, "CPP", NULL), 3);
    ck_assert_int_eq(test_find(m, (size_t)skills, "c++", NULL), 3);
    ck_assert_int_eq(test_find(m, (size_t)skills, "C#", NULL), 4);
    ck_assert_int_eq(test_find(m, (size_t)skills, "c", NULL),
                     ENGRATE_E_UNKNOWN_NAME);
    /* names belong to their input: PMP is a cert, not a skill */
    ck_assert_int_eq(test_find(m, (size_t)certs, "pmp", NULL), 0);
    ck_assert_int_eq(test_find(m, (size_t)skills, "pmp", NULL),
                     ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_find(m, (size_t)role, "\xc3\x28", NULL),
                     ENGRATE_E_UTF8);
    ck_assert_int_eq(test_find(m, 99, "pm", NULL), ENGRATE_E_INVALID);
    ck_assert_int_eq(test_find(m, (size_t)role, NULL, NULL), ENGRATE_E_INVALID);
    /* a name far longer than any the model can hold is unknown, not an error */
    char *huge = malloc(1 << 20);
    memset(huge, 'a', (1 << 20) - 1);
    huge[(1 << 20) - 1] = '\0';
    ck_assert_int_eq(test_find(m, (size_t)role, huge, NULL),
                     ENGRATE_E_UNKNOWN_NAME);
    huge[5000] = '\xff';
    ck_assert_int_eq(test_find(m, (size_t)role, huge, NULL), ENGRATE_E_UTF8);
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
            ck_assert_int_ge(test_fold(names[0], id_folded, sizeof id_folded), 0);
            for (size_t i = 0; i < nn; i++) {
                char spelled[8][600];
                size_t ns = respell(names[i], spelled);
                for (size_t j = 0; j < ns; j++) {
                    int aliased = -1;
                    int got = test_find(m, in, spelled[j], &aliased);
                    ck_assert_msg(got == (int)l, "'%s' (input %zu): %d, not level %zu",
                                  spelled[j], in, got, l);
                    ck_assert_int_ge(test_fold(spelled[j], folded, sizeof folded), 0);
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
            ck_assert_msg(test_find(m, skills, name, NULL) ==
                              ENGRATE_E_UNKNOWN_NAME,
                          "'%s' found", name);
        }
        snprintf(name, sizeof name, "%sq", engrate_level_id(m, skills, l));
        ck_assert_int_eq(test_find(m, skills, name, NULL),
                         ENGRATE_E_UNKNOWN_NAME);
        snprintf(name, sizeof name, "%s", engrate_level_id(m, skills, l) + 1);
        if (len > 1)
            ck_assert_int_eq(test_find(m, skills, name, NULL),
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
            ck_assert_int_eq(test_find(m, 0, name, NULL), (int)l);
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
        ck_assert_int_eq(test_find(m, 0, name, &aliased), l);
        ck_assert_int_eq(aliased, 0);
        snprintf(name, sizeof name, "S %d", l); /* folds to the id */
        ck_assert_int_eq(test_find(m, 0, name, &aliased), l);
        ck_assert_int_eq(aliased, 0);
        for (int a = 0; a < ALIASES; a += ALIASES - 1) {
            snprintf(name, sizeof name, "A%d-x%d", l, a);
            ck_assert_int_eq(test_find(m, 0, name, &aliased), l);
            ck_assert_int_eq(aliased, 1);
            snprintf(name, sizeof name, "a %d X %d", l, a);
            ck_assert_int_eq(test_find(m, 0, name, &aliased), l);
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

/* Names that fold alike are one name: a second level cannot have it, and the error says
 * what both fold to, at the line of the second. */
START_TEST(names_that_fold_alike_collide)
{
    static const struct {
        const char *first, *second, *folded;
    } cases[] = {
        {"パイソン", "ﾊﾟｲｿﾝ", "パイソン"},
        {"Straße", "STRASSE", "strasse"},
        {"AWS SAA", "ＡＷＳ・ＳＡＡ", "awssaa"},
        {"①", "1", "1"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[1024];
        size_t n = skills_model_head(text, sizeof text, "collide", 2);
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "[level a]\ncoef = 0\nalias = %s\n[level b]\ncoef = 0\nalias = %s\n",
                              cases[k].first, cases[k].second);
        engrate_error err;
        engrate_model *m = engrate_model_load_buffer(text, n, "collide", 0, &err);
        ck_assert_ptr_null(m);
        ck_assert_int_eq(err.code, ENGRATE_E_DUPLICATE);
        ck_assert_int_eq(err.line, 20);
        char want[256];
        snprintf(want, sizeof want,
                 "collide:20:9: '%s' is already a name of level 'a' of input 'skills' "
                 "(both fold to '%s')",
                 cases[k].second, cases[k].folded);
        ck_assert_str_eq(err.text, want);
    }
}
END_TEST

START_TEST(suggestions)
{
    engrate_model *m = example();
    size_t role = (size_t)test_input_index(m, "role");
    size_t skills = (size_t)test_input_index(m, "skills");
    ck_assert_int_eq(test_suggest(m, skills, "Jva"), 0);        /* one deletion */
    ck_assert_int_eq(test_suggest(m, skills, "pyhton"), 1);     /* a swap: 2 edits */
    ck_assert_int_eq(test_suggest(m, role, "pgg"), 3);          /* pg: 1 edit */
    ck_assert_int_eq(test_suggest(m, role, "pmx"), 0); /* pm and pmo tie: lower */
    ck_assert_int_eq(test_suggest(m, role, "プロマネー"), 0);    /* alias + 1 */
    ck_assert_int_eq(test_suggest(m, skills, "cobol"), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_suggest(m, skills, ""), ENGRATE_E_UNKNOWN_NAME);
    ck_assert_int_eq(test_suggest(m, 3, "x"), ENGRATE_E_INVALID); /* numeric */
    engrate_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("names");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, folding_rules);
    tcase_add_test(tc, folding_unicode);
    tcase_add_test(tc, folding_agrees_with_nfkc_casefold);
    tcase_add_test(tc, folding_errors);
    tcase_add_test(tc, levels_found_by_id_name_and_alias);
    tcase_add_test(tc, every_spelling_finds_its_level);
    tcase_add_test(tc, names_at_the_end_of_memory);
    tcase_add_test(tc, more_names_than_kept_as_written);
    tcase_add_test(tc, index_work_per_name_does_not_grow);
    tcase_add_test(tc, names_that_fold_alike_collide);
    tcase_add_test(tc, suggestions);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
