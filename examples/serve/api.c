/* api.c: the JSON API of engrate-serve (docs/api.md), from a request body to a status and
 * a JSON body, with jansson. Nothing here knows HTTP: http.c routes and sends.
 *
 * An estimate's JSON is the object `engrate-estimate --json` prints, key for key, so that
 * a platform can move between the CLI and the service; examples/serve/test_api.py holds
 * the two to each other. */
#include "serve.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ---- Building JSON -------------------------------------------------------------------- */

/* JSON has no NaN: null stands for "does not apply", as in engrate-estimate --json. */
static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* A string the CLI would print: NULL is "". Every string given here is valid UTF-8 (the
 * library checks a model's text when it loads it, jansson's parser a request's), so
 * jansson need not check it again. */
static json_t *str(const char *s)
{
    return json_string_nocheck(s ? s : "");
}

/* o[k] = v, taking v; a NULL v (a constructor out of memory) or a failed set marks *bad.
 * The keys are our own ASCII literals. */
static void set(json_t *o, const char *k, json_t *v, int *bad)
{
    if (json_object_set_new_nocheck(o, k, v) != 0)
        *bad = 1;
}

/* A string, or null when there is none. */
static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Add v under k; -1 if v is NULL (a failed constructor) or the add fails. Steals v. */
static int put(json_t *o, const char *k, json_t *v)
{
    return v && json_object_set_new(o, k, v) == 0 ? 0 : -1;
}

static int push(json_t *a, json_t *v)
{
    return v && json_array_append_new(a, v) == 0 ? 0 : -1;
}

typedef struct growbuf {
    char *p;
    size_t len, cap;
    int failed;
} growbuf;

static int grow_add(const char *buffer, size_t size, void *data)
{
    growbuf *g = data;
    if (g->len + size + 2 > g->cap) {
        size_t cap = g->cap ? g->cap : 1024;
        while (cap < g->len + size + 2)
            cap *= 2;
        char *p = realloc(g->p, cap);
        if (!p) {
            g->failed = 1;
            return -1;
        }
        g->p = p;
        g->cap = cap;
    }
    memcpy(g->p + g->len, buffer, size);
    g->len += size;
    return 0;
}

/* The compact text of v with a final newline, malloc'd; NULL when out of memory. Takes v. */
static char *dump(json_t *v, size_t *len)
{
    growbuf g = {0};
    int rc = v ? json_dump_callback(v, grow_add, &g, JSON_COMPACT) : -1;
    json_decref(v);
    if (rc != 0 || g.failed || !g.p) {
        free(g.p);
        return NULL;
    }
    g.p[g.len++] = '\n';
    g.p[g.len] = '\0';
    *len = g.len;
    return g.p;
}

static int reply(api_reply *out, int status, json_t *v)
{
    out->status = status;
    out->body = dump(v, &out->len);
    if (out->body)
        return 0;
    static const char oom[] =
        "{\"error\":{\"status\":503,\"type\":\"unavailable\",\"message\":\"out of memory\"}}\n";
    out->status = 503;
    out->body = strdup(oom);
    out->len = out->body ? sizeof oom - 1 : 0;
    return out->body ? 0 : -1;
}

static json_t *error_object(int status, const char *type, const char *message)
{
    return json_pack("{s:{s:i, s:s, s:s}}", "error", "status", status, "type", type,
                     "message", message);
}

int api_error(api_reply *out, int status, const char *type, const char *message)
{
    return reply(out, status, error_object(status, type, message));
}

/* ---- GET /api/v1/model ------------------------------------------------------------------ */

static json_t *level_json(const engrate_model *m, size_t input, size_t level)
{
    json_t *aliases = json_array();
    size_t na = engrate_level_alias_count(m, input, level);
    for (size_t k = 0; aliases && k < na; k++)
        if (push(aliases, str(engrate_level_alias(m, input, level, k)))) {
            json_decref(aliases);
            aliases = NULL;
        }
    unsigned f = engrate_level_flags(m, input, level);
    /* json_pack takes the "o" values even when it fails, so nothing leaks. */
    return json_pack("{s:o, s:{s:o, s:o}, s:o, s:b}", "id", str(engrate_level_id(m, input, level)),
                     "name", "en", str(engrate_level_name(m, input, level, "en")), "ja",
                     str(engrate_level_name(m, input, level, "ja")), "aliases", aliases,
                     "evidence", !(f & ENGRATE_LEVEL_NO_EVIDENCE));
}

static json_t *input_json(const engrate_model *m, size_t i)
{
    static const char *const kinds[] = {"?", "categorical", "set", "numeric"};
    int kind = engrate_input_kind(m, i);
    json_t *o = json_pack("{s:o, s:s, s:{s:o, s:o}}", "id", str(engrate_input_id(m, i)), "kind",
                          kinds[kind >= 1 && kind <= 3 ? kind : 0], "label", "en",
                          str(engrate_input_label(m, i, "en")), "ja",
                          str(engrate_input_label(m, i, "ja")));
    int bad = !o;
    if (!bad && kind == ENGRATE_NUMERIC) {
        bad = put(o, "min", num(engrate_input_min(m, i))) ||
              put(o, "max", num(engrate_input_max(m, i))) ||
              put(o, "default", num(engrate_input_default(m, i)));
    } else if (!bad) {
        json_t *levels = json_array();
        size_t n = engrate_input_level_count(m, i);
        for (size_t l = 0; levels && l < n; l++)
            if (push(levels, level_json(m, i, l))) {
                json_decref(levels);
                levels = NULL;
            }
        bad = put(o, "levels", levels);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *capabilities_json(void)
{
    /* The page shows its what-if list only when "whatif" is true (docs/api.md). */
    return json_pack("{s:b, s:b, s:i, s:b, s:b}", "estimate", 1, "batch", 1, "batch_max",
                     SERVE_BATCH_MAX, "reload", 1, "whatif", 0);
}

char *api_model_json(const engrate_model *m, unsigned long generation, double loaded_at,
                     size_t *len)
{
    static const char *const meta[] = {"name", "description", "currency", "period", "basis",
                                       "as_of"};
    char when[32];
    serve_iso_time(loaded_at, when, sizeof when);
    json_t *inputs = json_array();
    size_t n = engrate_model_input_count(m);
    for (size_t i = 0; inputs && i < n; i++)
        if (push(inputs, input_json(m, i))) {
            json_decref(inputs);
            inputs = NULL;
        }
    json_t *o = json_object();
    for (size_t k = 0; o && k < sizeof meta / sizeof meta[0]; k++)
        if (put(o, meta[k], str_or_null(engrate_model_meta(m, meta[k])))) {
            json_decref(o);
            o = NULL;
        }
    json_t *rest = json_pack("{s:o, s:I, s:s, s:s, s:i, s:o, s:o}", "interval_level",
                             num(engrate_model_interval_level(m)), "generation",
                             (json_int_t)generation, "loaded_at", when, "engrate_version",
                             engrate_version_string(), "api_version", 1, "capabilities",
                             capabilities_json(), "inputs", inputs);
    if (!o || !rest || json_object_update(o, rest) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(rest);
    return o ? dump(o, len) : NULL;
}

/* ---- Reading a profile ------------------------------------------------------------------ */

/* What is wrong with a request: an HTTP status, a type and a message that says where. */
typedef struct problem {
    int status;
    const char *type;
    int line, column; /* in the body, for malformed JSON; 0 otherwise */
    char message[ENGRATE_ERROR_TEXT_MAX + 160];
} problem;

__attribute__((format(printf, 4, 5))) static int fail(problem *p, int status, const char *type,
                                                      const char *fmt, ...)
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

static json_t *problem_json(const problem *p)
{
    json_t *o = error_object(p->status, p->type, p->message);
    json_t *e = json_object_get(o, "error");
    if (o && p->line > 0 &&
        (put(e, "line", json_integer(p->line)) || put(e, "column", json_integer(p->column)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *type_name(const json_t *v)
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

typedef struct options {
    const char *lang;
    int strict;
} options;

static int read_options(const json_t *o, options *opt, problem *p)
{
    const json_t *v = json_object_get(o, "lang");
    if (v) {
        const char *s = json_string_value(v);
        if (!s || (strcmp(s, "en") != 0 && strcmp(s, "ja") != 0))
            return fail(p, 400, "bad_request", "field 'lang' must be \"en\" or \"ja\"");
        opt->lang = strcmp(s, "ja") == 0 ? "ja" : "en";
    }
    v = json_object_get(o, "strict");
    if (v) {
        if (!json_is_boolean(v))
            return fail(p, 400, "bad_request", "field 'strict' must be true or false, not %s",
                        type_name(v));
        opt->strict = json_is_true(v);
    }
    return 0;
}

/* Every key of a profile is an input of the model, "lang" or "strict": a misspelt field
 * ("skill") is an error, not a silently ignored input. */
static int check_fields(const engrate_model *m, const json_t *o, problem *p)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        if (strcmp(key, "lang") == 0 || strcmp(key, "strict") == 0 ||
            engrate_model_input_index(m, key) >= 0)
            continue;
        char known[200] = "";
        size_t n = engrate_model_input_count(m), used = 0;
        for (size_t i = 0; i < n && used < sizeof known; i++)
            used += (size_t)snprintf(known + used, sizeof known - used, "%s, ",
                                     engrate_input_id(m, i));
        return fail(p, 400, "bad_request",
                    "unknown field '%.80s' (the model's inputs: %slang, strict)", key, known);
    }
    return 0;
}

static int add_name(engrate_query *q, const char *id, const json_t *s, problem *p)
{
    engrate_error err;
    /* 0 matched, 1 (or, in later versions, 0) unknown and recorded: both are success. */
    int rc = engrate_query_add(q, id, json_string_value(s), &err);
    if (rc < 0)
        return fail(p, rc == ENGRATE_E_NOMEM ? 503 : 400,
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
            return fail(p, 400, "bad_request", "field '%s' must be a number or null, not %s",
                        id, type_name(v));
        if (engrate_query_set_number(q, id, json_number_value(v), &err) < 0)
            return fail(p, 400, "bad_request", "field '%s': %s", id, err.text);
        return 0;
    }
    if (json_is_string(v))
        return add_name(q, id, v, p);
    if (kind == ENGRATE_SET && json_is_array(v)) {
        size_t k;
        const json_t *item;
        json_array_foreach(v, k, item) {
            if (!json_is_string(item))
                return fail(p, 400, "bad_request",
                            "field '%s' must be an array of strings: item %zu is %s", id, k,
                            type_name(item));
            if (add_name(q, id, item, p))
                return -1;
        }
        return 0;
    }
    return fail(p, 400, "bad_request", "field '%s' must be %s, not %s", id,
                kind == ENGRATE_SET ? "an array of strings, a string or null"
                                    : "a string or null",
                type_name(v));
}

/* ---- The result, as engrate-estimate --json prints it ----------------------------------- */

static json_t *contribution_json(const engrate_model *m, const engrate_result *r, size_t i,
                                 const char *lang)
{
    int input = engrate_result_contribution_input(r, i);
    int level = engrate_result_contribution_level(r, i);
    size_t in = input < 0 ? 0 : (size_t)input;
    const char *name = input < 0    ? "base"
                       : level >= 0 ? engrate_level_name(m, in, (size_t)level, lang)
                                    : engrate_input_label(m, in, lang);
    int bad = 0;
    json_t *c = json_object();
    set(c, "input", str(input < 0 ? "(base)" : engrate_input_id(m, in)), &bad);
    set(c, "level", level >= 0 ? str(engrate_level_id(m, in, (size_t)level)) : json_null(),
        &bad);
    set(c, "name", str(name), &bad);
    set(c, "value", num(engrate_result_contribution_value(r, i)), &bad);
    set(c, "amount", num(engrate_result_contribution_amount(r, i)), &bad);
    set(c, "no_evidence",
        json_boolean(engrate_result_contribution_flags(r, i) & ENGRATE_FLAG_NO_EVIDENCE), &bad);
    if (bad) {
        json_decref(c);
        return NULL;
    }
    return c;
}

static json_t *contributions_json(const engrate_model *m, const engrate_result *r,
                                  const char *lang)
{
    json_t *a = json_array();
    size_t n = engrate_result_contribution_count(r);
    for (size_t i = 0; a && i < n; i++)
        if (push(a, contribution_json(m, r, i, lang))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

/* "unknown", "suggestions" and "aliased" into o; -1 when out of memory. */
static int names_json(json_t *o, const engrate_model *m, const engrate_result *r,
                      const char *lang)
{
    json_t *unknown = json_array(), *suggestions = json_array(), *aliased = json_array();
    int bad = put(o, "unknown", unknown) | put(o, "suggestions", suggestions) |
              put(o, "aliased", aliased);
    size_t nu = engrate_result_unknown_count(r);
    for (size_t i = 0; !bad && i < nu; i++) {
        size_t input = (size_t)engrate_result_unknown_input(r, i);
        const char *given = engrate_result_unknown_name(r, i);
        int s = engrate_model_suggest(m, input, given);
        bad = push(unknown, str(given)) ||
              push(suggestions,
                   json_pack("{s:o, s:o, s:o}", "input", str(engrate_input_id(m, input)),
                             "given", str(given), "suggestion",
                             s >= 0 ? str(engrate_level_id(m, input, (size_t)s)) : json_null()));
    }
    size_t na = engrate_result_aliased_count(r);
    for (size_t i = 0; !bad && i < na; i++) {
        size_t input = (size_t)engrate_result_aliased_input(r, i);
        size_t level = (size_t)engrate_result_aliased_level(r, i);
        bad = push(aliased, json_pack("{s:o, s:o, s:o, s:o}", "given",
                                      str(engrate_result_aliased_given(r, i)), "input",
                                      str(engrate_input_id(m, input)), "level",
                                      str(engrate_level_id(m, input, level)), "name",
                                      str(engrate_level_name(m, input, level, lang))));
    }
    return bad ? -1 : 0;
}

static json_t *flags_json(unsigned f)
{
    static const struct {
        unsigned bit;
        const char *name;
    } flags[] = {{ENGRATE_FLAG_UNKNOWN, "unknown"},
                 {ENGRATE_FLAG_CLAMPED, "clamped"},
                 {ENGRATE_FLAG_DEFAULTED, "defaulted"},
                 {ENGRATE_FLAG_NO_EVIDENCE, "no_evidence"},
                 {ENGRATE_FLAG_MISSING, "missing"}};
    json_t *a = json_array();
    for (size_t i = 0; a && i < sizeof flags / sizeof flags[0]; i++)
        if ((f & flags[i].bit) && push(a, json_string(flags[i].name))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

static json_t *result_json(const engrate_model *m, const engrate_result *r, const char *lang)
{
    const char *currency = engrate_model_meta(m, "currency");
    int bad = 0;
    json_t *o = json_object();
    set(o, "model", str(engrate_model_meta(m, "name")), &bad);
    set(o, "estimate", num(engrate_result_estimate(r)), &bad);
    set(o, "low", num(engrate_result_low(r)), &bad);
    set(o, "high", num(engrate_result_high(r)), &bad);
    set(o, "level", num(engrate_result_level(r)), &bad);
    set(o, "currency", str(currency ? currency : "?"), &bad);
    set(o, "period", str(engrate_model_meta(m, "period")), &bad);
    set(o, "contributions", contributions_json(m, r, lang), &bad);
    if (bad || names_json(o, m, r, lang) ||
        put(o, "flags", flags_json(engrate_result_flags(r)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- POST /api/v1/estimate and /api/v1/estimate/batch ----------------------------------- */

typedef struct work {
    const engrate_model *m;
    engrate_query *q;
    engrate_result *r;
} work;

/* One profile's result object, or NULL with p filled. */
static json_t *estimate_one(work *w, const json_t *profile, options opt, problem *p)
{
    if (!json_is_object(profile)) {
        fail(p, 400, "bad_request", "a profile must be a JSON object, not %s",
             type_name(profile));
        return NULL;
    }
    if (read_options(profile, &opt, p) || check_fields(w->m, profile, p))
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
    int rc = engrate_estimate(w->q, opt.strict ? ENGRATE_STRICT : 0, w->r, &err);
    if (rc == ENGRATE_E_UNKNOWN_NAME)
        fail(p, 422, "unknown_name", "%s", err.text);
    else if (rc == ENGRATE_E_NOMEM)
        fail(p, 503, "unavailable", "out of memory");
    else if (rc < 0)
        fail(p, 400, "bad_request", "%s", err.text);
    if (rc < 0)
        return NULL;
    json_t *o = result_json(w->m, w->r, opt.lang);
    if (!o)
        fail(p, 503, "unavailable", "out of memory");
    return o;
}

static json_t *parse(const char *body, size_t len, problem *p)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        fail(p, 400, "bad_json", "malformed JSON at line %d, column %d: %s", jerr.line,
             jerr.column, jerr.text);
        p->line = jerr.line > 0 ? jerr.line : 0;
        p->column = jerr.column > 0 ? jerr.column : 0;
    }
    return root;
}

/* Each worker thread keeps the query and result it made for the model it served last,
 * with a reference to that model, so that an estimate allocates only what jansson does.
 * After a reload the first request of each thread makes new ones; the old model lives
 * until then (at most one per thread) or until the thread ends. */
typedef struct thread_work {
    served_model *sm;
    engrate_query *q;
    engrate_result *r;
} thread_work;

static pthread_key_t work_key;
static pthread_once_t work_once = PTHREAD_ONCE_INIT;
static int work_key_ok;

static void thread_work_free(void *p)
{
    thread_work *tw = p;
    engrate_query_free(tw->q);
    engrate_result_free(tw->r);
    served_model_release(tw->sm);
    free(tw);
}

static void work_key_create(void)
{
    work_key_ok = pthread_key_create(&work_key, thread_work_free) == 0;
}

static int work_init(work *w, const served_model *sm, problem *p)
{
    pthread_once(&work_once, work_key_create);
    thread_work *tw = work_key_ok ? pthread_getspecific(work_key) : NULL;
    if (tw && tw->sm == sm) {
        *w = (work){sm->model, tw->q, tw->r};
        return 0;
    }
    thread_work *fresh = calloc(1, sizeof *fresh);
    if (fresh) {
        fresh->q = engrate_query_new(sm->model, NULL);
        fresh->r = engrate_result_new(sm->model, NULL);
    }
    if (!fresh || !fresh->q || !fresh->r || !work_key_ok ||
        pthread_setspecific(work_key, fresh) != 0) {
        if (fresh) {
            engrate_query_free(fresh->q);
            engrate_result_free(fresh->r);
            free(fresh);
        }
        return fail(p, 503, "unavailable", "out of memory");
    }
    fresh->sm = served_model_retain((served_model *)sm);
    if (tw)
        thread_work_free(tw);
    *w = (work){sm->model, fresh->q, fresh->r};
    return 0;
}

int api_estimate(const served_model *sm, const char *body, size_t len, api_reply *out)
{
    problem p;
    options opt = {"en", 0};
    work w;
    out->estimates = 0;
    json_t *root = parse(body, len, &p);
    if (!root)
        return reply(out, p.status, problem_json(&p));
    if (work_init(&w, sm, &p)) {
        json_decref(root);
        return reply(out, p.status, problem_json(&p));
    }
    json_t *res = estimate_one(&w, root, opt, &p);
    json_decref(root);
    if (!res)
        return reply(out, p.status, problem_json(&p));
    out->estimates = 1;
    return reply(out, 200, res);
}

static int batch_fields(const json_t *root, problem *p)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)root, key, v) {
        if (strcmp(key, "profiles") != 0 && strcmp(key, "lang") != 0 &&
            strcmp(key, "strict") != 0)
            return fail(p, 400, "bad_request",
                        "unknown field '%.80s' (a batch has profiles, lang, strict)", key);
    }
    const json_t *profiles = json_object_get(root, "profiles");
    if (!json_is_array(profiles))
        return fail(p, 400, "bad_request", "field 'profiles' must be an array, not %s",
                    profiles ? type_name(profiles) : "missing");
    if (json_array_size(profiles) > SERVE_BATCH_MAX)
        return fail(p, 413, "too_large", "a batch holds at most %d profiles, not %zu",
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
        json_t *res = estimate_one(w, profile, opt, &p);
        if (!res && p.status == 503) {
            json_decref(results);
            return NULL;
        }
        *failed += !res;
        if (push(results, res ? res : problem_json(&p))) {
            json_decref(results);
            results = NULL;
        }
    }
    return results;
}

int api_batch(const served_model *sm, const char *body, size_t len, api_reply *out)
{
    problem p;
    options opt = {"en", 0};
    work w;
    out->estimates = 0;
    json_t *root = parse(body, len, &p);
    if (!root)
        return reply(out, p.status, problem_json(&p));
    if (!json_is_object(root))
        fail(&p, 400, "bad_request", "the body must be a JSON object, not %s", type_name(root));
    if (!json_is_object(root) || batch_fields(root, &p) || read_options(root, &opt, &p) ||
        work_init(&w, sm, &p)) {
        json_decref(root);
        return reply(out, p.status, problem_json(&p));
    }
    const json_t *profiles = json_object_get(root, "profiles");
    size_t failed = 0, n = json_array_size(profiles);
    json_t *results = batch_results(&w, profiles, opt, &failed);
    json_decref(root);
    if (!results)
        return api_error(out, 503, "unavailable", "out of memory");
    out->estimates = n - failed;
    return reply(out, 200,
                 json_pack("{s:o, s:I, s:I, s:o}", "model",
                           str(engrate_model_meta(sm->model, "name")), "count", (json_int_t)n,
                           "failed", (json_int_t)failed, "results", results));
}

/* ---- GET /healthz and POST /api/v1/reload ----------------------------------------------- */

static json_t *model_summary(const served_model *sm)
{
    char when[32];
    serve_iso_time(sm->loaded_at, when, sizeof when);
    return json_pack("{s:o, s:I, s:s}", "name", str_or_null(engrate_model_meta(sm->model, "name")),
                     "generation", (json_int_t)sm->generation, "loaded_at", when);
}

int api_health(const served_model *sm, const reload_status *st, api_reply *out)
{
    return reply(out, 200,
                 json_pack("{s:s, s:o, s:{s:I, s:I, s:o}}", "status", "ok", "model",
                           model_summary(sm), "reloads", "ok", (json_int_t)st->ok, "failed",
                           (json_int_t)st->failed, "last_error",
                           st->last_failed ? json_string(st->last_error) : json_null()));
}

int api_reloaded(const served_model *sm, int rc, const engrate_error *err, api_reply *out)
{
    if (rc == 0)
        return reply(out, 200, json_pack("{s:b, s:o}", "reloaded", 1, "model", model_summary(sm)));
    json_t *o = error_object(500, "reload_failed", err->text);
    json_t *e = json_object_get(o, "error");
    if (o && put(e, "serving", model_summary(sm))) {
        json_decref(o);
        o = NULL;
    }
    return reply(out, 500, o);
}
