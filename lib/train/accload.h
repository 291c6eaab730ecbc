/* accload.h: what the accumulator file's reader shares between accload.c (the bytes, the
 * first line, the checksum, the sections) and accstate.c (each section's meaning). */
#ifndef ENGRATE_ACCLOAD_H
#define ENGRATE_ACCLOAD_H

#include "trainer.h"

typedef struct rd {
    const unsigned char *base, *p, *end, *file_end; /* end: of the current section */
    const char *source;
    const char *section;  /* what is being read, for messages */
    char item[64];
    engrate_error *err;
    int rc;               /* the first error */
    uint64_t schema_hash; /* from the options, for the terms */
    uint32_t schema_min;
} rd;

/* The first error (later ones are ignored): code, and the message with the byte offset,
 * the section and the item. Returns the code. */
ER_HIDDEN int rd_fail(rd *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
ER_HIDDEN void rd_item(rd *r, const char *what, size_t i);
/* Values; 0 / NULL once an error happened (each read checks the bytes left). */
ER_HIDDEN uint64_t rd_u64(rd *r);
ER_HIDDEN uint32_t rd_u32(rd *r);
ER_HIDDEN unsigned rd_u8(rd *r);
ER_HIDDEN double rd_f64(rd *r);
ER_HIDDEN size_t rd_count(rd *r, size_t max, size_t min_bytes, const char *what);
ER_HIDDEN const char *rd_str(rd *r, er_pool *pool, size_t max, int one_line);
ER_HIDDEN const char *rd_ostr(rd *r, er_pool *pool, size_t max);
/* A section's tag and length; its end, where the reader must then be. */
ER_HIDDEN int rd_section(rd *r, const char *tag, const char *name);
ER_HIDDEN int rd_section_end(rd *r);

/* accstate.c: the sections. Each returns 0 or r->rc. */
ER_HIDDEN int acc_read_options(rd *r, engrate_train_options **o);
ER_HIDDEN int acc_read_state(rd *r, trainer *t);   /* inputs, levels file, terms, rows */
/* accsums.c */
ER_HIDDEN int acc_claim_names(rd *r, trainer *t);  /* the folded names, as the pass made them */
ER_HIDDEN int acc_read_rows(rd *r, trainer *t);
ER_HIDDEN int acc_read_sums(rd *r, trainer *t);
ER_HIDDEN int acc_read_sample(rd *r, trainer *t);

#endif
