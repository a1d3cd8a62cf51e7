/*
 * internal.h — libvmma's private structures and the small helpers every
 * module shares. See DESIGN.md "libvmma" for the map.
 *
 * The block given to a context is laid out as
 *
 *   [context | arena table | arena bitmaps | pool map] ... [arena 0][arena 1]...
 *    \____________ administrative data ______________/      ^ aligned to block_size
 *
 * Each arena is in exactly one state (struct vmma_arena.kind): FREE in the
 * context's pool, BUDDY (run by the buddy allocator of its owner client),
 * LARGE/TAIL (a run of whole arenas that is one live block), or ADMIN (a slab
 * of client records). Invariants:
 *  - arena a starts at ctx->base + (a << ctx->arena_shift);
 *  - a FREE arena has owner NULL and its bit set in ctx->pool_map;
 *  - every BUDDY and LARGE arena of a client is on that client's arena list
 *    (TAIL arenas are reached through their LARGE head);
 *  - inside a BUDDY arena, blocks (live or free) tile the arena, a block of
 *    2^k units starts at a multiple of 2^k units (unit = ctx->alignment);
 *    a live block has its start bit and its end bit set in the arena's
 *    bitmaps (buddy.h), a free block has neither and is on one of its
 *    client's free lists, except a block in its client's hot cache
 *    (fastpath.h), which keeps its end bit only.
 */
#ifndef VMMA_INTERNAL_H
#define VMMA_INTERNAL_H

#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef VMMA_HAVE_THREAD_SAFE
#include <pthread.h>
#endif

#include "libvmma.h"
#include "track.h"

#define VMMA_LIKELY(x)   __builtin_expect(!!(x), 1)
#define VMMA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define VMMA_HIDDEN      __attribute__((visibility("hidden")))

#ifdef VMMA_DEBUG
#include <assert.h>
#define VMMA_ASSERT(x) assert(x)
#else
#define VMMA_ASSERT(x) ((void)0)
#endif

/* Default arena size: small enough that a thousand small clients cost a
 * thousand times 256 KiB of address space (pages are touched only when
 * used), large enough that a 1-4 MiB aligned chunk is a short run. */
#define VMMA_DEFAULT_BLOCK_SIZE ((size_t)256 * 1024)
/* Orders a buddy arena can have: block_size / alignment <= 2^31. */
#define VMMA_BUDDY_ORDERS 32
/* Client records are carved from slabs of at least this many bytes. */
#define VMMA_RECORD_SLAB_BYTES ((size_t)64 * 1024)

#define VMMA_CONTEXT_MAGIC 0x766d6d61636f6e74ull   /* "vmmacont" */
#define VMMA_CLIENT_MAGIC  0x766d6d61636c6e74ull   /* "vmmaclnt" */
#define VMMA_DEAD_MAGIC    0xdeadc11e47deadc1ull

#define ARENA_NONE UINT32_MAX

enum arena_kind { ARENA_FREE = 0, ARENA_BUDDY, ARENA_LARGE, ARENA_TAIL, ARENA_ADMIN };

struct vmma_arena {
    struct vmma_client *owner;   /* NULL for FREE and ADMIN arenas */
    size_t requested;            /* LARGE: bytes asked for */
    uint32_t next, prev;         /* the owner's arena list (BUDDY, LARGE) */
    uint32_t run;                /* LARGE: arenas in the run; TAIL: index of the head */
    uint8_t kind;                /* enum arena_kind */
    uint8_t zeroed;              /* pages known to be zero (fresh mmap or released) */
};

/* A free block's first 16 bytes (buddy.h). */
struct buddy_free {
    struct buddy_free *next;
    uint64_t meta;               /* BUDDY_META_MAGIC | poisoned << 8 | order */
};

/* The free lists of one buddy allocator (they may span several arenas). */
struct buddy_lists {
    struct buddy_free *head[VMMA_BUDDY_ORDERS];   /* free lists by order */
    uint32_t count[VMMA_BUDDY_ORDERS];            /* blocks on each list */
    _Atomic size_t free_bytes;   /* bytes on the free lists (not the hot cache: cache_bytes) */
    _Atomic size_t lost_bytes;   /* bytes of lists dropped as corrupt */
    size_t cached_after_pass;    /* blocks on the lists after the last coalescing */
    size_t grown_since_pass;     /* arenas added since the last coalescing */
};

/* Features that send a client's allocations and frees down the slow path;
 * VMMA_SLOW_TRACKING when a tool (Valgrind, ASan) watches the blocks. */
#define VMMA_SLOW_FEATURES (VMMA_FEATURE_ZERO_FILL | VMMA_FEATURE_STATISTICS | \
                            VMMA_FEATURE_POISON | VMMA_FEATURE_LIMITS)
#define VMMA_SLOW_TRACKING 0x80000000u
/* A THREAD_SAFE client enters each call by its bias or its lock (lock.c)
 * before the fast paths (fastpath.h): its slow word is never zero, so the
 * unlocked tier needs no test of its own. */
#define VMMA_SLOW_LOCKED VMMA_FEATURE_THREAD_SAFE

/* The hot cache of recently freed small blocks (fastpath.h). */
#define VMMA_CACHE_ORDERS 8           /* orders 0..7: blocks up to 128 units */
#define VMMA_CACHE_DEPTH 16

/* The client lock (THREAD_SAFE), lock.c: one futex word, taken by a
 * compare-and-swap and given back by an exchange; and the client's
 * bias, which lets the one thread that has been using it alone take and
 * give back its right to the client with no locked instruction at all.
 * Both fast tiers touch the record's first line (read) and second line
 * (cache depths), plus the stack they use. */
struct vmma_lock {
    _Atomic unsigned word;       /* LOCK_FREE, LOCK_HELD or LOCK_SLEEPERS */
};

struct vmma_client {
    /* first cache line, read by every call and written almost never: the
     * geometry and the bias. Under contention every caller reads it before
     * it takes the lock, so nothing written per call lives here. */
    uint64_t magic;
    _Atomic unsigned slow;       /* VMMA_SLOW_* bits: take the slow path */
    _Atomic unsigned bias;       /* slot of the thread the client is biased to, 0 = none */
    char *base;                  /* copies of the context's geometry */
    uint64_t *bits;
    size_t align_mask;           /* alignment - 1 */
    size_t block_size;
    unsigned char align_shift, arena_shift;
    unsigned char grp_shift;     /* units per map word: log2(min(64, units per arena)) */
    unsigned char word_shift;    /* align_shift + grp_shift: offset >> word_shift = map pair */
    unsigned grp_mask;           /* (1 << grp_shift) - 1 */
    int thread_safe;             /* snapshot: THREAD_SAFE cannot change while clients exist */
    /* second line on, written by every call: hot cache depths (one writer,
     * the thread inside; read by stats, relaxed) and stacks */
    _Atomic unsigned char cache_n[VMMA_CACHE_ORDERS] __attribute__((aligned(64)));
    void *cache[VMMA_CACHE_ORDERS][VMMA_CACHE_DEPTH];
    struct buddy_lists lists;
    /* cold */
    struct vmma_context *ctx;
    uint32_t arena_list;         /* first arena of the client, or ARENA_NONE */
    size_t limit;                /* 0 = unlimited */
    /* the thread inside vmma_walk of this client (lock_self()), or NULL:
     * that thread's queries from the visitor find the lock held by itself
     * and go on without it (lock.c) */
    _Atomic(const void *) walker;
    /* under the lock: the thread that took it last, and how many times in
     * a row (lock.c: a long run biases the client to it) */
    const void *run_thread;
    unsigned run_len;
    /* counters written under the client's lock, read by anyone (relaxed) */
    _Atomic size_t buddy_arenas; /* BUDDY arenas held */
    _Atomic size_t large_bytes;  /* bytes in LARGE runs */
    _Atomic size_t arenas;       /* arenas held (buddy + large runs) */
    _Atomic size_t requested;
    _Atomic size_t alloc_count;
    _Atomic size_t free_count;
    struct vmma_client *next_client, *prev_client;   /* context's list / free records */
    /* a line of its own: threads that wait for the lock read it over and
     * over, and must not steal the lines the holder writes */
    struct vmma_lock lock __attribute__((aligned(64)));
};

/* Records are 64-byte aligned (context.c). */
_Static_assert(offsetof(struct vmma_client, cache_n) == 64,
               "the read-mostly fields of a client fit one cache line");

struct vmma_context {
    /* hot: read by every free */
    uint64_t magic;
    char *base;                  /* arena 0 */
    size_t arena_bytes;          /* arena_count << arena_shift */
    struct vmma_arena *arenas;
    /* geometry */
    size_t arena_count;
    size_t block_size;
    unsigned arena_shift;        /* log2(block_size) */
    size_t alignment;
    unsigned align_shift;        /* log2(alignment) */
    unsigned max_order;          /* arena_shift - align_shift */
    size_t map_words;            /* 64-bit words in one arena bitmap */
    uint64_t *bits;              /* 2 * map_words per arena: start and end maps, interleaved */
    uint64_t *pool_map;          /* bit a set iff arena a is FREE */
    size_t pool_words;
    size_t pool_hint;            /* lowest word that may hold a free arena */
    _Atomic size_t free_arenas;
    _Atomic size_t held_arenas;  /* BUDDY + LARGE + TAIL */
    _Atomic size_t admin_arenas;
    size_t admin_fixed;          /* bytes of context, table, bitmaps, pool map */
    void *map;                   /* our mmap, or NULL for a caller's block */
    size_t map_size;
    _Atomic unsigned flags;
    struct vmma_client *clients;       /* live clients */
    struct vmma_client *free_records;  /* client records ready for reuse */
    size_t record_size;
    _Atomic size_t client_count;
    _Atomic size_t retired_allocs, retired_frees;   /* of deleted clients */
    vmma_error_handler handler;
    void *handler_arg;
#ifdef VMMA_HAVE_THREAD_SAFE
    pthread_mutex_t pool_lock;
#endif
};

/* ---- flags ---------------------------------------------------------- */

static inline unsigned ctx_flags(const struct vmma_context *ctx)
{
    return atomic_load_explicit(&ctx->flags, memory_order_relaxed);
}

/* Counters with one writer (under a lock) and lock-free readers. */
static inline size_t cnt_get(const _Atomic size_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}
static inline void cnt_add(_Atomic size_t *c, size_t d)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + d,
                          memory_order_relaxed);
}
static inline void cnt_sub(_Atomic size_t *c, size_t d)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) - d,
                          memory_order_relaxed);
}

/* Hot cache depth of order k (fastpath.h); plain moves on every target. */
static inline unsigned cache_depth(const struct vmma_client *c, unsigned k)
{
    return atomic_load_explicit(&c->cache_n[k], memory_order_relaxed);
}
static inline void cache_set_depth(struct vmma_client *c, unsigned k, unsigned n)
{
    atomic_store_explicit(&c->cache_n[k], (unsigned char)n, memory_order_relaxed);
}

/* ---- locks (lock.c) ------------------------------------------------- */

enum { LOCK_FREE = 0, LOCK_HELD = 1, LOCK_SLEEPERS = 2 };

/* What client_lock returns, for client_unlock. */
enum { LOCK_NOT_TAKEN = 0, LOCK_TAKEN = 1, LOCK_BIASED = 2 };

/* A thread's bias slot: its depth word says whether it is inside a call
 * on a client biased to it; one cache line each. */
#define LOCK_SLOTS 256
#define LOCK_NO_SLOT 0xffffffffu      /* a thread that has no slot (never a bias) */
struct lock_slot {
    _Atomic unsigned depth;           /* written by its thread only */
    unsigned next_free;
} __attribute__((aligned(64)));

extern _Thread_local unsigned lock_thread_slot
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
extern struct lock_slot lock_slots[LOCK_SLOTS] __attribute__((visibility("hidden")));

VMMA_HIDDEN void lock_wait(struct vmma_lock *l);
VMMA_HIDDEN void lock_wake(struct vmma_lock *l);
VMMA_HIDDEN unsigned lock_bias_slot(void);
VMMA_HIDDEN int client_lock_slow(struct vmma_client *c);

/* This thread, as the walker and run identity: a thread-local address. */
static inline const void *lock_self(void)
{
    return &lock_thread_slot;
}

static inline int lock_try(struct vmma_lock *l)
{
    unsigned expect = LOCK_FREE;
    return atomic_compare_exchange_strong_explicit(&l->word, &expect, LOCK_HELD,
                                                   memory_order_acquire, memory_order_relaxed);
}

static inline void lock_acquire(struct vmma_lock *l)
{
    if (VMMA_UNLIKELY(!lock_try(l)))
        lock_wait(l);
}

/* Give the lock back, and wake one sleeper if a waiter may sleep. */
static inline void lock_release(struct vmma_lock *l)
{
    if (VMMA_UNLIKELY(atomic_exchange_explicit(&l->word, LOCK_FREE, memory_order_release) !=
                      LOCK_HELD))
        lock_wake(l);
}

/* Enter a call on c as the thread c is biased to: say so in our slot,
 * then see that the bias still holds (lock.c: a revoker's membarrier
 * orders its side, a compiler barrier ours). 0 when c is not biased to
 * this thread: take the lock. */
static inline int bias_enter(struct vmma_client *c)
{
    unsigned s = lock_thread_slot;
    if (VMMA_LIKELY(atomic_load_explicit(&c->bias, memory_order_relaxed) != s))
        return 0;
    atomic_store_explicit(&lock_slots[s].depth, 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    if (VMMA_LIKELY(atomic_load_explicit(&c->bias, memory_order_acquire) == s))
        return 1;
    atomic_store_explicit(&lock_slots[s].depth, 0, memory_order_release);
    return 0;
}

static inline void bias_exit(void)
{
    atomic_store_explicit(&lock_slots[lock_thread_slot].depth, 0, memory_order_release);
}

/* Take c's right of use when c is THREAD_SAFE: by its bias, or its lock.
 * Returns what client_unlock needs; LOCK_NOT_TAKEN also when this thread
 * already holds the lock inside vmma_walk of c (a visitor's query). */
static inline int client_lock(struct vmma_client *c)
{
    if (!c->thread_safe)
        return LOCK_NOT_TAKEN;
    if (bias_enter(c))
        return LOCK_BIASED;
    return client_lock_slow(c);
}
/* The same, always by the lock (vmma_walk: user code runs inside). */
static inline int client_lock_exclusive(struct vmma_client *c)
{
    return c->thread_safe ? client_lock_slow(c) : LOCK_NOT_TAKEN;
}
static inline void client_unlock(struct vmma_client *c, int taken)
{
    if (taken == LOCK_TAKEN)
        lock_release(&c->lock);
    else if (taken == LOCK_BIASED)
        bias_exit();
}
static inline void pool_lock(struct vmma_context *ctx)
{
#ifdef VMMA_HAVE_THREAD_SAFE
    if (ctx_flags(ctx) & VMMA_FEATURE_THREAD_SAFE)
        pthread_mutex_lock(&ctx->pool_lock);
#else
    (void)ctx;
#endif
}
static inline void pool_unlock(struct vmma_context *ctx)
{
#ifdef VMMA_HAVE_THREAD_SAFE
    if (ctx_flags(ctx) & VMMA_FEATURE_THREAD_SAFE)
        pthread_mutex_unlock(&ctx->pool_lock);
#else
    (void)ctx;
#endif
}

static inline int client_valid(const struct vmma_client *c)
{
    return c && c->magic == VMMA_CLIENT_MAGIC;
}

/* ---- geometry ------------------------------------------------------- */

static inline unsigned log2_floor(size_t x)
{
    return (unsigned)(63 - __builtin_clzll((unsigned long long)x));
}

static inline int is_pow2(size_t x) { return x && !(x & (x - 1)); }

static inline char *arena_addr(const struct vmma_context *ctx, size_t a)
{
    return ctx->base + (a << ctx->arena_shift);
}

static inline uint64_t *arena_start_map(const struct vmma_context *ctx, size_t a)
{
    return ctx->bits + a * 2 * ctx->map_words;
}

/* The end map is interleaved with the start map (buddy.h, map_*). */
static inline uint64_t *arena_end_map(const struct vmma_context *ctx, size_t a)
{
    return ctx->bits + a * 2 * ctx->map_words + 1;
}

/* Offset of p from arena 0, or SIZE_MAX when p is outside every arena. */
static inline size_t ctx_offset(const struct vmma_context *ctx, const void *p)
{
    size_t off = (size_t)((uintptr_t)p - (uintptr_t)ctx->base);
    return off < ctx->arena_bytes ? off : SIZE_MAX;
}

/* Smallest order whose block holds `size` bytes (may exceed max_order). */
static inline unsigned size_order(const struct vmma_context *ctx, size_t size)
{
    if (size <= ctx->alignment)
        return 0;
    return log2_floor((size - 1) >> ctx->align_shift) + 1;
}

/* ---- module entry points (out of line) ------------------------------ */

/* context.c */
VMMA_HIDDEN void vmma_report(const struct vmma_context *ctx, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
VMMA_HIDDEN int pool_take(struct vmma_context *ctx, size_t n, size_t align_arenas,
                          enum arena_kind kind, struct vmma_client *owner, size_t *out);
VMMA_HIDDEN void pool_give(struct vmma_context *ctx, size_t a, size_t n);
VMMA_HIDDEN struct vmma_client *records_take(struct vmma_context *ctx);
VMMA_HIDDEN void records_give(struct vmma_context *ctx, struct vmma_client *c);

/* client.c */
VMMA_HIDDEN void client_arena_link(struct vmma_client *c, size_t a);
VMMA_HIDDEN void client_arena_unlink(struct vmma_client *c, size_t a);
VMMA_HIDDEN void client_release_all(struct vmma_client *c);
VMMA_HIDDEN size_t client_block_usable(const struct vmma_context *ctx, void *p, unsigned k);
VMMA_HIDDEN size_t client_used(const struct vmma_client *c);
VMMA_HIDDEN size_t client_cache_bytes(const struct vmma_client *c);
VMMA_HIDDEN void cache_spill(struct vmma_client *c, unsigned k, unsigned n);
VMMA_HIDDEN void cache_flush(struct vmma_client *c);
VMMA_HIDDEN unsigned client_slow_bits(unsigned ctx_flags);

/* poison.c */
#define VMMA_POISON_BYTE 0xdb
VMMA_HIDDEN void poison_fill(void *p, size_t n);
VMMA_HIDDEN size_t poison_find_write(const void *p, size_t n);

#endif /* VMMA_INTERNAL_H */
