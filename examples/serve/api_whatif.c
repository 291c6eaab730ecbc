/* api_whatif.c: POST /api/v1/whatif (docs/api.md): a profile as /api/v1/estimate takes it,
 * plus what-if options, answered with the object that `engrate-estimate --json --whatif N`
 * prints (with --target-rate R, --max-changes K, --vary and --with-no-evidence as the
 * options say): the estimate's keys, then "whatif", the N single changes ranked by what
 * they do to the estimate, and with a target rate "target", the fewest additions that
 * reach it. test_api.py holds the two to each other.
 *
 * Each worker thread keeps one engrate_whatif beside its query and result (api.c,
 * api_work_init), made for the model the request holds and remade after a reload, so a
 * what-if allocates nothing but its JSON. */
#include "api.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* As the CLI's --whatif N and --max-changes K. */
#define WHATIF_COUNT_MAX 1000
/* The model format allows at most 64 inputs (models/FORMAT.md). */
#define WHATIF_VARY_MAX 64

/* The keys a what-if request may hold besides a profile's. */
static const char *const whatif_keys[] = {"top",         "vary",        "with_no_evidence",
                                          "target_rate", "max_changes", NULL};

typedef struct whatif_opts {
    size_t top;                    /* changes to rank and return */
    size_t vary[WHATIF_VARY_MAX];  /* the inputs that may change; none: all */
    size_t n_vary;
    int no_evidence;               /* also levels the model has no evidence for */
    double target;                 /* the rate to reach, NaN for none */
    size_t max_changes;            /* at most this many additions to reach it */
    int has_max;                   /* max_changes was given */
} whatif_opts;

/* ---- Reading the options ---------------------------------------------------------------- */

/* o[key], a whole number from 1 to WHATIF_COUNT_MAX, into *out; absent or null: unchanged. */
static int read_count(const json_t *o, const char *key, size_t *out, int *given, problem *p)
{
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    double x = json_number_value(v);
    if (!json_is_number(v))
        return api_fail(p, 400, "bad_request", "field '%s' must be a whole number from 1 to %d, "
                        "not %s", key, WHATIF_COUNT_MAX, api_type_name(v));
    if (x != floor(x) || x < 1 || x > WHATIF_COUNT_MAX)
        return api_fail(p, 400, "bad_request", "field '%s' must be a whole number from 1 to %d, "
                        "not %.17g", key, WHATIF_COUNT_MAX, x);
    *out = (size_t)x;
    if (given)
        *given = 1;
    return 0;
}

/* "vary": input ids, each once (a repeated id changes nothing). */
static int read_vary(const engrate_model *m, const json_t *v, whatif_opts *wo, problem *p)
{
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return api_fail(p, 400, "bad_request", "field 'vary' must be an array of input ids, "
                        "not %s", api_type_name(v));
    if (json_array_size(v) == 0)
        return api_fail(p, 400, "bad_request", "field 'vary' must name at least one input "
                        "(leave it out to vary every input)");
    size_t k;
    const json_t *item;
    json_array_foreach(v, k, item) {
        size_t input;
        const char *id = json_string_value(item);
        if (!id)
            return api_fail(p, 400, "bad_request", "field 'vary': item %zu is %s, not an "
                            "input id", k, api_type_name(item));
        if (engrate_model_input_index(m, id, &input) != 0) {
            char known[300] = "";
            size_t used = 0;
            for (size_t i = 0; i < engrate_model_input_count(m) && used + 1 < sizeof known; i++) {
                int n = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                 engrate_input_id(m, i));
                used = n > 0 && used + (size_t)n < sizeof known ? used + (size_t)n
                                                                 : sizeof known - 1;
            }
            return api_fail(p, 400, "bad_request", "field 'vary': the model has no input "
                            "'%.80s' (inputs: %s)", id, known);
        }
        size_t j = 0;
        while (j < wo->n_vary && wo->vary[j] != input)
            j++;
        if (j == wo->n_vary && wo->n_vary < WHATIF_VARY_MAX)
            wo->vary[wo->n_vary++] = input;
    }
    return 0;
}

static int read_whatif_opts(const engrate_model *m, const json_t *o, whatif_opts *wo,
                            problem *p)
{
    *wo = (whatif_opts){.top = 5, .target = NAN, .max_changes = 5};
    if (read_count(o, "top", &wo->top, NULL, p) ||
        read_count(o, "max_changes", &wo->max_changes, &wo->has_max, p) ||
        read_vary(m, json_object_get(o, "vary"), wo, p))
        return -1;
    const json_t *v = json_object_get(o, "with_no_evidence");
    if (v && !json_is_boolean(v))
        return api_fail(p, 400, "bad_request", "field 'with_no_evidence' must be true or "
                        "false, not %s", api_type_name(v));
    wo->no_evidence = json_is_true(v);
    v = json_object_get(o, "target_rate");
    if (v && !json_is_null(v)) {
        double x = json_number_value(v);
        if (!json_is_number(v))
            return api_fail(p, 400, "bad_request", "field 'target_rate' must be a positive "
                            "amount in the model's currency a period (e.g. 1200000), not %s",
                            api_type_name(v));
        if (!(x > 0) || !isfinite(x))
            return api_fail(p, 400, "bad_request", "field 'target_rate' must be a positive "
                            "amount in the model's currency a period (e.g. 1200000), not %.17g",
                            x);
        wo->target = x;
    }
    if (wo->has_max && isnan(wo->target))
        return api_fail(p, 400, "bad_request", "field 'max_changes' applies to a path to "
                        "'target_rate', which is not given");
    return 0;
}

/* ---- The answer ------------------------------------------------------------------------- */

/* Record i as engrate-estimate --json prints it: change, input, level, name, estimate, low,
 * high, delta, delta_pct, value, no_evidence. */
static json_t *change_json(const engrate_model *m, const engrate_whatif *w, size_t i,
                           const char *lang)
{
    static double (*const numbers[])(const engrate_whatif *, size_t) = {
        engrate_whatif_estimate, engrate_whatif_low,       engrate_whatif_high,
        engrate_whatif_delta,    engrate_whatif_delta_pct, engrate_whatif_value};
    static const char *const keys[] = {"estimate", "low", "high", "delta", "delta_pct", "value"};
    size_t input = 0, level = 0;
    engrate_whatif_input(w, i, &input);
    int has_level = engrate_whatif_level(w, i, &level) == 0;
    int change = engrate_whatif_change(w, i);
    int bad = 0;
    json_t *c = json_object();
    /* The CLI's names for the kinds of change, whatever the input is called. */
    jset(c, "change", jstr(change == ENGRATE_CHANGE_ADD     ? "add"
                           : change == ENGRATE_CHANGE_LEVEL ? "role"
                                                            : "years"), &bad);
    jset(c, "input", jstr(engrate_input_id(m, input)), &bad);
    jset(c, "level", has_level ? jstr(engrate_level_id(m, input, level)) : json_null(), &bad);
    jset(c, "name", jstr(has_level ? engrate_level_name(m, input, level, lang)
                                   : engrate_input_label(m, input, lang)), &bad);
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        jset(c, keys[k], jnum(numbers[k](w, i)), &bad);
    jset(c, "no_evidence",
         json_boolean(engrate_whatif_flags(w, i) & ENGRATE_FLAG_NO_EVIDENCE), &bad);
    if (bad) {
        json_decref(c);
        return NULL;
    }
    return c;
}

static json_t *changes_json(const engrate_model *m, const engrate_whatif *w, const char *lang)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < engrate_whatif_count(w); i++)
        if (jpush(a, change_json(m, w, i, lang))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

/* Rank the changes into res["whatif"], then, with a target rate, find the path into
 * res["target"]. 0, or -1 with p filled. */
static int add_whatif(work *w, const whatif_opts *wo, const options *opt, json_t *res,
                      problem *p)
{
    engrate_error err;
    unsigned flags = (opt->strict ? ENGRATE_STRICT : 0) |
                     (wo->no_evidence ? ENGRATE_WHATIF_NO_EVIDENCE : 0);
    int rc = engrate_whatif_set_inputs(w->w, wo->vary, wo->n_vary, &err);
    if (rc == 0)
        rc = engrate_whatif_run(w->w, w->q, wo->top, flags, &err);
    if (rc == 0 && jput(res, "whatif", changes_json(w->m, w->w, opt->lang)))
        rc = ENGRATE_E_NOMEM;
    if (rc == 0 && !isnan(wo->target)) {
        rc = engrate_whatif_target(w->w, w->q, wo->target, wo->max_changes, flags, &err);
        json_t *target = rc < 0 ? NULL
                                : json_pack("{s:o, s:b, s:I, s:o}", "rate", jnum(wo->target),
                                            "reached", engrate_whatif_reached(w->w),
                                            "max_changes", (json_int_t)wo->max_changes,
                                            "path", changes_json(w->m, w->w, opt->lang));
        if (rc == 0 && jput(res, "target", target))
            rc = ENGRATE_E_NOMEM;
    }
    if (rc == ENGRATE_E_NOMEM)
        return api_fail(p, 503, "unavailable", "out of memory");
    if (rc < 0)
        return api_fail(p, 400, "bad_request", "%s", err.text);
    return 0;
}

static int whatif_request(const served_model *sm, const char *body, size_t len,
                          api_reply *out)
{
    problem p;
    options opt = {"en", 0};
    whatif_opts wo = {0};
    work w;
    out->estimates = 0;
    json_t *root = api_parse(body, len, &p);
    if (!root)
        return api_send(out, p.status, api_problem_json(&p));
    json_t *res = NULL;
    /* The options first (a body that is not an object is the estimate's to refuse), so
     * that a bad one is refused before any work. */
    if ((!json_is_object(root) || read_whatif_opts(sm->model, root, &wo, &p) == 0) &&
        api_work_init(&w, sm, 1, &p) == 0 &&
        (res = api_estimate_one(&w, root, &opt, whatif_keys, &p)) != NULL &&
        add_whatif(&w, &wo, &opt, res, &p) != 0) {
        json_decref(res);
        res = NULL;
    }
    json_decref(root);
    if (!res)
        return api_send(out, p.status, api_problem_json(&p));
    out->estimates = 1;
    return api_send(out, 200, res);
}

/* The request's JSON lives in the thread's arena, as for an estimate (api.c). */
int api_whatif(const served_model *sm, const char *body, size_t len, api_reply *out)
{
    arena_begin();
    int rc = whatif_request(sm, body, len, out);
    arena_end();
    return rc;
}
