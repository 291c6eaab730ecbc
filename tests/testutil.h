/* testutil.h: what the check suites share: finding test data through $srcdir (so that
 * `make distcheck`, which builds outside the source tree, finds it) and reading files. */
#ifndef ENGRATE_TESTUTIL_H
#define ENGRATE_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
