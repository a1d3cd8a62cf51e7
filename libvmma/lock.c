/*
 * lock.c — how a thread gets the right to use a THREAD_SAFE client
 * (internal.h: struct vmma_lock, client_lock, bias_enter): the client's
 * lock and its contended paths, the client's bias towards the one thread
 * that uses it, and the re-entry of a thread that walks its own client.
 *
 * Invariant kept: at any time at most one thread works on a client's
 * blocks, lists and cache: the holder of its lock, or the thread the
 * client is biased to while its slot's depth is 1 and the bias still
 * names it; the bias changes only under the lock, and a lock holder
 * that finds a bias revokes it before it touches anything.
 *
 * The lock. A recursive pthread mutex cost two calls and two locked
 * instructions per public call. The lock is one futex word in a cache
 * line of its own: FREE; HELD (no one sleeps on it); SLEEPERS (held, and a
 * waiter may sleep on it). It is taken by a compare-and-swap FREE -> HELD;
 * a waiter swaps SLEEPERS in (which takes the lock when it was FREE; it
 * then holds it as SLEEPERS and wakes the next one in turn) and sleeps on
 * the futex while the word reads SLEEPERS; the release swaps FREE in and
 * wakes one sleeper when it took SLEEPERS out (the three-state futex mutex
 * of Drepper's "Futexes are tricky"). Waiters do not spin: with more
 * threads than cores, spinning waiters (and a plain-store release, whose
 * missed wake-ups need timed sleeps) kept every core busy passing the lock
 * and the client's lines around, at two to three times the cost per call
 * of sleeping waiters that leave one thread to run. The uncontended case
 * does not come here at all: it goes by the bias.
 *
 * The bias. Even one locked instruction per call doubles the cost of a
 * small allocation: it waits for every store before it (say, the caller's
 * first write into the block it just got) to reach the cache. A client is
 * mostly used by one thread at a time, so it is biased to a thread: to
 * the one that creates it, and again to a thread that took its lock
 * LOCK_REBIAS_RUN times in a row. That thread enters a call with plain
 * stores (bias_enter): depth = 1 in its own slot, a compiler barrier,
 * then a check that the bias still names it; it leaves with depth = 0.
 * Any other thread takes the lock, and when it finds a bias it revokes it:
 * bias = 0, a membarrier(PRIVATE_EXPEDITED) that runs a full barrier on
 * every thread of the process, then a wait until the old owner's depth
 * is 0. The two sides form Dekker's pattern with an asymmetric fence:
 * either the owner's depth = 1 is seen by the revoker, who waits, or the
 * owner's check sees bias = 0, and it backs off to the lock. Revoking costs
 * a system call (about a microsecond), once per change of user. Without
 * membarrier (other systems, old kernels, sandboxes that refuse it) no
 * client is biased.
 * Depth words live in slots, one per thread that ever became an owner, in
 * a table that never moves or shrinks: a thread that was slow to see a
 * revocation writes only its own slot, and a slot whose thread ended goes
 * to the next thread that needs one (clients still biased to it now name
 * that thread, which is as good: the old one cannot race any more).
 * No user code runs while a thread is inside a biased call: vmma_walk
 * takes the lock itself, revoking even its own thread's bias.
 *
 * Re-entry. vmma_walk holds the lock while the visitor runs, and the
 * visitor may query that client (vmma_get_size, vmma_test_address,
 * vmma_get_owner, ...). The walker writes lock_self() into c->walker;
 * client_lock_slow finds the lock held and the walker to be this very
 * thread, and goes on without taking it. Only a lock holder writes
 * c->walker, always its own identity, cleared before it unlocks.
 */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#ifdef __linux__
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* Spins of a revoker waiting for the old owner to leave its call (some
 * dozens of instructions) before it yields the processor. */
#define LOCK_SPINS 64
/* Lock acquisitions in a row by one thread that bias the client to it. */
#define LOCK_REBIAS_RUN 1024

_Thread_local unsigned lock_thread_slot = LOCK_NO_SLOT;
struct lock_slot lock_slots[LOCK_SLOTS];

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ---- the lock ---------------------------------------------------------- */

/* Sleep while the word reads SLEEPERS. */
static void lock_sleep(struct vmma_lock *l)
{
#ifdef __linux__
    syscall(SYS_futex, (void *)&l->word, FUTEX_WAIT_PRIVATE, (unsigned)LOCK_SLEEPERS, NULL,
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
    while (atomic_exchange_explicit(&l->word, LOCK_SLEEPERS, memory_order_acquire) != LOCK_FREE)
        lock_sleep(l);
}

/* ---- slots and the heavy barrier ---------------------------------------- */

static pthread_once_t slots_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t slots_key;
static int bias_possible;          /* membarrier registered and the key made */
static unsigned slots_free;        /* a list through next_free; 0 = empty */
static unsigned slots_fresh = 1;   /* slot 0 is never given: bias 0 = none */

/* A full barrier on every running thread of the process; 0 on success. */
static int heavy_barrier(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
        return 0;
    /* (a forked child may have lost the registration) */
    return syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0 ? 0 : -1;
#else
    return -1;
#endif
}

/* A thread ends: its slot goes back (its depth is 0: it is in no call). */
static void slot_release(void *arg)
{
    unsigned s = (unsigned)(uintptr_t)arg;
    lock_thread_slot = LOCK_NO_SLOT;
    pthread_mutex_lock(&slots_lock);
    lock_slots[s].next_free = slots_free;
    slots_free = s;
    pthread_mutex_unlock(&slots_lock);
}

static void slots_init(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) ||
        syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0)
        return;
    bias_possible = pthread_key_create(&slots_key, slot_release) == 0;
#endif
}

/* The library is unloaded (dlclose) or the process ends: threads that end
 * later must not call slot_release, whose code may be gone. */
__attribute__((destructor)) static void slots_fini(void)
{
    if (bias_possible)
        pthread_key_delete(slots_key);
}

/* This thread's slot, given on first need; 0 when no client can be biased
 * to it (no membarrier, or every slot taken). */
unsigned lock_bias_slot(void)
{
    if (lock_thread_slot != LOCK_NO_SLOT)
        return lock_thread_slot;
    pthread_once(&slots_once, slots_init);
    if (!bias_possible)
        return 0;
    pthread_mutex_lock(&slots_lock);
    unsigned s = slots_free;
    if (s)
        slots_free = lock_slots[s].next_free;
    else if (slots_fresh < LOCK_SLOTS)
        s = slots_fresh++;
    pthread_mutex_unlock(&slots_lock);
    if (!s)
        return 0;
    if (pthread_setspecific(slots_key, (void *)(uintptr_t)s) != 0) {
        slot_release((void *)(uintptr_t)s);
        return 0;
    }
    lock_thread_slot = s;
    return s;
}

/* ---- bias --------------------------------------------------------------- */

/* Caller holds c's lock and found c biased: end the bias, and wait until
 * its thread is out of any call on c. */
static void bias_revoke(struct vmma_client *c, unsigned s)
{
    atomic_store_explicit(&c->bias, 0, memory_order_relaxed);
    if (heavy_barrier() != 0) {
        /* cannot happen once registered; the old owner's next call
         * would still back off, but one in flight might not be seen */
        VMMA_ASSERT(0);
    }
    for (unsigned i = 0; atomic_load_explicit(&lock_slots[s].depth, memory_order_acquire); i++) {
        if (i < LOCK_SPINS)
            cpu_relax();
        else
            sched_yield();
    }
}

/* Caller has just taken c's lock: revoke a bias, or count this thread's
 * run and bias c to it after LOCK_REBIAS_RUN acquisitions in a row. */
static void lock_claim(struct vmma_client *c)
{
    const void *me = lock_self();
    unsigned s = atomic_load_explicit(&c->bias, memory_order_relaxed);
    if (s) {
        bias_revoke(c, s);
        c->run_thread = me;
        c->run_len = 0;
        return;
    }
    if (c->run_thread != me) {
        c->run_thread = me;
        c->run_len = 0;
        return;
    }
    if (++c->run_len < LOCK_REBIAS_RUN)
        return;
    c->run_len = 0;
    atomic_store_explicit(&c->bias, lock_bias_slot(), memory_order_relaxed);
}

int client_lock_slow(struct vmma_client *c)
{
    /* a look before the compare-and-swap: a CAS on a held lock would take
     * its line from the holder for nothing */
    if (atomic_load_explicit(&c->lock.word, memory_order_relaxed) != LOCK_FREE ||
        !lock_try(&c->lock)) {
        const void *w = atomic_load_explicit(&c->walker, memory_order_relaxed);
        if (w && w == lock_self())
            return LOCK_NOT_TAKEN;     /* a query from this thread's walk of c */
        lock_wait(&c->lock);
    }
    lock_claim(c);
    return LOCK_TAKEN;
}
