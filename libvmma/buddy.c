/*
 * buddy.c — the slow paths of the buddy allocator of one arena (buddy.h):
 * arena set-up, splitting, batch coalescing, finding the live block that
 * holds an address, and walking live blocks.
 *
 * Invariant kept: blocks (live or free) tile every BUDDY arena; each free
 * block is on exactly one list, the one of its order; the start and end
 * maps mark exactly the live blocks. During buddy_coalesce() alone the end
 * map also marks the start units of the free blocks of the order being
 * merged (free units carry no end bit; where a live order-0 block's end
 * bit sits on a unit we test, its start bit tells them apart), and every
 * such mark is cleared before the order is done.
 */
#include "buddy.h"

static inline size_t unit_bytes(const struct vmma_context *ctx, unsigned k)
{
    return ctx->alignment << k;
}

/* Arena and unit of block p. */
static inline void locate(const struct vmma_context *ctx, const void *p, size_t *a, size_t *i)
{
    size_t off = (size_t)((const char *)p - ctx->base);
    *a = off >> ctx->arena_shift;
    *i = (off & (ctx->block_size - 1)) >> ctx->align_shift;
}

void buddy_arena_init(const struct vmma_context *ctx, struct buddy_lists *l, size_t a)
{
    memset(arena_start_map(ctx, a), 0, 2 * ctx->map_words * sizeof(uint64_t));
    buddy_push(l, arena_addr(ctx, a), ctx->max_order, 0, ctx->block_size);
}

void *buddy_split_alloc(const struct vmma_context *ctx, struct buddy_lists *l,
                        unsigned k, unsigned *poisoned, int *corrupt)
{
    for (unsigned j = k + 1; j <= ctx->max_order; j++) {
        if (!l->head[j])
            continue;
        char *p = buddy_pop(l, j, poisoned, unit_bytes(ctx, j));
        if (!p) {
            *corrupt = 1;
            j = k;                           /* list j is gone: look again */
            continue;
        }
        while (j > k) {
            j--;
            buddy_push(l, p + unit_bytes(ctx, j), j, *poisoned, unit_bytes(ctx, j));
        }
        return p;
    }
    return NULL;
}

/* Read a free block's header; 0 when it is corrupt. */
static int read_header(const struct buddy_free *b, unsigned k,
                       struct buddy_free **next, unsigned *poisoned)
{
    track_open(b, BUDDY_HEADER_BYTES);
    int ok = buddy_meta_ok(b, k);
    *next = b->next;
    *poisoned = (b->meta & BUDDY_META_POISON) != 0;
    track_close(b, BUDDY_HEADER_BYTES);
    return ok;
}

/* Cut list k after `last` (or empty it), forgetting a corrupt tail. */
static void cut_list(struct buddy_lists *l, unsigned k, struct buddy_free *last,
                     size_t kept, size_t bytes)
{
    if (last) {
        track_open(last, BUDDY_HEADER_BYTES);
        unsigned poisoned = (last->meta & BUDDY_META_POISON) != 0;
        last->next = NULL;
        last->meta = buddy_meta(NULL, k, poisoned);
        track_close(last, BUDDY_HEADER_BYTES);
    } else {
        l->head[k] = NULL;
    }
    cnt_add(&l->lost_bytes, (l->count[k] - kept) * bytes);
    cnt_sub(&l->free_bytes, (l->count[k] - kept) * bytes);
    l->count[k] = kept;
}

/* Pass 1 of one order: set the mark of every block of list k; 0 when a
 * corrupt header cut the list short. */
static int mark_list(const struct vmma_context *ctx, struct buddy_lists *l, unsigned k)
{
    struct buddy_free *b = l->head[k], *last = NULL, *next;
    size_t n = 0, a, i;
    unsigned poisoned;
    while (b) {
        if (!read_header(b, k, &next, &poisoned)) {
            cut_list(l, k, last, n, unit_bytes(ctx, k));
            return 0;
        }
        locate(ctx, b, &a, &i);
        map_set(arena_end_map(ctx, a), i);
        last = b;
        b = next;
        n++;
    }
    return 1;
}

/* Refill with the poison pattern the upper-half headers of the first n
 * blocks of list k+1 (the pairs just merged), now that no walk of list k
 * can still need those headers. */
static void poison_merged(const struct vmma_context *ctx, struct buddy_lists *l,
                          unsigned k, size_t n)
{
    struct buddy_free *b = l->head[k + 1], *next;
    unsigned poisoned;
    for (; b && n; b = next, n--) {
        read_header(b, k + 1, &next, &poisoned);
        if (poisoned) {
            char *hi = (char *)b + unit_bytes(ctx, k);
            track_open(hi, BUDDY_HEADER_BYTES);
            poison_fill(hi, BUDDY_HEADER_BYTES);
            track_close(hi, BUDDY_HEADER_BYTES);
        }
    }
}

/* Pass 2 of one order. A marked block whose buddy is marked too merges
 * when it is the lower one (its header was read already, so pushing it on
 * list k+1 cannot break the walk); the upper one is skipped and left marked
 * for its lower buddy to take. Returns the number of merged pairs. */
static size_t merge_list(const struct vmma_context *ctx, struct buddy_lists *l, unsigned k)
{
    size_t bytes = unit_bytes(ctx, k), merged = 0;
    struct buddy_free *b = l->head[k], *next;
    l->head[k] = NULL;
    cnt_sub(&l->free_bytes, l->count[k] * bytes);
    l->count[k] = 0;
    for (; b; b = next) {
        size_t a, i;
        unsigned pb, pj;
        read_header(b, k, &next, &pb);          /* validated by mark_list */
        locate(ctx, b, &a, &i);
        uint64_t *marks = arena_end_map(ctx, a);
        if (!map_test(marks, i))
            continue;                           /* absorbed by its lower buddy */
        size_t j = i ^ ((size_t)1 << k);
        /* j is a block's start; it is a marked free block unless a live
         * block starts there (only a live order-0 block can have its end
         * bit on a buddy's start unit) */
        if (!map_test(marks, j) || map_test(arena_start_map(ctx, a), j)) {
            map_clear(marks, i);
            buddy_push(l, b, k, pb, bytes);
            continue;
        }
        if (j < i)
            continue;                           /* the lower buddy will merge us */
        map_clear(marks, i);
        map_clear(marks, j);
        struct buddy_free *unused;
        read_header((struct buddy_free *)((char *)b + bytes), k, &unused, &pj);
        buddy_push(l, b, k + 1, pb && pj, bytes << 1);
        merged++;
    }
    return merged;
}

int buddy_coalesce(const struct vmma_context *ctx, struct buddy_lists *l)
{
    int intact = 1;
    for (unsigned k = 0; k < ctx->max_order; k++) {
        if (!l->head[k])
            continue;
        intact &= mark_list(ctx, l, k);
        size_t merged = merge_list(ctx, l, k);
        if (merged)
            poison_merged(ctx, l, k, merged);
    }
    l->cached_after_pass = buddy_cached_blocks(l);
    l->grown_since_pass = 0;
    return intact;
}

int buddy_find_live(const struct vmma_context *ctx, size_t a, size_t i,
                    size_t *start, unsigned *order)
{
    const uint64_t *smap = arena_start_map(ctx, a);
    size_t w = i >> 6;
    uint64_t x = map_word(smap, w) & (~(uint64_t)0 >> (63 - (i & 63)));
    while (!x) {
        if (w == 0)
            return 0;
        x = map_word(smap, --w);
    }
    size_t s = (w << 6) + (size_t)(63 - __builtin_clzll(x));
    unsigned k = buddy_live_order(arena_end_map(ctx, a), s, ctx->map_words);
    if (k > ctx->max_order || i >= s + ((size_t)1 << k))
        return 0;
    *start = s;
    *order = k;
    return 1;
}

int buddy_walk(const struct vmma_context *ctx, size_t a,
               int (*visit)(void *, size_t, void *), void *arg,
               size_t (*usable)(const struct vmma_context *, void *, unsigned))
{
    const uint64_t *smap = arena_start_map(ctx, a);
    const uint64_t *emap = arena_end_map(ctx, a);
    char *base = arena_addr(ctx, a);
    for (size_t w = 0; w < ctx->map_words; w++) {
        uint64_t x = map_word(smap, w);
        while (x) {
            size_t i = (w << 6) + (size_t)__builtin_ctzll(x);
            x &= x - 1;
            unsigned k = buddy_live_order(emap, i, ctx->map_words);
            if (k > ctx->max_order)
                continue;
            void *p = base + (i << ctx->align_shift);
            int r = visit(p, usable(ctx, p, k), arg);
            if (r)
                return r;
        }
    }
    return 0;
}
