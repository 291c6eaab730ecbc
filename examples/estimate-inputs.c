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

#include "estimate.h"

/* The input a user names, by id or label (engrate_model_find_input), or -1 after saying
 * which inputs there are. */
int find_input(const view *v, const char *name)
{
    const engrate_model *m = v->m;
    size_t input;
    int rc = engrate_model_find_input(m, name, &input);
    if (rc == 0)
        return (int)input;
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

/* The length of a separator of a set's names at s (, 、 ， ; ；), or 0. */
static size_t separator_at(const char *s)
{
    static const char *const seps[] = {",", ";", "\xE3\x80\x81", "\xEF\xBC\x8C",
                                       "\xEF\xBC\x9B"};
    for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++)
        if (strncmp(s, seps[k], strlen(seps[k])) == 0)
            return strlen(seps[k]);
    return 0;
}

/* Whether s[0..n) starts (end = 0) or ends (end = 1) with a blank: ' ' or U+3000. */
static size_t blank_at(const char *s, size_t n, int end)
{
    if (n && s[end ? n - 1 : 0] == ' ')
        return 1;
    return n >= 3 && memcmp(end ? s + n - 3 : s, "\xE3\x80\x80", 3) == 0 ? 3 : 0;
}

/* Each name of a set's value, between separators and without blanks around it; or the
 * whole value when it is a name of a level itself ("Developer, back-end"). */
static int add_names(const view *v, size_t input, engrate_query *q, const char *value,
                     engrate_error *err)
{
    char name[1024];
    const char *id = engrate_input_id(v->m, input);
    if (engrate_model_find_level(v->m, input, value, NULL) >= 0)
        return engrate_query_add(q, id, value, err) < 0 ? -1 : 0;
    for (const char *p = value; *p;) {
        const char *end = p;
        size_t sep = 0, n, k;
        while (*end && !(sep = separator_at(end)))
            end++;
        n = (size_t)(end - p);
        while ((k = blank_at(p, n, 0))) {
            p += k;
            n -= k;
        }
        while ((k = blank_at(p, n, 1)))
            n -= k;
        if (n && n < sizeof name) {
            memcpy(name, p, n);
            name[n] = '\0';
            if (engrate_query_add(q, id, name, err) < 0)
                return -1;
        }
        p = end + sep;
    }
    return 0;
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
    int input = find_input(v, name);
    if (input < 0)
        return EXIT_USAGE;
    const char *id = engrate_input_id(v->m, (size_t)input), *value = eq + 1;
    int kind = engrate_input_kind(v->m, (size_t)input), rc;
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
        rc = add_names(v, (size_t)input, q, value, err);
    } else {
        rc = engrate_query_add(q, id, value, err);
    }
    if (rc < 0) {
        fprintf(stderr, "engrate-estimate: --input %s: %s\n", name, err->text);
        return EXIT_USAGE;
    }
    return 0;
}

/* The profile of the shortcuts (--role ...) and of every --input, as one query. 0, or the
 * exit status. */
int estimate_inputs(const view *v, const char *role, const list *skills,
                           const list *certs, const double *years, const list *inputs,
                           unsigned flags, engrate_result *r, engrate_error *err)
{
    engrate_query *q = engrate_query_new(v->m, err);
    if (!q) {
        fprintf(stderr, "engrate-estimate: %s\n", err->text);
        return EXIT_LOAD;
    }
    int rc = role ? engrate_query_add(q, "role", role, err) : 0;
    for (size_t i = 0; rc >= 0 && i < skills->n; i++)
        rc = engrate_query_add(q, "skills", skills->items[i], err);
    for (size_t i = 0; rc >= 0 && i < certs->n; i++)
        rc = engrate_query_add(q, "certs", certs->items[i], err);
    if (rc >= 0 && years)
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
    engrate_query_free(q);
    return status;
}
