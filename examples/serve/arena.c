/* arena.c: the allocator jansson uses while one request is estimated. A request's JSON
 * (the parsed body, the answer's tree) is dozens of small blocks that all die together
 * when the answer has been written, so each worker thread carves them from its own block
 * and forgets them all at once instead of calling malloc and free for each. Outside a
 * request (loading a model, a reload's answer), and once the block is full (a large
 * batch), jansson gets malloc and free as usual.
 *
 * The rule that makes this safe: JSON made between arena_begin() and arena_end() is
 * made, used and released by one thread within that window, and never kept.
 *
 * Memory checkers cannot see inside the block, so the arena is off in an
 * AddressSanitizer build and when ENGRATE_SERVE_ARENA=0 (make check-valgrind sets it):
 * there every JSON value is its own malloc, checked for leaks and use after free. */
#include "serve.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define ARENA_SIZE (256u * 1024u)

typedef struct arena {
    char *base;
    size_t used;
    int active;
} arena;

static _Thread_local arena tl;
static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;
static int arena_key_ok;

static int in_arena(const void *p)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)tl.base;
    return tl.base && a >= b && a - b < ARENA_SIZE;
}

static void *arena_malloc(size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (tl.active && need >= n && need <= ARENA_SIZE - tl.used) {
        void *p = tl.base + tl.used;
        tl.used += need;
        return p;
    }
    return malloc(n);
}

static void arena_free(void *p)
{
    if (!in_arena(p))
        free(p);
}

/* At thread exit: the block goes back to the system. */
static void arena_release(void *p)
{
    free(p);
    tl.base = NULL;
}

static void arena_key_create(void)
{
    arena_key_ok = pthread_key_create(&arena_key, arena_release) == 0;
}

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_BUILT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_BUILT 0
#endif
#endif
#ifndef ARENA_BUILT
#define ARENA_BUILT 1
#endif

void arena_install(void)
{
    const char *env = getenv("ENGRATE_SERVE_ARENA");
    if (ARENA_BUILT && !(env && strcmp(env, "0") == 0))
        json_set_alloc_funcs(arena_malloc, arena_free);
}

void arena_begin(void)
{
    pthread_once(&arena_once, arena_key_create);
    if (!tl.base && arena_key_ok) {
        /* Without a key to free it at thread exit, it would leak: then no arena. */
        tl.base = malloc(ARENA_SIZE);
        if (tl.base && pthread_setspecific(arena_key, tl.base) != 0) {
            free(tl.base);
            tl.base = NULL;
        }
    }
    tl.used = 0;
    tl.active = tl.base != NULL;
}

void arena_end(void)
{
    tl.active = 0;
    tl.used = 0;
}
