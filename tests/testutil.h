/* testutil.h: what the check suites (and the fuzz targets) share: finding test data
 * through $srcdir (so that `make distcheck`, which builds outside the source tree, finds
 * it), reading files, a UTF-8 check of their own, and generated data's random numbers. */
#ifndef ENGRATE_TESTUTIL_H
#define ENGRATE_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A uniform number in (0, 1) from *state (splitmix64): the same sequence on every
 * machine, so generated data and what is expected of it are too. */
static inline double test_unif(uint64_t *state)
{
    uint64_t x = *state += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return ((double)(x >> 11) + 0.5) * 0x1p-53;
}

/* $srcdir/rel, in a static buffer (tests are single-threaded where they call this). */
static inline const char *test_path(const char *rel)
{
    static char buf[4096];
    const char *src = getenv("srcdir");
    snprintf(buf, sizeof buf, "%s/%s", src && *src ? src : ".", rel);
    return buf;
}

/* The whole file, NUL-terminated, length in *len; NULL if it cannot be read. free() it. */
static inline char *test_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

/* 1 when s[0..n) is valid UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF),
 * checked here independently of the library's own validator. */
static inline int test_utf8_ok(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], len, cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, min = 0x10000;
        else
            return 0;
        if (n - i < len)
            return 0;
        cp = c & (0xFFu >> (len + 1));
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

#ifdef ENGRATE_H
/* The lookups that return a status and write an index (engrate.h), folded into one int for
 * assertions: the index found, or the negative code. A failure must also leave the index
 * ENGRATE_NO_INDEX and a success must write one; if not, the answer is -1000, which no
 * assertion expects. */
static inline int test_index_or_code(int rc, size_t index)
{
    if (rc < 0)
        return index == ENGRATE_NO_INDEX ? rc : -1000;
    return rc == 0 && index < 1000000 ? (int)index : -1000;
}

/* engrate_model_find_level; *aliased (when not NULL) set from ENGRATE_NAME_ALIASED. */
static inline int test_find(const engrate_model *m, size_t input, const char *name, int *aliased)
{
    size_t level = ENGRATE_NO_INDEX;
    unsigned flags = 0xdead;
    int rc = engrate_model_find_level(m, input, name, &level, &flags);
    if (aliased)
        *aliased = (flags & ENGRATE_NAME_ALIASED) != 0;
    return test_index_or_code(rc, level);
}

static inline int test_suggest(const engrate_model *m, size_t input, const char *name)
{
    size_t level = ENGRATE_NO_INDEX;
    int rc = engrate_model_suggest(m, input, name, &level);
    return test_index_or_code(rc, level);
}

static inline int test_input_index(const engrate_model *m, const char *id)
{
    size_t input = ENGRATE_NO_INDEX;
    int rc = engrate_model_input_index(m, id, &input);
    return test_index_or_code(rc, input);
}

/* engrate_fold_name: the folded length, or the negative code. */
static inline int test_fold(const char *name, char *buf, size_t cap)
{
    size_t len = 12345;
    int rc = engrate_fold_name(name, buf, cap, &len);
    if (rc < 0)
        return len == 0 ? rc : -1000;
    return rc == 0 && buf && len == strlen(buf) ? (int)len : -1000;
}
#endif

#ifdef CHECK_H
/* Run a suite with check's usual report; the exit status make check expects. */
static inline int test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
#endif

#endif
