/* internal.h: what libengrate's own files share and nothing outside them sees (not even the
 * trainer, which hands its models over as model text): the in-memory model, the name
 * index and the estimate path's shared steps. Built on common.h. */
#ifndef ENGRATE_INTERNAL_H
#define ENGRATE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Not a limit on models: the largest index (in slots, 40 bytes each) that also keeps the
 * names as written (names.c, er_index_add). */
#define ER_RAW_KEYS_MAX_SLOTS ((size_t)1 << 20)

/* ---- Text ------------------------------------------------------------------------- */

/* Fold s[0..n) into out (cap bytes, not NUL-terminated; names.c, "Folding"). Returns the
 * folded length, ENGRATE_E_UTF8, or ENGRATE_E_LIMIT when it needs more than cap bytes or
 * more than ER_MAX_FOLDED_BYTES. */
ER_HIDDEN int er_fold(const char *s, size_t n, char *out, size_t cap);
/* What folding makes of each ASCII byte: the byte (letters lower-cased), or 0 when it is
 * dropped (and for NUL), for the fast paths that fold ASCII as they hash it (names.c). */
ER_HIDDEN extern const unsigned char er_ascii_fold[128];
/* Decode the code point of valid UTF-8 at s (the caller has checked): its length. */
ER_HIDDEN size_t er_utf8_decode(const char *s, unsigned *cp);

/* ---- The model --------------------------------------------------------------------- */

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
    const char *name;      /* version 2: the name as the data wrote it, or NULL */
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
    /* The reference profile (format version 2; models/FORMAT.md, "The reference"), 0
     * without one: `ref` as the file gives it (numeric: the typical value; categorical and
     * set: the typical effect), `ref_effect` its effect on the transformed scale. */
    double ref, ref_effect;
    const char *label;     /* version 2: the label as the data wrote it, or NULL */
    int has_missing;       /* version 2, numeric: `missing` given ...           */
    double missing;        /* ... added, with the curve at `def`, when no value is */
    /* A numeric curve that varies by the level of a categorical input (version 2, `by`;
     * bylevel.c): `by` is that input (ENGRATE_NO_INDEX: none); `devs` the deviations as
     * the file gives them; curve_of[l], per level of `by`, the row of `curves` that
     * holds level l's curve (coefs + its deviation), UINT32_MAX for a level without a
     * deviation, whose curve is the input's own. */
    size_t by;
    struct er_dev *devs;
    size_t n_devs;
    uint32_t *curve_of;
    double *curves;        /* n_devs rows of 1 + n_knots coefficients               */
    int is_by;             /* categorical: some numeric input's curve varies by it  */
} er_input;

/* A `by.LEVEL` line of a numeric input: the level's deviation from the input's curve, and
 * where the file gives it (for the errors found once every input is read). */
typedef struct er_dev {
    const char *level_id;
    double *d;             /* 1 + n_knots numbers                                   */
    uint32_t level;        /* resolved: the level's index in the `by` input          */
    int line, col;
} er_dev;

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
    int has_reference;                 /* every input has a `reference` (version 2)   */
    double base_eta;                   /* the breakdown's base, transformed: the
                                        * reference's linear predictor, else intercept */
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
 * report the line of a duplicate. */
ER_HIDDEN int er_index_add(engrate_model *m, size_t *count, size_t input, size_t level,
                           const char *name, size_t len, int is_id, size_t *other);
/* The work of finding every key of the index once: the slots the lookups visit, each key's
 * distance from the slot its hash gives plus one (*keys: how many keys). For the tests: a
 * hash that clusters, or flooding, shows here as a mean that grows with the model. */
ER_HIDDEN size_t er_index_probes(const engrate_model *m, size_t *keys);
/* The folded form of name for an error message, NUL-terminated in buf (cap >= 8 bytes):
 * cut with "..." when it does not fit, empty when it cannot be folded. */
ER_HIDDEN void er_fold_for_message(const char *name, char *buf, size_t cap);
/* engrate_model_find_level without its checks, for the library's own calls (which make
 * them already, and call it directly rather than through the PLT): input must be a
 * categorical or set input of m, and name[0..len) need not be NUL-terminated. 0 with
 * *level and *flags (0 or ENGRATE_NAME_ALIASED); ENGRATE_E_UNKNOWN_NAME with *flags
 * ENGRATE_NAME_UNKNOWN, or ENGRATE_NAME_BLANK for a name that folds to nothing;
 * ENGRATE_E_UTF8 (*flags untouched). */
ER_HIDDEN int er_find_level(const engrate_model *m, size_t input, const char *name, size_t len,
                            size_t *level, unsigned *flags);

/* The value at x (already clamped) of a numeric input's curve with coefficients c (its
 * own, or a level's: er_curve_coefs). One expression for the estimate, the reference and
 * what-if, so that all three give the same bits. */
static inline double er_curve_with(const er_input *in, const double *c, double x)
{
    double y = c[0] * x;
    for (size_t k = 0; k < in->n_knots; k++)
        if (x > in->knots[k])
            y += c[k + 1] * (x - in->knots[k]);
    return y;
}

static inline double er_curve(const er_input *in, double x)
{
    return er_curve_with(in, in->coefs, x);
}

/* The level of its `by` input whose own curve a numeric input uses when that input has
 * level l (l < 0: not given): l when the level has a deviation, else -1 (the input's own
 * curve). */
static inline int32_t er_curve_level(const er_input *in, int32_t l)
{
    return l >= 0 && in->by != (size_t)-1 && in->curve_of[l] != UINT32_MAX ? l : -1;
}

/* The coefficients of the curve of curve level cl (er_curve_level). */
static inline const double *er_curve_coefs(const er_input *in, int32_t cl)
{
    return cl < 0 ? in->coefs : in->curves + (size_t)in->curve_of[cl] * (in->n_knots + 1);
}

/* A numeric input's term: its curve (of curve level cl) at x, and, when the value was not
 * given (defaulted), its `missing`. The estimate's and what-if's one expression. */
static inline double er_numeric_effect(const er_input *in, int32_t cl, double x, int defaulted)
{
    double e = er_curve_with(in, er_curve_coefs(in, cl), x);
    if (defaulted && in->has_missing)
        e += in->missing; /* as training imputed it (models/FORMAT.md, `missing`) */
    return e;
}

/* One term of an estimate, in the order the estimate adds them: [0] is the intercept
 * (input -1), then each input's in input order. A row of the breakdown. */
typedef struct er_term {
    int32_t input;
    int32_t level;         /* -1: a numeric input, or a reference row (flag REFERENCE) */
    double effect;         /* on the transformed scale; 0 for a reference row */
    double value;
    unsigned flags;
    int32_t curve;         /* numeric: its curve level (er_curve_level); else unused  */
} er_term;

/* For what-if (whatif.c): the model a query was made for, and the terms of a result's
 * last estimate (count in *n). */
ER_HIDDEN const engrate_model *er_query_model(const engrate_query *q);
ER_HIDDEN const er_term *er_result_terms(const engrate_result *r, size_t *n);

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

/* bylevel.c: what a level's curve changes at the reference profile: the sum, over the
 * numeric inputs whose curve varies by `input`, of level l's curve at the typical value
 * less the input's own there (0 without a reference profile). The breakdown counts it to
 * the level, so that a numeric input's amount is 0 at the typical value for every level. */
ER_HIDDEN double er_by_reference_shift(const engrate_model *m, size_t input, int32_t l);

#endif
