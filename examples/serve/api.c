/* api.c: the JSON API of engrate-serve (docs/api.md), from a request body to a status and
 * a JSON body: reading and checking profiles, estimating them on the model the request
 * holds, batches, health and reload answers. Nothing here knows HTTP: http.c routes and
 * sends; api_json.c writes the JSON. */
#include "api.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Reading a profile ------------------------------------------------------------------ */

int api_fail(problem *p, int status, const char *type, const char *fmt, ...)
{
    va_list ap;
    p->status = status;
    p->type = type;
    p->line = p->column = 0;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
    return -1;
}

json_t *api_problem_json(const problem *p)
{
    json_t *o = jerror(p->status, p->type, p->message);
    json_t *e = json_object_get(o, "error");
    if (o && p->line > 0 &&
        (jput(e, "line", json_integer(p->line)) || jput(e, "column", json_integer(p->column)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

const char *api_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int read_options(const json_t *o, options *opt, problem *p)
{
    const json_t *v = json_object_get(o, "lang");
    if (v) {
        const char *s = json_string_value(v);
        if (!s || (strcmp(s, "en") != 0 && strcmp(s, "ja") != 0))
            return api_fail(p, 400, "bad_request", "field 'lang' must be \"en\" or \"ja\"");
        opt->lang = strcmp(s, "ja") == 0 ? "ja" : "en";
    }
    v = json_object_get(o, "strict");
    if (v) {
        if (!json_is_boolean(v))
            return api_fail(p, 400, "bad_request", "field 'strict' must be true or false, not %s",
                        api_type_name(v));
        opt->strict = json_is_true(v);
    }
    return 0;
}

static int listed(const char *key, const char *const *names)
{
    for (; names && *names; names++)
        if (strcmp(key, *names) == 0)
            return 1;
    return 0;
}

/* a then b after the *used bytes of buf, as much as fits (buf stays terminated). */
static void append(char *buf, size_t cap, size_t *used, const char *a, const char *b)
{
    if (*used + 1 >= cap)
        return;
    int n = snprintf(buf + *used, cap - *used, "%s%s", a, b);
    if (n > 0)
        *used = *used + (size_t)n < cap ? *used + (size_t)n : cap - 1;
}

/* Every key of a profile is an input of the model, "lang", "strict" or one of `extra`: a
 * misspelt field ("skill") is an error, not a silently ignored input. */
static int check_fields(const engrate_model *m, const json_t *o, const char *const *extra,
                        problem *p)
{
    static const char *const always[] = {"lang", "strict", NULL};
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        size_t input;
        if (listed(key, always) || listed(key, extra) ||
            engrate_model_input_index(m, key, &input) == 0)
            continue;
        char known[400] = "";
        size_t used = 0;
        for (size_t i = 0; i < engrate_model_input_count(m); i++)
            append(known, sizeof known, &used, i ? ", " : "", engrate_input_id(m, i));
        append(known, sizeof known, &used, "; options: lang, strict", "");
        for (const char *const *e = extra; e && *e; e++)
            append(known, sizeof known, &used, ", ", *e);
        return api_fail(p, 400, "bad_request", "unknown field '%.80s' (the model's inputs: %s)",
                        key, known);
    }
    return 0;
}

/* A name, or with `split` (a set input given one string) a string that may list several,
 * split by the library as every program splits them (, 、 ， ; ；). An unknown name is
 * recorded, not an error. */
static int add_name(engrate_query *q, const char *id, int split, const json_t *s, problem *p)
{
    engrate_error err;
    int rc = split ? engrate_query_add_list(q, id, json_string_value(s), NULL, &err)
                                 : engrate_query_add(q, id, json_string_value(s), NULL, &err);
    if (rc < 0)
        return api_fail(p, rc == ENGRATE_E_NOMEM ? 503 : 400,
                    rc == ENGRATE_E_NOMEM ? "unavailable" : "bad_request", "%s", err.text);
    return 0;
}

static int add_value(engrate_query *q, const char *id, int kind, const json_t *v, problem *p)
{
    engrate_error err;
    if (json_is_null(v))
        return 0;
    if (kind == ENGRATE_NUMERIC) {
        if (!json_is_number(v))
            return api_fail(p, 400, "bad_request", "field '%s' must be a number or null, not %s",
                        id, api_type_name(v));
        if (engrate_query_set_number(q, id, json_number_value(v), &err) < 0)
            return api_fail(p, 400, "bad_request", "field '%s': %s", id, err.text);
        return 0;
    }
    if (json_is_string(v))
        return add_name(q, id, kind == ENGRATE_SET, v, p);
    if (kind == ENGRATE_SET && json_is_array(v)) {
        size_t k;
        const json_t *item;
        json_array_foreach(v, k, item) {
            if (!json_is_string(item))
                return api_fail(p, 400, "bad_request",
                            "field '%s' must be an array of strings: item %zu is %s", id, k,
                            api_type_name(item));
            if (add_name(q, id, 0, item, p))
                return -1;
        }
        return 0;
    }
    return api_fail(p, 400, "bad_request", "field '%s' must be %s, not %s", id,
                kind == ENGRATE_SET ? "an array of strings, a string or null"
                                    : "a string or null",
                api_type_name(v));
}

/* ---- POST /api/v1/estimate and /api/v1/estimate/batch ----------------------------------- */

json_t *api_estimate_one(work *w, const json_t *profile, options *opt,
                         const char *const *extra, problem *p)
{
    if (!json_is_object(profile)) {
        api_fail(p, 400, "bad_request", "a profile must be a JSON object, not %s",
             api_type_name(profile));
        return NULL;
    }
    if (read_options(profile, opt, p) || check_fields(w->m, profile, extra, p))
        return NULL;
    engrate_query_reset(w->q);
    size_t n = engrate_model_input_count(w->m);
    for (size_t i = 0; i < n; i++) {
        const char *id = engrate_input_id(w->m, i);
        const json_t *v = json_object_get(profile, id);
        if (v && add_value(w->q, id, engrate_input_kind(w->m, i), v, p))
            return NULL;
    }
    engrate_error err;
    int rc = engrate_estimate(w->q, opt->strict ? ENGRATE_STRICT : 0, w->r, &err);
    if (rc == ENGRATE_E_UNKNOWN_NAME)
        api_fail(p, 422, "unknown_name", "%s", err.text);
    else if (rc == ENGRATE_E_NOMEM)
        api_fail(p, 503, "unavailable", "out of memory");
    else if (rc < 0)
        api_fail(p, 400, "bad_request", "%s", err.text);
    if (rc < 0)
        return NULL;
    json_t *o = api_result_json(w->m, w->r, opt->lang);
    if (!o)
        api_fail(p, 503, "unavailable", "out of memory");
    return o;
}

json_t *api_parse(const char *body, size_t len, problem *p)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        api_fail(p, 400, "bad_json", "malformed JSON at line %d, column %d: %s", jerr.line,
             jerr.column, jerr.text);
        p->line = jerr.line > 0 ? jerr.line : 0;
        p->column = jerr.column > 0 ? jerr.column : 0;
    }
    return root;
}

/* Each worker thread keeps the query and result it made for the model it served last,
 * with a reference to that model, so that an estimate allocates only what jansson does;
 * and, once it has answered a what-if, an engrate_whatif for that model too. All three are
 * made for one model and kept with a reference to it: after a reload the first request of
 * each thread makes new ones, so no request ever uses them with another model. The old
 * model lives until then (at most one per thread) or until the thread ends. */
typedef struct thread_work {
    served_model *sm;
    engrate_query *q;
    engrate_result *r;
    engrate_whatif *w;
} thread_work;

static pthread_key_t work_key;
static pthread_once_t work_once = PTHREAD_ONCE_INIT;
static int work_key_ok;

static void thread_work_free(void *p)
{
    thread_work *tw = p;
    if (!tw)
        return;
    engrate_whatif_free(tw->w);
    engrate_query_free(tw->q);
    engrate_result_free(tw->r);
    served_model_release(tw->sm);
    free(tw);
}

static void work_key_create(void)
{
    work_key_ok = pthread_key_create(&work_key, thread_work_free) == 0;
}

/* A new thread_work for sm (without a what-if), or NULL when out of memory. */
static thread_work *thread_work_new(const served_model *sm)
{
    thread_work *tw = calloc(1, sizeof *tw);
    if (!tw)
        return NULL;
    tw->q = engrate_query_new(sm->model, NULL);
    tw->r = engrate_result_new(sm->model, NULL);
    if (!tw->q || !tw->r) {
        thread_work_free(tw);
        return NULL;
    }
    tw->sm = served_model_retain((served_model *)sm);
    return tw;
}

int api_work_init(work *w, const served_model *sm, int whatif, problem *p)
{
    pthread_once(&work_once, work_key_create);
    if (!work_key_ok)
        return api_fail(p, 503, "unavailable", "out of memory");
    thread_work *tw = pthread_getspecific(work_key);
    if (!tw || tw->sm != sm) {
        thread_work *fresh = thread_work_new(sm);
        if (!fresh || pthread_setspecific(work_key, fresh) != 0) {
            thread_work_free(fresh);
            return api_fail(p, 503, "unavailable", "out of memory");
        }
        thread_work_free(tw);
        tw = fresh;
    }
    /* Made against the model this thread_work holds, which is the request's. */
    if (whatif && !tw->w && !(tw->w = engrate_whatif_new(sm->model, NULL)))
        return api_fail(p, 503, "unavailable", "out of memory");
    *w = (work){sm->model, tw->q, tw->r, whatif ? tw->w : NULL};
    return 0;
}

static int estimate_request(const served_model *sm, const char *body, size_t len, api_reply *out)
{
    problem p;
    options opt = {"en", 0};
    work w;
    out->estimates = 0;
    json_t *root = api_parse(body, len, &p);
    if (!root)
        return api_send(out, p.status, api_problem_json(&p));
    if (api_work_init(&w, sm, 0, &p)) {
        json_decref(root);
        return api_send(out, p.status, api_problem_json(&p));
    }
    json_t *res = api_estimate_one(&w, root, &opt, NULL, &p);
    json_decref(root);
    if (!res)
        return api_send(out, p.status, api_problem_json(&p));
    out->estimates = 1;
    return api_send(out, 200, res);
}

static int batch_fields(const json_t *root, problem *p)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)root, key, v) {
        if (strcmp(key, "profiles") != 0 && strcmp(key, "lang") != 0 &&
            strcmp(key, "strict") != 0)
            return api_fail(p, 400, "bad_request",
                        "unknown field '%.80s' (a batch has profiles, lang, strict)", key);
    }
    const json_t *profiles = json_object_get(root, "profiles");
    if (!json_is_array(profiles))
        return api_fail(p, 400, "bad_request", "field 'profiles' must be an array, not %s",
                    profiles ? api_type_name(profiles) : "missing");
    if (json_array_size(profiles) > SERVE_BATCH_MAX)
        return api_fail(p, 413, "too_large", "a batch holds at most %d profiles, not %zu",
                    SERVE_BATCH_MAX, json_array_size(profiles));
    return 0;
}

/* The results of every profile of a batch, in order: a profile that fails gets
 * {"error": ...} in its place and does not stop the others. NULL when out of memory. */
static json_t *batch_results(work *w, const json_t *profiles, options opt, size_t *failed)
{
    json_t *results = json_array();
    size_t i;
    const json_t *profile;
    problem p;
    json_array_foreach(profiles, i, profile) {
        if (!results)
            break;
        options own = opt; /* a profile's lang or strict applies to it alone */
        json_t *res = api_estimate_one(w, profile, &own, NULL, &p);
        if (!res && p.status == 503) {
            json_decref(results);
            return NULL;
        }
        *failed += !res;
        if (jpush(results, res ? res : api_problem_json(&p))) {
            json_decref(results);
            results = NULL;
        }
    }
    return results;
}

static int batch_request(const served_model *sm, const char *body, size_t len, api_reply *out)
{
    problem p;
    options opt = {"en", 0};
    work w;
    out->estimates = 0;
    json_t *root = api_parse(body, len, &p);
    if (!root)
        return api_send(out, p.status, api_problem_json(&p));
    if (!json_is_object(root))
        api_fail(&p, 400, "bad_request", "the body must be a JSON object, not %s", api_type_name(root));
    if (!json_is_object(root) || batch_fields(root, &p) || read_options(root, &opt, &p) ||
        api_work_init(&w, sm, 0, &p)) {
        json_decref(root);
        return api_send(out, p.status, api_problem_json(&p));
    }
    const json_t *profiles = json_object_get(root, "profiles");
    size_t failed = 0, n = json_array_size(profiles);
    json_t *results = batch_results(&w, profiles, opt, &failed);
    json_decref(root);
    if (!results)
        return api_error(out, 503, "unavailable", "out of memory");
    out->estimates = n - failed;
    return api_send(out, 200,
                 json_pack("{s:o, s:I, s:I, s:o}", "model",
                           jstr(engrate_model_meta(sm->model, "name")), "count", (json_int_t)n,
                           "failed", (json_int_t)failed, "results", results));
}

/* The request's JSON lives in the thread's arena from the body's parse to the answer's
 * dump; the answer's text itself is malloc'd and outlives it. */
int api_estimate(const served_model *sm, const char *body, size_t len, api_reply *out)
{
    arena_begin();
    int rc = estimate_request(sm, body, len, out);
    arena_end();
    return rc;
}

int api_batch(const served_model *sm, const char *body, size_t len, api_reply *out)
{
    arena_begin();
    int rc = batch_request(sm, body, len, out);
    arena_end();
    return rc;
}

/* ---- GET /healthz and POST /api/v1/reload ----------------------------------------------- */

static json_t *model_summary(const served_model *sm)
{
    char when[32];
    serve_iso_time(sm->loaded_at, when, sizeof when);
    return json_pack("{s:o, s:I, s:s}", "name", jstr_or_null(engrate_model_meta(sm->model, "name")),
                     "generation", (json_int_t)sm->generation, "loaded_at", when);
}

int api_health(const served_model *sm, const reload_status *st, api_reply *out)
{
    return api_send(out, 200,
                 json_pack("{s:s, s:o, s:{s:I, s:I, s:o}}", "status", "ok", "model",
                           model_summary(sm), "reloads", "ok", (json_int_t)st->ok, "failed",
                           (json_int_t)st->failed, "last_error",
                           st->last_failed ? json_string(st->last_error) : json_null()));
}

int api_reloaded(const served_model *sm, int rc, const engrate_error *err, api_reply *out)
{
    if (rc == 0)
        return api_send(out, 200, json_pack("{s:b, s:o}", "reloaded", 1, "model", model_summary(sm)));
    json_t *o = jerror(500, "reload_failed", err->text);
    json_t *e = json_object_get(o, "error");
    if (o && jput(e, "serving", model_summary(sm))) {
        json_decref(o);
        o = NULL;
    }
    return api_send(out, 500, o);
}
