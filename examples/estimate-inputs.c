/* estimate-inputs.c: the estimator with any model's inputs: --input NAME=VALUE (an input
 * named by its id or by its label in the model's own words, a set's names separated by
 * , 、 ， ; or ；), --list inputs and a numeric input's range. Only the public API. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <engrate.h>

#include "engrate-estimate.h"

/* The input a user names, by id or label (engrate_model_find_input), or -1 after saying
 * which inputs there are. */
int find_input(const view *v, const char *name, size_t *input)
{
    const engrate_model *m = v->m;
    int rc = engrate_model_find_input(m, name, input);
    if (rc == 0)
        return 0;
    fprintf(stderr, "engrate-estimate: %s '%s' (inputs:",
            rc == ENGRATE_E_DUPLICATE ? "more than one input is called" : "the model has no input",
            name);
    for (size_t i = 0; i < engrate_model_input_count(m); i++)
        fprintf(stderr, " %s", engrate_input_label(m, i, v->lang));
    fprintf(stderr, ")\n");
    return -1;
}

/* The model's inputs: id, kind, label, and how many levels or which range. */
int list_inputs(const view *v, int json)
{
    static const char *const kinds[] = {"?", "categorical", "set", "numeric"};
    const engrate_model *m = v->m;
    size_t n = engrate_model_input_count(m);
    if (json)
        printf("[");
    for (size_t i = 0; i < n; i++) {
        int kind = engrate_input_kind(m, i);
        const char *k = kinds[kind >= 1 && kind <= 3 ? kind : 0];
        if (json) {
            printf("%s{\"id\": ", i ? ", " : "");
            json_string(stdout, engrate_input_id(m, i));
            printf(", \"kind\": \"%s\", \"label\": ", k);
            json_string(stdout, engrate_input_label(m, i, v->lang));
            printf(", \"levels\": %zu}", engrate_input_level_count(m, i));
            continue;
        }
        printf("%-20s %-12s %s", engrate_input_id(m, i), k, engrate_input_label(m, i, v->lang));
        if (kind == ENGRATE_NUMERIC)
            printf("  (%g to %g, default %g)\n", engrate_input_min(m, i),
                   engrate_input_max(m, i), engrate_input_default(m, i));
        else
            printf("  (%zu levels)\n", engrate_input_level_count(m, i));
    }
    if (json)
        printf("]\n");
    return 0;
}

/* A numeric input: its range, default and knots. */
int list_range(const view *v, size_t input, int json)
{
    const engrate_model *m = v->m;
    size_t nk = engrate_input_knot_count(m, input);
    if (json) {
        printf("{\"id\": ");
        json_string(stdout, engrate_input_id(m, input));
        printf(", \"min\": ");
        json_number(stdout, engrate_input_min(m, input));
        printf(", \"max\": ");
        json_number(stdout, engrate_input_max(m, input));
        printf(", \"default\": ");
        json_number(stdout, engrate_input_default(m, input));
        printf(", \"knots\": [");
        for (size_t k = 0; k < nk; k++) {
            printf("%s", k ? ", " : "");
            json_number(stdout, engrate_input_knot(m, input, k));
        }
        printf("]}\n");
        return 0;
    }
    printf("%s: a number from %g to %g (default %g)", engrate_input_label(m, input, v->lang),
           engrate_input_min(m, input), engrate_input_max(m, input),
           engrate_input_default(m, input));
    for (size_t k = 0; k < nk; k++)
        printf("%s%g", k ? ", " : "; knots at ", engrate_input_knot(m, input, k));
    printf("\n");
    return 0;
}

/* A set's value: its names split by the library, as every program splits them (, 、 ，
 * ; ；), or the whole value when it is a name of a level itself ("Developer, back-end"). */
static int add_names(const view *v, size_t input, engrate_query *q, const char *value,
                     engrate_error *err)
{
    const char *id = engrate_input_id(v->m, input);
    size_t level;
    if (engrate_model_find_level(v->m, input, value, &level, NULL) == 0)
        return engrate_query_add(q, id, value, NULL, err) < 0 ? -1 : 0;
    return engrate_query_add_list(q, id, value, NULL, err) < 0 ? -1 : 0;
}

/* One --input NAME=VALUE into the query: 0, or the exit status. */
static int add_input_arg(const view *v, engrate_query *q, const char *arg, engrate_error *err)
{
    const char *eq = strchr(arg, '=');
    char name[512];
    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof name) {
        fprintf(stderr, "engrate-estimate: --input takes NAME=VALUE, not '%s'\n", arg);
        return EXIT_USAGE;
    }
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    size_t input;
    if (find_input(v, name, &input) < 0)
        return EXIT_USAGE;
    const char *id = engrate_input_id(v->m, input), *value = eq + 1;
    int kind = engrate_input_kind(v->m, input), rc;
    if (kind == ENGRATE_NUMERIC) {
        char *end = NULL;
        errno = 0;
        double x = strtod(value, &end);
        if (!*value || !strcasecmp(value, "NA") || (end != value && !*end && isnan(x)))
            return 0; /* not known: the model's default (and `missing`, if it has one) */
        if (end == value || *end != '\0' || errno == ERANGE || !isfinite(x)) {
            fprintf(stderr, "engrate-estimate: --input %s: '%s' is not a number\n", name, value);
            return EXIT_USAGE;
        }
        rc = engrate_query_set_number(q, id, x, err);
    } else if (kind == ENGRATE_SET) {
        rc = add_names(v, input, q, value, err);
    } else {
        rc = engrate_query_add(q, id, value, NULL, err);
    }
    if (rc < 0) {
        fprintf(stderr, "engrate-estimate: --input %s: %s\n", name, err->text);
        return EXIT_USAGE;
    }
    return 0;
}

/* The profile of the shortcuts (--role ...) and of every --input, as one query q (reset
 * first), estimated into r. 0, or the exit status (message printed). */
int estimate_inputs(const view *v, engrate_query *q, const char *role, const list *skills,
                    const list *certs, const double *years, const list *inputs,
                    unsigned flags, engrate_result *r, engrate_error *err)
{
    engrate_query_reset(q);
    int rc = role ? engrate_query_add(q, "role", role, NULL, err) : 0;
    for (size_t i = 0; rc >= 0 && i < skills->n; i++)
        rc = engrate_query_add_list(q, "skills", skills->items[i], NULL, err);
    for (size_t i = 0; rc >= 0 && i < certs->n; i++)
        rc = engrate_query_add_list(q, "certs", certs->items[i], NULL, err);
    if (rc >= 0 && years && !isnan(*years)) /* NaN: not known, as if not given */
        rc = engrate_query_set_number(q, "years", *years, err);
    int status = rc < 0 ? EXIT_USAGE : 0;
    if (rc < 0)
        fprintf(stderr, "engrate-estimate: %s\n", err->text);
    for (size_t i = 0; status == 0 && i < inputs->n; i++)
        status = add_input_arg(v, q, inputs->items[i], err);
    if (status == 0 && (rc = engrate_estimate(q, flags, r, err)) < 0) {
        fprintf(stderr, "engrate-estimate: %s\n", err->text);
        status = rc == ENGRATE_E_NOMEM ? EXIT_LOAD : EXIT_USAGE;
    }
    return status;
}
