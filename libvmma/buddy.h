/*
 * buddy.h — the binary buddy allocator of one arena: its bitmaps and the
 * free lists that thread through free blocks. It knows arenas and their
 * geometry (struct vmma_context), never clients.
 *
 * Idea. A block of order k is 2^k units (unit = the context's alignment)
 * and starts at a multiple of 2^k units inside its arena, so its buddy is
 * found by flipping one bit of its index. Two bitmaps per arena, one bit per
 * unit:
 *   start map: bit i set iff a live block starts at unit i;
 *   end map:   bit i set iff a live block ends at unit i.
 * A live block's order is the distance from its start to the next end bit
 * (one ctz for blocks up to 64 units). No header precedes a block.
 * A free block carries its own header (struct buddy_free): the next pointer
 * of its free list and a meta word holding its order, whether it is
 * poisoned, and a check value that mixes in the next pointer, so that a
 * write after free over the header is noticed instead of followed.
 *
 * Coalescing is lazy: a freed block goes straight onto the list of its
 * order (the fast path is a push and two bit flips); buddies are merged in
 * batches by buddy_coalesce(), which the owner calls when it would
 * otherwise take a new arena.
 */
#ifndef VMMA_BUDDY_H
#define VMMA_BUDDY_H

#include "internal.h"

#define BUDDY_META_MAGIC  0xb0dd1ef4ee000000ull
#define BUDDY_META_POISON 0x100u
#define BUDDY_META_LOW    0x1ffu     /* order (8 bits) + poison bit */
#define BUDDY_HEADER_BYTES sizeof(struct buddy_free)

/* ---- bitmaps -------------------------------------------------------- */

static inline int bit_test(const uint64_t *map, size_t i)
{
    return (int)((map[i >> 6] >> (i & 63)) & 1u);
}
static inline void bit_set(uint64_t *map, size_t i)
{
    map[i >> 6] |= (uint64_t)1 << (i & 63);
}
static inline void bit_clear(uint64_t *map, size_t i)
{
    map[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

/* The two maps of an arena are interleaved word by word (start word w at
 * [2w], end word w at [2w+1]) so that a small block's two bits share one
 * cache line: map_* take a map pointer (start map = base, end map =
 * base + 1) and step by two words. */
static inline uint64_t map_word(const uint64_t *map, size_t w) { return map[w << 1]; }
static inline int map_test(const uint64_t *map, size_t i)
{
    return (int)((map[(i >> 6) << 1] >> (i & 63)) & 1u);
}
static inline void map_set(uint64_t *map, size_t i)
{
    map[(i >> 6) << 1] |= (uint64_t)1 << (i & 63);
}
static inline void map_clear(uint64_t *map, size_t i)
{
    map[(i >> 6) << 1] &= ~((uint64_t)1 << (i & 63));
}

/* Order of the live block that starts at unit i (its start bit is set). */
static inline unsigned buddy_live_order(const uint64_t *end, size_t i, size_t words)
{
    size_t w = i >> 6;
    uint64_t x = map_word(end, w) >> (i & 63);
    size_t len;
    if (VMMA_LIKELY(x != 0)) {
        len = (size_t)__builtin_ctzll(x) + 1;
    } else {
        for (w++; w < words && map_word(end, w) == 0; w++)
            ;
        if (w == words)
            return UINT32_MAX >> 1;       /* corrupt maps; callers check */
        len = (w << 6) + (size_t)__builtin_ctzll(map_word(end, w)) - i + 1;
    }
    return (unsigned)__builtin_ctzll((unsigned long long)len);
}

static inline void buddy_mark_live(uint64_t *start, uint64_t *end, size_t i, unsigned k)
{
    map_set(start, i);
    map_set(end, i + ((size_t)1 << k) - 1);
}
static inline void buddy_mark_dead(uint64_t *start, uint64_t *end, size_t i, unsigned k)
{
    map_clear(start, i);
    map_clear(end, i + ((size_t)1 << k) - 1);
}

/* ---- free-block headers and lists ----------------------------------- */

static inline uint64_t buddy_meta(const struct buddy_free *next, unsigned k, unsigned poisoned)
{
    return (BUDDY_META_MAGIC ^ ((uint64_t)(uintptr_t)next & ~(uint64_t)BUDDY_META_LOW))
           | k | (poisoned ? BUDDY_META_POISON : 0);
}

static inline int buddy_meta_ok(const struct buddy_free *b, unsigned k)
{
    return buddy_meta(b->next, k, 0) == (b->meta & ~(uint64_t)BUDDY_META_POISON);
}

static inline void buddy_push(struct buddy_lists *l, void *p, unsigned k,
                              unsigned poisoned, size_t bytes)
{
    struct buddy_free *b = (struct buddy_free *)p;
    track_open(b, BUDDY_HEADER_BYTES);
    b->next = l->head[k];
    b->meta = buddy_meta(b->next, k, poisoned);
    track_close(b, BUDDY_HEADER_BYTES);
    l->head[k] = b;
    l->count[k]++;
    cnt_add(&l->free_bytes, bytes);
}

/* Forget list k (its headers were overwritten): its blocks stay unusable
 * until the arena goes back to the context. */
static inline void buddy_drop_list(struct buddy_lists *l, unsigned k, size_t bytes)
{
    l->head[k] = NULL;
    cnt_add(&l->lost_bytes, l->count[k] * bytes);
    cnt_sub(&l->free_bytes, l->count[k] * bytes);
    l->count[k] = 0;
}

/* Pop the head of list k (non-empty). *poisoned tells whether it carries
 * the poison pattern. Returns NULL, and empties list k, when the header
 * was overwritten (the caller reports it). */
static inline void *buddy_pop(struct buddy_lists *l, unsigned k, unsigned *poisoned,
                              size_t bytes)
{
    struct buddy_free *b = l->head[k];
    track_open(b, BUDDY_HEADER_BYTES);
    struct buddy_free *next = b->next;
    uint64_t meta = b->meta;
    int ok = buddy_meta_ok(b, k);
    track_close(b, BUDDY_HEADER_BYTES);
    if (VMMA_UNLIKELY(!ok)) {
        buddy_drop_list(l, k, bytes);
        return NULL;
    }
    l->head[k] = next;
    l->count[k]--;
    cnt_sub(&l->free_bytes, bytes);
    *poisoned = (meta & BUDDY_META_POISON) != 0;
    return b;
}

/* Blocks on all the lists. */
static inline size_t buddy_cached_blocks(const struct buddy_lists *l)
{
    size_t n = 0;
    for (unsigned k = 0; k < VMMA_BUDDY_ORDERS; k++)
        n += l->count[k];
    return n;
}

/* ---- out of line (buddy.c) ------------------------------------------ */

/* Clear arena a's maps and put the whole arena on list max_order. */
VMMA_HIDDEN void buddy_arena_init(const struct vmma_context *ctx, struct buddy_lists *l, size_t a);
/* A block of order k split from a larger free block, or NULL when no list
 * of order > k has one; *poisoned as for buddy_pop. Sets *corrupt when a
 * corrupted header was dropped. */
VMMA_HIDDEN void *buddy_split_alloc(const struct vmma_context *ctx, struct buddy_lists *l,
                                    unsigned k, unsigned *poisoned, int *corrupt);
/* Merge every pair of free buddies on the lists; whole free arenas end on
 * list max_order; absorbed headers of poisoned pairs get the pattern back.
 * 0 when a corrupt header was found (that list is cut there). */
VMMA_HIDDEN int buddy_coalesce(const struct vmma_context *ctx, struct buddy_lists *l);
/* The live block of arena a containing unit i: its start unit and order,
 * 1 when found, 0 when unit i is free. */
VMMA_HIDDEN int buddy_find_live(const struct vmma_context *ctx, size_t a, size_t i,
                                size_t *start, unsigned *order);
/* Call visit for every live block of arena a (stops on non-zero). */
VMMA_HIDDEN int buddy_walk(const struct vmma_context *ctx, size_t a,
                           int (*visit)(void *, size_t, void *), void *arg,
                           size_t (*usable)(const struct vmma_context *, void *, unsigned));

#endif /* VMMA_BUDDY_H */
