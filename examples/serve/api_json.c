/* api_json.c: the JSON that engrate-serve writes, built with jansson: small helpers that
 * turn a failed constructor into one error flag, the compact dump, the error object,
 * GET /api/v1/model's description of a model, and an estimate's result, which is the
 * object `engrate-estimate --json` prints, key for key, so that a platform can move
 * between the CLI and the service (examples/serve/test_api.py holds the two to each
 * other). api.c reads requests and calls these. */
#include "api.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Building JSON -------------------------------------------------------------------- */

/* JSON has no NaN: null stands for "does not apply", as in engrate-estimate --json. A
 * whole number is written as one ("8", "0"), as %.17g writes it in the CLI, and not as
 * jansson writes a real ("8.0"); -0 stays a real, to keep its sign. */
json_t *jnum(double x)
{
    if (!isfinite(x))
        return json_null();
    if (x == floor(x) && fabs(x) < 9007199254740992.0 && !(x == 0 && signbit(x)))
        return json_integer((json_int_t)x);
    return json_real(x);
}

/* A string the CLI would print: NULL is "". Every string given here is valid UTF-8 (the
 * library checks a model's text when it loads it, jansson's parser a request's), so
 * jansson need not check it again. */
json_t *jstr(const char *s)
{
    return json_string_nocheck(s ? s : "");
}

/* o[k] = v, taking v; a NULL v (a constructor out of memory) or a failed set marks *bad.
 * The keys are our own ASCII literals. */
void jset(json_t *o, const char *k, json_t *v, int *bad)
{
    if (json_object_set_new_nocheck(o, k, v) != 0)
        *bad = 1;
}

/* A string, or null when there is none. */
json_t *jstr_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Add v under k; -1 if v is NULL (a failed constructor) or the add fails. Steals v. */
int jput(json_t *o, const char *k, json_t *v)
{
    return v && json_object_set_new(o, k, v) == 0 ? 0 : -1;
}

int jpush(json_t *a, json_t *v)
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
        size_t cap = g->cap ? g->cap : 4096;
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

int api_send(api_reply *out, int status, json_t *v)
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

json_t *jerror(int status, const char *type, const char *message)
{
    json_t *e = json_pack("{s:{s:i, s:s, s:s}}", "error", "status", status, "type", type,
                          "message", message);
    if (e)
        return e;
    /* A message that quotes a client's bytes, cut to fit, may not be valid UTF-8, which
     * jansson refuses: then send it with every non-ASCII byte as '?'. */
    char clean[512];
    size_t i = 0;
    for (; message[i] && i + 1 < sizeof clean; i++)
        clean[i] = (unsigned char)message[i] < 0x80 ? message[i] : '?';
    clean[i] = '\0';
    return json_pack("{s:{s:i, s:s, s:s}}", "error", "status", status, "type", type,
                     "message", clean);
}

int api_error(api_reply *out, int status, const char *type, const char *message)
{
    return api_send(out, status, jerror(status, type, message));
}

/* ---- GET /api/v1/model ------------------------------------------------------------------ */

static json_t *level_json(const engrate_model *m, size_t input, size_t level)
{
    json_t *aliases = json_array();
    size_t na = engrate_level_alias_count(m, input, level);
    for (size_t k = 0; aliases && k < na; k++)
        if (jpush(aliases, jstr(engrate_level_alias(m, input, level, k)))) {
            json_decref(aliases);
            aliases = NULL;
        }
    unsigned f = engrate_level_flags(m, input, level);
    /* json_pack takes the "o" values even when it fails, so nothing leaks. */
    return json_pack("{s:o, s:{s:o, s:o}, s:o, s:b}", "id", jstr(engrate_level_id(m, input, level)),
                     "name", "en", jstr(engrate_level_name(m, input, level, "en")), "ja",
                     jstr(engrate_level_name(m, input, level, "ja")), "aliases", aliases,
                     "evidence", !(f & ENGRATE_LEVEL_NO_EVIDENCE));
}

static json_t *input_json(const engrate_model *m, size_t i)
{
    static const char *const kinds[] = {"?", "categorical", "set", "numeric"};
    int kind = engrate_input_kind(m, i);
    json_t *o = json_pack("{s:o, s:s, s:{s:o, s:o}}", "id", jstr(engrate_input_id(m, i)), "kind",
                          kinds[kind >= 1 && kind <= 3 ? kind : 0], "label", "en",
                          jstr(engrate_input_label(m, i, "en")), "ja",
                          jstr(engrate_input_label(m, i, "ja")));
    int bad = !o;
    if (!bad && kind == ENGRATE_NUMERIC) {
        bad = jput(o, "min", jnum(engrate_input_min(m, i))) ||
              jput(o, "max", jnum(engrate_input_max(m, i))) ||
              jput(o, "default", jnum(engrate_input_default(m, i))) ||
              jput(o, "reference", jnum(engrate_input_reference(m, i)));
        size_t by = engrate_input_by(m, i); /* a curve that varies by a level: its input */
        if (!bad && by != ENGRATE_NO_INDEX)
            bad = jput(o, "by", jstr(engrate_input_id(m, by)));
    } else if (!bad) {
        json_t *levels = json_array();
        size_t n = engrate_input_level_count(m, i);
        for (size_t l = 0; levels && l < n; l++)
            if (jpush(levels, level_json(m, i, l))) {
                json_decref(levels);
                levels = NULL;
            }
        bad = jput(o, "levels", levels);
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
                     SERVE_BATCH_MAX, "reload", 1, "whatif", 1);
}

static const char *typical_name(const engrate_model *m, const char *lang);

/* What the breakdown is measured from: the reference profile's name in both languages and
 * its estimate (the base), or null for a model without one (its base is the intercept). */
static json_t *reference_json(const engrate_model *m)
{
    if (!engrate_model_has_reference(m))
        return json_null();
    return json_pack("{s:{s:s, s:s}, s:o}", "name", "en", typical_name(m, "en"), "ja",
                     typical_name(m, "ja"), "estimate", jnum(engrate_model_base(m)));
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
        if (jpush(inputs, input_json(m, i))) {
            json_decref(inputs);
            inputs = NULL;
        }
    json_t *o = json_object();
    for (size_t k = 0; o && k < sizeof meta / sizeof meta[0]; k++)
        if (jput(o, meta[k], jstr_or_null(engrate_model_meta(m, meta[k])))) {
            json_decref(o);
            o = NULL;
        }
    json_t *rest = json_pack("{s:o, s:I, s:s, s:s, s:i, s:o, s:o, s:o}", "interval_level",
                             jnum(engrate_model_interval_level(m)), "generation",
                             (json_int_t)generation, "loaded_at", when, "engrate_version",
                             engrate_version_string(), "api_version", 1, "capabilities",
                             capabilities_json(), "reference", reference_json(m), "inputs",
                             inputs);
    if (!o || !rest || json_object_update(o, rest) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(rest);
    return o ? dump(o, len) : NULL;
}

/* ---- The result, as engrate-estimate --json prints it ----------------------------------- */

/* What the model's reference profile is called, as engrate-estimate says it: its typical
 * listing when the model measures listings, else its typical profile. */
static const char *typical_name(const engrate_model *m, const char *lang)
{
    const char *basis = engrate_model_meta(m, "basis");
    int listing = basis && strcmp(basis, "listing") == 0, ja = strcmp(lang, "ja") == 0;
    if (ja)
        return listing ? "平均的な案件" : "平均的なプロフィール";
    return listing ? "typical listing" : "typical profile";
}

/* The level of input `by` whose curve a numeric input's term used: {input, level, name},
 * or null for the input's own curve (engrate-estimate --json writes the same). */
static json_t *curve_json(const engrate_model *m, size_t by, size_t level, const char *lang)
{
    if (level == ENGRATE_NO_INDEX)
        return json_null();
    return json_pack("{s:o, s:o, s:o}", "input", jstr(engrate_input_id(m, by)), "level",
                     jstr(engrate_level_id(m, by, level)), "name",
                     jstr(engrate_level_name(m, by, level, lang)));
}

static json_t *contribution_json(const engrate_model *m, const engrate_result *r, size_t i,
                                 const char *lang)
{
    size_t input = engrate_result_contribution_input(r, i);
    size_t level = engrate_result_contribution_level(r, i);
    int base = input == ENGRATE_NO_INDEX, has_level = level != ENGRATE_NO_INDEX;
    const char *name = engrate_result_contribution_flags(r, i) & ENGRATE_FLAG_REFERENCE
                           ? typical_name(m, lang)
                       : base      ? "base"
                       : has_level ? engrate_level_name(m, input, level, lang)
                                   : engrate_input_label(m, input, lang);
    int bad = 0;
    json_t *c = json_object();
    jset(c, "input", jstr(base ? "(base)" : engrate_input_id(m, input)), &bad);
    jset(c, "level", has_level ? jstr(engrate_level_id(m, input, level)) : json_null(), &bad);
    jset(c, "name", jstr(name), &bad);
    jset(c, "value", jnum(engrate_result_contribution_value(r, i)), &bad);
    jset(c, "amount", jnum(engrate_result_contribution_amount(r, i)), &bad);
    jset(c, "no_evidence",
        json_boolean(engrate_result_contribution_flags(r, i) & ENGRATE_FLAG_NO_EVIDENCE), &bad);
    size_t by = base ? ENGRATE_NO_INDEX : engrate_input_by(m, input);
    if (by != ENGRATE_NO_INDEX) /* a curve that varies by a level: which level's, or null */
        jset(c, "curve", curve_json(m, by, engrate_result_contribution_curve_level(r, i), lang),
             &bad);
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
        if (jpush(a, contribution_json(m, r, i, lang))) {
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
    int bad = jput(o, "unknown", unknown) | jput(o, "suggestions", suggestions) |
              jput(o, "aliased", aliased);
    size_t nu = engrate_result_unknown_count(r);
    for (size_t i = 0; !bad && i < nu; i++) {
        size_t input = engrate_result_unknown_input(r, i), s = 0;
        const char *given = engrate_result_unknown_name(r, i);
        int found = engrate_model_suggest(m, input, given, &s) == 0;
        bad = jpush(unknown, jstr(given)) ||
              jpush(suggestions,
                   json_pack("{s:o, s:o, s:o}", "input", jstr(engrate_input_id(m, input)),
                             "given", jstr(given), "suggestion",
                             found ? jstr(engrate_level_id(m, input, s)) : json_null()));
    }
    size_t na = engrate_result_aliased_count(r);
    for (size_t i = 0; !bad && i < na; i++) {
        size_t input = engrate_result_aliased_input(r, i);
        size_t level = engrate_result_aliased_level(r, i);
        bad = jpush(aliased, json_pack("{s:o, s:o, s:o, s:o}", "given",
                                      jstr(engrate_result_aliased_given(r, i)), "input",
                                      jstr(engrate_input_id(m, input)), "level",
                                      jstr(engrate_level_id(m, input, level)), "name",
                                      jstr(engrate_level_name(m, input, level, lang))));
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
        if ((f & flags[i].bit) && jpush(a, json_string(flags[i].name))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

json_t *api_result_json(const engrate_model *m, const engrate_result *r, const char *lang)
{
    const char *currency = engrate_model_meta(m, "currency");
    int bad = 0;
    json_t *o = json_object();
    jset(o, "model", jstr(engrate_model_meta(m, "name")), &bad);
    jset(o, "estimate", jnum(engrate_result_estimate(r)), &bad);
    jset(o, "low", jnum(engrate_result_low(r)), &bad);
    jset(o, "high", jnum(engrate_result_high(r)), &bad);
    jset(o, "level", jnum(engrate_result_level(r)), &bad);
    jset(o, "currency", jstr(currency ? currency : "?"), &bad);
    jset(o, "period", jstr(engrate_model_meta(m, "period")), &bad);
    jset(o, "contributions", contributions_json(m, r, lang), &bad);
    if (bad || names_json(o, m, r, lang) ||
        jput(o, "flags", flags_json(engrate_result_flags(r)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

