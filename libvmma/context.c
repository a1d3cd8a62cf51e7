/*
 * context.c — the context: laying out its block (internal.h), the pool of
 * free arenas, the slabs of client records, features and the error handler.
 *
 * Invariant kept: ctx->free_arenas is the number of bits set in
 * ctx->pool_map, and every set bit names a FREE arena; every arena not in
 * the pool is held by exactly one client (BUDDY, LARGE, TAIL) or by the
 * record slabs (ADMIN). All pool changes happen under the pool lock.
 *
 * The pool is a first-fit allocator over that bitmap rather than a buddy
 * system of arenas (DESIGN.md): runs of any length (a 1.5 MiB block takes
 * six 256 KiB arenas, not eight) at any alignment, found by scanning words
 * of the map; single arenas, the common case, start from a hint.
 */
#include "buddy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>

int vmma_track_valgrind;

void track_init(void)
{
#ifdef VMMA_TRACK_VALGRIND
    vmma_track_valgrind = RUNNING_ON_VALGRIND ? 1 : 0;
#endif
}

unsigned vmma_get_supported_flags(void)
{
    unsigned f = 0;
#ifdef VMMA_HAVE_THREAD_SAFE
    f |= VMMA_FEATURE_THREAD_SAFE;
#endif
#ifdef VMMA_HAVE_ZERO_FILL
    f |= VMMA_FEATURE_ZERO_FILL;
#endif
#ifdef VMMA_HAVE_STATISTICS
    f |= VMMA_FEATURE_STATISTICS;
#endif
#ifdef VMMA_HAVE_CHECKED
    f |= VMMA_FEATURE_CHECKED;
#endif
#ifdef VMMA_HAVE_POISON
    f |= VMMA_FEATURE_POISON;
#endif
#ifdef VMMA_HAVE_LIMITS
    f |= VMMA_FEATURE_LIMITS;
#endif
#ifdef VMMA_HAVE_RELEASE
    f |= VMMA_FEATURE_RELEASE;
#endif
    return f;
}

/* The flags a context can accept: compiled in, and RELEASE only over
 * memory the library reserved. */
static unsigned acceptable(const struct vmma_context *ctx, unsigned flags)
{
    flags &= vmma_get_supported_flags();
    if (!ctx->map)
        flags &= ~VMMA_FEATURE_RELEASE;
    return flags;
}

void vmma_report(const struct vmma_context *ctx, int err, const char *fmt, ...)
{
    if (!ctx || !ctx->handler)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctx->handler(ctx, err, msg, ctx->handler_arg);
}

/* ---- layout --------------------------------------------------------- */

static size_t round_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

/* Client records: the admin area holds one per four arenas (plus a few);
 * more clients than that take record slabs from the pool. */
static size_t records_for(size_t arenas) { return arenas / 4 + 16; }

struct layout {
    size_t arenas, table, bits, pool, records, admin;   /* byte offsets / sizes */
    size_t first;                               /* offset of arena 0 from the block */
};

/* Admin bytes for n arenas of map_words words per bitmap. */
static void layout_for(size_t n, size_t map_words, uintptr_t mem, size_t bs, struct layout *L)
{
    L->arenas = n;
    L->table = round_up(sizeof(struct vmma_context), 64);
    L->bits = round_up(L->table + n * sizeof(struct vmma_arena), 64);
    L->pool = L->bits + n * 2 * map_words * sizeof(uint64_t);
    L->records = round_up(L->pool + ((n + 63) / 64) * sizeof(uint64_t), 64);
    L->admin = L->records + records_for(n) * round_up(sizeof(struct vmma_client), 64);
    L->first = round_up(mem + L->admin, bs) - mem;
}

/* The most arenas a block of `size` bytes at mem can hold (0 if none). */
static size_t layout_block(uintptr_t mem, size_t size, size_t bs, size_t map_words,
                           size_t cap, struct layout *L)
{
    size_t per = bs + 2 * map_words * sizeof(uint64_t) + sizeof(struct vmma_arena) +
                 sizeof(struct vmma_client) / 4;
    size_t n = size / per + 1;
    if (n > cap)
        n = cap;
    for (; n > 0; n--) {
        layout_for(n, map_words, mem, bs, L);
        if (L->first <= size && n <= (size - L->first) / bs)
            return n;
    }
    return 0;
}

static int check_config(const vmma_config *cfg, size_t *align, size_t *bs)
{
    *align = cfg && cfg->alignment ? cfg->alignment : 16;
    *bs = cfg && cfg->block_size ? cfg->block_size : VMMA_DEFAULT_BLOCK_SIZE;
    if (!is_pow2(*align) || *align < 16 || !is_pow2(*bs))
        return EINVAL;
    if (*bs < *align || log2_floor(*bs) - log2_floor(*align) >= VMMA_BUDDY_ORDERS)
        return EINVAL;
    return 0;
}

static void init_context(struct vmma_context *ctx, char *mem, const struct layout *L,
                         size_t align, size_t bs, size_t map_words)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->magic = VMMA_CONTEXT_MAGIC;
    ctx->base = mem + L->first;
    ctx->arena_count = L->arenas;
    ctx->arena_bytes = L->arenas * bs;
    ctx->block_size = bs;
    ctx->arena_shift = log2_floor(bs);
    ctx->alignment = align;
    ctx->align_shift = log2_floor(align);
    ctx->max_order = ctx->arena_shift - ctx->align_shift;
    ctx->map_words = map_words;
    ctx->arenas = (struct vmma_arena *)(mem + L->table);
    ctx->bits = (uint64_t *)(mem + L->bits);
    ctx->pool_map = (uint64_t *)(mem + L->pool);
    ctx->pool_words = (L->arenas + 63) / 64;
    ctx->admin_fixed = L->admin;
    ctx->record_size = round_up(sizeof(struct vmma_client), 64);
    memset(ctx->arenas, 0, L->arenas * sizeof(struct vmma_arena));
    memset(ctx->pool_map, 0, ctx->pool_words * sizeof(uint64_t));
    for (size_t a = 0; a < L->arenas; a++) {
        ctx->arenas[a].next = ctx->arenas[a].prev = ARENA_NONE;
        bit_set(ctx->pool_map, a);
    }
    atomic_init(&ctx->free_arenas, L->arenas);
    for (size_t r = records_for(L->arenas); r-- > 0;) {
        struct vmma_client *c = (struct vmma_client *)(mem + L->records + r * ctx->record_size);
        c->magic = VMMA_DEAD_MAGIC;
        c->next_client = ctx->free_records;
        ctx->free_records = c;
    }
}

int vmma_create_context(vmma_context **out, void *memory, size_t size, const vmma_config *cfg)
{
    size_t align, bs;
    if (!out || check_config(cfg, &align, &bs))
        return EINVAL;
    *out = NULL;
    track_init();
    size_t map_words = ((bs >> log2_floor(align)) + 63) / 64;
    char *mem = memory, *map = NULL;
    size_t span = size, cap = SIZE_MAX;
    if (!memory) {
        if (size < bs || size > SIZE_MAX - bs)
            return EINVAL;
        span = size + bs;              /* room to align arena 0 */
        cap = size / bs;
        map = mmap(NULL, span, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (map == MAP_FAILED)
            return ENOMEM;
        mem = map;
    }
    char *start = (char *)round_up((uintptr_t)mem, 64);
    size_t slack = (size_t)(start - mem);
    struct layout L;
    if (span <= slack || !layout_block((uintptr_t)start, span - slack, bs, map_words, cap, &L)) {
        if (map)
            munmap(map, span);
        return EINVAL;
    }
    struct vmma_context *ctx = (struct vmma_context *)start;
    init_context(ctx, start, &L, align, bs, map_words);
    ctx->map = map;
    ctx->map_size = span;
    for (size_t a = 0; a < L.arenas; a++)
        ctx->arenas[a].zeroed = map != NULL;
#ifdef VMMA_HAVE_THREAD_SAFE
    pthread_mutex_init(&ctx->pool_lock, NULL);
#endif
    atomic_init(&ctx->flags, acceptable(ctx, cfg ? cfg->flags : 0));
    track_close(ctx->base, L.arenas << ctx->arena_shift);
    *out = ctx;
    return 0;
}

void vmma_destroy_context(vmma_context *ctx)
{
    if (!ctx || ctx->magic != VMMA_CONTEXT_MAGIC)
        return;
    while (ctx->clients)
        vmma_delete_client(ctx->clients);
    for (size_t a = 0; a < ctx->arena_count; a++)
        if (ctx->arenas[a].kind == ARENA_ADMIN)
            track_release(arena_addr(ctx, a), ctx->block_size);
#ifdef VMMA_HAVE_THREAD_SAFE
    pthread_mutex_destroy(&ctx->pool_lock);
#endif
    track_release(ctx->base, ctx->arena_count << ctx->arena_shift);
    ctx->magic = VMMA_DEAD_MAGIC;
    if (ctx->map)
        munmap(ctx->map, ctx->map_size);
}

unsigned vmma_get_accepted_flags(const vmma_context *ctx)
{
    return ctx && ctx->magic == VMMA_CONTEXT_MAGIC ? ctx_flags(ctx) : 0;
}

/* Features that change the layout of live blocks or the locking cannot
 * change while clients exist. */
#define VMMA_FIXED_WHILE_CLIENTS (VMMA_FEATURE_THREAD_SAFE | VMMA_FEATURE_STATISTICS)

int vmma_set_flags(vmma_context *ctx, unsigned flags)
{
    if (!ctx || ctx->magic != VMMA_CONTEXT_MAGIC)
        return EINVAL;
    unsigned want = acceptable(ctx, flags);
#ifdef VMMA_HAVE_THREAD_SAFE
    /* lock by the flag as it was: it may change below */
    int locked = (ctx_flags(ctx) & VMMA_FEATURE_THREAD_SAFE) != 0;
    if (locked)
        pthread_mutex_lock(&ctx->pool_lock);
#endif
    unsigned have = ctx_flags(ctx);
    int busy = ((want ^ have) & VMMA_FIXED_WHILE_CLIENTS) && ctx->clients;
    if (!busy) {
        atomic_store_explicit(&ctx->flags, want, memory_order_relaxed);
        for (struct vmma_client *c = ctx->clients; c; c = c->next_client)
            atomic_store_explicit(&c->slow, client_slow_bits(want), memory_order_relaxed);
    }
#ifdef VMMA_HAVE_THREAD_SAFE
    if (locked)
        pthread_mutex_unlock(&ctx->pool_lock);
#endif
    if (busy) {
        vmma_report(ctx, EBUSY, "vmma_set_flags: %#x cannot change while clients exist",
                    (want ^ have) & VMMA_FIXED_WHILE_CLIENTS);
        return EBUSY;
    }
    return 0;
}

void vmma_set_error_handler(vmma_context *ctx, vmma_error_handler handler, void *arg)
{
    if (!ctx || ctx->magic != VMMA_CONTEXT_MAGIC)
        return;
    pool_lock(ctx);
    ctx->handler = handler;
    ctx->handler_arg = arg;
    pool_unlock(ctx);
}

size_t vmma_get_total_size(const vmma_context *ctx)
{
    return ctx && ctx->magic == VMMA_CONTEXT_MAGIC ? ctx->arena_count << ctx->arena_shift : 0;
}

size_t vmma_get_free_size(const vmma_context *ctx)
{
    return ctx && ctx->magic == VMMA_CONTEXT_MAGIC
               ? cnt_get(&ctx->free_arenas) << ctx->arena_shift : 0;
}

/* ---- the arena pool (caller holds the pool lock) -------------------- */

static int run_free(const struct vmma_context *ctx, size_t a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!bit_test(ctx->pool_map, a + i))
            return 0;
    return 1;
}

/* First free run of n arenas whose address is a multiple of
 * align_arenas * block_size; SIZE_MAX if none. */
static size_t pool_find(const struct vmma_context *ctx, size_t n, size_t align_arenas)
{
    if (n == 1 && align_arenas <= 1) {
        for (size_t w = ctx->pool_hint; w < ctx->pool_words; w++)
            if (ctx->pool_map[w])
                return (w << 6) + (size_t)__builtin_ctzll(ctx->pool_map[w]);
        return SIZE_MAX;
    }
    size_t step = align_arenas ? align_arenas : 1;
    size_t first = ((uintptr_t)ctx->base >> ctx->arena_shift) % step;
    first = first ? step - first : 0;
    for (size_t a = first; a + n <= ctx->arena_count; a += step)
        if (run_free(ctx, a, n))
            return a;
    return SIZE_MAX;
}

int pool_take(struct vmma_context *ctx, size_t n, size_t align_arenas,
              enum arena_kind kind, struct vmma_client *owner, size_t *out)
{
    if (n > cnt_get(&ctx->free_arenas))
        return ENOMEM;
    size_t a = pool_find(ctx, n, align_arenas);
    if (a == SIZE_MAX)
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct vmma_arena *ar = &ctx->arenas[a + i];
        bit_clear(ctx->pool_map, a + i);
        ar->owner = owner;
        ar->kind = (uint8_t)(i == 0 ? kind : (kind == ARENA_LARGE ? ARENA_TAIL : kind));
        ar->run = i == 0 ? (uint32_t)n : (uint32_t)a;
        ar->next = ar->prev = ARENA_NONE;
    }
    if (n == 1 && (a >> 6) == ctx->pool_hint && !ctx->pool_map[a >> 6])
        ctx->pool_hint = (a >> 6) + 1;
    cnt_sub(&ctx->free_arenas, n);
    if (kind == ARENA_ADMIN)
        cnt_add(&ctx->admin_arenas, n);
    else
        cnt_add(&ctx->held_arenas, n);
    *out = a;
    return 0;
}

void pool_give(struct vmma_context *ctx, size_t a, size_t n)
{
    int release = ctx->map && (ctx_flags(ctx) & VMMA_FEATURE_RELEASE);
#ifdef HAVE_MADVISE
    if (release) {
        track_release(arena_addr(ctx, a), n << ctx->arena_shift);
        release = madvise(arena_addr(ctx, a), n << ctx->arena_shift, MADV_DONTNEED) == 0;
    }
#else
    release = 0;
#endif
    track_close(arena_addr(ctx, a), n << ctx->arena_shift);
    for (size_t i = 0; i < n; i++) {
        struct vmma_arena *ar = &ctx->arenas[a + i];
        ar->owner = NULL;
        ar->kind = ARENA_FREE;
        ar->zeroed = (uint8_t)release;
        ar->next = ar->prev = ARENA_NONE;
        bit_set(ctx->pool_map, a + i);
    }
    if ((a >> 6) < ctx->pool_hint)
        ctx->pool_hint = a >> 6;
    cnt_add(&ctx->free_arenas, n);
    cnt_sub(&ctx->held_arenas, n);
}

/* ---- client records (caller holds the pool lock) -------------------- */

struct vmma_client *records_take(struct vmma_context *ctx)
{
    if (!ctx->free_records) {
        size_t bytes = ctx->block_size > VMMA_RECORD_SLAB_BYTES ? ctx->block_size
                                                                 : VMMA_RECORD_SLAB_BYTES;
        size_t n = bytes >> ctx->arena_shift, a;
        if (pool_take(ctx, n, 1, ARENA_ADMIN, NULL, &a))
            return NULL;
        track_release(arena_addr(ctx, a), bytes);
        for (size_t off = 0; off + ctx->record_size <= bytes; off += ctx->record_size) {
            struct vmma_client *c = (struct vmma_client *)(arena_addr(ctx, a) + off);
            c->magic = VMMA_DEAD_MAGIC;
            c->next_client = ctx->free_records;
            ctx->free_records = c;
        }
    }
    struct vmma_client *c = ctx->free_records;
    ctx->free_records = c->next_client;
    return c;
}

void records_give(struct vmma_context *ctx, struct vmma_client *c)
{
    c->magic = VMMA_DEAD_MAGIC;
    c->next_client = ctx->free_records;
    ctx->free_records = c;
}
