/*
 * alloc.c — every call that allocates, frees or inspects a block: alloc,
 * alloc_aligned, realloc, free, get_size, test_address, get_owner.
 *
 * The common cases run inline (fastpath.h); this file is the complete
 * path behind them: features (ZERO_FILL, STATISTICS, POISON, LIMITS), the
 * tracking layer, splitting, lazy coalescing, growing by one arena, LARGE
 * runs of whole arenas for blocks bigger than an arena (or aligned beyond
 * one), and refusing bad pointers with one line to the error handler.
 *
 * Invariant kept: a pointer is a live block of client c iff it lies in a
 * BUDDY arena of c with its start bit set, or is the first byte of a LARGE
 * run of c. With STATISTICS a buddy block ends with a small trailer that
 * records how many bytes were asked for (blocks carry no header).
 */
#include "fastpath.h"

#include <errno.h>
#include <stdio.h>

/* ---- the statistics trailer ----------------------------------------- */

/* slack = rounded - requested >= 1. The last byte holds slack when it is
 * below 255; otherwise 255, preceded by slack as a size_t. */
static inline size_t trailer_bytes(size_t slack) { return slack < 255 ? 1 : 1 + sizeof(size_t); }

static void trailer_write(char *p, size_t rounded, size_t requested)
{
    size_t slack = rounded - requested, t = trailer_bytes(slack);
    char *end = p + rounded;
    track_open(end - t, t);
    end[-1] = (char)(slack < 255 ? slack : 255);
    if (slack >= 255)
        memcpy(end - t, &slack, sizeof slack);
    track_close(end - t, t);
}

/* Bytes asked for, and *usable, of a live block with a trailer. */
static size_t trailer_read(const char *p, size_t rounded, size_t *usable)
{
    const char *end = p + rounded;
    size_t slack;
    track_open(end - 1, 1);
    unsigned char last = (unsigned char)end[-1];
    track_close(end - 1, 1);
    if (last < 255) {
        slack = last ? last : 1;
    } else {
        track_open(end - 1 - sizeof slack, sizeof slack);
        memcpy(&slack, end - 1 - sizeof slack, sizeof slack);
        track_close(end - 1 - sizeof slack, sizeof slack);
        if (slack < 255 || slack > rounded)
            slack = 1 + sizeof slack;      /* overwritten by the user: keep sane */
    }
    *usable = rounded - trailer_bytes(slack);
    return rounded - slack;
}

/* Usable bytes of a live buddy block of order k at p. */
size_t client_block_usable(const struct vmma_context *ctx, void *p, unsigned k)
{
    size_t rounded = ctx->alignment << k, usable = rounded;
    if (ctx_flags(ctx) & VMMA_FEATURE_STATISTICS)
        trailer_read(p, rounded, &usable);
    return usable;
}

/* ---- allocation ------------------------------------------------------- */

static inline int over_limit(const struct vmma_client *c, unsigned flags, size_t bytes)
{
    return (flags & VMMA_FEATURE_LIMITS) && c->limit &&
           (bytes > c->limit || client_used(c) > c->limit - bytes);
}

/* After a coalescing pass: give whole free arenas back, keeping one. */
static void give_back_arenas(struct vmma_client *c)
{
    struct vmma_context *ctx = c->ctx;
    struct buddy_lists *l = &c->lists;
    unsigned top = ctx->max_order, poisoned;
    while (l->count[top] > 1 && l->head[top]) {
        char *p = buddy_pop(l, top, &poisoned, ctx->block_size);
        if (!p)
            break;
        size_t a = (size_t)(p - ctx->base) >> ctx->arena_shift;
        pool_lock(ctx);
        client_arena_unlink(c, a);
        pool_give(ctx, a, 1);
        pool_unlock(ctx);
        cnt_sub(&c->arenas, 1);
        cnt_sub(&c->buddy_arenas, 1);
    }
}

/* Take one more arena for the buddy allocator. */
static int grow(struct vmma_client *c)
{
    struct vmma_context *ctx = c->ctx;
    size_t a;
    pool_lock(ctx);
    int err = pool_take(ctx, 1, 1, ARENA_BUDDY, c, &a);
    if (!err)
        client_arena_link(c, a);
    pool_unlock(ctx);
    if (err)
        return err;
    cnt_add(&c->arenas, 1);
    cnt_add(&c->buddy_arenas, 1);
    c->lists.grown_since_pass++;
    buddy_arena_init(ctx, &c->lists, a);
    return 0;
}

/* A block of order k from list k or split from a larger one. */
static void *take(struct vmma_client *c, unsigned k, unsigned *poisoned, int *corrupt)
{
    struct buddy_lists *l = &c->lists;
    if (l->head[k]) {
        void *p = buddy_pop(l, k, poisoned, c->ctx->alignment << k);
        if (p)
            return p;
        *corrupt = 1;
    }
    return buddy_split_alloc(c->ctx, l, k, poisoned, corrupt);
}

/* List k is empty: split, coalesce, or grow. Caller holds the lock. */
static void *alloc_slow(struct vmma_client *c, unsigned k, unsigned *poisoned, int *corrupt)
{
    struct buddy_lists *l = &c->lists;
    void *p;
    if ((p = take(c, k, poisoned, corrupt)))
        return p;
    cache_flush(c);      /* coalescing needs every free block on the lists */
    /* coalesce when the cached blocks at least doubled since the last
     * pass (the pass costs O(cached blocks), paid by the frees since), or
     * when the client grew by a quarter meanwhile (fragmentation must not
     * grow it without bound) */
    size_t cached = buddy_cached_blocks(l);
    if (cached > 2 * l->cached_after_pass ||
        (cached > l->cached_after_pass && 4 * l->grown_since_pass > cnt_get(&c->buddy_arenas))) {
        if (!buddy_coalesce(c->ctx, l))
            *corrupt = 1;
        if ((p = take(c, k, poisoned, corrupt))) {
            give_back_arenas(c);
            return p;
        }
    }
    if (grow(c) != 0) {
        if (cached == l->cached_after_pass)
            return NULL;
        if (!buddy_coalesce(c->ctx, l))    /* last resort */
            *corrupt = 1;
    }
    return take(c, k, poisoned, corrupt);
}

static void report_corrupt(struct vmma_client *c, const char *fn)
{
    vmma_report(c->ctx, EFAULT,
                "%s: a free list of client %p was overwritten (write after free?); "
                "its blocks are dropped", fn, (void *)c);
}

static void check_poison(struct vmma_client *c, const char *fn, char *p, size_t rounded)
{
    if (rounded <= BUDDY_HEADER_BYTES)
        return;
    track_open(p, rounded);
    size_t at = BUDDY_HEADER_BYTES +
                poison_find_write(p + BUDDY_HEADER_BYTES, rounded - BUDDY_HEADER_BYTES);
    track_close(p, rounded);
    if (at < rounded)
        vmma_report(c->ctx, EFAULT,
                    "%s: block %p of %zu bytes was written after it was freed (byte %zu)",
                    fn, (void *)p, rounded, at);
}

static void *large_alloc(struct vmma_client *c, size_t size, size_t align, const char *fn);

static void *client_alloc(struct vmma_client *c, size_t size, size_t align, const char *fn)
{
    struct vmma_context *ctx = c->ctx;
    unsigned flags = ctx_flags(ctx);
    size_t need = size + ((flags & VMMA_FEATURE_STATISTICS) != 0);
    if (VMMA_UNLIKELY(need > ctx->block_size || align > ctx->block_size || need < size))
        return large_alloc(c, size, align, fn);
    unsigned k = size_order(ctx, need);
    if (VMMA_UNLIKELY(align > ctx->alignment) && log2_floor(align) - ctx->align_shift > k)
        k = log2_floor(align) - ctx->align_shift;
    size_t rounded = ctx->alignment << k;
    unsigned poisoned = 0;
    int corrupt = 0;
    void *p = NULL;
    int locked = client_lock(c);
    if (k < VMMA_CACHE_ORDERS && cache_depth(c, k))   /* list k gets its cached blocks */
        cache_spill(c, k, cache_depth(c, k));
    if (VMMA_UNLIKELY(over_limit(c, flags, rounded))) {
        client_unlock(c, locked);
        vmma_report(ctx, EDQUOT, "%s: %zu bytes would pass the limit of %zu bytes of client %p",
                    fn, size, c->limit, (void *)c);
        errno = EDQUOT;
        return NULL;
    }
    if (VMMA_LIKELY(c->lists.head[k] != NULL)) {
        p = buddy_pop(&c->lists, k, &poisoned, rounded);
        corrupt = p == NULL;
    }
    if (VMMA_UNLIKELY(!p)) {
        p = alloc_slow(c, k, &poisoned, &corrupt);
        if (!p) {
            client_unlock(c, locked);
            if (corrupt)
                report_corrupt(c, fn);
            vmma_report(ctx, ENOMEM, "%s: no memory left for %zu bytes in client %p",
                        fn, size, (void *)c);
            errno = ENOMEM;
            return NULL;
        }
    }
    size_t off = (size_t)((char *)p - ctx->base);
    size_t a = off >> ctx->arena_shift, i = (off & (ctx->block_size - 1)) >> ctx->align_shift;
    buddy_mark_live(arena_start_map(ctx, a), arena_end_map(ctx, a), i, k);
    if (flags & VMMA_FEATURE_STATISTICS) {
        cnt_add(&c->requested, size);
        cnt_add(&c->alloc_count, 1);
    }
    client_unlock(c, locked);
    if (VMMA_UNLIKELY(corrupt))
        report_corrupt(c, fn);
    if (VMMA_UNLIKELY(poisoned))
        check_poison(c, fn, p, rounded);
    size_t usable = rounded;
    if (flags & VMMA_FEATURE_STATISTICS)
        usable = rounded - trailer_bytes(rounded - size);
    track_alloc(c, p, usable, rounded);
    if (flags & VMMA_FEATURE_ZERO_FILL)
        memset(p, 0, usable);
    if (flags & VMMA_FEATURE_STATISTICS)
        trailer_write(p, rounded, size);
    return p;
}

static void *large_alloc(struct vmma_client *c, size_t size, size_t align, const char *fn)
{
    struct vmma_context *ctx = c->ctx;
    unsigned flags = ctx_flags(ctx);
    size_t n = (size >> ctx->arena_shift) + ((size & (ctx->block_size - 1)) != 0), a;
    if (n == 0)
        n = 1;
    if (n > ctx->arena_count) {
        vmma_report(ctx, ENOMEM, "%s: %zu bytes is more than the whole context", fn, size);
        errno = ENOMEM;
        return NULL;
    }
    size_t bytes = n << ctx->arena_shift;
    int locked = client_lock(c);
    if (over_limit(c, flags, bytes)) {
        client_unlock(c, locked);
        vmma_report(ctx, EDQUOT, "%s: %zu bytes would pass the limit of %zu bytes of client %p",
                    fn, size, c->limit, (void *)c);
        errno = EDQUOT;
        return NULL;
    }
    int zeroed = 1;
    pool_lock(ctx);
    int err = pool_take(ctx, n, align > ctx->block_size ? align >> ctx->arena_shift : 1,
                        ARENA_LARGE, c, &a);
    if (!err) {
        client_arena_link(c, a);
        ctx->arenas[a].requested = size;
        for (size_t j = a; j < a + n; j++) {
            zeroed &= ctx->arenas[j].zeroed;
            ctx->arenas[j].zeroed = 0;
        }
    }
    pool_unlock(ctx);
    if (err) {
        client_unlock(c, locked);
        vmma_report(ctx, ENOMEM, "%s: no run of %zu free arenas left for %zu bytes", fn, n, size);
        errno = ENOMEM;
        return NULL;
    }
    cnt_add(&c->arenas, n);
    cnt_add(&c->large_bytes, bytes);
    if (flags & VMMA_FEATURE_STATISTICS) {
        cnt_add(&c->requested, size);
        cnt_add(&c->alloc_count, 1);
    }
    client_unlock(c, locked);
    void *p = arena_addr(ctx, a);
    track_alloc(c, p, bytes, bytes);
    if (flags & VMMA_FEATURE_ZERO_FILL) {
        if (zeroed)
            track_zeroed(p, bytes);
        else
            memset(p, 0, bytes);
    }
    return p;
}

static void *alloc_held(vmma_client *c, size_t size, int locked);
static void *alloc_locked(vmma_client *c, size_t size);

/* Three tiers (fastpath.h): the hot cache with no lock; the same for a
 * THREAD_SAFE client biased to this thread (lock.c); everything else,
 * the lock of a THREAD_SAFE client included, out of line. */
void *vmma_alloc(vmma_client *c, size_t size)
{
    if (VMMA_LIKELY(client_valid(c))) {
        unsigned slow = atomic_load_explicit(&c->slow, memory_order_relaxed);
        if (VMMA_LIKELY(!slow)) {
            void *p = fast_alloc(c, size);
            if (VMMA_LIKELY(p != NULL))
                return p;
        } else if (VMMA_LIKELY(slow == VMMA_SLOW_LOCKED && bias_enter(c))) {
            void *p = fast_alloc(c, size);
            if (VMMA_UNLIKELY(!p))
                return alloc_held(c, size, LOCK_BIASED);
            bias_exit();
            return p;
        }
    }
    return alloc_locked(c, size);
}

/* The hot cache, then the free list of the order (caller holds c's lock
 * and has checked c's slow word). */
static inline void *alloc_listed(vmma_client *c, size_t size)
{
    if (size > c->block_size)
        return NULL;
    unsigned k = fast_order(c, size);
    void *p = cache_pop(c, k);
    return p ? p : fast_pop(c, k);
}

/* THREAD_SAFE, entered by vmma_alloc (client_lock's token in locked),
 * hot cache empty: the free list, else the complete path. */
__attribute__((noinline)) static void *alloc_held(vmma_client *c, size_t size, int locked)
{
    void *p = alloc_listed(c, size);
    client_unlock(c, locked);
    return VMMA_LIKELY(p != NULL) ? p : client_alloc(c, size, 0, "vmma_alloc");
}

/* Behind the first tiers: the locked tier, then the complete path. */
__attribute__((noinline)) static void *alloc_locked(vmma_client *c, size_t size)
{
    if (VMMA_UNLIKELY(!client_valid(c))) {
        errno = EINVAL;
        return NULL;
    }
    if (!(atomic_load_explicit(&c->slow, memory_order_relaxed) & ~VMMA_SLOW_LOCKED)) {
        int locked = client_lock(c);
        void *p = alloc_listed(c, size);
        client_unlock(c, locked);
        if (VMMA_LIKELY(p != NULL))
            return p;
    }
    return client_alloc(c, size, 0, "vmma_alloc");
}

void *vmma_alloc_aligned(vmma_client *c, size_t size, size_t alignment)
{
    if (!client_valid(c)) {
        errno = EINVAL;
        return NULL;
    }
    if (!is_pow2(alignment)) {
        vmma_report(c->ctx, EINVAL, "vmma_alloc_aligned: alignment %zu is not a power of two",
                    alignment);
        errno = EINVAL;
        return NULL;
    }
    return client_alloc(c, size, alignment, "vmma_alloc_aligned");
}

/* ---- the hot cache (fastpath.h) ----------------------------------------- */

/* Move the n oldest blocks of cache stack k to free list k (lock held). */
void cache_spill(struct vmma_client *c, unsigned k, unsigned n)
{
    const struct vmma_context *ctx = c->ctx;
    unsigned have = cache_depth(c, k);
    if (n > have)
        n = have;
    for (unsigned j = 0; j < n; j++) {
        char *p = c->cache[k][j];
        size_t off = (size_t)(p - ctx->base);
        size_t a = off >> ctx->arena_shift, i = (off & (ctx->block_size - 1)) >> ctx->align_shift;
        map_clear(arena_end_map(ctx, a), i + ((size_t)1 << k) - 1);
        buddy_push(&c->lists, p, k, 0, ctx->alignment << k);
    }
    memmove(c->cache[k], c->cache[k] + n, (have - n) * sizeof c->cache[k][0]);
    cache_set_depth(c, k, have - n);
}

/* Empty the hot cache onto the free lists (lock held). */
void cache_flush(struct vmma_client *c)
{
    for (unsigned k = 0; k < VMMA_CACHE_ORDERS; k++)
        if (cache_depth(c, k))
            cache_spill(c, k, cache_depth(c, k));
}

/* ---- freeing ---------------------------------------------------------- */

/* Free the live buddy block at offset off of client c (lock held).
 * Returns 0, or EINVAL when off is not the start of a live block. */
static int buddy_free_block(struct vmma_client *c, char *p, size_t off)
{
    struct vmma_context *ctx = c->ctx;
    size_t a = off >> ctx->arena_shift, i = (off & (ctx->block_size - 1)) >> ctx->align_shift;
    uint64_t *smap = arena_start_map(ctx, a), *emap = arena_end_map(ctx, a);
    if (VMMA_UNLIKELY((off & (ctx->alignment - 1)) || !map_test(smap, i)))
        return EINVAL;
    unsigned k = buddy_live_order(emap, i, ctx->map_words);
    if (VMMA_UNLIKELY(k > ctx->max_order))
        return EINVAL;
    size_t rounded = ctx->alignment << k;
    unsigned flags = ctx_flags(ctx);
    if (flags & VMMA_FEATURE_STATISTICS) {
        size_t usable;
        cnt_sub(&c->requested, trailer_read(p, rounded, &usable));
        cnt_add(&c->free_count, 1);
    }
    buddy_mark_dead(smap, emap, i, k);
    track_free(c, p, rounded);
    unsigned poisoned = (flags & VMMA_FEATURE_POISON) != 0;
    if (poisoned && rounded > BUDDY_HEADER_BYTES) {
        track_open(p, rounded);
        poison_fill(p + BUDDY_HEADER_BYTES, rounded - BUDDY_HEADER_BYTES);
        track_close(p, rounded);
    }
    buddy_push(&c->lists, p, k, poisoned, rounded);
    return 0;
}

/* Free a LARGE run (caller holds c's lock). */
static void large_free(struct vmma_client *c, size_t a)
{
    struct vmma_context *ctx = c->ctx;
    size_t n = ctx->arenas[a].run, bytes = n << ctx->arena_shift;
    if (ctx_flags(ctx) & VMMA_FEATURE_STATISTICS) {
        cnt_sub(&c->requested, ctx->arenas[a].requested);
        cnt_add(&c->free_count, 1);
    }
    cnt_sub(&c->large_bytes, bytes);
    cnt_sub(&c->arenas, n);
    track_free(c, arena_addr(ctx, a), bytes);
    pool_lock(ctx);
    client_arena_unlink(c, a);
    pool_give(ctx, a, n);
    pool_unlock(ctx);
}

/* The reason p (at offset off, arena a) is not a live block's start. */
static const char *why_not_live(const struct vmma_context *ctx, const void *p, size_t off)
{
    size_t a = off >> ctx->arena_shift;
    const struct vmma_arena *ar = &ctx->arenas[a];
    size_t start;
    unsigned k;
    (void)p;
    switch (ar->kind) {
    case ARENA_FREE:
        return "is in memory no client holds (freed, or its client was deleted)";
    case ARENA_ADMIN:
        return "is in the context's administrative data";
    case ARENA_LARGE:
    case ARENA_TAIL:
        return "is inside a large block, not at its start (interior pointer)";
    default:
        if (buddy_find_live(ctx, a, (off & (ctx->block_size - 1)) >> ctx->align_shift,
                            &start, &k))
            return "is inside a live block, not at its start (interior pointer)";
        return "is not the start of a live block (double free?)";
    }
}

__attribute__((noinline, cold)) static int refuse(const struct vmma_context *ctx, const char *fn, const void *p, size_t off)
{
    if (off == SIZE_MAX)
        vmma_report(ctx, EINVAL, "%s: %p is not inside this context", fn, p);
    else
        vmma_report(ctx, EINVAL, "%s: %p %s", fn, p, why_not_live(ctx, p, off));
    return EINVAL;
}

static int free_held(vmma_context *ctx, struct vmma_client *c, void *p, size_t off, int locked);
static int free_slow(vmma_context *ctx, void *p);

/* The tiers of vmma_alloc, for the owner of the arena p lies in. */
int vmma_free(vmma_context *ctx, void *p)
{
    if (VMMA_LIKELY(ctx != NULL)) {
        size_t off = (size_t)((char *)p - ctx->base);
        if (VMMA_LIKELY(off < ctx->arena_bytes && ctx->magic == VMMA_CONTEXT_MAGIC)) {
            const struct vmma_arena *ar = &ctx->arenas[off >> ctx->arena_shift];
            struct vmma_client *c = ar->owner;
            if (VMMA_LIKELY(ar->kind == ARENA_BUDDY)) {
                unsigned slow = atomic_load_explicit(&c->slow, memory_order_relaxed);
                if (VMMA_LIKELY(!slow)) {
                    if (VMMA_LIKELY(fast_free(c, p, off)))
                        return 0;
                } else if (VMMA_LIKELY(slow == VMMA_SLOW_LOCKED && bias_enter(c))) {
                    if (VMMA_UNLIKELY(!fast_free(c, p, off)))
                        return free_held(ctx, c, p, off, LOCK_BIASED);
                    bias_exit();
                    return 0;
                }
            }
        }
    }
    return free_slow(ctx, p);
}

/* Free p at offset off of a BUDDY arena of c, which the caller entered
 * (client_lock's token in locked); leaves it. */
__attribute__((noinline)) static int free_held(vmma_context *ctx, struct vmma_client *c, void *p,
                                               size_t off, int locked)
{
    int err = 0;
    if (atomic_load_explicit(&c->slow, memory_order_relaxed) & ~VMMA_SLOW_LOCKED ||
        !fast_push(c, p, off))
        err = buddy_free_block(c, p, off);
    client_unlock(c, locked);
    return err ? refuse(ctx, "vmma_free", p, off) : 0;
}

/* Behind the first tiers: the locked tier, then the complete path. */
__attribute__((noinline)) static int free_slow(vmma_context *ctx, void *p)
{
    if (!p)
        return 0;
    if (VMMA_UNLIKELY(!ctx || ctx->magic != VMMA_CONTEXT_MAGIC))
        return EINVAL;
    size_t off = ctx_offset(ctx, p);
    if (VMMA_UNLIKELY(off == SIZE_MAX))
        return refuse(ctx, "vmma_free", p, off);
    size_t a = off >> ctx->arena_shift;
    struct vmma_arena *ar = &ctx->arenas[a];
    struct vmma_client *c = ar->owner;
    if (VMMA_LIKELY(ar->kind == ARENA_BUDDY))
        return free_held(ctx, c, p, off, client_lock(c));
    if (ar->kind != ARENA_LARGE || (off & (ctx->block_size - 1)))
        return refuse(ctx, "vmma_free", p, off);
    int locked = client_lock(c);
    int ok = ar->kind == ARENA_LARGE && ar->owner == c;
    if (ok)
        large_free(c, a);
    client_unlock(c, locked);
    return ok ? 0 : refuse(ctx, "vmma_free", p, off);
}

/* ---- inspecting ------------------------------------------------------- */

/* Rounded and usable size of the live block of c that starts at p; 0 when
 * p is not one (caller holds c's lock). */
static size_t live_size(const struct vmma_client *c, const void *p, size_t *usable, int *large)
{
    *large = 0;
    const struct vmma_context *ctx = c->ctx;
    size_t off = ctx_offset(ctx, p);
    if (off == SIZE_MAX)
        return 0;
    size_t a = off >> ctx->arena_shift;
    const struct vmma_arena *ar = &ctx->arenas[a];
    if (ar->owner != c)
        return 0;
    if (ar->kind == ARENA_LARGE && !(off & (ctx->block_size - 1))) {
        *large = 1;
        return *usable = (size_t)ar->run << ctx->arena_shift;
    }
    if (ar->kind != ARENA_BUDDY || (off & (ctx->alignment - 1)))
        return 0;
    size_t i = (off & (ctx->block_size - 1)) >> ctx->align_shift;
    if (!map_test(arena_start_map(ctx, a), i))
        return 0;
    unsigned k = buddy_live_order(arena_end_map(ctx, a), i, ctx->map_words);
    if (k > ctx->max_order)
        return 0;
    *usable = client_block_usable(ctx, (void *)p, k);
    return ctx->alignment << k;
}

size_t vmma_get_size(const vmma_client *cc, const void *p)
{
    struct vmma_client *c = (struct vmma_client *)cc;
    if (!client_valid(c) || !p)
        return 0;
    size_t usable = 0;
    int large;
    int locked = client_lock(c);
    size_t rounded = live_size(c, p, &usable, &large);
    client_unlock(c, locked);
    if (!rounded && (ctx_flags(c->ctx) & VMMA_FEATURE_CHECKED))
        refuse(c->ctx, "vmma_get_size", p, ctx_offset(c->ctx, p));
    return rounded ? usable : 0;
}

/* The owner of the live block containing p (NULL if none); for BUDDY
 * arenas the caller passes the owner it read, locked. */
static int contains_live(const struct vmma_context *ctx, size_t off)
{
    size_t a = off >> ctx->arena_shift, start;
    unsigned k;
    uint8_t kind = ctx->arenas[a].kind;
    if (kind == ARENA_LARGE || kind == ARENA_TAIL)
        return 1;
    return kind == ARENA_BUDDY &&
           buddy_find_live(ctx, a, (off & (ctx->block_size - 1)) >> ctx->align_shift, &start, &k);
}

int vmma_test_address(const vmma_client *cc, const void *p)
{
    struct vmma_client *c = (struct vmma_client *)cc;
    if (!client_valid(c))
        return 0;
    size_t off = ctx_offset(c->ctx, p);
    if (off == SIZE_MAX || c->ctx->arenas[off >> c->ctx->arena_shift].owner != c)
        return 0;
    int locked = client_lock(c);
    int r = contains_live(c->ctx, off);
    client_unlock(c, locked);
    return r;
}

vmma_client *vmma_get_owner(const vmma_context *ctx, const void *p)
{
    if (!ctx || ctx->magic != VMMA_CONTEXT_MAGIC)
        return NULL;
    size_t off = ctx_offset(ctx, p);
    if (off == SIZE_MAX)
        return NULL;
    struct vmma_client *c = ctx->arenas[off >> ctx->arena_shift].owner;
    if (!c)
        return NULL;
    int locked = client_lock(c);
    int r = contains_live(ctx, off);
    client_unlock(c, locked);
    return r ? c : NULL;
}

/* ---- realloc ---------------------------------------------------------- */

/* Resize the live block p of c in place when its rounded size stays the
 * same; 1 when done. */
static int resize_in_place(struct vmma_client *c, void *p, size_t size, size_t rounded,
                           size_t usable, int large)
{
    struct vmma_context *ctx = c->ctx;
    unsigned flags = ctx_flags(ctx);
    int stats = (flags & VMMA_FEATURE_STATISTICS) != 0;
    size_t need = size + (size_t)stats;
    if (large) {
        size_t n = (size >> ctx->arena_shift) + ((size & (ctx->block_size - 1)) != 0);
        if (need <= ctx->block_size || n != rounded >> ctx->arena_shift)
            return 0;
        size_t a = (size_t)((char *)p - ctx->base) >> ctx->arena_shift;
        int locked = client_lock(c);
        if (stats) {
            cnt_sub(&c->requested, ctx->arenas[a].requested);
            cnt_add(&c->requested, size);
        }
        ctx->arenas[a].requested = size;
        client_unlock(c, locked);
        return 1;
    }
    if (need > ctx->block_size || need < size ||
        size_order(ctx, need) != log2_floor(rounded) - ctx->align_shift)
        return 0;
    if (!stats)
        return 1;
    size_t now, old_req = trailer_read(p, rounded, &usable);
    trailer_write(p, rounded, size);
    trailer_read(p, rounded, &now);
    int locked = client_lock(c);
    cnt_sub(&c->requested, old_req);
    cnt_add(&c->requested, size);
    client_unlock(c, locked);
    track_resize(c, p, usable, now, rounded);
    if ((flags & VMMA_FEATURE_ZERO_FILL) && now > usable)
        memset((char *)p + usable, 0, now - usable);
    return 1;
}

void *vmma_realloc(vmma_client *c, void *p, size_t size)
{
    if (!client_valid(c)) {
        errno = EINVAL;
        return NULL;
    }
    if (!p)
        return client_alloc(c, size, 0, "vmma_realloc");
    struct vmma_context *ctx = c->ctx;
    size_t usable = 0;
    int large;
    int locked = client_lock(c);
    size_t rounded = live_size(c, p, &usable, &large);
    client_unlock(c, locked);
    if (!rounded) {
        refuse(ctx, "vmma_realloc", p, ctx_offset(ctx, p));
        errno = EINVAL;
        return NULL;
    }
    if (size == 0) {
        vmma_free(ctx, p);
        return NULL;
    }
    if (resize_in_place(c, p, size, rounded, usable, large))
        return p;
    void *q = client_alloc(c, size, 0, "vmma_realloc");
    if (!q)
        return NULL;
    memcpy(q, p, usable < size ? usable : size);
    vmma_free(ctx, p);
    return q;
}
