/* format.h: what the model loader's two files share: format.c (the grammar, the sections
 * and their keys, the writer) and bylevel.c (the keys of curves that vary by the level of
 * a categorical input, which can only be checked once every input is read). */
#ifndef ENGRATE_FORMAT_H
#define ENGRATE_FORMAT_H

#include "internal.h"

enum section { S_NONE, S_MODEL, S_TRAINING, S_INTERVAL, S_INPUT, S_LEVEL };

/* A view of a line or part of one. */
typedef struct er_span {
    const char *s;
    size_t n;
} er_span;

/* Where a `by` key was, for the checks made after the last line. */
typedef struct er_by_at {
    const char *id;          /* the input it names (in the pool), NULL: no `by`  */
    int line, col;
} er_by_at;

typedef struct er_parser {
    engrate_model *m;
    engrate_error *err;
    const char *source;
    int line;
    enum section sec;
    int sec_line;            /* line of the current section header            */
    unsigned seen;           /* bit per key of the current section seen once  */
    int seen_model, seen_training, seen_interval;
    int version;             /* of the file, from its magic line              */
    int ref_inputs;          /* inputs so far with a `reference`, and without */
    int plain_inputs;
    er_input *input;         /* current input                                 */
    int levels_line;         /* line of its `levels` key                      */
    size_t levels_declared;
    er_level *level;         /* current level                                 */
    size_t n_keys;           /* keys in the name index                        */
    size_t n_names;          /* ids, display names and aliases so far         */
    size_t cap_sources;
    size_t max_levels;       /* what the file's size could hold               */
    er_by_at by_at[ER_MAX_INPUTS]; /* per input: its `by` key (bylevel.c)     */
    size_t n_devs;           /* `by.LEVEL` lines so far, in all inputs         */
} er_parser;

/* format.c's helpers, for bylevel.c. er_fmt_fail fills the error at the current line
 * (column of col_at in the line starting at ls; 0 without them) and returns code. */
ER_HIDDEN int er_fmt_fail(er_parser *p, int code, const char *col_at, const char *ls,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Blank-separated numbers, at most max, into a new pool array. */
ER_HIDDEN int er_fmt_numbers(er_parser *p, er_span v, const char *ls, double **out,
                             size_t *count, size_t max);
/* A key that needs format version 2: 0, or ENGRATE_E_UNKNOWN_KEY in a version-1 file. */
ER_HIDDEN int er_fmt_needs_v2(er_parser *p, er_span key, const char *ls, const char *section);

/* bylevel.c */
/* `by = INPUT` or `by.LEVEL = NUMBERS` in the current [input] (version 2): 0 or an error. */
ER_HIDDEN int er_by_key(er_parser *p, er_span key, er_span v, const char *ls);
/* At the end of an [input]: deviations need a `by`. */
ER_HIDDEN int er_by_end_input(er_parser *p);
/* After the last line: each `by` names a categorical input, each deviation one of its
 * levels with evidence, once; the levels' curves are made. */
ER_HIDDEN int er_by_resolve(er_parser *p);
/* The `by` lines of input in, in canonical form (none without a `by`). */
ER_HIDDEN void er_by_write(er_buf *o, const engrate_model *m, const er_input *in);

#endif
