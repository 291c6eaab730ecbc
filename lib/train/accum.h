/* accum.h: what accum.c (making, saving and loading accumulators) and accmerge.c (merging
 * and finishing them) share. */
#ifndef ENGRATE_ACCUM_H
#define ENGRATE_ACCUM_H

#include "trainer.h"

#define ACC_MAX_FILE_BYTES ((size_t)1 << 34) /* an accumulator file read whole: 16 GiB */

struct engrate_train_acc {
    trainer t;
    engrate_train_options *o; /* the options it was made with */
    engrate_error err;        /* where t reports */
    int kind;                 /* ACC_KIND_* */
    char origin[ENGRATE_ERROR_SOURCE_MAX]; /* its file, or its data's name, in messages */
    int broken;               /* a merge failed half-way: not to be used */
};

/* The accumulator's bytes (b zeroed first; free(b->s) after): 0 or a code. */
ER_HIDDEN int tr_acc_bytes(const engrate_train_acc *a, er_buf *b, engrate_error *err);
/* An accumulator from a file's bytes (strictly, accload.c). */
ER_HIDDEN engrate_train_acc *tr_acc_from_bytes(const unsigned char *data, size_t len,
                                               const char *source, engrate_error *err);
/* Solve the sums of a partial with the fit options `fit` (accmerge.c). */
ER_HIDDEN engrate_model *tr_acc_finish(const engrate_train_acc *a,
                                       const engrate_train_options *fit,
                                       engrate_train_report **report, engrate_error *err);

#endif
