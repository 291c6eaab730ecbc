/* setup.c: before the rows: the header, the columns the target, the weight and the inputs
 * are (named as the header names them, in any language), which inputs are trained (the
 * flags', or the defaults), the numeric inputs' terms, and the levels file. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* ---- Columns ----------------------------------------------------------------------- */

/* Whether a and b fold to the same name (engrate_fold_name); never for unfoldable text. */
static int same_folded(const char *a, const char *b)
{
    char fa[4 * ER_MAX_NAME_BYTES], fb[4 * ER_MAX_NAME_BYTES];
    int na = tr_fold(a, fa, sizeof fa), nb = tr_fold(b, fb, sizeof fb);
    return na > 0 && na == nb && memcmp(fa, fb, (size_t)na) == 0;
}

/* The header's column named `name`: written so, else the one column that folds to the same
 * name ("Rate" for rate); SIZE_MAX when none (or several) do. */
static size_t find_col(const trainer *t, const char *name)
{
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < t->n_cols; i++)
        if (!strcmp(t->cols[i], name))
            return i;
    for (size_t i = 0; i < t->n_cols; i++)
        if (same_folded(t->cols[i], name)) {
            if (found != SIZE_MAX)
                return SIZE_MAX;
            found = i;
        }
    return found;
}

size_t tr_find_input(const trainer *t, const char *name)
{
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < t->n_in; i++)
        if (!strcmp(t->in[i].label, name) || !strcmp(t->in[i].id, name))
            return i;
    for (size_t i = 0; i < t->n_in; i++)
        if (same_folded(t->in[i].label, name)) {
            if (found != SIZE_MAX)
                return SIZE_MAX;
            found = i;
        }
    return found;
}

/* A column that is not in the header: say which columns are, and when the header is one
 * field holding a ';' or a TAB, that the file is likely separated by it. */
static int no_column(trainer *t, int line, const char *name, const char *what)
{
    char cols[160] = "";
    size_t o = 0;
    for (size_t i = 0; i < t->n_cols && o + 4 < sizeof cols; i++)
        o += (size_t)snprintf(cols + o, sizeof cols - o, "%s'%s'", i ? ", " : "", t->cols[i]);
    const char *hint = "";
    if (t->n_cols == 1 && strchr(t->cols[0], ';'))
        hint = "; the header is one field holding ';': give --delimiter ';'";
    else if (t->n_cols == 1 && strchr(t->cols[0], '\t'))
        hint = "; the header is one field holding TABs: give --delimiter tab";
    return er_error(t->err, ENGRATE_E_MISSING, t->source, line, 0,
                    "no column '%s'%s in the header (its columns: %s)%s", name, what, cols,
                    hint);
}

static int read_header(trainer *t, int *line)
{
    const er_csv_field *f;
    size_t nf;
    int rc = er_csv_next(t->csv, &f, &nf, t->err);
    if (rc == 0)
        return er_error(t->err, ENGRATE_E_MISSING, t->source, 1, 0,
                        "the file is empty: a header row is needed");
    if (rc < 0)
        return rc;
    *line = f[0].line;
    t->n_cols = nf;
    t->cols = er_pool_alloc(&t->pool, nf * sizeof *t->cols);
    if (!t->cols)
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    for (size_t i = 0; i < nf; i++) {
        size_t n = f[i].len;
        const char *s = f[i].s;
        while (n && is_blank(*s)) {
            s++;
            n--;
        }
        while (n && is_blank(s[n - 1]))
            n--;
        if (!(t->cols[i] = er_pool_strndup(&t->pool, s, n)))
            return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->cols[j], t->cols[i]))
                return er_error(t->err, ENGRATE_E_DUPLICATE, t->source, f[i].line, f[i].col,
                                "column '%s' appears twice in the header", t->cols[i]);
    }
    return 0;
}

/* ---- Which inputs ------------------------------------------------------------------- */

static const opt_input defaults[] = {
    {ENGRATE_CATEGORICAL, (char *)"role", "", NULL, 0, 0, NULL, 0},
    {ENGRATE_SET, (char *)"skills", ";", NULL, 0, 0, NULL, 0},
    {ENGRATE_SET, (char *)"certs", ";", NULL, 0, 0, NULL, 0},
    {ENGRATE_NUMERIC, (char *)"years", "", NULL, 0, 0, NULL, 0}};
#define N_DEFAULTS (sizeof defaults / sizeof defaults[0])

/* The default input a flag changes an option of (its SEP, its knots), or -1: a flag that
 * names a column, or a default's column as another kind, makes the flags the inputs. */
static int default_changed(const opt_input *in)
{
    for (size_t d = 0; d < N_DEFAULTS; d++)
        if (in->has_option && in->kind == defaults[d].kind && !strcmp(in->col, defaults[d].col))
            return (int)d;
    return -1;
}

/* The inputs to train: the defaults when no input flag is given or every one only changes
 * an option of a default input (then with those options), else the flags' columns. */
static const opt_input *inputs_to_train(trainer *t, size_t *n, int *defaults_used)
{
    const engrate_train_options *o = t->o;
    *defaults_used = 1;
    for (size_t i = 0; i < o->n_inputs; i++)
        if (default_changed(&o->inputs[i]) < 0)
            *defaults_used = 0;
    if (!*defaults_used) {
        *n = o->n_inputs;
        return o->inputs;
    }
    opt_input *in = er_pool_alloc(&t->pool, sizeof defaults);
    if (!in)
        return NULL;
    memcpy(in, defaults, sizeof defaults);
    for (size_t i = 0; i < o->n_inputs; i++)
        in[default_changed(&o->inputs[i])] = o->inputs[i];
    *n = N_DEFAULTS;
    return in;
}

/* Input i from its flag, at column col; a default input keeps its id (role, skills,
 * certs, years: what engrate_estimate_profile and the shortcuts name) whatever the
 * header's spelling ("Role"), which is its label. */
static int setup_input(trainer *t, size_t i, const opt_input *oi, size_t col, int line,
                       int is_default)
{
    tinput *in = &t->in[i];
    in->kind = oi->kind;
    in->col = col;
    in->label = t->cols[col];
    in->id = is_default ? oi->col : NULL;
    if (col == t->target_col || col == t->weight_col)
        return er_error(t->err, ENGRATE_E_INVALID, t->source, line, 0,
                        "column '%s' cannot be both an input and the target or weight",
                        in->label);
    for (size_t j = 0; j < i; j++)
        if (t->in[j].col == col)
            return er_error(t->err, ENGRATE_E_DUPLICATE, t->source, line, 0,
                            "column '%s' is given as an input twice", in->label);
    in->sep = oi->sep;
    in->seplen = strlen(oi->sep);
    in->knots = oi->knots;
    in->n_knots = oi->n_knots;
    in->by_col = oi->by;
    in->vary = oi->vary == ER_VARY_KNOTS ? ER_VARY_KNOTS : ER_VARY_SLOPE;
    in->by = SIZE_MAX;
    in->min = INFINITY;
    in->max = -INFINITY;
    return 0;
}

/* The header columns that are neither inputs nor the target or weight, in a note. */
static void note_unused(trainer *t)
{
    char list[300];
    size_t o = 0, n = 0;
    for (size_t c = 0; c < t->n_cols; c++) {
        int used = c == t->target_col || c == t->weight_col;
        for (size_t i = 0; i < t->n_in && !used; i++)
            used = t->in[i].col == c;
        if (!used && o + 8 < sizeof list)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s'%s'", n ? ", " : "",
                                  t->cols[c]);
        n += !used;
    }
    if (n)
        er_report_note(t->rep, "%zu column%s of the header not used: %s", n, n > 1 ? "s" : "",
                       list);
}

static int setup_inputs(trainer *t, int line)
{
    size_t n_in = 0;
    int defaults_used;
    const opt_input *oin = inputs_to_train(t, &n_in, &defaults_used);
    t->in = er_pool_alloc(&t->pool, (n_in + 1) * sizeof *t->in);
    t->rx = er_pool_alloc(&t->pool, (n_in + 1) * sizeof *t->rx);
    if (!oin || !t->in || !t->rx)
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    t->n_in = n_in;
    for (size_t i = 0; i < n_in; i++) {
        size_t col = find_col(t, oin[i].col);
        int rc = col == SIZE_MAX
                     ? no_column(t, line, oin[i].col,
                                 defaults_used ? " (a default input: role, skills, certs and "
                                                 "years unless --categorical, --set or "
                                                 "--numeric name others)"
                                               : "")
                     : setup_input(t, i, &oin[i], col, line, defaults_used);
        if (rc)
            return rc;
    }
    note_unused(t);
    int rc = tr_input_ids(t);
    return rc ? rc : tr_curves_setup(t);
}

int tr_setup(trainer *t)
{
    const engrate_train_options *o = t->o;
    int line = 1, rc = read_header(t, &line);
    if (rc)
        return rc;
    if ((t->target_col = find_col(t, o->target)) == SIZE_MAX)
        return no_column(t, line, o->target, " (the target)");
    t->weight_col = SIZE_MAX;
    if (o->weight && (t->weight_col = find_col(t, o->weight)) == SIZE_MAX)
        return no_column(t, line, o->weight, " (the weight)");
    if ((rc = tr_new_term(t, UINT32_MAX, 0, NULL, -1)))
        return er_error(t->err, rc, t->source, 0, 0, "out of memory");
    if ((rc = setup_inputs(t, line)))
        return rc;
    for (size_t i = 0; i < t->n_in; i++) {
        tinput *in = &t->in[i];
        if (in->kind != ENGRATE_NUMERIC)
            continue;
        in->first = (uint32_t)t->n_terms;
        for (size_t k = 0; k <= in->n_knots; k++)
            if ((rc = tr_new_term(t, (uint32_t)i, (uint32_t)k, NULL, -1)))
                return er_error(t->err, rc, t->source, 0, 0, "too many terms");
    }
    if (!(t->scratch = er_pool_alloc(&t->pool, 4 * ER_MAX_NAME_BYTES + 16)))
        return er_error(t->err, ENGRATE_E_NOMEM, t->source, 0, 0, "out of memory");
    if (o->levels && (rc = tr_load_levels(t, o->levels)))
        return rc;
    return 0;
}
