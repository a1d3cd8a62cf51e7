/*
 * client.c — clients: creating and deleting them, their arena lists, their
 * limits and the figures derived from their counters.
 *
 * Invariant kept: every BUDDY and LARGE arena a client holds is on its
 * arena list, and `arenas` counts them (runs by length). Blocks tile the
 * BUDDY arenas, so the bytes in live blocks are derived, never counted per
 * block: used = BUDDY arenas' bytes - bytes on the free lists - bytes of
 * lists dropped as corrupt + bytes of LARGE runs (client_used). Everything
 * a client owns changes under its lock, or its bias (lock.c); arena
 * ownership changes under the pool lock too (lock order: client, then pool).
 */
#include "buddy.h"

#include <errno.h>

/* ---- arena lists ------------------------------------------------------ */

void client_arena_link(struct vmma_client *c, size_t a)
{
    struct vmma_arena *arenas = c->ctx->arenas;
    arenas[a].prev = ARENA_NONE;
    arenas[a].next = c->arena_list;
    if (c->arena_list != ARENA_NONE)
        arenas[c->arena_list].prev = (uint32_t)a;
    c->arena_list = (uint32_t)a;
}

void client_arena_unlink(struct vmma_client *c, size_t a)
{
    struct vmma_arena *arenas = c->ctx->arenas;
    if (arenas[a].prev != ARENA_NONE)
        arenas[arenas[a].prev].next = arenas[a].next;
    else
        c->arena_list = arenas[a].next;
    if (arenas[a].next != ARENA_NONE)
        arenas[arenas[a].next].prev = arenas[a].prev;
}

/* ---- clients ---------------------------------------------------------- */

vmma_client *vmma_create_client(vmma_context *ctx)
{
    if (!ctx || ctx->magic != VMMA_CONTEXT_MAGIC) {
        errno = EINVAL;
        return NULL;
    }
    pool_lock(ctx);
    struct vmma_client *c = records_take(ctx);
    if (!c) {
        pool_unlock(ctx);
        vmma_report(ctx, ENOMEM, "vmma_create_client: no arena left for client records");
        errno = ENOMEM;
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->magic = VMMA_CLIENT_MAGIC;
    c->ctx = ctx;
    c->arena_list = ARENA_NONE;
    c->thread_safe = (ctx_flags(ctx) & VMMA_FEATURE_THREAD_SAFE) != 0;
    if (c->thread_safe)          /* biased to its creator (lock.c) */
        atomic_store_explicit(&c->bias, lock_bias_slot(), memory_order_relaxed);
    atomic_init(&c->slow, client_slow_bits(ctx_flags(ctx)));
    c->base = ctx->base;
    c->bits = ctx->bits;
    c->arena_shift = (unsigned char)ctx->arena_shift;
    c->align_shift = (unsigned char)ctx->align_shift;
    c->block_size = ctx->block_size;
    c->align_mask = ctx->alignment - 1;
    c->grp_shift = (unsigned char)(ctx->max_order < 6 ? ctx->max_order : 6);
    c->grp_mask = (1u << c->grp_shift) - 1;
    c->word_shift = (unsigned char)(c->align_shift + c->grp_shift);
    c->next_client = ctx->clients;
    if (ctx->clients)
        ctx->clients->prev_client = c;
    ctx->clients = c;
    cnt_add(&ctx->client_count, 1);
    pool_unlock(ctx);
    track_client_create(c);
    return c;
}

/* Give every arena of c back to the pool (caller holds both locks).
 * Neighbouring arenas go back as one run: one madvise for RELEASE. */
void client_release_all(struct vmma_client *c)
{
    struct vmma_context *ctx = c->ctx;
    size_t lo = 0, len = 0;
    for (uint32_t a = c->arena_list; a != ARENA_NONE;) {
        uint32_t next = ctx->arenas[a].next;
        size_t n = ctx->arenas[a].kind == ARENA_LARGE ? ctx->arenas[a].run : 1;
        if (len && a + n == lo) {
            lo = a;                        /* extends the run downwards */
            len += n;
        } else if (len && lo + len == a) {
            len += n;                      /* extends it upwards */
        } else {
            if (len)
                pool_give(ctx, lo, len);
            lo = a;
            len = n;
        }
        a = next;
    }
    if (len)
        pool_give(ctx, lo, len);
    c->arena_list = ARENA_NONE;
}

void vmma_delete_client(vmma_client *c)
{
    if (!client_valid(c))
        return;
    struct vmma_context *ctx = c->ctx;
    track_client_delete(c);
    int locked = client_lock(c);
    pool_lock(ctx);
    client_release_all(c);
    if (c->prev_client)
        c->prev_client->next_client = c->next_client;
    else
        ctx->clients = c->next_client;
    if (c->next_client)
        c->next_client->prev_client = c->prev_client;
    cnt_sub(&ctx->client_count, 1);
    cnt_add(&ctx->retired_allocs, cnt_get(&c->alloc_count));
    cnt_add(&ctx->retired_frees, cnt_get(&c->free_count));
    c->magic = VMMA_DEAD_MAGIC;
    client_unlock(c, locked);
    records_give(ctx, c);
    pool_unlock(ctx);
}

int vmma_set_client_limit(vmma_client *c, size_t max_bytes)
{
    if (!client_valid(c))
        return EINVAL;
    if (!(ctx_flags(c->ctx) & VMMA_FEATURE_LIMITS)) {
        vmma_report(c->ctx, ENOTSUP, "vmma_set_client_limit: LIMITS is not accepted by this context");
        return ENOTSUP;
    }
    int locked = client_lock(c);
    c->limit = max_bytes;
    client_unlock(c, locked);
    return 0;
}

/* Bytes in the hot cache: the fast paths keep no byte counter for it. */
size_t client_cache_bytes(const struct vmma_client *c)
{
    size_t units = 0;
    for (unsigned k = 0; k < VMMA_CACHE_ORDERS; k++)
        units += (size_t)cache_depth(c, k) << k;
    return units << c->align_shift;
}

size_t client_used(const struct vmma_client *c)
{
    return (cnt_get(&c->buddy_arenas) << c->arena_shift) + cnt_get(&c->large_bytes) -
           cnt_get(&c->lists.free_bytes) - client_cache_bytes(c) -
           cnt_get(&c->lists.lost_bytes);
}

/* The client's `slow` word for the context's flags. */
unsigned client_slow_bits(unsigned ctx_flags)
{
    unsigned slow = ctx_flags & (VMMA_SLOW_FEATURES | VMMA_SLOW_LOCKED);
#ifdef VMMA_ASAN
    slow |= VMMA_SLOW_TRACKING;
#endif
    if (vmma_track_valgrind)
        slow |= VMMA_SLOW_TRACKING;
    return slow;
}
