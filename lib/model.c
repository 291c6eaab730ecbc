/* model.c: the in-memory model: creation, the final checks every model passes whether it
 * was read from a file or trained, and the read-only accessors of the public API. */
#define _GNU_SOURCE 1
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_SYS_RANDOM_H
#include <sys/random.h>
#endif

#include "internal.h"

engrate_model *er_model_new(void)
{
    engrate_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    for (size_t i = 0; i < ER_TRAIN_COUNT; i++)
        m->training[i] = NAN;
    m->level = NAN;
    m->q_low = NAN;
    m->q_high = NAN;
    /* A key of the model's own for the name index (names.c, hash_start). Not reproducible
     * on purpose; nothing visible depends on it: no output follows the index's order. */
#ifdef HAVE_GETRANDOM
    if (getrandom(&m->hash_seed, sizeof m->hash_seed, GRND_NONBLOCK) != sizeof m->hash_seed)
#endif
    {
        struct timespec ts = {0, 0};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        m->hash_seed = (uint64_t)(uintptr_t)m ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec;
    }
    return m;
}

int er_model_finish(engrate_model *m, engrate_error *err)
{
    size_t total = 0, terms = 1;
    for (size_t i = 0; i < m->n_inputs; i++) {
        er_input *in = &m->inputs[i];
        in->level_base = total;
        total += in->n_levels;
        terms += in->kind == ENGRATE_SET ? in->n_levels + 1 : 1; /* + a set's reference row */
    }
    if (total > ER_MAX_TOTAL_LEVELS)
        return er_error(err, ENGRATE_E_LIMIT, NULL, 0, 0,
                        "the model has %zu levels in all (at most %d)", total,
                        ER_MAX_TOTAL_LEVELS);
    m->total_levels = total;
    m->max_terms = terms;
    /* The breakdown's base: the reference profile's linear predictor, its effects added in
     * input order (a numeric input's is its curve at the typical value). */
    m->base_eta = m->intercept;
    for (size_t i = 0; m->has_reference && i < m->n_inputs; i++) {
        er_input *in = &m->inputs[i];
        in->ref_effect = in->kind == ENGRATE_NUMERIC ? er_curve(in, in->ref) : in->ref;
        m->base_eta += in->ref_effect;
    }
    /* The names were indexed, and counted against the limit, as the loader read them
     * (to report the line of a duplicate). */
    return 0;
}

ENGRATE_API void engrate_model_free(engrate_model *m)
{
    if (!m)
        return;
    free(m->slots);
    er_pool_free(&m->pool);
    free(m);
}

/* ---- Accessors --------------------------------------------------------------------- */

ENGRATE_API const char *engrate_model_meta(const engrate_model *m, const char *key)
{
    if (!m || !key)
        return NULL;
    for (size_t i = 0; i < ER_META_COUNT; i++)
        if (strcmp(key, er_meta_keys[i]) == 0)
            return m->meta[i];
    return NULL;
}

ENGRATE_API int engrate_model_transform(const engrate_model *m)
{
    return m ? m->transform : ENGRATE_E_INVALID;
}

ENGRATE_API double engrate_model_intercept(const engrate_model *m)
{
    return m ? m->intercept : NAN;
}

ENGRATE_API size_t engrate_model_source_count(const engrate_model *m)
{
    return m ? m->n_sources : 0;
}

ENGRATE_API const char *engrate_model_source(const engrate_model *m, size_t i)
{
    return m && i < m->n_sources ? m->sources[i] : NULL;
}

ENGRATE_API double engrate_model_training(const engrate_model *m, const char *key)
{
    if (!m || !key)
        return NAN;
    for (size_t i = 0; i < ER_TRAIN_COUNT; i++)
        if (strcmp(key, er_training_keys[i]) == 0)
            return m->training[i];
    return NAN;
}

ENGRATE_API double engrate_model_interval_level(const engrate_model *m)
{
    return m ? m->level : NAN;
}
ENGRATE_API double engrate_model_interval_low(const engrate_model *m)
{
    return m ? m->q_low : NAN;
}
ENGRATE_API double engrate_model_interval_high(const engrate_model *m)
{
    return m ? m->q_high : NAN;
}

ENGRATE_API int engrate_model_has_reference(const engrate_model *m)
{
    return m ? m->has_reference : 0;
}

ENGRATE_API double engrate_model_base(const engrate_model *m)
{
    if (!m)
        return NAN;
    return m->transform == ENGRATE_TRANSFORM_LOG ? exp(m->base_eta) : m->base_eta;
}

ENGRATE_API size_t engrate_model_input_count(const engrate_model *m)
{
    return m ? m->n_inputs : 0;
}

ENGRATE_API size_t engrate_no_index(void)
{
    return ENGRATE_NO_INDEX;
}

ENGRATE_API int engrate_model_input_index(const engrate_model *m, const char *id,
                                          size_t *input)
{
    size_t found = ENGRATE_NO_INDEX;
    int rc = ENGRATE_E_INVALID;
    if (m && id) {
        rc = ENGRATE_E_UNKNOWN_NAME;
        for (size_t i = 0; i < m->n_inputs && rc < 0; i++)
            if (strcmp(m->inputs[i].id, id) == 0) {
                found = i;
                rc = 0;
            }
    }
    if (input)
        *input = found;
    return rc;
}

static const er_input *input_at(const engrate_model *m, size_t i)
{
    return m && i < m->n_inputs ? &m->inputs[i] : NULL;
}

static const er_level *level_at(const engrate_model *m, size_t i, size_t l)
{
    const er_input *in = input_at(m, i);
    return in && l < in->n_levels ? &in->levels[l] : NULL;
}

/* The text in `lang`, else English, else NULL. */
static const char *text_in(const er_text *t, size_t n, const char *lang)
{
    const char *en = NULL;
    for (size_t i = 0; i < n; i++) {
        if (lang && strcmp(t[i].lang, lang) == 0)
            return t[i].text;
        if (strcmp(t[i].lang, "en") == 0)
            en = t[i].text;
    }
    return en;
}

ENGRATE_API const char *engrate_input_id(const engrate_model *m, size_t i)
{
    const er_input *in = input_at(m, i);
    return in ? in->id : NULL;
}

ENGRATE_API int engrate_input_kind(const engrate_model *m, size_t i)
{
    const er_input *in = input_at(m, i);
    return in ? in->kind : 0;
}

/* A display text: the one in `lang`; else the text as the data wrote it (format version
 * 2), which is in the data's own language; else English; else the id. */
static const char *display(const er_text *t, size_t n, const char *as_written,
                           const char *lang, const char *id)
{
    for (size_t i = 0; lang && i < n; i++)
        if (strcmp(t[i].lang, lang) == 0)
            return t[i].text;
    if (as_written)
        return as_written;
    const char *en = text_in(t, n, NULL);
    return en ? en : id;
}

ENGRATE_API const char *engrate_input_label(const engrate_model *m, size_t i, const char *lang)
{
    const er_input *in = input_at(m, i);
    return in ? display(in->labels, in->n_labels, in->label, lang, in->id) : NULL;
}

ENGRATE_API size_t engrate_input_level_count(const engrate_model *m, size_t i)
{
    const er_input *in = input_at(m, i);
    return in ? in->n_levels : 0;
}

#define NUMERIC_FIELD(fn, field)                                                           \
    ENGRATE_API double fn(const engrate_model *m, size_t i)                                \
    {                                                                                      \
        const er_input *in = input_at(m, i);                                               \
        return in && in->kind == ENGRATE_NUMERIC ? in->field : NAN;                        \
    }
NUMERIC_FIELD(engrate_input_min, min)
NUMERIC_FIELD(engrate_input_max, max)
NUMERIC_FIELD(engrate_input_default, def)

ENGRATE_API size_t engrate_input_knot_count(const engrate_model *m, size_t i)
{
    const er_input *in = input_at(m, i);
    return in ? in->n_knots : 0;
}

ENGRATE_API double engrate_input_knot(const engrate_model *m, size_t i, size_t k)
{
    const er_input *in = input_at(m, i);
    return in && k < in->n_knots ? in->knots[k] : NAN;
}

ENGRATE_API double engrate_input_coef(const engrate_model *m, size_t i, size_t k)
{
    const er_input *in = input_at(m, i);
    return in && in->kind == ENGRATE_NUMERIC && k <= in->n_knots ? in->coefs[k] : NAN;
}

ENGRATE_API double engrate_input_reference(const engrate_model *m, size_t i)
{
    const er_input *in = input_at(m, i);
    return in && m->has_reference ? in->ref : NAN;
}

ENGRATE_API double engrate_input_reference_effect(const engrate_model *m, size_t i)
{
    const er_input *in = input_at(m, i);
    return in && m->has_reference ? in->ref_effect : NAN;
}

ENGRATE_API const char *engrate_level_id(const engrate_model *m, size_t i, size_t l)
{
    const er_level *lv = level_at(m, i, l);
    return lv ? lv->id : NULL;
}

ENGRATE_API const char *engrate_level_name(const engrate_model *m, size_t i, size_t l,
                                           const char *lang)
{
    const er_level *lv = level_at(m, i, l);
    return lv ? display(lv->names, lv->n_names, lv->name, lang, lv->id) : NULL;
}

ENGRATE_API double engrate_level_coef(const engrate_model *m, size_t i, size_t l)
{
    const er_level *lv = level_at(m, i, l);
    return lv ? lv->coef : NAN;
}

ENGRATE_API unsigned engrate_level_flags(const engrate_model *m, size_t i, size_t l)
{
    const er_level *lv = level_at(m, i, l);
    return lv ? lv->flags : 0;
}

ENGRATE_API size_t engrate_level_alias_count(const engrate_model *m, size_t i, size_t l)
{
    const er_level *lv = level_at(m, i, l);
    return lv ? lv->n_aliases : 0;
}

ENGRATE_API const char *engrate_level_alias(const engrate_model *m, size_t i, size_t l,
                                            size_t k)
{
    const er_level *lv = level_at(m, i, l);
    return lv && k < lv->n_aliases ? lv->aliases[k] : NULL;
}

/* ---- Finding an input by its name --------------------------------------------------- */

/* Whether `name`, folded to key[0..k), names input `in`: its id, its label as written or a
 * label in some language, compared folded. */
static int input_named(const er_input *in, const char *key, int k)
{
    char buf[4 * ER_MAX_NAME_BYTES];
    const char *texts[ER_MAX_LANGS + 2];
    size_t n = 0;
    texts[n++] = in->id;
    if (in->label)
        texts[n++] = in->label;
    for (size_t j = 0; j < in->n_labels && n < sizeof texts / sizeof texts[0]; j++)
        texts[n++] = in->labels[j].text;
    for (size_t j = 0; j < n; j++) {
        int f = er_fold(texts[j], strlen(texts[j]), buf, sizeof buf);
        if (f == k && memcmp(buf, key, (size_t)k) == 0)
            return 1;
    }
    return 0;
}

ENGRATE_API int engrate_model_find_input(const engrate_model *m, const char *name,
                                         size_t *input)
{
    if (!m || !name || !input)
        return ENGRATE_E_INVALID;
    for (size_t i = 0; i < m->n_inputs; i++)
        if (strcmp(m->inputs[i].id, name) == 0) {
            *input = i;
            return 0;
        }
    char key[4 * ER_MAX_NAME_BYTES];
    int k = er_fold(name, strlen(name), key, sizeof key);
    if (k == ENGRATE_E_UTF8)
        return k;
    if (k <= 0)
        return ENGRATE_E_UNKNOWN_NAME;
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < m->n_inputs; i++) {
        if (!input_named(&m->inputs[i], key, k))
            continue;
        if (found != SIZE_MAX)
            return ENGRATE_E_DUPLICATE; /* two inputs answer to it: never guess */
        found = i;
    }
    if (found == SIZE_MAX)
        return ENGRATE_E_UNKNOWN_NAME;
    *input = found;
    return 0;
}
