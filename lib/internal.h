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

/* Fold s[0..n) into out (cap bytes, not NUL-terminated). Returns the folded length,
 * ENGRATE_E_UTF8, or ENGRATE_E_LIMIT when cap is too small. */
ER_HIDDEN int er_fold(const char *s, size_t n, char *out, size_t cap);

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
/* Index every name of every level; on failure the offending input, level and name. */
ER_HIDDEN int er_index_build(engrate_model *m, size_t *dup_input, size_t *dup_level,
                             const char **dup_name);
/* The work of finding every key of the index once: the slots the lookups visit, each key's
 * distance from the slot its hash gives plus one (*keys: how many keys). For the tests: a
 * hash that clusters, or flooding, shows here as a mean that grows with the model. */
ER_HIDDEN size_t er_index_probes(const engrate_model *m, size_t *keys);
/* engrate_model_find_level without its checks, for the library's own calls (which make
 * them already, and call it directly rather than through the PLT): input must be a
 * categorical or set input of m and name not NULL. */
ER_HIDDEN int er_find_level(const engrate_model *m, size_t input, const char *name,
                            int *aliased);

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
                                 double *high, unsigned *flags, size_t *n_unknown);


#endif
