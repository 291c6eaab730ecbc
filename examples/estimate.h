/* estimate.h: what the estimator's two files share: engrate-estimate.c (the options, the
 * profile of the shortcuts, the output) and estimate-inputs.c (any model's inputs:
 * --input NAME=VALUE, --list inputs, a numeric input's range). */
#ifndef ENGRATE_ESTIMATE_H
#define ENGRATE_ESTIMATE_H

#include <stdio.h>

#include <engrate.h>

enum { EXIT_LOAD = 1, EXIT_USAGE = 2 };

/* A growing list of names borrowed from argv. */
typedef struct list {
    const char **items;
    size_t n, cap;
} list;

/* The model and how to show it. */
typedef struct view {
    const engrate_model *m;
    const char *lang;
    int ja;
    const char *currency;
} view;

/* JSON: a string, escaped; a number (%.17g: every bit), or null for NaN. */
void json_string(FILE *f, const char *s);
void json_number(FILE *f, double x);

/* estimate-inputs.c */
/* The input a user names, by id or label (engrate_model_find_input), or -1 after saying
 * which inputs there are. */
int find_input(const view *v, const char *name);
/* --list inputs; --list of a numeric input (its range, default and knots). 0. */
int list_inputs(const view *v, int json);
int list_range(const view *v, size_t input, int json);
/* The profile of the shortcuts (--role ..., any of them NULL or empty) and of every
 * --input, as one query, estimated into r. 0, or the exit status (message printed). */
int estimate_inputs(const view *v, const char *role, const list *skills, const list *certs,
                    const double *years, const list *inputs, unsigned flags,
                    engrate_result *r, engrate_error *err);

#endif
