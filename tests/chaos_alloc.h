/* chaos_alloc.h: an allocator for tests/check_chaos.c that can be told to fail. The test
 * program defines malloc, calloc, realloc, free and the aligned allocators itself; the
 * dynamic linker binds every library's calls to them (libengrate, libengrate-train, GSL,
 * and the C library's own internal calls, which glibc makes through the interposable
 * symbol), and pthread_create likewise. Armed, it counts allocations, fails the Nth (or
 * the Nth and all later ones), and keeps every block allocated since arming in a table
 * until it is freed, so that a leak is a block still in the table when the operation has
 * cleaned up. */
#ifndef ENGRATE_CHAOS_ALLOC_H
#define ENGRATE_CHAOS_ALLOC_H

#include <stddef.h>

/* Thread creation counts as an allocation too (a thread needs memory: its stack, its
 * thread-local storage), so that the trainer's way on without its second thread is tried:
 * pthread_create fails with EAGAIN when its turn comes. Its failures and records carry
 * this address as their caller. */
extern const char chaos_thread_site[];

/* 0 when this build cannot replace malloc (AddressSanitizer, ThreadSanitizer, MSan bring
 * their own allocator): the test then skips. */
int chaos_available(void);

/* Once, before arming: finds the C library's pthread_create, and starts and joins one
 * thread so that the C library's cache of thread stacks holds one with its thread-local
 * storage (the first thread of a process allocates that, and keeps it for the next). */
int chaos_init(void);

/* Start counting from zero. fail_at = 0: fail nothing; otherwise allocation number
 * fail_at fails (returns NULL with errno ENOMEM) and, when persistent, so does every one
 * after it. The table of live blocks must be empty. */
void chaos_arm(unsigned long fail_at, int persistent);
/* Stop counting and failing; blocks made while armed stay in the table until freed. */
void chaos_disarm(void);

/* Allocations counted since chaos_arm (failed ones included). */
unsigned long chaos_count(void);
/* Bytes asked for since chaos_arm (calloc: n * size; realloc: the new size), a measure of
 * the work of allocating and of copying what realloc moves. */
unsigned long long chaos_bytes(void);
/* Blocks allocated while armed and not freed yet. */
size_t chaos_live(void);
/* Where the live blocks were allocated: the return addresses of their allocation calls
 * (at most max of them). */
size_t chaos_live_callers(void **out, size_t max);
/* Where the allocations that failed were called from (at most max, in order). */
size_t chaos_failed_callers(void **out, size_t max);
/* Record the caller of every allocation counted from now on (at most max), or stop
 * recording (out = NULL). Returns the number recorded so far. */
size_t chaos_record(void **out, size_t max);

#endif
