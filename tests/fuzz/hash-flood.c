/* hash-flood.c: a hostile model for the name index, made by hand, not by the build. It
 * writes a model whose N level ids all hash into the first 1024 slots of the index (ids
 * tried in order, kept when their slot is low), loads it and says how long that took,
 * next to N ordinary ids. With an unkeyed hash and linear probing, a file of this kind
 * makes the loader quadratic (100,000 ids: 16 s instead of 0.07 s when this was written;
 * see docs/hardening.md). It includes lib/names.c to reach the static key_hash(), so it
 * follows that function: when the index takes a key (a per-model random seed), this
 * program can no longer aim, and the two times must come out alike.
 *
 *   cc -O2 -I. -Iinclude -Ilib tests/fuzz/hash-flood.c lib/util.c lib/model.c \
 *      lib/format.c lib/estimate.c -lm -o hash-flood && ./hash-flood 100000 [out.model]
 * (from a configured build directory; add -I$srcdir/... for a VPATH build) */
#define _POSIX_C_SOURCE 200809L
#include "names.c"

#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double load(const char *text, size_t len)
{
    engrate_error err;
    double t0 = now();
    engrate_model *m = engrate_model_load_buffer(text, len, "flood", 0, &err);
    double dt = now() - t0;
    if (!m)
        fprintf(stderr, "hash-flood: %s\n", err.text);
    engrate_model_free(m);
    return dt;
}

static char *make(int n, int hostile, size_t *len)
{
    size_t slots = 64, cap = (size_t)n * 32 + 1024, used = 0;
    unsigned bits = 6;
    while (slots < 2 * ((size_t)n + 1)) { /* the table the loader ends with */
        slots *= 2;
        bits++;
    }
    char *b = malloc(cap);
    if (!b)
        exit(2);
    used += (size_t)sprintf(b, "engrate-model 1\n[model]\nname = flood\ncurrency = JPY\n"
                               "period = month\ntransform = log\nintercept = 13\n[interval]\n"
                               "level = 0.8\nlow = -0.2\nhigh = 0.2\n[input s]\nkind = set\n"
                               "levels = %d\n", n);
    char id[32];
    for (unsigned long long t = 0, found = 0; found < (unsigned long long)n; t++) {
        int k = sprintf(id, "%llx", t);
        uint64_t head;
        if (hostile && key_hash(0, 0, id, (size_t)k, &head) >> (64 - bits) >= 1024)
            continue;
        used += (size_t)sprintf(b + used, "[level %s]\ncoef=0\n", id);
        found++;
    }
    *len = used;
    return b;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    size_t la, lb;
    char *plain = make(n, 0, &la), *hostile = make(n, 1, &lb);
    printf("%d ordinary ids: %.3f s to load\n", n, load(plain, la));
    printf("%d ids aimed at 1024 slots: %.3f s to load\n", n, load(hostile, lb));
    if (argc > 2) {
        FILE *f = fopen(argv[2], "wb");
        if (f) {
            fwrite(hostile, 1, lb, f);
            fclose(f);
        }
    }
    free(plain);
    free(hostile);
    return 0;
}
