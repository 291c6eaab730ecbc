/* query.c: queries, what is asked: the levels and numbers given for a model's inputs, by
 * id or by name (a name is matched by names.c; a set typed in one field is split here),
 * and the names that matched no level or matched through an alias, kept for the result.
 * Filling a query allocates nothing once the query exists, except that the lists of
 * names kept as given grow (once) when they must. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

/* ---- Names as given ---------------------------------------------------------------- */

int er_names_push(names *ns, size_t input, int level, const char *s, size_t len)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 8;
        given *items = realloc(ns->items, cap * sizeof *items);
        if (!items)
            return ENGRATE_E_NOMEM;
        ns->items = items;
        ns->cap = cap;
    }
    if (ns->text_cap - ns->text_n < len + 1) {
        size_t cap = ns->text_cap ? ns->text_cap : 256;
        while (cap - ns->text_n < len + 1)
            cap *= 2;
        char *text = realloc(ns->text, cap);
        if (!text)
            return ENGRATE_E_NOMEM;
        ns->text = text;
        ns->text_cap = cap;
    }
    memcpy(ns->text + ns->text_n, s, len);
    ns->text[ns->text_n + len] = '\0';
    ns->items[ns->n++] = (given){(uint32_t)input, (int32_t)level, ns->text_n};
    ns->text_n += len + 1;
    return 0;
}

void er_names_free(names *ns)
{
    free(ns->items);
    free(ns->text);
}

enum { PROFILE_ROLE, PROFILE_SKILLS, PROFILE_CERTS, PROFILE_YEARS };
static const char *const profile_ids[4] = {"role", "skills", "certs", "years"};

/* ---- Queries ----------------------------------------------------------------------- */

/* The public functions wrap static ones so that the library's own calls on the estimate
 * path are direct calls the compiler can inline, not calls through the PLT that every
 * exported function of a shared library gets. */
static void query_reset(engrate_query *q);

ENGRATE_API engrate_query *engrate_query_new(const engrate_model *m, engrate_error *err)
{
    er_error_clear(err);
    if (!m) {
        er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "model is NULL");
        return NULL;
    }
    engrate_query *q = calloc(1, sizeof *q);
    size_t ni = m->n_inputs ? m->n_inputs : 1, nl = m->total_levels ? m->total_levels : 1;
    if (q) {
        q->m = m;
        q->chosen = malloc(ni * sizeof *q->chosen);
        q->number = calloc(ni, sizeof *q->number);
        q->has_number = calloc(ni, 1);
        q->set_count = malloc(ni * sizeof *q->set_count);
        q->set_levels = malloc(nl * sizeof *q->set_levels);
        q->stamp = calloc(nl, sizeof *q->stamp);
    }
    if (!q || !q->chosen || !q->number || !q->has_number || !q->set_count || !q->set_levels ||
        !q->stamp) {
        engrate_query_free(q);
        er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    for (int k = 0; k < 4; k++)
        (void)engrate_model_input_index(m, profile_ids[k], &q->profile_inputs[k]);
    q->base = m->transform == ENGRATE_TRANSFORM_LOG ? exp(m->base_eta) : m->base_eta;
    q->low_factor = exp(m->q_low);
    q->high_factor = exp(m->q_high);
    query_reset(q);
    return q;
}

ENGRATE_API void engrate_query_free(engrate_query *q)
{
    if (!q)
        return;
    free(q->chosen);
    free(q->number);
    free(q->has_number);
    free(q->set_count);
    free(q->set_levels);
    free(q->stamp);
    er_names_free(&q->unknown);
    er_names_free(&q->aliased);
    free(q);
}

static void query_reset(engrate_query *q)
{
    for (size_t i = 0; i < q->m->n_inputs; i++) {
        q->chosen[i] = -1;
        q->has_number[i] = 0;
        q->set_count[i] = 0;
    }
    if (++q->generation == 0) { /* wrapped: clear the stamps once every 2^32 resets */
        memset(q->stamp, 0, q->m->total_levels * sizeof *q->stamp);
        q->generation = 1;
    }
    q->unknown.n = q->unknown.text_n = 0;
    q->aliased.n = q->aliased.text_n = 0;
}

ENGRATE_API void engrate_query_reset(engrate_query *q)
{
    if (q)
        query_reset(q);
}

/* Add a level of input in = &q->m->inputs[input], a categorical or set input. */
static inline int add_level(engrate_query *q, const er_input *in, size_t input, size_t level)
{
    if (in->kind == ENGRATE_CATEGORICAL) {
        q->chosen[input] = (int32_t)level;
        return 0;
    }
    size_t g = in->level_base + level;
    if (q->stamp[g] != q->generation) { /* a level given twice counts once */
        q->stamp[g] = q->generation;
        q->set_levels[in->level_base + q->set_count[input]++] = (uint32_t)level;
    }
    return 0;
}

/* The index of the input with id `id` in *input, or an error naming it. */
static int input_by_id(const engrate_query *q, const char *id, size_t *input, engrate_error *err)
{
    if (!id)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "input id is NULL");
    if (engrate_model_input_index(q->m, id, input) < 0)
        return er_error(err, ENGRATE_E_UNKNOWN_NAME, NULL, 0, 0,
                        "the model has no input '%.64s'", id);
    return 0;
}

/* The name matching shared by engrate_query_add, engrate_query_add_list and the profile
 * call: name[0..len), which need not be NUL-terminated; *flags: ENGRATE_NAME_*. */
static inline int add_span(engrate_query *q, size_t input, const char *name, size_t len,
                           unsigned *flags, engrate_error *err)
{
    const er_input *in = &q->m->inputs[input];
    if (in->kind == ENGRATE_NUMERIC)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "input '%s' is numeric: give it a number", in->id);
    size_t level = 0;
    *flags = 0;
    int rc = er_find_level(q->m, input, name, len, &level, flags);
    if (rc == 0) {
        if ((*flags & ENGRATE_NAME_ALIASED) &&
            er_names_push(&q->aliased, input, (int)level, name, len))
            return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return add_level(q, in, input, level);
    }
    if (rc == ENGRATE_E_UNKNOWN_NAME) { /* recorded, unless it names nothing */
        if (!(*flags & ENGRATE_NAME_BLANK) && er_names_push(&q->unknown, input, -1, name, len))
            return er_error(err, ENGRATE_E_NOMEM, NULL, 0, 0, "out of memory");
        return 0;
    }
    if (rc == ENGRATE_E_UTF8)
        return er_error(err, ENGRATE_E_UTF8, NULL, 0, 0,
                        "a name given for '%s' is not valid UTF-8", in->id);
    return er_error(err, rc, NULL, 0, 0, "cannot match a name for '%s'", in->id);
}

static inline int add_name(engrate_query *q, size_t input, const char *name, unsigned *flags,
                           engrate_error *err)
{
    if (!name) {
        *flags = 0;
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "a name for '%s' is NULL",
                        q->m->inputs[input].id);
    }
    return add_span(q, input, name, strlen(name), flags, err);
}

ENGRATE_API int engrate_query_add(engrate_query *q, const char *input, const char *name,
                                  unsigned *flags, engrate_error *err)
{
    er_error_clear(err);
    unsigned f = 0;
    size_t i = 0;
    int rc = q ? input_by_id(q, input, &i, err)
               : er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "query is NULL");
    if (rc == 0)
        rc = add_name(q, i, name, &f, err);
    if (flags)
        *flags = f;
    return rc;
}

/* ---- Sets typed in one field ------------------------------------------------------- */

/* The length of the list separator at p (n bytes left), 0 when there is none: , ; and
 * U+3001 、 U+FF0C ， U+FF1B ； U+FF64 ､ (engrate.h, engrate_query_add_list). */
static size_t separator_at(const unsigned char *p, size_t n)
{
    if (p[0] == ',' || p[0] == ';')
        return 1;
    if (n < 3)
        return 0;
    if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x81)
        return 3;
    if (p[0] == 0xEF && ((p[1] == 0xBC && (p[2] == 0x8C || p[2] == 0x9B)) ||
                         (p[1] == 0xBD && p[2] == 0xA4)))
        return 3;
    return 0;
}

/* The length of the blank at p (n bytes left), 0 when there is none: ASCII white space,
 * U+00A0 and U+3000, the blanks that surround the parts of a typed list. */
static size_t blank_at(const unsigned char *p, size_t n)
{
    if (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r'))
        return 1;
    if (n >= 2 && p[0] == 0xC2 && p[1] == 0xA0)
        return 2;
    if (n >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
        return 3;
    return 0;
}

/* The next part of text[*pos..n), its blanks trimmed, in *part and *len; *pos moves past
 * the part and its separator. 0 when there is no part left. */
static int next_part(const char *text, size_t n, size_t *pos, const char **part, size_t *len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = *pos;
    if (i > n)
        return 0;
    size_t start = i, end, sep = 0;
    while (i < n && (sep = separator_at(s + i, n - i)) == 0)
        i++;
    end = i;
    *pos = i < n ? i + sep : n + 1; /* n + 1: the last part was taken */
    for (size_t b; start < end && (b = blank_at(s + start, end - start)) > 0;)
        start += b;
    /* Trailing blanks: U+00A0 ends C2 A0 and U+3000 E3 80 80, so look back by their
     * lengths, not a byte at a time. */
    for (int trimmed = 1; trimmed && start < end;) {
        trimmed = 0;
        if (blank_at(s + end - 1, 1) == 1) {
            end -= 1;
            trimmed = 1;
        } else if (end - start >= 2 && blank_at(s + end - 2, 2) == 2) {
            end -= 2;
            trimmed = 1;
        } else if (end - start >= 3 && blank_at(s + end - 3, 3) == 3) {
            end -= 3;
            trimmed = 1;
        }
    }
    *part = text + start;
    *len = end - start;
    return 1;
}

/* Whether a part names nothing (engrate_query_add: ENGRATE_NAME_BLANK). */
static int part_is_blank(const char *part, size_t len)
{
    char key[ER_MAX_FOLDED_BYTES];
    return er_fold(part, len, key, sizeof key) == 0;
}

ENGRATE_API int engrate_query_add_list(engrate_query *q, const char *input, const char *text,
                                       unsigned *flags, engrate_error *err)
{
    er_error_clear(err);
    if (flags)
        *flags = 0;
    size_t i = 0;
    int rc = q ? input_by_id(q, input, &i, err)
               : er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "query is NULL");
    if (rc < 0)
        return rc;
    const er_input *in = &q->m->inputs[i];
    if (in->kind == ENGRATE_NUMERIC)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "input '%s' is numeric: give it a number", in->id);
    if (!text)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "the names for '%s' are NULL",
                        in->id);
    size_t n = strlen(text);
    if (er_utf8_valid_prefix(text, n) != n) /* as engrate_query_add words it */
        return er_error(err, ENGRATE_E_UTF8, NULL, 0, 0,
                        "a name given for '%s' is not valid UTF-8", in->id);
    const char *part;
    size_t len, pos = 0, named = 0;
    if (in->kind == ENGRATE_CATEGORICAL) {
        while (next_part(text, n, &pos, &part, &len))
            named += !part_is_blank(part, len);
        if (named > 1)
            return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                            "input '%s' takes one level, and '%.80s' names %zu", in->id, text,
                            named);
        pos = 0;
    }
    unsigned all = 0, f;
    while (rc == 0 && next_part(text, n, &pos, &part, &len)) {
        rc = add_span(q, i, part, len, &f, err);
        all |= f;
    }
    if (flags)
        *flags = all;
    return rc;
}

/* ---- Numbers and levels by index ---------------------------------------------------- */

ENGRATE_API int engrate_query_add_level(engrate_query *q, size_t input, size_t level,
                                        engrate_error *err)
{
    er_error_clear(err);
    if (!q)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "query is NULL");
    if (input >= q->m->n_inputs || q->m->inputs[input].kind == ENGRATE_NUMERIC ||
        level >= q->m->inputs[input].n_levels)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0,
                        "no level %zu of a categorical or set input %zu", level, input);
    return add_level(q, &q->m->inputs[input], input, level);
}

static int set_number_at(engrate_query *q, size_t input, double value, engrate_error *err)
{
    if (input >= q->m->n_inputs || q->m->inputs[input].kind != ENGRATE_NUMERIC)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "input %zu is not numeric", input);
    if (isnan(value)) { /* not known: as if never given */
        q->has_number[input] = 0;
        return 0;
    }
    if (isinf(value))
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "%s must be a finite number",
                        q->m->inputs[input].id);
    q->number[input] = value;
    q->has_number[input] = 1;
    return 0;
}

ENGRATE_API int engrate_query_set_number_at(engrate_query *q, size_t input, double value,
                                            engrate_error *err)
{
    er_error_clear(err);
    if (!q)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "query is NULL");
    return set_number_at(q, input, value, err);
}

ENGRATE_API int engrate_query_set_number(engrate_query *q, const char *input, double value,
                                         engrate_error *err)
{
    er_error_clear(err);
    if (!q)
        return er_error(err, ENGRATE_E_INVALID, NULL, 0, 0, "query is NULL");
    size_t i = 0;
    int rc = input_by_id(q, input, &i, err);
    return rc < 0 ? rc : set_number_at(q, i, value, err);
}

/* The index of one of the inputs engrate_estimate_profile fills, as input_by_id gives it. */
static int profile_input(const engrate_query *q, int which, size_t *input, engrate_error *err)
{
    *input = q->profile_inputs[which];
    if (*input == ENGRATE_NO_INDEX)
        return er_error(err, ENGRATE_E_UNKNOWN_NAME, NULL, 0, 0,
                        "the model has no input '%.64s'", profile_ids[which]);
    return 0;
}

int er_query_set_profile(engrate_query *q, const char *role, const char *const *skills,
                         size_t n_skills, const char *const *certs, size_t n_certs,
                         const double *years, engrate_error *err)
{
    query_reset(q);
    size_t i = 0;
    unsigned f;
    int rc = 0;
    if (role && (rc = profile_input(q, PROFILE_ROLE, &i, err)) == 0)
        rc = add_name(q, i, role, &f, err);
    const char *const *lists[2] = {skills, certs};
    size_t counts[2] = {n_skills, n_certs};
    for (int k = 0; k < 2 && rc == 0; k++) {
        if (counts[k] == 0)
            continue;
        if ((rc = profile_input(q, k == 0 ? PROFILE_SKILLS : PROFILE_CERTS, &i, err)) != 0)
            return rc;
        for (size_t j = 0; j < counts[k] && rc == 0; j++)
            rc = add_name(q, i, lists[k][j], &f, err);
    }
    if (rc == 0 && years && (rc = profile_input(q, PROFILE_YEARS, &i, err)) == 0)
        rc = set_number_at(q, i, *years, err);
    return rc;
}
