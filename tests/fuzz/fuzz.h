/* fuzz.h: what the fuzz targets share: a check that aborts with a message (so libFuzzer,
 * or the replay driver under make check, reports the input that broke an invariant) and
 * the invariants every failed load or call must keep. Test code only: the library itself
 * never aborts. */
#ifndef ENGRATE_FUZZ_H
#define ENGRATE_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <engrate.h>

#include "../testutil.h" /* test_utf8_ok */

#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                       \
        }                                                                                  \
    } while (0)


/* A failure's engrate_error: a negative code, NUL-terminated UTF-8 source and text, a
 * message that is not empty, line and column not negative and a column only with a line. */
static inline void fuzz_check_error(const engrate_error *err, int rc)
{
    FUZZ_CHECK(err->code < 0);
    FUZZ_CHECK(rc == 0 || rc == err->code);
    FUZZ_CHECK(memchr(err->text, '\0', sizeof err->text) != NULL);
    FUZZ_CHECK(memchr(err->source, '\0', sizeof err->source) != NULL);
    FUZZ_CHECK(err->text[0] != '\0');
    FUZZ_CHECK(test_utf8_ok(err->text, strlen(err->text)));
    FUZZ_CHECK(test_utf8_ok(err->source, strlen(err->source)));
    FUZZ_CHECK(err->line >= 0 && err->column >= 0);
    FUZZ_CHECK(err->line > 0 || err->column == 0);
    FUZZ_CHECK(strcmp(engrate_strerror(err->code), "unknown error code") != 0);
}

/* The line and column of a load error point into the data: the line exists and the column
 * is at most one past its last byte. */
static inline void fuzz_check_position(const uint8_t *data, size_t size,
                                       const engrate_error *err)
{
    if (err->line == 0)
        return;
    size_t start = 0;
    int line = 1;
    while (line < err->line) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        FUZZ_CHECK(nl != NULL); /* the line exists */
        start = (size_t)(nl - data) + 1;
        line++;
    }
    const uint8_t *nl = memchr(data + start, '\n', size - start);
    size_t len = nl ? (size_t)(nl - data) - start : size - start;
    FUZZ_CHECK((size_t)err->column <= len + 1);
}

#endif
