/* internal.h: what the library's files share and nothing outside lib/ (and the trainer,
 * which builds models) should see: the in-memory model, the string pool that owns its
 * text, error helpers, and locale-independent number conversion. */
#ifndef ENGRATE_INTERNAL_H
#define ENGRATE_INTERNAL_H

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
#define ER_MAX_ABS_NUMERIC 1e9          /* numeric input ranges, knots and defaults   */
/* Not a limit on models: the largest index (in slots, 40 bytes each) that also keeps the
 * names as written (names.c, er_index_add). */
#define ER_RAW_KEYS_MAX_SLOTS ((size_t)1 << 20)

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
/* Fold s[0..n) into out (cap bytes, not NUL-terminated; names.c, "Folding"). Returns the
 * folded length, ENGRATE_E_UTF8, or ENGRATE_E_LIMIT when it needs more than cap bytes or
 * more than ER_MAX_FOLDED_BYTES. */
ER_HIDDEN int er_fold(const char *s, size_t n, char *out, size_t cap);
/* What folding makes of each ASCII byte: the byte (letters lower-cased), or 0 when it is
 * dropped (and for NUL), for the fast paths that fold ASCII as they hash it (names.c). */
ER_HIDDEN extern const unsigned char er_ascii_fold[128];
/* Decode the code point of valid UTF-8 at s (the caller has checked): its length. */
ER_HIDDEN size_t er_utf8_decode(const char *s, unsigned *cp);

/* ---- Numbers, independent of the process locale ------------------------------------ */

/* Parse s[0..n) as a decimal number: -?digits[.digits][(e|E)[+-]digits], finite.
 * 0 on success, ENGRATE_E_NUMBER otherwise. */
ER_HIDDEN int er_parse_double(const char *s, size_t n, double *out);
/* Write the shortest decimal that reads back as exactly x (at most 17 significant
 * digits; always '.' as the decimal point). buf needs 32 bytes. Returns the length. */
ER_HIDDEN int er_format_double(double x, char *buf);

/* ---- Files ------------------------------------------------------------------------- */

/* Replace the file at path with len bytes of text, atomically: readers see the old file or
 * the new one, and a process killed while writing leaves no partial file behind (format.c,
 * write_unnamed). 0, or ENGRATE_E_IO / ENGRATE_E_NOMEM with err filled. */
ER_HIDDEN int er_save_text(const char *path, const char *text, size_t len,
                           engrate_error *err);

/* ---- The model --------------------------------------------------------------------- */

enum { ER_META_NAME, ER_META_DESCRIPTION, ER_META_CURRENCY, ER_META_PERIOD, ER_META_BASIS,
       ER_META_AS_OF, ER_META_COUNT };
ER_HIDDEN extern const char *const er_meta_keys[ER_META_COUNT];

enum { ER_TRAIN_ROWS, ER_TRAIN_TERMS, ER_TRAIN_LAMBDA, ER_TRAIN_FOLDS, ER_TRAIN_R_SQUARED,
       ER_TRAIN_RESIDUAL_SD, ER_TRAIN_CV_RMSE, ER_TRAIN_CV_MAPE, ER_TRAIN_COVERAGE,
       ER_TRAIN_COUNT };
ER_HIDDEN extern const char *const er_training_keys[ER_TRAIN_COUNT];

typedef struct er_text {   /* a text in one language: name.LANG / label.LANG */
    const char *lang;
    const char *text;
} er_text;

typedef struct er_level {
    const char *id;
    double coef;
    unsigned flags;        /* ENGRATE_LEVEL_* */
    er_text *names;
    size_t n_names;
    const char **aliases;
    size_t n_aliases;
} er_level;

typedef struct er_input {
    const char *id;
    int kind;              /* ENGRATE_CATEGORICAL, ENGRATE_SET, ENGRATE_NUMERIC */
    er_text *labels;
    size_t n_labels;
    er_level *levels;      /* categorical and set */
    size_t n_levels;
    size_t level_base;     /* index of levels[0] among all levels of the model */
    double min, max, def;  /* numeric */
    double *knots;
    size_t n_knots;
    double *coefs;         /* numeric: 1 + n_knots */
} er_input;

/* The name index: (input, name) -> level, open addressing. Each name of a level is there
 * folded and, when folding changes it, also as written (names.c, "The index"). */
enum { ER_SLOT_ID = 1,     /* the key is (a form of) the level's own id          */
       ER_SLOT_RAW = 2 };  /* the key is a name as written, not folded            */
typedef struct er_slot {
    uint64_t hash;         /* 0: empty */
    uint64_t head;         /* the key's first 8 bytes as a number (names.c, key_hash) */
    const char *key;       /* in the pool */
    uint32_t key_len;
    uint16_t input;
    uint16_t flags;        /* ER_SLOT_* */
    uint32_t level;
} er_slot;

struct engrate_model {
    er_pool pool;
    const char *meta[ER_META_COUNT];
    int transform;
    double intercept;
    const char **sources;
    size_t n_sources;
    double training[ER_TRAIN_COUNT];   /* NaN: absent */
    double level, q_low, q_high;       /* [interval] */
    er_input *inputs;
    size_t n_inputs;
    size_t total_levels;
    size_t max_terms;                  /* contributions an estimate can have */
    er_slot *slots;
    size_t slot_mask;
    unsigned slot_shift;               /* 64 - log2(slots): a hash's slot is hash >> it */
    uint64_t hash_seed;                /* this model's random key for the name index */
    int raw_keys_off;                  /* the index keeps no names as written (names.c) */
};

/* Model building, shared by the loader and the trainer. er_model_new gives an empty model
 * (NaN training values); fill it through its pool, then er_model_finish checks what the
 * loader's grammar cannot (counts, ranges, names) and indexes the names. */
ER_HIDDEN engrate_model *er_model_new(void);
ER_HIDDEN int er_model_finish(engrate_model *m, engrate_error *err);

/* Add a name of (input, level) to the index; *count is the number of keys so far. 0 when
 * added or already there for the same level; ENGRATE_E_DUPLICATE (with *other set to that
 * level) when another level has it; ENGRATE_E_INVALID when it folds to nothing;
 * ENGRATE_E_UTF8, ENGRATE_E_LIMIT, ENGRATE_E_NOMEM. The loader indexes as it reads, to
 * report the line of a duplicate; er_model_finish indexes what is not indexed yet. */
ER_HIDDEN int er_index_add(engrate_model *m, size_t *count, size_t input, size_t level,
                           const char *name, size_t len, int is_id, size_t *other);
/* Index every name of every level; on failure the offending input, level and name, and
 * for ENGRATE_E_DUPLICATE the other level that has it. */
ER_HIDDEN int er_index_build(engrate_model *m, size_t *dup_input, size_t *dup_level,
                             const char **dup_name, size_t *dup_other);
/* The folded form of name for an error message, NUL-terminated in buf (cap >= 8 bytes):
 * cut with "..." when it does not fit, empty when it cannot be folded. */
ER_HIDDEN void er_fold_for_message(const char *name, char *buf, size_t cap);
/* A hash of (input, key) whose every bit depends on every byte, for tables that take the
 * low bits (the trainer's). The name index uses a cheaper one and takes the top bits. */
ER_HIDDEN uint64_t er_hash(size_t input, const char *key, size_t len);
/* engrate_model_find_level without its checks, for the library's own calls (which make
 * them already, and call it directly rather than through the PLT): input must be a
 * categorical or set input of m, and name[0..len) need not be NUL-terminated. 0 with
 * *level and *flags (0 or ENGRATE_NAME_ALIASED); ENGRATE_E_UNKNOWN_NAME with *flags
 * ENGRATE_NAME_UNKNOWN, or ENGRATE_NAME_BLANK for a name that folds to nothing;
 * ENGRATE_E_UTF8 (*flags untouched). */
ER_HIDDEN int er_find_level(const engrate_model *m, size_t input, const char *name, size_t len,
                            size_t *level, unsigned *flags);

/* The estimate path's shared steps (estimate.c), for engrate_estimate_batch.
 * er_estimate_profile is engrate_estimate_profile without its argument checks: m not NULL,
 * r made for m, and skills and certs not NULL where their counts are not 0.
 * er_result_summary gives what a batch keeps of a result. */
ER_HIDDEN int er_estimate_profile(const engrate_model *m, const char *role,
                                  const char *const *skills, size_t n_skills,
                                  const char *const *certs, size_t n_certs,
                                  const double *years, unsigned flags, engrate_result *r,
                                  engrate_error *err);
ER_HIDDEN void er_result_summary(const engrate_result *r, double *estimate, double *low,
                                 double *high, unsigned *flags);

/* Validate an id: 1..ER_MAX_ID_BYTES of [A-Za-z0-9_+#.-]. */
ER_HIDDEN int er_valid_id(const char *s, size_t n);

#endif
