/* api.h: what api.c, api_json.c and api_whatif.c share: jansson, helpers that build JSON
 * values where a constructor that fails (out of memory) makes the whole answer fail, never
 * a silently missing field, and the steps of reading a request (api.c) that the what-if
 * route (api_whatif.c) takes too. */
#ifndef ENGRATE_SERVE_API_H
#define ENGRATE_SERVE_API_H

#include <jansson.h>

#include "serve.h"

/* A number; null for NaN (JSON has none), as in engrate-estimate --json. */
json_t *jnum(double x);
/* A string known to be valid UTF-8 (a model's text, a parsed request's); NULL is "". */
json_t *jstr(const char *s);
/* A string, or null when there is none. */
json_t *jstr_or_null(const char *s);
/* o[k] = v, taking v; a NULL v or a failed set sets *bad. k: our own ASCII literal. */
void jset(json_t *o, const char *k, json_t *v, int *bad);
/* o[k] = v or append v to a, taking v; -1 when v is NULL or the add fails. */
int jput(json_t *o, const char *k, json_t *v);
int jpush(json_t *a, json_t *v);
/* {"error": {"status": ..., "type": ..., "message": ...}}, or NULL. */
json_t *jerror(int status, const char *type, const char *message);
/* Fill out with status and v's compact text, taking v; a NULL v becomes 503. 0, or -1
 * when not even that could be made. */
int api_send(api_reply *out, int status, json_t *v);
/* An estimate's result as engrate-estimate --json prints it, or NULL (out of memory). */
json_t *api_result_json(const engrate_model *m, const engrate_result *r, const char *lang);

/* ---- Reading requests (api.c) ---------------------------------------------------------- */

/* What is wrong with a request: an HTTP status, a type and a message that says where. */
typedef struct problem {
    int status;
    const char *type;
    int line, column; /* in the body, for malformed JSON; 0 otherwise */
    char message[ENGRATE_ERROR_TEXT_MAX + 160];
} problem;

/* Fill p; always -1, so that `return api_fail(...)` reads as the failure it is. */
__attribute__((format(printf, 4, 5))) int api_fail(problem *p, int status, const char *type,
                                                   const char *fmt, ...);
/* p as {"error": ...}, with line and column for malformed JSON; NULL when out of memory. */
json_t *api_problem_json(const problem *p);
/* "an object", "a number", ...: for messages. */
const char *api_type_name(const json_t *v);
/* The body as JSON (duplicate keys refused), or NULL with p filled. */
json_t *api_parse(const char *body, size_t len, problem *p);

/* The options every profile may carry. */
typedef struct options {
    const char *lang;
    int strict;
} options;

/* What one thread estimates with: the model's query and result, reused request after
 * request, and a what-if made for the same model when the route needs one. */
typedef struct work {
    const engrate_model *m;
    engrate_query *q;
    engrate_result *r;
    engrate_whatif *w; /* NULL unless asked for */
} work;

/* The calling thread's work for the model sm (made, or remade after a reload, on the
 * first request that needs it); with `whatif` also its engrate_whatif. 0, or -1 with p
 * filled (out of memory). */
int api_work_init(work *w, const served_model *sm, int whatif, problem *p);
/* Read `profile` into w->q and estimate it into w->r: its result object, or NULL with p
 * filled. *opt holds the defaults and receives the profile's own lang and strict. Besides
 * the model's inputs, lang and strict, the profile may hold the keys in `extra`
 * (NULL-terminated; NULL for none), which the caller reads. */
json_t *api_estimate_one(work *w, const json_t *profile, options *opt,
                         const char *const *extra, problem *p);

#endif
