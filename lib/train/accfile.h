/* accfile.h: the accumulator file (docs/accumulator.md): a trainer's state after its pass,
 * written and read back exactly, on any machine. accfile.c writes it and holds the format's
 * vocabulary; accload.c reads it, strictly. */
#ifndef ENGRATE_ACCFILE_H
#define ENGRATE_ACCFILE_H

#include "trainer.h"

#define ACC_MAGIC "engrate-accumulator"
#define ACC_VERSION 2

enum { ACC_KIND_SCAN = 1, ACC_KIND_PARTIAL = 2 };

/* Section tags, in the order they come. */
#define ACC_OPTS "OPTS"
#define ACC_INPT "INPT"
#define ACC_LVLF "LVLF"
#define ACC_TERM "TERM"
#define ACC_ROWS "ROWS"
#define ACC_SUMS "SUMS"
#define ACC_SAMP "SAMP"
#define ACC_END "END!"

/* Limits the loader checks before it allocates. */
#define ACC_MAX_SPELLINGS 10000000u  /* spellings of all levels */
#define ACC_MAX_SAMPLE 100000000u    /* as the "sample" option */
#define ACC_MAX_NOTE 1024u           /* bytes of a note or a reason */

/* FNV-1a, 64 bits: the file's checksum and the identity of a schema or levels file. */
ER_HIDDEN uint64_t acc_fnv64(const void *data, size_t len);

/* Whether data begin as an accumulator file does. */
ER_HIDDEN int acc_is_file(const void *data, size_t len);

/* The trainer t (made with options o; its pass done) as the bytes of an accumulator file,
 * into b (binary; b->failed when out of memory). */
ER_HIDDEN void acc_write(const trainer *t, const engrate_train_options *o, er_buf *b);

/* Read an accumulator file into t (initialised here with the options made from the file,
 * *o, which the caller frees after tr_release). 0, or a code with err filled: the byte
 * offset and section in the text. `source` names the data in messages. */
ER_HIDDEN int acc_read(const unsigned char *data, size_t len, const char *source, trainer *t,
                       engrate_train_options **o, engrate_error *err);

#endif
