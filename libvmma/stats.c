/*
 * stats.c — figures about a context or a client (vmma_stats), the census
 * of cached free blocks, and the walk over live blocks. Nothing here
 * changes the allocator: it reads counters kept by client.c/context.c
 * (relaxed atomics, one writer each) and walks under the client's lock.
 */
#include "buddy.h"

#include <errno.h>

int vmma_get_client_stats(const vmma_client *cc, vmma_stats *out)
{
    const struct vmma_client *c = cc;
    if (!c || c->magic != VMMA_CLIENT_MAGIC || !out)
        return EINVAL;
    const struct vmma_context *ctx = c->ctx;
    memset(out, 0, sizeof *out);
    out->arena_count = cnt_get(&c->arenas);
    out->total_size = out->arena_count << ctx->arena_shift;
    out->admin_size = ctx->record_size;
    out->free_size = cnt_get(&c->lists.free_bytes) + client_cache_bytes(c);
    out->used_size = client_used(c);
    out->requested_size = cnt_get(&c->requested);
    out->client_count = 1;
    out->alloc_count = cnt_get(&c->alloc_count);
    out->free_count = cnt_get(&c->free_count);
    return 0;
}

int vmma_get_context_stats(const vmma_context *cctx, vmma_stats *out)
{
    struct vmma_context *ctx = (struct vmma_context *)cctx;
    if (!ctx || ctx->magic != VMMA_CONTEXT_MAGIC || !out)
        return EINVAL;
    memset(out, 0, sizeof *out);
    pool_lock(ctx);
    out->total_size = ctx->arena_count << ctx->arena_shift;
    out->admin_size = ctx->admin_fixed + (cnt_get(&ctx->admin_arenas) << ctx->arena_shift);
    out->free_size = cnt_get(&ctx->free_arenas) << ctx->arena_shift;
    out->arena_count = cnt_get(&ctx->held_arenas);
    out->client_count = cnt_get(&ctx->client_count);
    out->alloc_count = cnt_get(&ctx->retired_allocs);
    out->free_count = cnt_get(&ctx->retired_frees);
    for (const struct vmma_client *c = ctx->clients; c; c = c->next_client) {
        out->used_size += client_used(c);
        out->requested_size += cnt_get(&c->requested);
        out->alloc_count += cnt_get(&c->alloc_count);
        out->free_count += cnt_get(&c->free_count);
    }
    pool_unlock(ctx);
    return 0;
}

int vmma_populate_cached_blocks(const vmma_client *cc, vmma_cached_blocks *out)
{
    struct vmma_client *c = (struct vmma_client *)cc;
    if (!c || c->magic != VMMA_CLIENT_MAGIC || !out)
        return EINVAL;
    const struct vmma_context *ctx = c->ctx;
    memset(out, 0, sizeof *out);
    int locked = client_lock(c);
    for (unsigned k = 0; k <= ctx->max_order; k++) {
        size_t n = 0;
        for (struct buddy_free *b = c->lists.head[k], *next; b; b = next, n++) {
            track_open(b, BUDDY_HEADER_BYTES);
            int ok = buddy_meta_ok(b, k);
            next = b->next;
            track_close(b, BUDDY_HEADER_BYTES);
            if (!ok) {
                n++;
                break;
            }
        }
        if (k < VMMA_CACHE_ORDERS)
            n += cache_depth(c, k);                 /* the hot cache (fastpath.h) */
        out->count[k] = n;
        out->total_bytes += n * (ctx->alignment << k);
    }
    client_unlock(c, locked);
    return 0;
}

struct walk_state {
    int (*visit)(void *, size_t, void *);
    void *arg;
};

int vmma_walk(const vmma_client *cc, int (*visit)(void *block, size_t size, void *arg), void *arg)
{
    struct vmma_client *c = (struct vmma_client *)cc;
    if (!c || c->magic != VMMA_CLIENT_MAGIC || !visit)
        return EINVAL;
    const struct vmma_context *ctx = c->ctx;
    int r = 0;
    int locked = client_lock_exclusive(c);
    /* the visitor's queries of c from this thread go on without the lock
     * this thread holds (lock.c); a nested walk keeps the outer one's mark */
    const void *outer = atomic_load_explicit(&c->walker, memory_order_relaxed);
    atomic_store_explicit(&c->walker, lock_self(), memory_order_relaxed);
    for (uint32_t a = c->arena_list; a != ARENA_NONE && !r; a = ctx->arenas[a].next) {
        const struct vmma_arena *ar = &ctx->arenas[a];
        if (ar->kind == ARENA_LARGE)
            r = visit(arena_addr(ctx, a), (size_t)ar->run << ctx->arena_shift, arg);
        else
            r = buddy_walk(ctx, a, visit, arg, client_block_usable);
    }
    atomic_store_explicit(&c->walker, outer, memory_order_relaxed);
    client_unlock(c, locked);
    return r;
}
