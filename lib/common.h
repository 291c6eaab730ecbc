/* common.h: what both libraries share, compiled once into each (lib/util.c, lib/file.c):
 * the limits of the model format, error reporting, the memory pool, UTF-8 validation,
 * locale-independent numbers, atomic file writes and the format's vocabulary. libengrate
 * builds on it with its model (internal.h); libengrate-train builds on it and on
 * libengrate's public interface only, so the trainer cannot reach into a model. */
#ifndef ENGRATE_COMMON_H
#define ENGRATE_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "engrate.h"

#define ER_HIDDEN __attribute__((visibility("hidden")))

/* ---- Limits (documented in models/FORMAT.md, "Limits") ----------------------------- */
#define ER_MAX_FILE_BYTES (64u << 20)   /* a model file                               */
#define ER_MAX_LINE_BYTES 4096          /* one line, without its line ending          */
#define ER_MAX_ID_BYTES 64              /* input and level ids                        */
#define ER_MAX_NAME_BYTES 256           /* display names, labels, aliases             */
#define ER_MAX_FOLDED_BYTES 1024        /* a name folded (compatibility forms expand) */
#define ER_MAX_INPUTS 64
#define ER_MAX_LEVELS 100000            /* levels of one input                        */
#define ER_MAX_TOTAL_LEVELS 1000000     /* levels of all inputs                       */
#define ER_MAX_TOTAL_NAMES 2000000      /* ids, display names and aliases of all levels */
#define ER_MAX_ALIASES 64               /* aliases of one level                       */
#define ER_MAX_LANGS 16                 /* display names (languages) of one level     */
#define ER_MAX_KNOTS 64
#define ER_MAX_SOURCES 256
#define ER_MAX_ABS_NUMERIC 1e300        /* numeric ranges, knots, defaults: so that   */
                                        /* x - knot and max - min stay finite         */

/* ---- Errors ------------------------------------------------------------------------ */

/* Fill err (if not NULL and not already holding an error) and return code. The message is
 * formatted as "source:line:col: text" (parts that are 0/NULL left out). */
ER_HIDDEN int er_error(engrate_error *err, int code, const char *source, int line, int col,
                       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
ER_HIDDEN int er_verror(engrate_error *err, int code, const char *source, int line, int col,
                        const char *fmt, va_list ap);
/* Clear err to "no error" (done at the start of each public call that takes one). */
ER_HIDDEN void er_error_clear(engrate_error *err);

/* ---- Pool: one owner for a model's strings and arrays ------------------------------ */

typedef struct er_pool_chunk er_pool_chunk;
typedef struct er_pool {
    er_pool_chunk *head;
} er_pool;

ER_HIDDEN void *er_pool_alloc(er_pool *pool, size_t size); /* zeroed, aligned; NULL: no mem */
ER_HIDDEN char *er_pool_strndup(er_pool *pool, const char *s, size_t n);
ER_HIDDEN void er_pool_free(er_pool *pool);

/* ---- Text ------------------------------------------------------------------------- */

/* Length of the valid UTF-8 prefix of s[0..n): n when all of it is valid. */
ER_HIDDEN size_t er_utf8_valid_prefix(const char *s, size_t n);

/* ---- Numbers, independent of the process locale ------------------------------------ */

/* Parse s[0..n) as a decimal number: -?digits[.digits][(e|E)[+-]digits], finite.
 * 0 on success, ENGRATE_E_NUMBER otherwise. */
ER_HIDDEN int er_parse_double(const char *s, size_t n, double *out);
/* 10^0 .. 10^22, the powers of ten that are doubles exactly. */
ER_HIDDEN extern const double er_pow10_exact[23];
/* Write the shortest decimal that reads back as exactly x (at most 17 significant
 * digits; always '.' as the decimal point). buf needs 32 bytes. Returns the length. */
ER_HIDDEN int er_format_double(double x, char *buf);

/* ---- Files ------------------------------------------------------------------------- */

/* Replace the file at path with len bytes of text, atomically: readers see the old file or
 * the new one, and a process killed while writing leaves no partial file behind (format.c,
 * write_unnamed). 0, or ENGRATE_E_IO / ENGRATE_E_NOMEM with err filled. */
ER_HIDDEN int er_save_text(const char *path, const char *text, size_t len,
                           engrate_error *err);

/* ---- Text buffers -------------------------------------------------------------------- */

/* A growing NUL-terminated text. Out of memory sets `failed` and makes every later call a
 * no-op, so a writer checks once at the end. Start it as {0}; free(b.s) when done. */
typedef struct er_buf {
    char *s;
    size_t len, cap;
    int failed; /* out of memory happened */
} er_buf;

ER_HIDDEN void er_buf_add(er_buf *b, const char *s, size_t n);
ER_HIDDEN void er_buf_puts(er_buf *b, const char *s);
ER_HIDDEN void er_buf_printf(er_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
ER_HIDDEN void er_buf_double(er_buf *b, double x); /* shortest exact; NaN: null */
ER_HIDDEN void er_buf_json_string(er_buf *b, const char *s);
/* A model file's `key = value` line, with a number written in its shortest exact form. */
ER_HIDDEN void er_buf_kv(er_buf *b, const char *key, const char *value);
ER_HIDDEN void er_buf_kn(er_buf *b, const char *key, double x);
/* `key = x0 x1 ...`: n numbers separated by blanks. */
ER_HIDDEN void er_buf_kns(er_buf *b, const char *key, const double *x, size_t n);

/* ---- The format's vocabulary ------------------------------------------------------- */

enum { ER_META_NAME, ER_META_DESCRIPTION, ER_META_CURRENCY, ER_META_PERIOD, ER_META_BASIS,
       ER_META_AS_OF, ER_META_COUNT };
ER_HIDDEN extern const char *const er_meta_keys[ER_META_COUNT];

enum { ER_TRAIN_ROWS, ER_TRAIN_TERMS, ER_TRAIN_LAMBDA, ER_TRAIN_FOLDS, ER_TRAIN_R_SQUARED,
       ER_TRAIN_RESIDUAL_SD, ER_TRAIN_CV_RMSE, ER_TRAIN_CV_MAPE, ER_TRAIN_COVERAGE,
       ER_TRAIN_COUNT };
ER_HIDDEN extern const char *const er_training_keys[ER_TRAIN_COUNT];

/* Whether s[0..n) is an id: 1..ER_MAX_ID_BYTES of [A-Za-z0-9_+#.-]. */
ER_HIDDEN int er_valid_id(const char *s, size_t n);

/* A hash of (input, key) whose every bit depends on every byte, for hash tables that take
 * the low bits (the trainer's); never 0. Not stored anywhere: only this process's tables
 * use it. */
ER_HIDDEN uint64_t er_hash(size_t input, const char *key, size_t len);

#endif
