/* chaos_ops.h: the operations tests/check_chaos.c runs with allocations failing, what a
 * run of one reports back, and what the files that hold them share: chaos_ops.c (the
 * helpers below, the data, the list), chaos_model.c (models and estimates),
 * chaos_whatif.c (what-if), chaos_train.c (training) and chaos_acc.c (training in parts). */
#ifndef ENGRATE_CHAOS_OPS_H
#define ENGRATE_CHAOS_OPS_H

#include <stddef.h>

#include "engrate.h"
#include "engrate_train.h"

/* How a run ended. */
enum {
    CHAOS_SAME,       /* succeeded, with the output of the run where nothing failed */
    CHAOS_NOMEM,      /* ENGRATE_E_NOMEM, reported as the library promises */
    CHAOS_SAME_ERROR, /* the error of the run where nothing failed (a bad row, say): what
                       * the failed allocation was for went with the error */
    CHAOS_BAD         /* anything else (already printed) */
};

typedef struct chaos_ctx {
    unsigned long fail_at; /* 0: nothing fails (the reference run) */
    int persistent;        /* every allocation from fail_at on fails */
    unsigned long count;   /* out: allocations made while armed */
} chaos_ctx;

typedef struct chaos_op {
    const char *name;
    int (*run)(chaos_ctx *c); /* arms the allocator around the call(s) under test only */
} chaos_op;

/* Data, temporary directory and the model and report the operations work on. 0 or -1
 * (printed). */
int chaos_setup(void);
void chaos_teardown(void);
const chaos_op *chaos_ops(size_t *n);

/* ---- For the operations (chaos_ops.c) ----------------------------------------------- */

/* A growing string; it aborts when out of memory (never used while armed). */
typedef struct chaos_buf {
    char *s;
    size_t n, cap;
} chaos_buf;
void chaos_printf(chaos_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Arm the failing allocator as c says; disarm it and note in c how many allocations
 * there were. Nothing but the calls under test may run in between. */
void chaos_begin(chaos_ctx *c);
void chaos_end(chaos_ctx *c);

/* The reference run keeps its output (taking out); every other run must give the same.
 * CHAOS_SAME or CHAOS_BAD. */
int chaos_settle(chaos_ctx *c, char **ref, char *out);
/* CHAOS_NOMEM when rc and err say ENGRATE_E_NOMEM and "out of memory", else CHAOS_BAD. */
int chaos_expect_nomem(const char *what, int rc, const engrate_error *err);
/* A call that failed: ENGRATE_E_NOMEM, or the reference's error (the reference run must
 * fail with code expect), its code, place and text being the output. */
int chaos_error_outcome(chaos_ctx *c, const engrate_error *err, int expect, char **ref);
/* The model's text (made with nothing failing). */
char *chaos_model_text(const engrate_model *m);
int chaos_write_file(const char *path, const char *text, size_t len);

/* What chaos_setup makes. */
typedef struct chaos_data {
    char tmpdir[64], save_dir[80], jp_model_path[80], synth_path[80];
    char levels_path[4096], train_path[4096];
    char *example, *messy, *jp_csv, *synth_csv, *sources, *jp_text, *jp_bad;
    size_t example_len, messy_len, jp_csv_len, synth_len;
    engrate_model *jp_model;         /* models/jp-freelance, trained here */
    engrate_train_report *jp_report; /* and its report */
} chaos_data;
extern chaos_data chaos;

/* The operations of chaos_model.c and chaos_train.c, and the references they keep. */
extern const chaos_op chaos_model_ops[];
extern const size_t chaos_n_model_ops;
extern const chaos_op chaos_train_ops[];
extern const size_t chaos_n_train_ops;
extern const chaos_op chaos_whatif_ops[]; /* chaos_whatif.c */
extern const size_t chaos_n_whatif_ops;
extern const chaos_op chaos_acc_ops[]; /* chaos_acc.c: training in parts */
extern const size_t chaos_n_acc_ops;
void chaos_acc_free(void);
void chaos_model_free(void);
void chaos_train_free(void);
void chaos_whatif_free(void);
/* Work counted against the size of the input: loading more levels, a profile of more
 * skills (chaos_model.c). 0, or 1 when it grew faster than the input (printed). */
int chaos_growth(void);
/* Train models/jp-freelance as models/local.mk does, with its levels file and a report. */
engrate_model *chaos_train_jp(engrate_train_report **report, engrate_error *err);

#endif
