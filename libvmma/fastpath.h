/*
 * fastpath.h — the common case of vmma_alloc and vmma_free, a few dozen
 * instructions each: pop or push the head of one free list and flip two
 * bits in one cache line of the arena's maps.
 *
 * Taken only when the client's `slow` word is zero (no ZERO_FILL,
 * STATISTICS, POISON, LIMITS, no Valgrind/ASan watching): those features
 * and every unusual case (empty list, corrupt header, block of more than
 * 64 units, anything to refuse) return "not done" and the caller falls
 * back to the complete path in alloc.c, which re-checks everything.
 * The caller holds the client's lock.
 *
 * The hot cache. A freed block of order below VMMA_CACHE_ORDERS goes on a
 * small stack per order in the client record, its start bit cleared and
 * its end bit kept; an allocation of that order takes it back and sets the
 * start bit again. Neither touches the block's memory, and the map word is
 * the one the free just read, so the common churn of small blocks costs no
 * cache miss beyond that read. A cached block is free (not live: a second
 * free of it is refused, queries do not see it) and counts in free_bytes.
 * When a stack is full its older half goes to the free lists
 * (cache_spill); every path that walks the lists or merges buddies first
 * empties the cache (cache_flush), since the kept end bits would confuse
 * the coalescing marks (buddy.c).
 */
#ifndef VMMA_FASTPATH_H
#define VMMA_FASTPATH_H

#include "buddy.h"

static inline unsigned fast_order(const struct vmma_client *c, size_t size)
{
    size_t units = (size - 1) >> c->align_shift;
    return size <= ((size_t)1 << c->align_shift) ? 0 : log2_floor(units) + 1;
}

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
    size_t off = (size_t)((char *)b - c->base);
    size_t i = (off & (c->block_size - 1)) >> c->align_shift;
    uint64_t *w = c->bits + (off >> c->arena_shift) * c->map_stride;
    map_set(w, i);
    map_set(w + 1, i + ((size_t)1 << k) - 1);
    return b;
}

/* Take a block of order k from the hot cache, or NULL. */
static inline void *cache_pop(struct vmma_client *c, unsigned k)
{
    if (k >= VMMA_CACHE_ORDERS || !c->cache_n[k])
        return NULL;
    char *p = c->cache[k][--c->cache_n[k]];
    size_t off = (size_t)(p - c->base);
    size_t i = (off & (c->block_size - 1)) >> c->align_shift;
    map_set(c->bits + (off >> c->arena_shift) * c->map_stride, i);
    cnt_sub(&c->lists.free_bytes, (size_t)1 << (k + c->align_shift));
    return p;
}

/* Free block p at offset off of a BUDDY arena of c; 0 = not done. */
static inline int fast_push(struct vmma_client *c, char *p, size_t off)
{
    size_t i = (off & (c->block_size - 1)) >> c->align_shift;
    uint64_t *w = c->bits + (off >> c->arena_shift) * c->map_stride + ((i >> 6) << 1);
    unsigned bit = (unsigned)(i & 63);
    uint64_t start = w[0], end = w[1] >> bit;
    if (VMMA_UNLIKELY(!((start >> bit) & 1) || !end || (off & ((1u << c->align_shift) - 1))))
        return 0;
    unsigned len = (unsigned)__builtin_ctzll(end) + 1;
    unsigned k = (unsigned)__builtin_ctz(len);
    w[0] = start & ~((uint64_t)1 << bit);
    if (k < VMMA_CACHE_ORDERS) {
        if (VMMA_UNLIKELY(c->cache_n[k] == VMMA_CACHE_DEPTH))
            cache_spill(c, k, VMMA_CACHE_DEPTH / 2);
        c->cache[k][c->cache_n[k]++] = p;
        cnt_add(&c->lists.free_bytes, (size_t)len << c->align_shift);
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
