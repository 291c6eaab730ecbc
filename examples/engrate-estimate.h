/* engrate-estimate.h: what the estimator's files share: exit statuses, the list of names
 * from argv, how output is written (language, currency), the output helpers of
 * engrate-estimate.c, any model's inputs (estimate-inputs.c: --input NAME=VALUE, --list
 * inputs) and the what-if options and steps of engrate-estimate-whatif.c. */
#ifndef ENGRATE_ESTIMATE_H
#define ENGRATE_ESTIMATE_H

#include <stdio.h>

#include <engrate.h>

enum { EXIT_LOAD = 1, EXIT_USAGE = 2 };

/* A growing list of arguments borrowed from argv: each is a list of names, which the
 * library splits (engrate_query_add_list), so that the estimator splits as every other
 * program does. */
typedef struct list {
    const char **items;
    size_t n, cap;
} list;

/* How to write the output: the model, the language of names ("en", "ja"; ja writes yen
 * in 万円) and the model's currency. */
typedef struct view {
    const engrate_model *m;
    const char *lang;
    int ja;
    const char *currency;
} view;

/* ---- Output helpers (engrate-estimate.c) ------------------------------------------- */

void json_string(FILE *f, const char *s);
/* %.17g, or null for NaN and infinities (JSON has neither). */
void json_number(FILE *f, double x);
/* "¥1,234,567", "123.5万円", "1,234 USD"; sign: write + for positive amounts. */
void format_amount(const view *v, char *buf, size_t cap, double x, int sign);
/* Columns a UTF-8 text takes in a terminal (CJK and full-width: two). */
int display_width(const char *s);
void pad_to(const char *s, int width);
/* The bar of amount x where `biggest` takes `cells` cells, after a minus when x is
 * negative and the bar shows. */
void signed_bar(double x, double biggest, int cells);
/* " (no evidence: no premium)" and the like for ENGRATE_FLAG_* bits, or "". */
void flag_notes(const view *v, unsigned f, char *buf, size_t cap);

/* ---- Any model's inputs (estimate-inputs.c) ------------------------------------------ */

/* The input a user names, by id or label (engrate_model_find_input): 0 with *input, or -1
 * after saying which inputs there are. */
int find_input(const view *v, const char *name, size_t *input);
/* --list inputs; --list of a numeric input (its range, default and knots). 0. */
int list_inputs(const view *v, int json);
int list_range(const view *v, size_t input, int json);
/* The profile of the shortcuts (--role ..., any of them NULL or empty) and of every
 * --input, as one query q (reset first), estimated into r. 0, or the exit status (message
 * printed). */
int estimate_inputs(const view *v, engrate_query *q, const char *role, const list *skills,
                    const list *certs, const double *years, const list *inputs,
                    unsigned flags, engrate_result *r, engrate_error *err);

/* ---- What-if (engrate-estimate-whatif.c) ------------------------------------------- */

/* What the what-if options asked for. */
typedef struct whatif_opts {
    long top;             /* --whatif N: changes to show; 0: no --whatif            */
    double target;        /* --target-rate R; NaN: none                             */
    long max_changes;     /* --max-changes K                                        */
    const char *vary;     /* --vary INPUTS, comma-separated; NULL: every input      */
    int with_no_evidence; /* --with-no-evidence                                     */
} whatif_opts;

/* What --whatif and --target-rate found: a ranking and a path, each in its what-if. */
typedef struct whatif_out {
    engrate_whatif *top, *path;
} whatif_out;

/* One of the what-if options (getopt's c and optarg) into wo: 0, or -1 after saying what
 * is wrong on stderr. */
int whatif_option(int c, const char *arg, int argc, char **argv, whatif_opts *wo);
/* Run what wo asks for on q, before anything is printed: 0 or an exit status. */
int compute_whatif(const view *v, const whatif_opts *o, const engrate_query *q,
                   unsigned flags, whatif_out *out);
/* Print it: text after the breakdown, or JSON keys inside the estimate's object. */
void print_whatif(const view *v, const whatif_opts *o, const whatif_out *out, int json);

#endif
