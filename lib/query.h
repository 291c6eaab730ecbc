/* query.h: a query as the estimate (estimate.c) reads it, and the names a query and a
 * result keep as given (unknown or aliased), shared by query.c and estimate.c and by no
 * other file. */
#ifndef ENGRATE_QUERY_H
#define ENGRATE_QUERY_H

#include "internal.h"

/* A name as given, kept for the result: unknown (level < 0) or aliased. */
typedef struct given {
    uint32_t input;
    int32_t level;
    size_t offset;   /* into the owner's text buffer */
} given;

/* Names as given, in one text buffer; both arrays grow once and are then reused. */
typedef struct names {
    given *items;
    size_t n, cap;
    char *text;
    size_t text_n, text_cap;
} names;

/* Append s[0..len) (NUL-terminated in the buffer). 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int er_names_push(names *ns, size_t input, int level, const char *s, size_t len);
ER_HIDDEN void er_names_free(names *ns);

static inline const char *er_names_at(const names *ns, size_t i)
{
    return ns->text + ns->items[i].offset;
}

struct engrate_query {
    const engrate_model *m;
    int32_t *chosen;       /* per input: categorical level or -1                  */
    double *number;        /* per input: numeric value                           */
    unsigned char *has_number;
    uint32_t *set_count;   /* per input: levels added to a set input              */
    uint32_t *set_levels;  /* per model level: a set input's levels, in the order given,
                            * in the run that starts at its level_base (a level given
                            * twice counts once, so each input's run fits)          */
    uint32_t *stamp;       /* per model level: == generation when added           */
    uint32_t generation;
    names unknown;
    names aliased;
    /* Worked out once from the model, which never changes, so that an estimate does not
     * redo them: the inputs engrate_estimate_profile fills (index or ENGRATE_NO_INDEX)
     * and the base. */
    size_t profile_inputs[4]; /* PROFILE_ROLE ... PROFILE_YEARS                      */
    double base;           /* the breakdown's base on the rate scale (m->base_eta)    */
    double low_factor, high_factor; /* log models: exp(q_low), exp(q_high)           */
};

/* Empty q and give it a profile as engrate_estimate_profile takes it (estimate.c checks
 * the arrays): 0, or the first error with err filled. */
ER_HIDDEN int er_query_set_profile(engrate_query *q, const char *role,
                                   const char *const *skills, size_t n_skills,
                                   const char *const *certs, size_t n_certs,
                                   const double *years, engrate_error *err);

#endif
