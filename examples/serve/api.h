/* api.h: what api.c and api_json.c share: jansson, and helpers that build JSON values
 * where a constructor that fails (out of memory) makes the whole answer fail, never a
 * silently missing field. */
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

#endif
