/*
 * lock.c — the client lock of THREAD_SAFE contexts (struct vmma_lock,
 * internal.h): waiting for it when it is contended, waking a sleeper, and
 * the re-entry of a thread that walks its own client.
 *
 * Why a lock of our own. A THREAD_SAFE vmma_alloc or vmma_free takes its
 * client's lock once. A recursive pthread mutex cost two calls and two
 * locked instructions per public call, as much again as the allocation.
 * This lock is one word, taken by one compare-and-swap and given back by a
 * plain store with release order: an uncontended call pays one locked
 * instruction and no call.
 *
 * States of the word: FREE; HELD (no one sleeps on it); SLEEPERS (held,
 * and a waiter may sleep on it). A waiter spins a little, then swaps
 * SLEEPERS in (which takes the lock when the word was FREE: it then holds
 * it as SLEEPERS, and its release wakes the next sleeper) and sleeps on
 * the futex while the word reads SLEEPERS. lock_release (internal.h) reads
 * the word, stores FREE, and wakes one sleeper when it read SLEEPERS.
 *
 * The window the plain store leaves open: a waiter swaps SLEEPERS in
 * after the releaser read HELD and before its store of FREE is seen. If
 * the waiter's futex wait comes after that store, the kernel sees FREE and
 * returns at once; if it comes before, no one wakes it. So every sleep is
 * a nap of at most LOCK_NAP_NS, after which the waiter tries again: a
 * missed wake-up (a waiter arriving within a few instructions of a
 * release) costs at most one nap, never a deadlock. Closing the window
 * needs a locked exchange in every release, a second locked instruction
 * on every call; the nap is cheaper.
 *
 * Re-entry. vmma_walk holds its client's lock while the visitor runs, and
 * the visitor may query that client (vmma_get_size, vmma_test_address,
 * vmma_get_owner, ...): the lock used to be recursive for that alone. Now
 * the walker writes its identity (lock_self(): the address of a
 * thread-local byte) into c->walker while it holds the lock;
 * client_lock_slow finds the lock held and the walker to be this very
 * thread, and goes on without taking it. Only a thread holding the lock
 * writes c->walker, always its own identity, cleared before it unlocks:
 * no other thread can read its own identity there.
 */
#include "internal.h"

#include <sched.h>
#include <time.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* Spins before sleeping: a critical section of the fast paths is some
 * dozens of instructions, a few spins usually see it end. */
#define LOCK_SPINS 64
/* Longest sleep (see above: the bound on a missed wake-up). */
#define LOCK_NAP_NS 200000L

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Sleep while the word reads SLEEPERS, for LOCK_NAP_NS at most. */
static void lock_sleep(struct vmma_lock *l)
{
#ifdef __linux__
    struct timespec nap = {0, LOCK_NAP_NS};
    syscall(SYS_futex, (void *)&l->word, FUTEX_WAIT_PRIVATE, (unsigned)LOCK_SLEEPERS, &nap,
            NULL, 0);
#else
    (void)l;
    sched_yield();
#endif
}

void lock_wake(struct vmma_lock *l)
{
#ifdef __linux__
    syscall(SYS_futex, (void *)&l->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#else
    (void)l;
#endif
}

void lock_wait(struct vmma_lock *l)
{
    for (unsigned i = 0; i < LOCK_SPINS; i++) {
        if (atomic_load_explicit(&l->word, memory_order_relaxed) == LOCK_FREE && lock_try(l))
            return;
        cpu_relax();
    }
    while (atomic_exchange_explicit(&l->word, LOCK_SLEEPERS, memory_order_acquire) != LOCK_FREE)
        lock_sleep(l);
}

static _Thread_local char self_mark;

const void *lock_self(void)
{
    return &self_mark;
}

int client_lock_slow(struct vmma_client *c)
{
    const void *w = atomic_load_explicit(&c->walker, memory_order_relaxed);
    if (w && w == lock_self())
        return 0;                  /* a query from this thread's walk of c */
    lock_wait(&c->lock);
    return 1;
}
