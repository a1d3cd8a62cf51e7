/*
 * fastpath.h — the common case of vmma_alloc and vmma_free, a few dozen
 * instructions each: pop or push the head of one free list and flip two
 * bits in one cache line of the arena's maps.
 *
 * Two tiers. When the client's `slow` word is zero (no THREAD_SAFE, ZERO_FILL,
 * STATISTICS, POISON, LIMITS, no Valgrind/ASan watching), vmma_alloc and
 * vmma_free run fast_alloc/fast_free inline: a leaf of some twenty
 * instructions that only pops or pushes the hot cache and flips one bit,
 * with no lock, no call and no other test. A THREAD_SAFE client (slow word
 * VMMA_SLOW_LOCKED alone) runs the same leaf inline when it is biased to
 * the calling thread (lock.c: a few plain stores, no locked instruction).
 * Everything else (empty or full cache stack, larger blocks, a THREAD_SAFE
 * client used by several threads, anything to refuse) returns "not done"
 * and the caller tail-calls its out-of-line path, which takes the client's
 * lock (or keeps the bias it holds) and tries cache_pop/fast_pop/fast_push
 * below before falling back to the complete path in alloc.c (features,
 * splitting, refusing bad pointers), which re-checks everything.
 *
 * Map geometry. The start and end maps of all arenas lie back to back
 * (internal.h), so the word pair holding unit u of the context (u = offset
 * from arena 0 >> align_shift) is at bits + 2 * (u >> grp_shift), bit
 * u & grp_mask, with grp_shift = log2(min(64, units per arena)): no arena
 * index, no multiplication.
 *
 * The hot cache. A freed block of order below VMMA_CACHE_ORDERS goes on a
 * small stack per order in the client record, its start bit cleared and
 * its end bit kept; an allocation of that order takes it back and sets the
 * start bit again. Neither touches the block's memory, and the map word is
 * the one the free just read, so the common churn of small blocks costs no
 * cache miss beyond that read. A cached block is free (not live: a second
 * free of it is refused, queries do not see it); its bytes are not on a
 * counter (that would cost every fast path a store) but summed from the
 * stack depths when asked (client_cache_bytes).
 * When a stack is full its older half goes to the free lists
 * (cache_spill); every path that walks the lists or merges buddies first
 * empties the cache (cache_flush), since the kept end bits would confuse
 * the coalescing marks (buddy.c).
 */
#ifndef VMMA_FASTPATH_H
#define VMMA_FASTPATH_H

#include "buddy.h"

/* The start word of the pair holding unit u (the end word follows it). */
static inline uint64_t *fast_map(const struct vmma_client *c, size_t u)
{
    return c->bits + ((u >> c->grp_shift) << 1);
}

/* The same from a byte offset off from arena 0 (one shift). */
static inline uint64_t *fast_map_off(const struct vmma_client *c, size_t off)
{
    return c->bits + ((off >> c->word_shift) << 1);
}

static inline unsigned fast_order(const struct vmma_client *c, size_t size)
{
    size_t units = (size - 1) >> c->align_shift;
    return size <= ((size_t)1 << c->align_shift) ? 0 : log2_floor(units) + 1;
}

/* Unlocked tier (slow word zero): a block of `size` bytes from the hot
 * cache, or NULL. Order = bits in (size - 1) >> align_shift, branch-free;
 * size 0 and huge sizes give an order >= VMMA_CACHE_ORDERS (alignment >= 16
 * keeps 2x + 1 from overflowing). */
static inline void *fast_alloc(struct vmma_client *c, size_t size)
{
    size_t x = (size - 1) >> c->align_shift;
    unsigned k = log2_floor(2 * x + 1);
    if (VMMA_UNLIKELY(k >= VMMA_CACHE_ORDERS))
        return NULL;
    unsigned n = cache_depth(c, k);
    if (VMMA_UNLIKELY(!n))
        return NULL;
    char *p = c->cache[k][--n];
    cache_set_depth(c, k, n);
    size_t off = (size_t)(p - c->base);
    *fast_map_off(c, off) |= (uint64_t)1 << ((off >> c->align_shift) & c->grp_mask);
    return p;
}

/* Unlocked tier: put live block p (offset off in a BUDDY arena of c) on
 * the hot cache; 0 = not done (not a live block's start, order too large
 * for the cache, stack full). */
static inline int fast_free(struct vmma_client *c, char *p, size_t off)
{
    uint64_t *w = fast_map_off(c, off);
    unsigned bit = (unsigned)((off >> c->align_shift) & c->grp_mask);
    uint64_t start = w[0], end = w[1] >> bit;
    if (VMMA_UNLIKELY(!((start >> bit) & 1) || !end || (off & c->align_mask)))
        return 0;
    unsigned k = (unsigned)__builtin_ctz((unsigned)__builtin_ctzll(end) + 1);
    if (VMMA_UNLIKELY(k >= VMMA_CACHE_ORDERS))
        return 0;
    unsigned n = cache_depth(c, k);
    if (VMMA_UNLIKELY(n == VMMA_CACHE_DEPTH))
        return 0;
    w[0] = start & ~((uint64_t)1 << bit);
    c->cache[k][n] = p;
    cache_set_depth(c, k, n + 1);
    return 1;
}

/* ---- the locked tier (caller holds the client's lock) ---------------- */

/* Pop a block of order k, or NULL. */
static inline void *fast_pop(struct vmma_client *c, unsigned k)
{
    struct buddy_lists *l = &c->lists;
    struct buddy_free *b = l->head[k];
    if (VMMA_UNLIKELY(!b))
        return NULL;
    struct buddy_free *next = b->next;
    if (VMMA_UNLIKELY(b->meta != buddy_meta(next, k, 0)))
        return NULL;                    /* poisoned or corrupt: slow path */
    l->head[k] = next;
    l->count[k]--;
    cnt_sub(&l->free_bytes, (size_t)1 << (k + c->align_shift));
    size_t u = (size_t)((char *)b - c->base) >> c->align_shift;
    size_t e = u + ((size_t)1 << k) - 1;
    *fast_map(c, u) |= (uint64_t)1 << (u & c->grp_mask);
    fast_map(c, e)[1] |= (uint64_t)1 << (e & c->grp_mask);
    return b;
}

/* Take a block of order k from the hot cache, or NULL. */
static inline void *cache_pop(struct vmma_client *c, unsigned k)
{
    unsigned n;
    if (k >= VMMA_CACHE_ORDERS || !(n = cache_depth(c, k)))
        return NULL;
    char *p = c->cache[k][--n];
    cache_set_depth(c, k, n);
    size_t u = (size_t)(p - c->base) >> c->align_shift;
    *fast_map(c, u) |= (uint64_t)1 << (u & c->grp_mask);
    return p;
}

/* Free block p at offset off of a BUDDY arena of c; 0 = not done. */
static inline int fast_push(struct vmma_client *c, char *p, size_t off)
{
    size_t u = off >> c->align_shift;
    uint64_t *w = fast_map(c, u);
    unsigned bit = (unsigned)(u & c->grp_mask);
    uint64_t start = w[0], end = w[1] >> bit;
    if (VMMA_UNLIKELY(!((start >> bit) & 1) || !end || (off & c->align_mask)))
        return 0;
    unsigned len = (unsigned)__builtin_ctzll(end) + 1;
    unsigned k = (unsigned)__builtin_ctz(len);
    w[0] = start & ~((uint64_t)1 << bit);
    if (k < VMMA_CACHE_ORDERS) {
        if (VMMA_UNLIKELY(cache_depth(c, k) == VMMA_CACHE_DEPTH))
            cache_spill(c, k, VMMA_CACHE_DEPTH / 2);
        unsigned n = cache_depth(c, k);
        c->cache[k][n] = p;
        cache_set_depth(c, k, n + 1);
        return 1;
    }
    w[1] &= ~((uint64_t)1 << (bit + len - 1));
    struct buddy_lists *l = &c->lists;
    struct buddy_free *b = (struct buddy_free *)p;
    b->next = l->head[k];
    b->meta = buddy_meta(b->next, k, 0);
    l->head[k] = b;
    l->count[k]++;
    cnt_add(&l->free_bytes, (size_t)len << c->align_shift);
    return 1;
}

#endif /* VMMA_FASTPATH_H */
