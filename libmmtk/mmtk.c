/*
 * mmtk.c — the public doors of libmmtk: the builder and its options, heap
 * creation and destruction, the heap's memory from its vmma client, and the
 * object queries.
 *
 * Invariant: every byte of a heap — the mmtk struct included — is a block of
 * heap->client, so mmtk_destroy() is vmma_delete_client() (plus
 * vmma_destroy_context() for a private context) and returns every byte.
 */
#include "mmtk_internal.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUILDER_MAGIC 0x6d6d746b424c4452ULL   /* "mmtkBLDR" */

/* ---------------------------------------------------------------- */
/* Builder and options                                                */

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > SCHED_MAX_WORKERS)
        n = SCHED_MAX_WORKERS;
    return (unsigned)n;
}

mmtk_builder *mmtk_builder_new(void)
{
    mmtk_builder *b = calloc(1, sizeof *b);
    if (!b) {
        errno = ENOMEM;
        return NULL;
    }
    b->magic = BUILDER_MAGIC;
    snprintf(b->plan, sizeof b->plan, "%s", PLAN_DEFAULT_NAME);
    b->min_heap = b->max_heap = (size_t)64 << 20;
    b->trigger = TRIGGER_FIXED;
    b->threads = default_threads();
    b->nursery = 0;   /* 0 = the plan's default (generational plans) */
    return b;
}

void mmtk_builder_free(mmtk_builder *b)
{
    if (b && b->magic == BUILDER_MAGIC) {
        b->magic = 0;
        free(b);
    }
}

static int builder_ok(const mmtk_builder *b)
{
    return b && b->magic == BUILDER_MAGIC;
}

/* A byte count: digits with an optional K, M or G suffix (either case). */
static int parse_bytes(const char *v, size_t *out)
{
    if (!v || !isdigit((unsigned char)*v))
        return EINVAL;
    size_t n = 0;
    for (; isdigit((unsigned char)*v); v++) {
        size_t d = (size_t)(*v - '0');
        if (n > (SIZE_MAX - d) / 10)
            return EINVAL;
        n = n * 10 + d;
    }
    unsigned shift = 0;
    switch (*v) {
    case '\0': break;
    case 'k': case 'K': shift = 10; v++; break;
    case 'm': case 'M': shift = 20; v++; break;
    case 'g': case 'G': shift = 30; v++; break;
    default: return EINVAL;
    }
    if (*v != '\0' || (shift && n > (SIZE_MAX >> shift)))
        return EINVAL;
    *out = n << shift;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = 0;
    else
        return EINVAL;
    return 0;
}

static const char *const option_names[] = {
    "plan", "heap_size", "gc_trigger", "threads", "nursery_size", "stress_factor", "verify", "verbose",
    "trace_packets", NULL,
};

int mmtk_builder_set_option(mmtk_builder *b, const char *name, const char *value)
{
    if (!builder_ok(b) || !name || !value)
        return EINVAL;
    size_t n;
    int flag;
    if (!strcmp(name, "plan")) {
        if (!plan_find(value))
            return EINVAL;
        snprintf(b->plan, sizeof b->plan, "%s", value);
    } else if (!strcmp(name, "heap_size")) {
        if (parse_bytes(value, &n) || n < HEAP_MIN_BYTES || n > (SIZE_MAX >> 4))
            return EINVAL;
        b->min_heap = b->max_heap = n;
    } else if (!strcmp(name, "gc_trigger")) {
        if (!strcmp(value, "FixedHeapSize"))
            b->trigger = TRIGGER_FIXED;
        else if (!strcmp(value, "DynamicHeapSize"))
            b->trigger = TRIGGER_DYNAMIC;
        else
            return EINVAL;
    } else if (!strcmp(name, "threads")) {
        if (parse_bytes(value, &n) || value[strlen(value) - 1] < '0' || value[strlen(value) - 1] > '9' ||
            n < 1 || n > SCHED_MAX_WORKERS)
            return EINVAL;
        b->threads = (unsigned)n;
    } else if (!strcmp(name, "nursery_size")) {
        if (parse_bytes(value, &n) || n < GRANULE_BYTES)
            return EINVAL;
        b->nursery = n;
    } else if (!strcmp(name, "stress_factor")) {
        if (parse_bytes(value, &n))
            return EINVAL;
        b->stress_factor = n;
    } else if (!strcmp(name, "verify")) {
        if (parse_bool(value, &flag))
            return EINVAL;
        b->verify = flag;
    } else if (!strcmp(name, "verbose")) {
        if (parse_bool(value, &flag))
            return EINVAL;
        b->verbose = flag;
    } else if (!strcmp(name, "trace_packets")) {
        if (parse_bytes(value, &n) || value[strlen(value) - 1] < '0' || value[strlen(value) - 1] > '9')
            return EINVAL;
        b->trace_packets = n;
    } else {
        return EINVAL;
    }
    return 0;
}

int mmtk_builder_read_env(mmtk_builder *b)
{
    if (!builder_ok(b))
        return EINVAL;
    int err = 0;
    for (int i = 0; option_names[i]; i++) {
        char var[40] = "MMTK_";
        size_t j = 5;
        for (const char *p = option_names[i]; *p && j < sizeof var - 1; p++)
            var[j++] = (char)toupper((unsigned char)*p);
        var[j] = '\0';
        const char *v = getenv(var);
        if (v) {
            int e = mmtk_builder_set_option(b, option_names[i], v);
            if (e && !err)
                err = e;
        }
    }
    return err;
}

int mmtk_builder_set_heap_size(mmtk_builder *b, size_t min_bytes, size_t max_bytes)
{
    if (!builder_ok(b) || max_bytes < HEAP_MIN_BYTES || max_bytes > (SIZE_MAX >> 4) || min_bytes > max_bytes)
        return EINVAL;
    b->min_heap = min_bytes < HEAP_MIN_BYTES ? HEAP_MIN_BYTES : min_bytes;
    b->max_heap = max_bytes;
    return 0;
}

void mmtk_builder_set_vmma_context(mmtk_builder *b, vmma_context *ctx)
{
    if (builder_ok(b))
        b->ctx = ctx;
}

/* ---------------------------------------------------------------- */
/* The heap's memory                                                  */

void *heap_mem_alloc(mmtk *heap, size_t size, size_t align)
{
    return align > 16 ? vmma_alloc_aligned(heap->client, size, align) : vmma_alloc(heap->client, size);
}

void heap_mem_free(mmtk *heap, void *p)
{
    vmma_free(heap->ctx, p);
}

void *heap_mem_alloc_or_uncache(mmtk *heap, size_t size, size_t align)
{
    void *p = heap_mem_alloc(heap, size, align);
    if (!p) {
        /* the heap's cached chunks (heap/chunk.c) are room of its own */
        pthread_mutex_lock(&heap->mem_lock);
        size_t had = heap->cached;
        chunk_cache_trim(heap, 0);
        pthread_mutex_unlock(&heap->mem_lock);
        if (had)
            p = heap_mem_alloc(heap, size, align);
    }
    return p;
}

int heap_may_commit(mmtk *heap, size_t bytes, int for_gc)
{
    if (for_gc)
        return 1;
    size_t reserve = heap->plan->copy_reserve ? heap->plan->copy_reserve(heap) : 0;
    if (heap->committed + bytes + reserve > heap->budget)
        return 0;
    /* cached chunks stand in the copy reserve's room, never in a mutator's */
    chunk_cache_trim(heap, heap->budget - heap->committed - bytes);
    return 1;
}

/* ---------------------------------------------------------------- */
/* Heap creation and destruction                                      */

static int binding_ok(const mmtk_vm_binding *b)
{
    return b && b->object_size && b->scan_object && b->scan_roots;
}

/* A private context's memory: an anonymous mapping, 2 MiB aligned and
 * advised for transparent huge pages when it is large enough (tracing a
 * heap of 4 KiB pages pays a TLB miss on most objects it reaches, and
 * first touches fault 512 times as often: about 2K faults instead of 16K for
 * GCBench at 64 MiB). Untouched memory stays unbacked; memory the heap has
 * touched stays resident for its reuse until the heap is destroyed (vmma
 * gives pages back only in memory it mapped itself, and giving back 256 KiB
 * chunks would split the huge pages). */
#define HEAP_HUGE_BYTES  ((size_t)2 << 20)

static void *heap_map(size_t size, void **map, size_t *map_size)
{
    int huge = size >= 4 * HEAP_HUGE_BYTES;
    size_t span = size + (huge ? HEAP_HUGE_BYTES : 0);
    char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    *map = m;
    *map_size = span;
    if (!huge)
        return m;
    char *start = (char *)(((uintptr_t)m + HEAP_HUGE_BYTES - 1) & ~(uintptr_t)(HEAP_HUGE_BYTES - 1));
#ifdef MADV_HUGEPAGE
    /* not the first 2 MiB: the context's header and a small heap's first
     * chunks live there, and a huge page would make creating any heap
     * zero 2 MiB (60 us, 2 MiB resident) */
    (void)madvise(start + HEAP_HUGE_BYTES, size - HEAP_HUGE_BYTES, MADV_HUGEPAGE);   /* advice: refused is fine */
#endif
    return start;
}

static void heap_unmap(void *map, size_t map_size)
{
    if (map)
        munmap(map, map_size);
}

/* Destroy a heap's context and its memory if they are the heap's own
 * (the fields are passed, not the heap: it may live in the context). */
static void heap_drop_context(vmma_context *ctx, int own, void *map, size_t map_size)
{
    if (!own)
        return;
    vmma_destroy_context(ctx);
    heap_unmap(map, map_size);
}

static int heap_make_client(mmtk *tmp, const mmtk_builder *b)
{
    size_t limit = b->max_heap + HEAP_MARGIN(b->max_heap);
    tmp->ctx = b->ctx;
    if (!tmp->ctx) {
        vmma_config cfg = { .alignment = 16, .block_size = CHUNK_BYTES,
                            .flags = VMMA_FEATURE_THREAD_SAFE | VMMA_FEATURE_LIMITS | VMMA_FEATURE_RELEASE };
        /* + a chunk: room for the context's own header before arena 0 */
        size_t size = ((2 * limit + ((size_t)4 << 20)) & ~(CHUNK_BYTES - 1)) + CHUNK_BYTES;
        void *mem = heap_map(size, &tmp->own_map, &tmp->own_map_size);
        if (!mem)
            return ENOMEM;
        int e = vmma_create_context(&tmp->ctx, mem, size, &cfg);
        if (e) {
            heap_unmap(tmp->own_map, tmp->own_map_size);
            return e;
        }
        tmp->own_ctx = 1;
    }
    tmp->client = vmma_create_client(tmp->ctx);
    if (!tmp->client) {
        int e = errno ? errno : ENOMEM;
        heap_drop_context(tmp->ctx, tmp->own_ctx, tmp->own_map, tmp->own_map_size);
        return e;
    }
    tmp->client_limit = limit;
    if (vmma_get_accepted_flags(tmp->ctx) & VMMA_FEATURE_LIMITS)
        vmma_set_client_limit(tmp->client, limit);
    return 0;
}

static void heap_unmake(mmtk *heap)
{
    vmma_client *client = heap->client;
    vmma_context *ctx = heap->ctx;
    int own = heap->own_ctx;
    void *map = heap->own_map;
    size_t map_size = heap->own_map_size;
    pthread_mutex_destroy(&heap->mem_lock);
    pthread_mutex_destroy(&heap->stw_lock);
    pthread_cond_destroy(&heap->stw_cond);
    pthread_mutex_destroy(&heap->packet_lock);
    pthread_mutex_destroy(&heap->refs_lock);
    pthread_mutex_destroy(&heap->stats_lock);
    for (int i = 0; i < heap->nspaces; i++)
        pthread_mutex_destroy(&heap->spaces[i]->lock);
    heap->magic = 0;
    vmma_delete_client(client);   /* heap itself lived in it */
    heap_drop_context(ctx, own, map, map_size);
}

mmtk *mmtk_init(mmtk_builder *b, const mmtk_vm_binding *binding, void *vm)
{
    if (!builder_ok(b) || !binding_ok(binding)) {
        errno = EINVAL;
        return NULL;
    }
    const plan_entry *pe = plan_find(b->plan);
    if (!pe || !pe->ops) {
        errno = pe ? ENOTSUP : EINVAL;
        return NULL;
    }
    mmtk tmp;
    memset(&tmp, 0, sizeof tmp);
    int e = heap_make_client(&tmp, b);
    if (e) {
        errno = e;
        return NULL;
    }
    mmtk *heap = vmma_alloc_aligned(tmp.client, sizeof *heap, 64);
    if (!heap) {
        e = errno;
        vmma_delete_client(tmp.client);
        heap_drop_context(tmp.ctx, tmp.own_ctx, tmp.own_map, tmp.own_map_size);
        errno = e;
        return NULL;
    }
    *heap = tmp;
    heap->magic = HEAP_MAGIC;
    heap->plan = pe->ops;
    heap->binding = *binding;
    heap->vm = vm;
    heap->min_heap = b->min_heap;
    heap->max_heap = b->max_heap;
    heap->nursery = b->nursery;
    heap->stress_factor = b->stress_factor;
    heap->trigger = b->trigger;
    heap->threads = b->threads;
    heap->verify = b->verify;
    heap->verbose = b->verbose;
    heap->trace_packets = b->trace_packets;
    heap->budget = b->trigger == TRIGGER_DYNAMIC ? b->min_heap : b->max_heap;
    pthread_mutex_init(&heap->mem_lock, NULL);
    pthread_mutex_init(&heap->stw_lock, NULL);
    pthread_cond_init(&heap->stw_cond, NULL);
    pthread_mutex_init(&heap->packet_lock, NULL);
    pthread_mutex_init(&heap->refs_lock, NULL);
    pthread_mutex_init(&heap->stats_lock, NULL);
    heap->nworkers = heap->threads;   /* their records: at the first collection */
    e = heap->plan->init(heap);
    if (e) {
        heap_unmake(heap);
        errno = e;
        return NULL;
    }
    return heap;
}

static int heap_ok(const mmtk *heap)
{
    return heap && heap->magic == HEAP_MAGIC;
}

void mmtk_initialize_collection(mmtk *heap, void *tls)
{
    (void)tls;
    if (heap_ok(heap))
        heap->collection_enabled = 1;
}

void mmtk_destroy(mmtk *heap)
{
    if (!heap_ok(heap))
        return;
    /* Mutators live in the client: ending them is marking them dead. */
    for (mmtk_mutator *m = heap->mutators; m; m = m->next)
        m->magic = 0;
    heap_unmake(heap);
}

vmma_client *mmtk_get_vmma_client(const mmtk *heap)
{
    if (!heap_ok(heap)) {
        errno = EINVAL;
        return NULL;
    }
    return heap->client;
}

const char *mmtk_plan_name(const mmtk *heap)
{
    if (!heap_ok(heap)) {
        errno = EINVAL;
        return NULL;
    }
    return heap->plan->name;
}

int plan_add_space(mmtk *heap, space *s)
{
    if (!s)
        return ENOMEM;
    if (heap->nspaces == HEAP_MAX_SPACES)
        return ENOMEM;
    s->index = heap->nspaces;
    heap->spaces[heap->nspaces++] = s;
    return 0;
}

/* ---------------------------------------------------------------- */
/* Object queries                                                     */

int mmtk_is_live_object(mmtk *heap, mmtk_object obj)
{
    if (!heap_ok(heap) || !obj)
        return 0;
    space *s = gc_space_of(heap, obj);
    if (!s)
        return 0;
    return heap->in_gc ? s->ops->is_live(s, obj) : s->ops->is_object(s, obj);
}

int mmtk_is_mmtk_object(mmtk *heap, const void *addr)
{
    if (!heap_ok(heap) || !addr)
        return 0;
    space *s = gc_space_of(heap, addr);
    return s ? s->ops->is_object(s, addr) : 0;
}

mmtk_object mmtk_find_object(mmtk *heap, const void *addr)
{
    if (!heap_ok(heap) || !addr)
        return NULL;
    chunk *c = chunk_table_find(&heap->chunks, addr);
    if (c) {
        if (((uintptr_t)addr & CHUNK_MASK) < CHUNK_DATA_OFFSET)
            return NULL;
        return c->space->ops->find_object(c->space, addr);
    }
    if (heap->los && vmma_get_owner(heap->ctx, addr) == heap->client)
        return los_find_object(heap->los, addr);
    return NULL;
}

/* ---------------------------------------------------------------- */
/* Pinning: the PIN bit of objects in movable spaces. Objects of spaces
 * that never move (mark-sweep, immortal, large), and NON_MOVING/CODE
 * objects a movable space holds (NONMOVING bit), are pinned by nature:
 * mmtk_is_pinned says 1 and pin/unpin change nothing (return 0). */

static space *movable_space_of(mmtk *heap, mmtk_object obj)
{
    if (!mmtk_is_mmtk_object(heap, obj)) {
        errno = EINVAL;   /* not one of the heap's objects: 0 with errno EINVAL */
        return NULL;
    }
    space *s = gc_space_of(heap, obj);
    return s && s->movable && !meta_test_acquire(obj, META_NONMOVING) ? s : NULL;
}

int mmtk_pin_object(mmtk *heap, mmtk_object obj)
{
    return movable_space_of(heap, obj) ? meta_pin(obj) : 0;
}

int mmtk_unpin_object(mmtk *heap, mmtk_object obj)
{
    return movable_space_of(heap, obj) ? meta_clear_atomic(obj, META_PIN) : 0;
}

int mmtk_is_pinned(mmtk *heap, mmtk_object obj)
{
    if (!mmtk_is_mmtk_object(heap, obj)) {
        errno = EINVAL;
        return 0;
    }
    return movable_space_of(heap, obj) ? meta_test_acquire(obj, META_PIN) : 1;
}
