/*
 * plan/genimmix.c — GenImmix: a copying nursery over an Immix mature
 * space. Mutators bump-allocate in the nursery (a copy space); a nursery
 * collection traces from the roots and the remembered set and promotes
 * survivors into holes of the mature space; a full collection marks the
 * mature space (defragmenting it when fragmented: it empties the sparsest
 * chunks whole, so they go back to the heap for the nursery) and promotes
 * the nursery.
 * When the heap has no chunk left for an empty nursery (a full, fragmented
 * heap), new objects go to free lines of the mature space, unlogged, until
 * the next (full) collection. NON_MOVING and CODE objects go straight to
 * the mature space, pinned and unlogged; immortal ones to an immortal space (unlogged); large ones to
 * the LOS. The shared generational machinery is plan/generational.c.
 */
#include "plan/generational.h"
#include "policy/immixspace.h"

typedef struct genimmix_plan {
    gen_plan gen;      /* first: generational.c reads it from plan_data */
    space *mature, *immortal;
} genimmix_plan;

static int genimmix_init(mmtk *heap)
{
    genimmix_plan *p = plan_data_new(heap, sizeof *p);
    if (!p)
        return ENOMEM;
    space *nursery = copy_space_create(heap, "nursery");
    gen_init(heap, &p->gen, nursery, NULL);
    p->mature = immix_space_create(heap, "mature", 1);
    int e = plan_add_spaces(heap, &p->immortal, (space *[]){ nursery, p->mature }, 2);
    if (!e) {
        immix_space_set_log_survivors(p->mature, 1);
        immix_space_set_defrag_chunks(p->mature, 1);   /* the nursery lives on free chunks */
    }
    return e;
}

static void genimmix_mutator_init(mmtk_mutator *m)
{
    genimmix_plan *p = m->heap->plan_data;
    allocator *nursery = mutator_allocator_slot(m, 0), *pinned = mutator_allocator_slot(m, 1),
              *imm = mutator_allocator_slot(m, 2), *old = mutator_allocator_slot(m, 3),
              *large = mutator_allocator_slot(m, 4);
    gen_allocator_init_nursery(nursery, p->gen.nursery, p->mature, m);
    immix_allocator_init(pinned, p->mature, m, IMMIX_ALLOC_PIN | IMMIX_ALLOC_LOG);
    allocator_init_bump(imm, p->immortal, m, 0);
    gen_allocator_init_logging(old, imm);
    allocator_init_large(large, m->heap->los, m);
    gen_mutator_init_remset(m);
    plan_route_allocators(m, nursery, pinned, old, large);
}

static void genimmix_prepare(mmtk *heap)
{
    genimmix_plan *p = heap->plan_data;
    space *nursery = p->gen.nursery;
    pthread_mutex_lock(&heap->mem_lock);
    size_t young = nursery->committed;
    pthread_mutex_unlock(&heap->mem_lock);
    size_t room = gen_heap_room(heap) + immix_space_free_bytes(p->mature);
    size_t reserve = immix_space_headroom(p->mature);
    int full = gen_prepare(heap, &p->gen, room > reserve ? room - reserve : 0, young);
    copy_space_set_from(nursery, 1, 0);
    immix_space_set_collection(p->mature, full, full && immix_space_fragmented(p->mature));
    los_set_nursery(heap->los, !full);
}

static void genimmix_worker_init(mmtk *heap, gc_worker *w)
{
    genimmix_plan *p = heap->plan_data;
    int full = p->gen.full;
    immix_space_set_copy_slot(p->mature, 0);
    immix_allocator_init_copy(&w->copy[0].a, p->mature, IMMIX_ALLOC_LOG | (full ? IMMIX_ALLOC_CLEAN_ONLY : 0),
                              full ? immix_space_headroom(p->mature) / heap->nworkers : 0);
}

static void genimmix_release(mmtk *heap)
{
    genimmix_plan *p = heap->plan_data;
    gen_release(heap, &p->gen);
    los_set_nursery(heap->los, 0);
}

/* mem_lock held: a nursery collection may promote all of the nursery, a
 * full one also copies up to the defragmentation headroom. */
static size_t genimmix_copy_reserve(mmtk *heap)
{
    genimmix_plan *p = heap->plan_data;
    space *n = p->gen.nursery;   /* less its chunks retained for pinned objects (gencopy.c) */
    return n->committed - copy_space_retained_bytes(n) + immix_space_headroom(p->mature);
}

const plan_ops genimmix_plan_ops = {
    .name = "GenImmix",
    .collects = 1,
    .moving = 1,
    .los_threshold = IMMIX_MAX_OBJECT_BYTES,
    .init = genimmix_init,
    .mutator_init = genimmix_mutator_init,
    .prepare = genimmix_prepare,
    .release = genimmix_release,
    .worker_init = genimmix_worker_init,
    .scanned = immix_scanned,
    .scanned_full_only = 1,
    .copy_reserve = genimmix_copy_reserve,
    .write_post = gen_write_post,
    .scan_roots = gen_scan_roots,
};
