/* trainer.h: the trainer's state and the steps that its files share: setup.c (the
 * header, the inputs), design.c (a record as a sparse design row), cells.c (numbers and
 * "no value" as spreadsheets write them), labels.c (labels as levels: spellings,
 * look-alikes, ids), levels.c (the levels file), pass.c (the one pass, the accumulating
 * thread), sample.c (the rows kept for the interval), impute.c (missing numbers), select.c
 * (which terms to fit), tune.c (lambda, the fit, cross-validation, the interval), rsort.c
 * (the residuals' orders), figures.c (what the report's figures need), emit.c (the model
 * text and the report's terms) and train.c (the entry points). */
#ifndef ER_TRAIN_TRAINER_H
#define ER_TRAIN_TRAINER_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "csv.h"
#include "fit.h"
#include "train.h"
#include "xacc.h"

#define FOLD_SEED 0x656e67726174650aull   /* fixed: folds never depend on the run */
#define SAMPLE_SEED 0x73616d706c65210aull

typedef struct term {
    uint32_t input;
    uint32_t piece;       /* numeric: 0 linear, k: after knot k-1; TR_MISSING_PIECE */
    const char *label;    /* categorical / set: the level as the data (or levels file) write it */
    const char *id;       /* its id in the model (labels.c, tr_assign_ids), else NULL */
    uint64_t count;       /* rows where it is not 0 */
    int lf;               /* index in the levels file, -1: from the data only */
    unsigned flags;       /* ENGRATE_LEVEL_NO_EVIDENCE for evidence=none */
    uint32_t spellings;   /* its first spelling in the data (labels.c), or UINT32_MAX */
    int dropped;          /* a level the schema leaves out (seen < --min-count): no sums */
    uint32_t by_term;     /* a numeric piece on the rows of one level of the input's by-column
                           * (curves.c): that level's term; 0 for every other term */
} term;

/* A numeric input's "was missing" indicator (--missing impute) is a term of its own. */
#define TR_MISSING_PIECE UINT32_MAX

/* One way the data spell a level, and how many used rows spell it so. */
typedef struct spelling {
    const char *text;     /* normalised: trimmed, runs of white space as one space */
    uint32_t term, next;  /* next: the term's next spelling, or UINT32_MAX */
    uint64_t count;
} spelling;

typedef struct tinput {
    int kind;
    const char *id;       /* the input's id in the model, made from its label */
    const char *label;    /* the column's name as the header writes it */
    size_t col;           /* field index in the header */
    const char *sep;
    size_t seplen;
    const double *knots;
    size_t n_knots;
    uint32_t first;       /* numeric: its first term */
    double min, max;      /* numeric: the range of the values given */
    const char *label_en, *label_ja;
    int scale;            /* numeric: values enter the sums as x * 2^-scale (pass.c) */
    int scale_set;
    uint32_t miss;        /* numeric: its "was missing" term, or 0 */
    uint64_t n_missing;   /* numeric: rows used without a value */
    double imputed;       /* numeric, with missing values: the value imputed */
    /* A curve that varies by the level of a categorical input (curves.c). */
    const char *by_col;   /* numeric: by=, the column as the flag names it, or NULL */
    size_t by;            /* numeric: that input, or SIZE_MAX */
    int vary;             /* ER_VARY_SLOPE or ER_VARY_KNOTS */
    uint32_t *inter;      /* [level term * pieces + piece]: its deviation's term, or 0 */
    size_t inter_cap;     /* level terms inter has room for */
    double *centre;       /* per piece: its value at the typical x, scaled (curves.c) */
} tinput;
typedef struct lfentry {  /* a level from the levels file */
    uint32_t input;
    const char *level, *id, *name_en, *name_ja, *aliases; /* level: its label; id or NULL */
    int no_evidence;
    uint32_t term;
} lfentry;

typedef struct slot {     /* (input, name) -> term (or spelling), open addressing */
    uint64_t hash;
    uint32_t input, term;
    const char *key;
    uint32_t len;
} slot;

/* A sampled row (sample.c): y, w, fold, its key (by content: the hash of the row that
 * orders the bottom-k sample) and its sparse terms, values other than 1 before the
 * indices (bit 31 of an index: "my value is the next double"). */
typedef struct srow {
    double y, w;
    uint64_t key;
    uint32_t nnz, nval;
    uint32_t fold;
    uint32_t room;        /* bytes allocated for the row, so that it can be reused */
    double data[];        /* nval doubles, then nnz uint32 indices */
} srow;
/* A row's room: a slot of its trainer's slab, or more, an allocation of its own (sample.c). */
#define ROW_SLOT 160

/* What orders the bottom-k sample (sample.c): the row's key, then its target and weight. */
typedef struct skey {
    uint64_t key;
    double y, w;
} skey;

/* Rows handed from the reader to the accumulating thread. */
#define BATCH_ROWS 4096
#define N_BATCHES 4
typedef struct batch {
    size_t n;
    uint32_t off[BATCH_ROWS + 1];
    double y[BATCH_ROWS], w[BATCH_ROWS];
    uint32_t fold[BATCH_ROWS];
    uint32_t order[BATCH_ROWS]; /* the rows grouped by fold (pass.c) */
    uint32_t *idx;
    double *val;
    size_t cap;
    uint32_t p;           /* terms the accumulators need */
} batch;

#define TR_SKIP_NOTES 5    /* rows skipped that the report shows with their error */

struct shard_run;

typedef struct trainer {
    const engrate_train_options *o;
    engrate_error *err;
    engrate_train_report *rep;
    er_pool pool;         /* strings: level ids, names */
    er_csv *csv;
    const char *source;   /* the data's name in messages (pool) */
    /* what it is for */
    int scan_only;        /* a scan: levels, counts and ranges; no sums, no sample */
    int solo;             /* a part of one input read by a thread of its own (shard.c) */
    size_t parts_read;    /* the parts the input was read in (1: one reader; steals add) */
    uint64_t steal_min;   /* bytes left below which a part is not split (0: the default) */
    int curves_by;        /* an input's curve varies by another's level (in->by) */
    int defer_sample;     /* the parts' samples may be merged on a thread of their own,
                           * joined by tr_sample_join (train.c sets it, then finishes) */
    struct tr_pending *pending; /* that merge, running, or NULL */
    struct shard_run *run;/* the parts' shared progress, or NULL */
    size_t part;          /* which part */
    uint64_t sb_pivot, sb_below; /* the sample's rows with keys below sb_pivot (shard.c) */
    unsigned sb_tick;
    size_t n_setup_notes; /* the report's notes from tr_setup (each part has the same) */
    uint64_t skip_note_at[TR_SKIP_NOTES]; /* the notes of skipped rows: which bad row each */
    size_t n_skip_notes;
    uint64_t rows_empty;
    /* a schema (the "schema" option): the levels agreed before the pass */
    int closed;           /* levels not in the schema are errors */
    size_t p_sums;        /* with a schema: terms with sums (the dropped ones come after) */
    uint64_t schema_hash; /* of the schema's bytes; 0: none */
    long schema_min_count;
    /* columns */
    size_t n_cols;
    char **cols;          /* header names (pool) */
    size_t target_col, weight_col;   /* weight_col: SIZE_MAX for none */
    tinput *in;
    size_t n_in;
    /* terms */
    term *terms;
    size_t n_terms, terms_cap;
    slot *slots;          /* cells as written -> spelling */
    size_t slot_mask, n_slots_used;
    spelling *spells;
    size_t n_spells, spells_cap;
    struct lcache *lcache; /* labels.c: recent short cells -> spelling, for this pass */
    slot *fslots;         /* folded names -> term, to refuse look-alike levels */
    size_t fslot_mask, n_fslots_used;
    lfentry *lf;
    size_t n_lf;
    /* pass */
    uint64_t rhash;       /* the row being mapped: the hash of its content (design.c) */
    uint64_t rows_read, rows_used, rows_skipped;
    uint64_t rows_bad;    /* skipped for a fault or a missing value (--max-skipped) */
    char first_bad[ENGRATE_ERROR_TEXT_MAX]; /* why the first of them was skipped */
    int y_scale;          /* the target enters the sums as y * 2^-y_scale */
    int y_scale_set;
    size_t K;             /* accumulators: max(folds, 1) */
    er_xacc *xacc;        /* per fold, exact, during the pass (xacc.h) */
    er_acc *acc;          /* the same, rounded for the fit (tr_round_sums) */
    srow **sample;        /* sample.c */
    skey *skeys;          /* by content: each sampled row's order, beside it */
    size_t sample_cap, sample_n, sample_alloc; /* rows beyond sample_n: room to reuse */
    struct srow_chunk *slab; /* where rows of ROW_SLOT bytes are cut from (sample.c) */
    size_t slab_left;     /* slots of its newest chunk not cut yet */
    int sample_own;       /* a row has an allocation of its own (larger than a slot) */
    int sample_full;      /* by content: sample_cap rows kept, and a row must come before */
    skey sample_bar;      /* this one, the last of them in key order, to be let in */
    er_rstat *lres;       /* per term: residuals of the sampled rows with the level */
    er_rstat *nres;       /* per input: of those with none of its levels */
    /* row scratch */
    uint32_t *ridx;
    double *rval;
    size_t rcap;
    double *tval;         /* sort_row (design.c): a value per term, and the terms present */
    uint64_t tbits[(ER_TRAIN_MAX_TERMS + 63) / 64];
    uint32_t *rsp;        /* the spellings the row used */
    size_t rsp_n, rsp_cap;
    double *rx;           /* per input: the row's number (NaN: missing) */
    char *scratch;        /* a label being normalised or folded */
    /* pipeline */
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_full, cv_free;
    batch *batches[N_BATCHES];
    batch *full[N_BATCHES];
    size_t n_full, full_head;
    batch *freeb[N_BATCHES];
    size_t n_free;
    int done;             /* the reader has finished */
    int acc_failed;
    batch *cur;
} trainer;

typedef struct selection {
    size_t m;
    uint32_t *cols;
    double *pen;
    const char **names;   /* per selected column */
    uint32_t *reference;  /* per input: the reference level's term, or 0 */
    unsigned char *dev;   /* per selected column: 1 for a curve's per-level deviation,
                           * penalised by_ratio times more (curves.c) */
    size_t n_dev;
} selection;

typedef struct outcome {
    double lambda;
    double *beta, *se;    /* per selected column */
    er_fit_result res;
    double **fold_coef;   /* per fold: coefficient by term (K x n_terms), b0 in [0] */
    double cv_sse, cv_sw;
    size_t *cov_pos;      /* the numeric inputs' curve terms (positions in the selection) */
    size_t n_cov;
    double *cov;          /* their covariance (n_cov x n_cov), for the curves' bands */
    /* Curves that vary by a level (curves.c): the deviations' penalty as a multiple of
     * lambda's, and the CV error of the same model without the deviations (its own lambda
     * chosen alike), with that lambda; the search: per ratio tried, the best lambda and
     * its CV error. NaN when not measured. */
    double by_ratio;
    double cv_pooled, lambda_pooled;
    double *ratio_grid, *ratio_lambda, *ratio_err;
    size_t n_ratio;
} outcome;

/* A sampled row's residual (tune.c, rsort.c, figures.c): out of fold with cross-validation. */
typedef struct resid {
    double r, w, ape;
    double pred, y;       /* the prediction, the target (transformed, scaled) */
    const srow *row;
    uint32_t fold;
    int inside;           /* in the interval calibrated without its fold; -1: no folds */
} resid;

typedef struct ordered {
    uint32_t *terms;
    size_t n;
} ordered;

/* A name folded as the library folds names (engrate_fold_name), into buf (cap bytes,
 * NUL-terminated): its length, or a negative code. */
static inline int tr_fold(const char *name, char *buf, size_t cap)
{
    size_t len = 0;
    int rc = engrate_fold_name(name, buf, cap, &len);
    return rc < 0 ? rc : (int)len;
}

static inline int is_blank(char c) { return c == ' ' || c == '\t'; }

/* The first n (0..8) bytes at p, zero-extended, as a little-endian word; p must have 8
 * bytes that may be read (a CSV field's text has, ER_CSV_PAD). */
static inline uint64_t tr_word_le(const char *p, size_t n)
{
    uint64_t w = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&w, p, 8);
#else
    for (size_t i = 0; i < 8; i++)
        w |= (uint64_t)(unsigned char)p[i] << (8 * i);
#endif
    return n >= 8 ? w : n ? w & (~0ull >> (64 - 8 * n)) : 0;
}
static inline int is_space(char c) { return is_blank(c) || c == '\r' || c == '\n'; }

/* setup.c, design.c */
/* Open-addressing tables of (input, key) -> term. tr_table_grow makes room for one more
 * (0 or ENGRATE_E_NOMEM); tr_table_find gives the slot of the key, or the empty slot where
 * it would go (NULL for a table not yet made). */
ER_HIDDEN int tr_table_grow(slot **tab, size_t *mask, size_t used);
ER_HIDDEN slot *tr_table_find(slot *tab, size_t mask, uint64_t h, uint32_t input,
                              const char *key, size_t len);
ER_HIDDEN uint64_t tr_key_hash(uint32_t input, const char *key, size_t len);
/* A new term (0, ENGRATE_E_LIMIT past ER_TRAIN_MAX_TERMS, ENGRATE_E_NOMEM). */
ER_HIDDEN int tr_new_term(trainer *t, uint32_t input, uint32_t piece, const char *label,
                          int lf);
/* A bad row: an error (returned) unless --skip-bad-rows, then counted (0). */
ER_HIDDEN int tr_bad_row(trainer *t, const char *reason, int code, int line, int col,
                         const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A row skipped: counted with its reason, and `why` kept when it is the first. */
ER_HIDDEN void tr_skip_row(trainer *t, const char *reason, const char *why);
/* After tr_skip_row for a malformed row: its error in a note, for the first few. */
ER_HIDDEN void tr_note_skipped(trainer *t, const char *text);
/* Add a non-zero to the row (0 or an error); the room grows out of line. */
ER_HIDDEN int tr_add_nz_grow(trainer *t, size_t *nnz, uint32_t term_i, double v);
static inline int tr_add_nz(trainer *t, size_t *nnz, uint32_t term_i, double v)
{
    if (*nnz >= t->rcap)
        return tr_add_nz_grow(t, nnz, term_i, v);
    t->ridx[*nnz] = term_i;
    t->rval[*nnz] = v;
    (*nnz)++;
    return 0;
}
/* Before a pass: the level look-up's cache of cells made or emptied (labels.c), the
 * row sort's room (design.c). 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int tr_level_cache_reset(trainer *t);
ER_HIDDEN int tr_row_scratch(trainer *t);
/* Map one record: 0 with the row in t->ridx/t->rval, 1 when skipped, < 0 on error. */
ER_HIDDEN int tr_map_row(trainer *t, const er_csv_field *f, size_t nf, size_t *nnz_out,
                         double *y, double *w);
/* Read the header, set up the inputs and their numeric terms, read the levels file. */
ER_HIDDEN int tr_setup(trainer *t);
/* The input a levels file names: by label, id, or folded label; SIZE_MAX. */
ER_HIDDEN size_t tr_find_input(const trainer *t, const char *name);

/* cells.c */
/* Whether a cell says "no value": empty, NA, N/A, #N/A, NaN, NULL, None, a dash, 不明. */
ER_HIDDEN int tr_cell_missing(const char *s, size_t n);
/* A number as spreadsheets write it (docs/training.md, "Numbers"): 0 or ENGRATE_E_NUMBER. */
ER_HIDDEN int tr_cell_number(const char *s, size_t n, double *out);

/* labels.c */
/* The term of the level a cell (or a set item) s[0..n) names, made when new: 0 with
 * *term_i set, or a row error's code; *skip set when the row was counted as skipped. */
ER_HIDDEN int tr_level_term(trainer *t, uint32_t input, const char *s, size_t n,
                            const er_csv_field *f, uint32_t *term_i, int *skip);
/* Record that (input, folded name) belongs to term_i; *other: the term that already has
 * it. 0, ENGRATE_E_NOMEM, ENGRATE_E_DUPLICATE, ENGRATE_E_INVALID (folds to nothing). */
ER_HIDDEN int tr_claim_folded(trainer *t, uint32_t input, const char *name, size_t n,
                              uint32_t term_i, uint32_t *other);
/* The spelling `text` of term ti (a label as tr_normalise_label makes it), added when new:
 * its index, or UINT32_MAX (no memory). */
ER_HIDDEN uint32_t tr_spelling_of(trainer *t, uint32_t ti, const char *text);
/* The term whose name `label` folds to, in input `input`, or UINT32_MAX. */
ER_HIDDEN uint32_t tr_label_term(const trainer *t, uint32_t input, const char *label);
/* A label as the trainer keeps it: trimmed, each run of white space one space; its length
 * in out (cap bytes), or < 0: ENGRATE_E_LIMIT (too long), ENGRATE_E_SYNTAX (a control
 * character), ENGRATE_E_INVALID (nothing left to match it by). */
ER_HIDDEN int tr_normalise_label(const char *s, size_t n, char *out, size_t cap);
/* After the pass: each level's label (the levels file's, else its most frequent spelling,
 * with a note when there were several), then ids for the levels in the model. */
ER_HIDDEN int tr_name_levels(trainer *t);
ER_HIDDEN int tr_assign_ids(trainer *t);
/* An id made from a label: the label when it is one, else its readable part, else a hash
 * (labels.c says how). out needs ER_MAX_ID_BYTES + 1 bytes. */
ER_HIDDEN void tr_make_id(const char *label, const char *hash_of, char *out);
/* Ids for the inputs, made from their columns' names, distinct (a default input has its
 * own already). */
ER_HIDDEN int tr_input_ids(trainer *t);

/* impute.c */
/* --missing impute, after the pass: the value imputed for each numeric input with missing
 * values, and the sums turned into those of the imputed columns. */
ER_HIDDEN void tr_impute(trainer *t);
/* Coefficients by term of the imputed columns, turned into those of the rows as the pass
 * stored them (value 0 and the indicator when missing), for predicting sampled rows. */
ER_HIDDEN void tr_impute_to_rows(const trainer *t, double *coef);

/* train.c: a trainer's life */
/* The data: a file, or a buffer with its name for messages. */
typedef struct tr_source {
    const char *path;
    const char *data;
    size_t len;
    const char *name;
} tr_source;
#define TR_MAX_PARTS 64   /* --threads */
#define TR_RESPLIT 1000   /* tr_pass_parts: the cuts were not records' ends: read as one */
/* A trainer for options o, its errors into err (not NULL). 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int tr_init(trainer *t, const engrate_train_options *o, engrate_error *err);
/* A trainer for part i of the input `whole` reads (shard.c). */
ER_HIDDEN int tr_init_part(trainer *t, const trainer *whole, engrate_error *err,
                           struct shard_run *run, size_t i);
ER_HIDDEN void tr_release(trainer *t);
/* A reader of the data, its delimiter and encoding set from the options. */
ER_HIDDEN er_csv *tr_open(const tr_source *src, const engrate_train_options *o,
                          engrate_error *err);
/* Read the data: the header, the levels file, the pass (in parts when `split` and the
 * options allow). 0, TR_RESPLIT, or a code with the error set. */
ER_HIDDEN int tr_read(trainer *t, const tr_source *src, int split);
/* Read bytes [start, end) of the data, which start at line `line`, after its header. */
ER_HIDDEN int tr_read_part(trainer *t, const tr_source *src, uint64_t start, uint64_t end,
                           int line);
/* After the pass: the model (NULL with the error set) and, when it was fitted, the report
 * into *report (which may be NULL). */
ER_HIDDEN engrate_model *tr_finish(trainer *t, engrate_train_report **report);
/* Set a reader's delimiter (given, else TAB for a .tsv name, else ',') and encoding. */
ER_HIDDEN int tr_csv_format(er_csv *c, const engrate_train_options *o, const char *name,
                            engrate_error *err);

/* shard.c */
/* How many parts to read an input of `size` bytes in: --threads (0: the processors),
 * fewer when parts would be small, 1 when the encoding or --folds-by order forbid. */
ER_HIDDEN size_t tr_parts_wanted(const trainer *t, uint64_t size);
/* Add the quotes and line breaks in p[0..n) to *quotes and *lines (where a cut may go). */
ER_HIDDEN void tr_count_bytes(const char *p, size_t n, uint64_t *quotes, uint64_t *lines);
/* The pass over t's input (its reader after the header) in n parts read by as many
 * threads, merged into t. 0, TR_RESPLIT, or a code with the error set. */
ER_HIDDEN int tr_pass_parts(trainer *t, const tr_source *src, size_t n);
/* A part's reader is at input offset `offset`: the whole input's progress, reported by
 * part 0's thread. */
ER_HIDDEN void tr_part_progress(trainer *t, uint64_t offset);
/* Wait for the parts' samples merged on a thread of their own (t->pending), if any: 0 or
 * ENGRATE_E_NOMEM (not put in t->err). Before anything reads the sample, and in
 * tr_release. */
ER_HIDDEN int tr_sample_join(trainer *t);
/* A part's reader set up to have its end moved by steals (tr_read_part), and the start of
 * a record it has reached made known to them (tr_pass, now and then). */
ER_HIDDEN void tr_part_attach(trainer *t);
ER_HIDDEN void tr_part_at(trainer *t);
#define TR_PART_AT_EVERY 4096 /* rows */
/* Parts share a bound on the sample's keys (shard.c): a key at or above it has at least
 * `sample` rows of the whole input below it, so no part needs its row. tr_part_share
 * publishes this part's count of rows below the current pivot and lowers the bound when
 * the parts' counts say so; tr_sample_below counts them (sample.c). */
ER_HIDDEN uint64_t tr_part_bound(const trainer *t);
ER_HIDDEN void tr_part_share(trainer *t);
ER_HIDDEN uint64_t tr_sample_below(const trainer *t, uint64_t pivot);

/* levels.c */
ER_HIDDEN int tr_load_levels(trainer *t, const char *path);

/* schema.c: after the levels file, the terms of the options' schema (closing the levels).
 * 0 or a code with the error set. */
ER_HIDDEN int tr_apply_schema(trainer *t);

/* pass.c */
/* The one pass over the rows. */
ER_HIDDEN int tr_pass(trainer *t);
/* The threads the work may use: --threads, or (0) as many as there are processors. */
ER_HIDDEN int tr_threads(const engrate_train_options *o);
/* The pass's exact sums rounded into t->acc, for the fit (0 or a code with err set). */
ER_HIDDEN int tr_round_sums(trainer *t);

/* sample.c */
/* Offer a row (idx[0] = 0, the intercept) to the sample: 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int tr_sample_offer(trainer *t, uint64_t key, const uint32_t *idx, const double *val,
                              size_t nnz, double y, double w, uint32_t fold);
/* src's sample into dst's (by content), src's term i being dst's map[i] (map NULL: the
 * same), its values of term i multiplied by 2^sx[i] (sx may be NULL) and its targets by
 * 2^sy. 0 or ENGRATE_E_NOMEM. */
ER_HIDDEN int tr_sample_merge(trainer *dst, trainer *src, const uint32_t *map, const int *sx,
                              int sy);
ER_HIDDEN void tr_sample_free(trainer *t);
/* By content, the sample made what it keeps: its first sample_cap rows in key order (the
 * rows let in beyond them go, their room kept for rows to come) and the bar a new row must
 * pass. After a pass, a merge or a load, before the sample is read. */
ER_HIDDEN void tr_sample_settle(trainer *t);
/* Row r of t's sample, or a new one (r NULL), with room for `need` bytes: r itself when
 * it has the room, else grown (its contents not kept); NULL: no memory, r left as it was.
 * A row so made is t's: freed with t's sample, or by tr_sample_unrow when never put in. */
ER_HIDDEN srow *tr_sample_row(trainer *t, srow *r, size_t need);
ER_HIDDEN void tr_sample_unrow(srow *r);
/* Room for n rows in t->sample (0 or ENGRATE_E_NOMEM). */
ER_HIDDEN int tr_sample_room(trainer *t, size_t n);
/* b0 + x'coef for a sampled row, coef indexed by term. */
ER_HIDDEN double tr_sample_predict(const srow *r, double b0, const double *coef);

/* The number of terms with sums: all, or with a schema those it keeps (they come first). */
static inline size_t tr_sum_terms(const trainer *t)
{
    return t->closed ? t->p_sums : t->n_terms;
}

/* merge.c */
/* src's pass added to dst's, as if dst had read src's rows after its own (src is left
 * spent: its sums scaled, its sample moved). 0, or ENGRATE_E_NOMEM / ENGRATE_E_LIMIT with
 * dst->err filled. The parts must come from the same options (shard.c, or checked by
 * tr_compatible). */
ER_HIDDEN int tr_merge(trainer *dst, trainer *src);
/* What tr_merge_later leaves for tr_sample_merge: src's terms in dst (map), the scales of
 * its values (sx, NULL: none) and of its target (sy). tr_later_free frees them. */
typedef struct tr_later {
    uint32_t *map;
    int *sx;
    int sy;
} tr_later;
/* tr_merge without the sample, which tr_sample_merge(dst, src, later->map, later->sx,
 * later->sy) adds afterwards (shard.c: on a thread of its own while the fit starts). */
ER_HIDDEN int tr_merge_later(trainer *dst, trainer *src, tr_later *later);
ER_HIDDEN void tr_later_free(tr_later *later);

/* select.c */
ER_HIDDEN int tr_select_terms(trainer *t, const er_acc *total, double lambda_if_fixed,
                              selection *s);
ER_HIDDEN void tr_selection_free(selection *s);
/* Each term's place among the selected (sel->cols), -1 for a term not selected: n_terms
 * entries, malloc'd (NULL: out of memory). */
ER_HIDDEN int32_t *tr_selection_positions(const trainer *t, const selection *sel);

/* tune.c */
/* Choose lambda, fit, cross-validate at the chosen lambda, calibrate the interval. */
ER_HIDDEN int tr_fit_all(trainer *t, selection *sel, outcome *oc);
ER_HIDDEN void tr_outcome_free(outcome *oc, size_t K);

/* rsort.c: the residuals' orders (by residual, by absolute percentage error, by
 * prediction: each total on what a residual holds, ties by the other fields), as qsort
 * comparators, and a sort into one of them that gives a stable sort's result (equal ones in
 * input order), faster. 0 or ENGRATE_E_NOMEM. */
enum { TR_BY_R, TR_BY_APE, TR_BY_PRED };
ER_HIDDEN int tr_resid_cmp(const void *a, const void *b);
ER_HIDDEN int tr_ape_cmp(const void *a, const void *b);
ER_HIDDEN int tr_pred_cmp(const void *a, const void *b);
ER_HIDDEN int tr_sort_resid(resid *v, size_t n, int by);

/* figures.c */
/* The curves' terms, whose covariance the fit is asked for (oc->cov_pos, oc->cov). */
ER_HIDDEN int tr_curve_terms(trainer *t, const selection *sel, outcome *oc);
/* From the sample's residuals in prediction order (tr_sort_resid TR_BY_PRED, so that the
 * figures do not depend on the sample's order): the residuals per level (t->lres,
 * t->nres; 0 or ENGRATE_E_NOMEM), which read only the residuals and the sampled rows and
 * write only those two; and the report's deciles of the prediction. */
ER_HIDDEN int tr_level_residuals(trainer *t, const resid *v, size_t m);
ER_HIDDEN void tr_report_deciles(trainer *t, const resid *v, size_t m, int held_out);
/* The report's inputs (curves with their bands, levels with their figures), the model's
 * metadata and the data's name. */
ER_HIDDEN int tr_report_inputs(trainer *t, const selection *sel, const outcome *oc);

/* tune.c, for curves.c: the CV RMSE (K >= 2) or the GCV score of the fit `spec` at each
 * lambda of grid[0..ng), into err. 0 or an error (filled). */
ER_HIDDEN int tr_grid_errors(trainer *t, const er_acc *total, const er_fit_spec *spec,
                             const double *grid, size_t ng, double *err);
/* The grid of lambdas tried: scale * 10^t, t = -6, -5.75, ..., 2 (TR_GRID points). */
#define TR_GRID 33
ER_HIDDEN void tr_lambda_grid(double scale, double *grid);

/* impute.c: column j += alpha * column src, in the sums of a (X'WX, X'Wy). */
ER_HIDDEN void tr_add_column(er_acc *a, size_t j, size_t src, double alpha);

/* curves.c: curves that vary by the level of a categorical input (docs/training.md). */
/* After the inputs are set up: each by-column is a categorical input. */
ER_HIDDEN int tr_curves_setup(trainer *t);
/* Input i's deviation for level term lt and piece p, made when new (a schema's trainer,
 * closed, makes none: ENGRATE_E_DATA); 0, ENGRATE_E_NOMEM or ENGRATE_E_LIMIT. */
ER_HIDDEN int tr_curves_piece(trainer *t, size_t i, uint32_t lt, size_t p, uint32_t *out);
/* Term j, a deviation read from a file or taken from a schema (its input, piece and
 * by_term set), entered in its input's table: 0, ENGRATE_E_DATA when it is not one a pass
 * makes (or the level has it already), ENGRATE_E_NOMEM. */
ER_HIDDEN int tr_curves_take(trainer *t, uint32_t j);
/* Add the row's per-level pieces (its level's copies of each numeric piece it has); f:
 * the row's fields, for a message. 1: the row is skipped (a schema without the piece). */
ER_HIDDEN int tr_curves_row(trainer *t, size_t *nnz, const er_csv_field *f);
/* After the pass: each per-level piece measured from its value at the typical x. */
ER_HIDDEN int tr_curves_centre(trainer *t);
/* Coefficients by term of the centred pieces, as the rows store them (the levels' own
 * coefficients less their pieces' at the typical x): for predicting sampled rows and for
 * the model. */
ER_HIDDEN void tr_curves_to_rows(const trainer *t, double *coef);
/* Whether a selected term is a per-level deviation; its penalty is then by_ratio times. */
ER_HIDDEN int tr_is_deviation(const trainer *t, uint32_t term_i);
/* Choose lambda and the deviations' penalty ratio together (lambda auto or given), and
 * measure the model without deviations: sets *lambda, oc->by_ratio and the search's
 * figures, and scales sel->pen's deviations by the ratio. */
ER_HIDDEN int tr_curves_choose(trainer *t, const er_acc *total, selection *sel, outcome *oc,
                               double *lambda);
/* A numeric input's `by` lines of the model text (0 or ENGRATE_E_NOMEM). */
ER_HIDDEN int tr_curves_emit(const trainer *t, er_buf *b, size_t i, const selection *sel,
                             const double *coef);
/* The report's "curves_by_level" and its summary lines (0 or ENGRATE_E_NOMEM). */
ER_HIDDEN int tr_curves_report(trainer *t, const selection *sel, const outcome *oc,
                               const double *coef);

/* emit.c */
/* A numeric input's typical value, the model's reference: the weighted mean of the
 * values given (clamped to the range). */
ER_HIDDEN double tr_numeric_reference(const trainer *t, const tinput *in);
/* The report's base: the typical listing's estimate, as engrate_model_base will give it. */
ER_HIDDEN int tr_report_base(trainer *t, const selection *sel, const outcome *oc);
/* The model's metadata value k (ER_META_*) as written: given, or the default; NULL: none. */
ER_HIDDEN const char *tr_meta(const trainer *t, size_t k);
/* The levels of input i in model order. */
ER_HIDDEN int tr_order_levels(const trainer *t, size_t i, ordered *out);
ER_HIDDEN int tr_report_terms(trainer *t, const selection *sel, const outcome *oc);
/* The power of two a fitted coefficient of term_i is multiplied by to be in the data's
 * units (the columns and the target were scaled as they were summed, pass.c). */
ER_HIDDEN int tr_coef_scale(const trainer *t, uint32_t term_i);
/* The weighted mean of term j's column over every row used (all folds), as accumulated;
 * NaN when no row has weight. */
ER_HIDDEN er_dd tr_term_mean(const trainer *t, uint32_t j);
/* The fitted model, as model text loaded through the public loader. */
ER_HIDDEN engrate_model *tr_build_model(trainer *t, const selection *sel, const outcome *oc);

#endif
