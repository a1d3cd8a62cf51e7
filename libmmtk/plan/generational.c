/*
 * plan/generational.c — the layer GenCopy, GenImmix and StickyImmix share
 * (see generational.h for the invariant): nursery sizing, the nursery or
 * full decision, the write barrier, the remembered set and its processing,
 * and the allocators of the generational plans.
 *
 * Owns: the remembered-set buffers (g->bufs under g->lock while mutators
 * run; g->gc_bufs during a collection). Every buffer a mutator fills is on
 * g->bufs from the moment it is made, so a mutator that ends loses nothing.
 */
#include "plan/generational.h"
#include "policy/immixspace.h"
#include <string.h>

#define GEN_NURSERY_MIN_BYTES  (2 * CHUNK_BYTES)
#define GEN_NURSERY_MAX_BYTES  ((size_t)32 << 20)

static gen_plan *gen_of(mmtk *heap)
{
    return (gen_plan *)heap->plan_data;
}

void gen_init(mmtk *heap, gen_plan *g, space *nursery, space *sticky)
{
    memset(g, 0, sizeof *g);
    g->nursery = nursery;
    g->sticky = sticky;
    size_t n = heap->nursery;
    if (!n) {   /* default: an eighth of the heap, within bounds (measured on
                 * bench_gc at 64 MiB: GenImmix 0.53x Boehm's time with 8 MiB,
                 * 0.64x with 16 MiB; the nursery is zeroed and refilled in
                 * cache more often, and fewer survivors are copied at once) */
        n = heap->max_heap / 8;
        if (n > GEN_NURSERY_MAX_BYTES)
            n = GEN_NURSERY_MAX_BYTES;
    }
    if (n < GEN_NURSERY_MIN_BYTES)
        n = GEN_NURSERY_MIN_BYTES;
    if (n > heap->max_heap / 2)
        n = heap->max_heap / 2;
    g->nursery_bytes = n;
    pthread_mutex_init(&g->lock, NULL);
}

size_t gen_heap_room(mmtk *heap)
{
    pthread_mutex_lock(&heap->mem_lock);
    size_t room = heap->budget > heap->committed ? heap->budget - heap->committed : 0;
    pthread_mutex_unlock(&heap->mem_lock);
    return room;
}

int gen_is_young(mmtk *heap, mmtk_object obj)
{
    gen_plan *g = gen_of(heap);
    chunk *c = chunk_table_find(&heap->chunks, obj);
    if (!c)
        return 0;
    if (g->nursery)
        return c->space == g->nursery;
    if (c->space != g->sticky)
        return 0;
    uint8_t st = __atomic_load_n(&immix_meta_of(obj)->line[immix_line_index(obj)], __ATOMIC_RELAXED);
    return st == LINE_YOUNG;
}

/* ---------------------------------------------------------------- */
/* The nursery-or-full decision and the remembered set                */

int gen_prepare(mmtk *heap, gen_plan *g, size_t promote_room, size_t young)
{
    int requested = __atomic_exchange_n(&heap->full_gc_requested, 0, __ATOMIC_RELAXED);
    int in_mature = __atomic_exchange_n(&g->young_in_mature, 0, __ATOMIC_RELAXED);
    /* Full: asked for; pinned objects held in the nursery; a collection
     * not caused by the nursery (nothing young: something else is short of
     * memory); young objects allocated in the mature space (no chunk was
     * left for the nursery: only a full collection frees them); no room
     * to promote all of the nursery; or so little room that the next
     * nurseries would be tiny. (The copy reserve already
     * shrinks the nursery as the old generation grows.) */
    g->full = requested || in_mature || g->nursery_pinned || young == 0 ||
              (g->nursery && promote_room < young) ||   /* StickyImmix promotes in place */
              promote_room < g->nursery_bytes / 4;
    heap->nursery_gc = !g->full;
    pthread_mutex_lock(&g->lock);
    g->gc_bufs = g->bufs;
    g->bufs = NULL;
    g->nbufs = 0;
    pthread_mutex_unlock(&g->lock);
    if (g->full) {
        /* Every remembered object is traced anyway: just make it unlogged
         * again (a copy of it is unlogged by the copy allocator). */
        for (gen_remset_buf *b = g->gc_bufs; b; b = b->next)
            for (size_t i = 0; i < b->n; i++)
                if (!((uintptr_t)b->e[i] & 1))
                    meta_set_atomic(b->e[i], META_LOG);
    }
    return g->full;
}

void gen_scan_roots(mmtk *heap, mmtk_visitor *v)
{
    gen_plan *g = gen_of(heap);
    if (g->full)
        return;
    for (gen_remset_buf *b = g->gc_bufs; b; b = b->next) {
        for (size_t i = 0; i < b->n; i++) {
            uintptr_t e = (uintptr_t)b->e[i];
            if (e & 1) {
                mmtk_visit_slot(v, (mmtk_object *)(e - 1));
            } else {
                meta_set_atomic((void *)e, META_LOG);
                heap->binding.scan_object(heap->vm, (mmtk_object)e, v);
            }
        }
    }
}

void gen_release(mmtk *heap, gen_plan *g)
{
    while (g->gc_bufs) {
        gen_remset_buf *b = g->gc_bufs;
        g->gc_bufs = b->next;
        heap_mem_free(heap, b);
    }
    if (g->nursery)
        g->nursery_pinned = g->nursery->nchunks > 0;   /* chunks kept for pinned objects */
}

/* ---------------------------------------------------------------- */
/* The barrier                                                        */

typedef struct gen_remset_holder {
    allocator base;              /* limit 0: never allocates */
    gen_remset_buf *cur;
} gen_remset_holder;

/* A new buffer on g->bufs; *full is set when the remembered set has
 * grown past GEN_REMSET_MAX_FRACTION of the heap (time to collect). NULL
 * when the heap's quota has no room for one. */
static gen_remset_buf *gen_new_buf(mmtk *heap, int *full)
{
    gen_plan *g = gen_of(heap);
    gen_remset_buf *b = heap_mem_alloc_or_uncache(heap, sizeof *b, 16);
    if (!b)
        return NULL;
    b->n = 0;
    pthread_mutex_lock(&g->lock);
    b->next = g->bufs;
    g->bufs = b;
    *full = ++g->nbufs * sizeof *b > heap->max_heap / GEN_REMSET_MAX_FRACTION;
    pthread_mutex_unlock(&g->lock);
    return b;
}

/* Remember entry: 0, or ENOMEM when no buffer could be had within the
 * heap's quota (see gen_write_post). */
static int gen_remember(mmtk_mutator *m, void *entry)
{
    gen_remset_holder *h = (gen_remset_holder *)mutator_allocator_slot(m, GEN_REMSET_SLOT);
    gen_remset_buf *b = h->cur;
    if (MMTK_LIKELY(b && b->n < GEN_REMSET_ENTRIES)) {
        b->e[b->n++] = entry;
        return 0;
    }
    int full = 0;
    b = gen_new_buf(m->heap, &full);
    if (!b)
        return ENOMEM;
    h->cur = b;
    b->e[b->n++] = entry;
    /* The store is done: a collection here is safe, and it empties the
     * remembered set (a program rewriting large objects' slots with young
     * objects would otherwise grow it without bound). */
    if (full && m->heap->collection_enabled)
        gc_collect(m->heap, m);
    return 0;
}

/* A store that could not be remembered: the next collection is a full
 * one, which needs no remembered set. */
static void gen_remember_failed(mmtk_mutator *m)
{
    __atomic_store_n(&m->heap->full_gc_requested, 1, __ATOMIC_RELAXED);
}

void gen_write_post(mmtk_mutator *m, mmtk_object src, mmtk_object *slot, mmtk_object target)
{
    mmtk *heap = m->heap;
    uintptr_t c = (uintptr_t)src & ~CHUNK_MASK;
    if (MMTK_LIKELY(c == m->log_chunk) || chunk_table_find(&heap->chunks, src) != NULL) {
        /* the inline barrier (mmtk.h) reads LOG bits in this chunk from now
         * on; chunks only go away in collections, which reset it */
        m->log_chunk = c;
        if (MMTK_LIKELY(!(__atomic_load_n(meta_word(src, META_LOG), __ATOMIC_RELAXED) & meta_bit(src))))
            return;   /* young, or already remembered */
        if (meta_clear_atomic(src, META_LOG) && gen_remember(m, src)) {
            meta_set_atomic(src, META_LOG);   /* still unlogged: its next store tries again */
            gen_remember_failed(m);
        }
        return;
    }
    /* A large object (no side metadata): remember the slot if it now
     * points to a young object. Anything else is not the heap's. */
    if (target && gen_is_young(heap, target) && los_lookup(heap, src)) {
        gen_remset_holder *h = (gen_remset_holder *)mutator_allocator_slot(m, GEN_REMSET_SLOT);
        if (h->cur && h->cur->n && h->cur->e[h->cur->n - 1] == (char *)slot + 1)
            return;   /* the same slot again */
        if (gen_remember(m, (char *)slot + 1))
            gen_remember_failed(m);
    }
}

static void *gen_no_alloc(allocator *a, size_t size, size_t align, ptrdiff_t offset)
{
    (void)a, (void)size, (void)align, (void)offset;
    errno = EINVAL;
    return NULL;
}

/* A collection takes every buffer through g->bufs: forget the current one. */
static void gen_remset_reset(allocator *a)
{
    ((gen_remset_holder *)a)->cur = NULL;
    a->mutator->log_chunk = GEN_NO_CHUNK;
}

static const allocator_ops gen_remset_ops = { .alloc = gen_no_alloc, .reset = gen_remset_reset };

void gen_mutator_init_remset(mmtk_mutator *m)
{
    gen_remset_holder *h = (gen_remset_holder *)mutator_allocator_slot(m, GEN_REMSET_SLOT);
    memset(h, 0, sizeof *h);
    h->base.ops = &gen_remset_ops;
    h->base.mutator = m;
    m->log_chunk = GEN_NO_CHUNK;
}

/* ---------------------------------------------------------------- */
/* Allocators                                                         */

typedef struct gen_nursery_allocator {
    allocator base;
    const allocator_ops *bump;
    space *mature;               /* GenImmix: where young objects go when no chunk is left */
    int in_mature;               /* this mutator allocates there until the next collection */
    immix_allocator mature_alloc;   /* into free lines of `mature`, old on arrival */
} gen_nursery_allocator;
_Static_assert(sizeof(gen_nursery_allocator) <= ALLOCATOR_MAX_BYTES, "fits an allocator slot");

/* No chunk for the nursery, and the nursery holds nothing a collection
 * could give back: the heap is full of old chunks, which may be mostly
 * free lines. Allocate in those (unlogged, like NON_MOVING objects: the
 * barrier keeps the invariant), at most a nursery's worth between
 * collections, and make the next collection full (only a full one frees
 * them). NULL: the mutator collects. */
static void *gen_nursery_alloc_mature(gen_nursery_allocator *na, size_t size, size_t align, ptrdiff_t offset)
{
    gen_plan *g = gen_of(na->base.space->heap);
    if (immix_space_young_bytes(na->mature) >= g->nursery_bytes)
        return NULL;   /* checked for every object: the allocator never stops by itself */
    allocator *f = &na->mature_alloc.base;   /* a private window: every object comes here */
    void *p = f->ops->alloc(f, size, align, offset);
    if (p && !na->in_mature) {
        na->in_mature = 1;
        __atomic_store_n(&g->young_in_mature, 1, __ATOMIC_RELAXED);
    }
    return p;
}

static void *gen_nursery_alloc(allocator *a, size_t size, size_t align, ptrdiff_t offset)
{
    gen_nursery_allocator *na = (gen_nursery_allocator *)a;
    void *p = alloc_bump(a, size, align, offset);
    if (p)
        return p;
    if (na->in_mature)
        return gen_nursery_alloc_mature(na, size, align, offset);
    mmtk *heap = a->space->heap;
    pthread_mutex_lock(&heap->mem_lock);
    /* chunks kept for pinned objects take no allocation: not counted */
    size_t used = a->space->committed - copy_space_retained_bytes(a->space);
    pthread_mutex_unlock(&heap->mem_lock);
    if (used >= gen_of(heap)->nursery_bytes)
        return NULL;   /* the mutator collects */
    p = na->bump->alloc(a, size, align, offset);
    if (p || !na->mature || used > 0)
        return p;   /* a nursery collection frees the nursery's chunks */
    return gen_nursery_alloc_mature(na, size, align, offset);
}

static void gen_nursery_reset(allocator *a)
{
    gen_nursery_allocator *na = (gen_nursery_allocator *)a;
    na->bump->reset(a);
    if (na->mature) {
        na->mature_alloc.base.ops->reset(&na->mature_alloc.base);
        na->in_mature = 0;
    }
}

static const allocator_ops gen_nursery_ops = { .alloc = gen_nursery_alloc, .reset = gen_nursery_reset };

void gen_allocator_init_nursery(allocator *a, space *nursery, space *mature, mmtk_mutator *m)
{
    gen_nursery_allocator *na = (gen_nursery_allocator *)a;
    allocator_init_bump(a, nursery, m, 0);
    na->bump = a->ops;
    a->ops = &gen_nursery_ops;
    na->mature = mature;
    na->in_mature = 0;
    if (mature)
        immix_allocator_init(&na->mature_alloc.base, mature, m, IMMIX_ALLOC_LOG);
}

typedef struct gen_logging_allocator {
    allocator base;              /* limit 0: every object comes through */
    allocator *inner;
} gen_logging_allocator;

static void *gen_logging_alloc(allocator *a, size_t size, size_t align, ptrdiff_t offset)
{
    allocator *in = ((gen_logging_allocator *)a)->inner;
    void *p = alloc_bump(in, size, align, offset);
    if (!p)
        p = in->ops->alloc(in, size, align, offset);
    if (p)
        meta_set_atomic(p, META_LOG);
    return p;
}

static void gen_logging_reset(allocator *a)
{
    (void)a;   /* the inner allocator has its own slot and reset */
}

static const allocator_ops gen_logging_ops = { .alloc = gen_logging_alloc, .reset = gen_logging_reset };

void gen_allocator_init_logging(allocator *a, allocator *inner)
{
    gen_logging_allocator *la = (gen_logging_allocator *)a;
    memset(la, 0, sizeof *la);
    a->ops = &gen_logging_ops;
    a->space = inner->space;
    a->mutator = inner->mutator;
    a->for_gc = inner->for_gc;
    la->inner = inner;
}
