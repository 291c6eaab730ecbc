/* check_chaos.c: every allocation can fail, and each failure is a path (STYLE.md, 16).
 *
 * Each operation of both libraries (loading a model from a file and from a buffer, the
 * query, result, estimate and batch calls, writing and saving a model, the training
 * options, whole training runs, saving a report) is first run once with nothing failing:
 * that run counts its allocations (N in all) and gives the reference output. Then it is
 * run again for each n = 1..N with allocation n failing (chaos_alloc.c), once with that
 * allocation alone failing and once with every allocation from n on failing. Each run
 * must end in one of two ways:
 *  - ENGRATE_E_NOMEM, with the error filled in, nothing returned, nothing half-written,
 *    and every block allocated during the call freed again; or
 *  - the reference output, bit for bit, when the failure was absorbed. Only two kinds
 *    may be: one inside the C library that it gets round itself (fread without a buffer,
 *    qsort without its scratch array, newlocale: each has a way on without the memory),
 *    and a thread the trainer cannot start (chaos_alloc.h counts pthread_create as an
 *    allocation): it then does that thread's work itself. A failure in engrate's own code
 *    or in GSL that does not end in ENGRATE_E_NOMEM is a bug, and so is any allocation
 *    of GSL's at all: the trainer gives GSL only memory it allocated itself
 *    (docs/training.md, "Memory").
 * Operations whose reference is an error (a bad number in a model, a bad row, a collinear
 * design) may also end in that very error (code, line, column, text): what the failed
 * allocation was for is dropped with the error.
 * A crash or an abort ends the program with the operation and n on stderr.
 *
 * `make check` tries every n up to 100 and then a sample (about 100 more per operation);
 * ENGRATE_CHAOS_ALL=1 (CI) tries every n. Exit 77 (skipped) where malloc cannot be
 * replaced: sanitizer builds and valgrind, which bring allocators of their own. */
#define _GNU_SOURCE 1
#include "config.h"

#include <dlfcn.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chaos_alloc.h"
#include "chaos_ops.h"
#include "testutil.h"

/* ---- Where an allocation was made ---------------------------------------------------- */

static const void *exe_base;

/* Which object an address is in: our libraries (or this program, when they are linked
 * in statically), GSL, the C library and the dynamic linker, or something else. */
enum { OBJ_OURS, OBJ_GSL, OBJ_LIBC, OBJ_THREAD, OBJ_OTHER, OBJ_COUNT };
static const char *const obj_names[OBJ_COUNT] = {"engrate", "GSL", "libc", "thread", "other"};

static int object_of(const void *addr, const char **file, size_t *offset)
{
    Dl_info info;
    if (addr == chaos_thread_site) {
        *file = "pthread_create";
        *offset = 0;
        return OBJ_THREAD;
    }
    if (!dladdr(addr, &info) || !info.dli_fname) {
        *file = "?";
        *offset = (size_t)(uintptr_t)addr;
        return OBJ_OTHER;
    }
    const char *base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    *file = info.dli_fname;
    *offset = (size_t)((const char *)addr - (const char *)info.dli_fbase);
    if (info.dli_fbase == exe_base || strncmp(base, "libengrate", 10) == 0)
        return OBJ_OURS;
    if (strncmp(base, "libgsl", 6) == 0)
        return OBJ_GSL;
    if (strncmp(base, "libc.so", 7) == 0 || strncmp(base, "ld-linux", 8) == 0 ||
        strncmp(base, "libm.so", 7) == 0 || strncmp(base, "libpthread", 10) == 0)
        return OBJ_LIBC;
    return OBJ_OTHER;
}

static void print_where(const char *what, void *const *callers, size_t n)
{
    for (size_t i = 0; i < n && i < 8; i++) {
        const char *file;
        size_t off;
        int obj = object_of(callers[i], &file, &off);
        /* The return address is just after the call: addr2line -e FILE OFFSET-1. */
        fprintf(stderr, "    %s %zu: %s (%s) +0x%zx\n", what, i + 1, file, obj_names[obj],
                off);
    }
}

/* ---- Crash reports ------------------------------------------------------------------ */

static const char *volatile current_op;
static volatile unsigned long current_n;
static volatile int current_persistent;

static void on_crash(int sig)
{
    char msg[256];
    int len = snprintf(msg, sizeof msg,
                       "check_chaos: signal %d in '%s' with allocation %lu%s "
                       "failing\n",
                       sig, current_op ? current_op : "(setup)", current_n,
                       current_persistent ? " and all after it" : "");
    if (len > 0)
        (void)!write(2, msg, (size_t)len);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ---- The sweep ---------------------------------------------------------------------- */

#define REC_MAX (1u << 20)
static void *recorded[REC_MAX];

/* make check: every n up to DENSE, then about SPREAD more, evenly, and the last. */
#define DENSE 100
#define SPREAD 100
static int sampled(unsigned long n, unsigned long total, int all)
{
    if (all || n <= DENSE || n == total)
        return 1;
    unsigned long stride = (total - DENSE + SPREAD - 1) / SPREAD;
    return n % stride == 0;
}

/* After a run: no block allocated while armed may be left. */
static int check_leaks(const chaos_op *op, unsigned long n, int persistent)
{
    size_t live = chaos_live();
    if (live == 0)
        return 0;
    void *callers[8];
    size_t k = chaos_live_callers(callers, 8);
    fprintf(stderr, "FAIL: %s, allocation %lu%s failing: %zu blocks leaked\n", op->name, n,
            persistent ? " and after" : "", live);
    print_where("allocated at", callers, k);
    return 1;
}

/* A run whose failure was absorbed: only the C library may do that, and the trainer
 * when it cannot start its second thread (it does that thread's work itself). */
static int check_absorbed(const chaos_op *op, unsigned long n, int persistent)
{
    void *callers[64];
    size_t k = chaos_failed_callers(callers, 64);
    for (size_t i = 0; i < k; i++) {
        const char *file;
        size_t off;
        int obj = object_of(callers[i], &file, &off);
        if (obj == OBJ_LIBC || obj == OBJ_THREAD)
            continue;
        fprintf(stderr,
                "FAIL: %s, allocation %lu%s failing: the call succeeded although "
                "this allocation failed:\n",
                op->name, n, persistent ? " and after" : "");
        print_where("failed at", callers + i, 1);
        return 1;
    }
    return 0;
}

typedef struct tally {
    unsigned long runs, nomem, absorbed, same_error, bad;
} tally;

static int one_run(const chaos_op *op, unsigned long n, int persistent, tally *t)
{
    current_n = n;
    current_persistent = persistent;
    chaos_ctx c = {n, persistent, 0};
    int outcome = op->run(&c);
    int bad = 0;
    t->runs++;
    if (outcome == CHAOS_NOMEM) {
        t->nomem++;
    } else if (outcome == CHAOS_SAME) {
        t->absorbed++;
        bad |= check_absorbed(op, n, persistent);
    } else if (outcome == CHAOS_SAME_ERROR) {
        t->same_error++;
    } else {
        fprintf(stderr, "FAIL: %s, allocation %lu%s failing: wrong outcome (above)\n",
                op->name, n, persistent ? " and after" : "");
        bad = 1;
    }
    bad |= check_leaks(op, n, persistent);
    t->bad += (unsigned long)bad;
    return bad;
}

/* The reference run: it must succeed, and it says how many allocations there are and
 * where they are made. */
static int reference(const chaos_op *op, unsigned long *total)
{
    current_n = 0;
    chaos_record(recorded, REC_MAX);
    chaos_ctx c = {0, 0, 0};
    int outcome = op->run(&c);
    size_t n_rec = chaos_record(NULL, 0);
    *total = c.count;
    if (outcome != CHAOS_SAME) {
        fprintf(stderr, "FAIL: %s does not succeed with nothing failing\n", op->name);
        return 1;
    }
    if (check_leaks(op, 0, 0))
        return 1;
    unsigned long by[OBJ_COUNT] = {0};
    void *first_gsl = NULL;
    int verbose = getenv("ENGRATE_CHAOS_VERBOSE") != NULL;
    for (size_t i = 0; i < n_rec; i++) {
        const char *file;
        size_t off;
        int obj = object_of(recorded[i], &file, &off);
        if (verbose)
            printf("  allocation %zu: %s +0x%zx\n", i + 1, file, off);
        by[obj]++;
        if (obj == OBJ_GSL && !first_gsl)
            first_gsl = recorded[i];
    }
    printf("%-22s %5lu allocations (engrate %lu, libc %lu, threads %lu, GSL %lu, other %lu)"
           "\n",
           op->name, *total, by[OBJ_OURS], by[OBJ_LIBC], by[OBJ_THREAD], by[OBJ_GSL],
           by[OBJ_OTHER]);
    if (by[OBJ_GSL]) {
        fprintf(stderr, "FAIL: %s: GSL allocated %lu blocks itself\n", op->name, by[OBJ_GSL]);
        print_where("first at", &first_gsl, 1);
        return 1;
    }
    return 0;
}

static int sweep(const chaos_op *op, int all, tally *sum)
{
    current_op = op->name;
    unsigned long total;
    if (reference(op, &total)) {
        sum->bad++;
        return 1;
    }
    tally t = {0, 0, 0, 0, 0};
    int bad = 0;
    for (unsigned long n = 1; n <= total && t.bad < 5; n++) {
        if (!sampled(n, total, all))
            continue;
        bad |= one_run(op, n, 0, &t);
        bad |= one_run(op, n, 1, &t);
    }
    /* Nothing failing: the output is the reference. (Not "allocation total + 1": a file
     * read by several threads may make more allocations one time than another, since how
     * many rows each part keeps for the sample depends on when the parts' counts meet.) */
    tally past = {0, 0, 0, 0, 0};
    bad |= one_run(op, ULONG_MAX, 0, &past);
    if (past.absorbed + past.same_error != 1 || past.bad) {
        fprintf(stderr, "FAIL: %s: with nothing failing the second time, not the same\n",
                op->name);
        past.bad = 1;
        bad = 1;
    }
    printf("%-22s %5lu runs: %lu out of memory, %lu absorbed", "", t.runs, t.nomem,
           t.absorbed);
    if (t.same_error)
        printf(", %lu the reference's error", t.same_error);
    printf("%s\n", bad ? ", FAILED" : "");
    sum->runs += t.runs + past.runs;
    sum->nomem += t.nomem;
    sum->absorbed += t.absorbed;
    sum->same_error += t.same_error;
    sum->bad += t.bad + past.bad;
    return bad;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *preload = getenv("LD_PRELOAD");
    if (!chaos_available() || (preload && strstr(preload, "vgpreload"))) {
        printf("check_chaos: skipped: this build or tool has its own malloc\n");
        return 77;
    }
    Dl_info self;
    if (dladdr((void *)main, &self))
        exe_base = self.dli_fbase;
    signal(SIGSEGV, on_crash);
    signal(SIGABRT, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    const char *env = getenv("ENGRATE_CHAOS_ALL");
    int all = env && *env && strcmp(env, "0") != 0;
    if (chaos_init() || chaos_setup())
        return 99;
    size_t n_ops;
    const chaos_op *ops = chaos_ops(&n_ops);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tally sum = {0, 0, 0, 0, 0};
    int bad = 0;
    for (size_t i = 0; i < n_ops; i++) {
        if (argc > 1 && !strstr(ops[i].name, argv[1]))
            continue;
        bad |= sweep(&ops[i], all, &sum);
    }
    current_op = "growth";
    if (argc <= 1 || strstr("growth", argv[1]))
        bad |= chaos_growth();
    current_op = NULL;
    chaos_teardown();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("check_chaos: %s: %lu runs, %lu out of memory, %lu absorbed, %lu the "
           "reference's error, %lu failed (%.1f s)\n",
           all ? "every allocation" : "sampled", sum.runs, sum.nomem, sum.absorbed,
           sum.same_error, sum.bad,
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    return bad ? 1 : 0;
}
