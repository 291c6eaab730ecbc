/* chaos_alloc.c: the failing allocator of tests/check_chaos.c (chaos_alloc.h says what it
 * does). It replaces the C library's allocator functions in the test program and passes
 * each call on to glibc's own implementation (__libc_malloc and its siblings), so that
 * every block still comes from glibc and glibc may free what it gets. Only builds that
 * can replace malloc define the replacements: glibc, no sanitizer that brings its own
 * allocator (there the test skips). */
#define _GNU_SOURCE 1
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chaos_alloc.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) ||                          \
    defined(__SANITIZE_HWADDRESS__)
#define CHAOS_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                    \
    __has_feature(memory_sanitizer) || __has_feature(hwaddress_sanitizer)
#define CHAOS_OFF 1
#endif
#endif
#if !defined(__GLIBC__)
#define CHAOS_OFF 1
#endif

#ifdef CHAOS_OFF

const char chaos_thread_site[1];
int chaos_available(void) { return 0; }
int chaos_init(void) { return 0; }
void chaos_arm(unsigned long fail_at, int persistent) { (void)fail_at, (void)persistent; }
void chaos_disarm(void) {}
unsigned long chaos_count(void) { return 0; }
unsigned long long chaos_bytes(void) { return 0; }
size_t chaos_live(void) { return 0; }
size_t chaos_live_callers(void **out, size_t max) { return (void)out, (void)max, 0; }
size_t chaos_failed_callers(void **out, size_t max) { return (void)out, (void)max, 0; }
size_t chaos_record(void **out, size_t max) { return (void)out, (void)max, 0; }

#else

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

/* One lock around everything, the glibc call included: the trainer allocates from two
 * threads, and glibc's __libc_* functions never call back into these. */
static char lock_;
static void lock(void)
{
    while (__atomic_test_and_set(&lock_, __ATOMIC_ACQUIRE))
        ;
}
static void unlock(void) { __atomic_clear(&lock_, __ATOMIC_RELEASE); }

static int armed;
static unsigned long count, fail_at;
static unsigned long long total_bytes;
static int persistent;
#define MAX_FAILED 256
static void *failed[MAX_FAILED];
static size_t n_failed;
static void **rec;
static size_t rec_max, n_rec;

/* The live table: open addressing on the block's address, deletion by shifting back the
 * entries that follow, so that no tombstones build up. */
#define TAB_BITS 18
#define TAB_SIZE ((size_t)1 << TAB_BITS)
typedef struct entry {
    void *p, *caller;
} entry;
static entry tab[TAB_SIZE];
static size_t live;

static size_t slot_of(const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> (64 - TAB_BITS));
}

static void track(void *p, void *caller)
{
    if (live >= TAB_SIZE / 2) /* more blocks live than the test will ever make */
        abort();
    size_t i = slot_of(p);
    while (tab[i].p)
        i = (i + 1) & (TAB_SIZE - 1);
    tab[i].p = p;
    tab[i].caller = caller;
    live++;
}

static void untrack(const void *p)
{
    if (!p || !live)
        return;
    size_t i = slot_of(p);
    while (tab[i].p && tab[i].p != p)
        i = (i + 1) & (TAB_SIZE - 1);
    if (!tab[i].p)
        return; /* allocated before arming */
    live--;
    /* Move back each following entry whose home slot is at or before the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & (TAB_SIZE - 1); tab[j].p; j = (j + 1) & (TAB_SIZE - 1)) {
        size_t home = slot_of(tab[j].p);
        if (((j - home) & (TAB_SIZE - 1)) >= ((j - hole) & (TAB_SIZE - 1))) {
            tab[hole] = tab[j];
            hole = j;
        }
    }
    tab[hole].p = NULL;
    tab[hole].caller = NULL;
}

/* Count one allocation; 1 when it is to fail. Called with the lock held. */
static int fails(void *caller, size_t bytes)
{
    if (!armed)
        return 0;
    count++;
    total_bytes += bytes;
    if (rec && n_rec < rec_max)
        rec[n_rec++] = caller;
    if (fail_at && (count == fail_at || (persistent && count > fail_at))) {
        if (n_failed < MAX_FAILED)
            failed[n_failed++] = caller;
        return 1;
    }
    return 0;
}

static void *done(void *p, void *caller)
{
    if (p && armed)
        track(p, caller);
    unlock();
    if (!p)
        errno = ENOMEM;
    return p;
}

void *malloc(size_t n)
{
    void *caller = __builtin_return_address(0);
    lock();
    return done(fails(caller, n) ? NULL : __libc_malloc(n), caller);
}

void *calloc(size_t n, size_t size)
{
    void *caller = __builtin_return_address(0);
    lock();
    return done(fails(caller, n * size) ? NULL : __libc_calloc(n, size), caller);
}

void free(void *p)
{
    if (!p)
        return;
    lock();
    untrack(p);
    __libc_free(p);
    unlock();
}

void *realloc(void *p, size_t n)
{
    void *caller = __builtin_return_address(0);
    if (p && n == 0) { /* glibc frees the block and returns NULL */
        free(p);
        return NULL;
    }
    lock();
    if (fails(caller, n)) {
        unlock();
        errno = ENOMEM;
        return NULL; /* the old block stays as it was */
    }
    void *q = __libc_realloc(p, n);
    if (q && p)
        untrack(p);
    return done(q, caller);
}

void *reallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n * size);
}

static void *aligned(size_t align, size_t n, void *caller)
{
    lock();
    return done(fails(caller, n) ? NULL : __libc_memalign(align, n), caller);
}

void *memalign(size_t align, size_t n)
{
    return aligned(align, n, __builtin_return_address(0));
}

void *aligned_alloc(size_t align, size_t n)
{
    return aligned(align, n, __builtin_return_address(0));
}

void *valloc(size_t n)
{
    return aligned((size_t)sysconf(_SC_PAGESIZE), n, __builtin_return_address(0));
}

void *pvalloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return aligned(page, (n + page - 1) / page * page, __builtin_return_address(0));
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    void *p = aligned(align, n, __builtin_return_address(0));
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

const char chaos_thread_site[1];
typedef int create_fn(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static create_fn *real_create;

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *),
                   void *arg)
{
    lock();
    int f = fails((void *)chaos_thread_site, 0);
    unlock();
    if (f)
        return EAGAIN;
    return real_create(thread, attr, fn, arg);
}

int chaos_available(void) { return 1; }

static void *nothing(void *arg) { return arg; }

int chaos_init(void)
{
    real_create = (create_fn *)dlsym(RTLD_NEXT, "pthread_create");
    /* As many threads at once as a run starts (a file cut into three parts, then the fits
     * shared among three threads): the C library keeps a thread's stack and TLS block for
     * the next thread, so they are made here, not counted as a run's. */
    enum { WARM = 4 };
    pthread_t t[WARM];
    int started = 0;
    while (real_create && started < WARM && !real_create(&t[started], NULL, nothing, NULL))
        started++;
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    if (started < WARM) {
        fprintf(stderr, "check_chaos: cannot start a thread\n");
        return -1;
    }
    return 0;
}

void chaos_arm(unsigned long at, int keep_failing)
{
    lock();
    count = 0;
    total_bytes = 0;
    fail_at = at;
    persistent = keep_failing;
    n_failed = 0;
    armed = 1;
    unlock();
}

void chaos_disarm(void)
{
    lock();
    armed = 0;
    unlock();
}

unsigned long chaos_count(void)
{
    lock();
    unsigned long n = count;
    unlock();
    return n;
}

unsigned long long chaos_bytes(void)
{
    lock();
    unsigned long long n = total_bytes;
    unlock();
    return n;
}

size_t chaos_live(void)
{
    lock();
    size_t n = live;
    unlock();
    return n;
}

size_t chaos_live_callers(void **out, size_t max)
{
    size_t n = 0;
    lock();
    for (size_t i = 0; i < TAB_SIZE && n < max; i++)
        if (tab[i].p)
            out[n++] = tab[i].caller;
    unlock();
    return n;
}

size_t chaos_failed_callers(void **out, size_t max)
{
    lock();
    size_t n = n_failed < max ? n_failed : max;
    memcpy(out, failed, n * sizeof *out);
    unlock();
    return n;
}

size_t chaos_record(void **out, size_t max)
{
    lock();
    size_t n = n_rec;
    rec = out;
    rec_max = out ? max : 0;
    if (out)
        n_rec = 0;
    unlock();
    return n;
}

#endif
