/*
 * plan/immix.c — Immix: a full-heap, mark-region collector with
 * opportunistic defragmentation. Objects below IMMIX_MAX_OBJECT_BYTES live
 * in an Immix space (NON_MOVING and CODE objects too, pinned as they are
 * allocated), larger ones in the LOS, immortal ones in an immortal space.
 *
 * Every collection marks the whole heap; it also evacuates the emptiest
 * fragmented blocks when the last collection left the space fragmented or
 * short of free memory. The copy reserve keeps the defragmentation
 * headroom free so those copies always find room.
 */
#include "mmtk_internal.h"
#include "policy/immixspace.h"

typedef struct immix_plan {
    space *ix, *immortal;
} immix_plan;

static int immix_init(mmtk *heap)
{
    immix_plan *p = plan_data_new(heap, sizeof *p);
    if (!p)
        return ENOMEM;
    p->ix = immix_space_create(heap, "immix", 1);
    int e = plan_add_spaces(heap, &p->immortal, &p->ix, 1);
    if (!e)   /* emptied chunks go back to the heap: the LOS needs them */
        immix_space_set_defrag_chunks(p->ix, 1);
    return e;
}

static void immix_mutator_init(mmtk_mutator *m)
{
    immix_plan *p = m->heap->plan_data;
    allocator *ix = mutator_allocator_slot(m, 0), *pinned = mutator_allocator_slot(m, 1),
              *imm = mutator_allocator_slot(m, 2), *large = mutator_allocator_slot(m, 3);
    immix_allocator_init(ix, p->ix, m, 0);
    immix_allocator_init(pinned, p->ix, m, IMMIX_ALLOC_PIN);
    allocator_init_bump(imm, p->immortal, m, 0);
    allocator_init_large(large, m->heap->los, m);
    plan_route_allocators(m, ix, pinned, imm, large);
}

static void immix_prepare(mmtk *heap)
{
    immix_plan *p = heap->plan_data;
    immix_space_set_collection(p->ix, 1, immix_space_fragmented(p->ix));
}

static void immix_worker_init(mmtk *heap, gc_worker *w)
{
    immix_plan *p = heap->plan_data;
    immix_space_set_copy_slot(p->ix, 0);
    immix_allocator_init_copy(&w->copy[0].a, p->ix, IMMIX_ALLOC_CLEAN_ONLY,
                              immix_space_headroom(p->ix) / heap->nworkers);
}

static size_t immix_copy_reserve(mmtk *heap)
{
    immix_plan *p = heap->plan_data;
    return immix_space_headroom(p->ix);
}

const plan_ops immix_plan_ops = {
    .name = "Immix",
    .collects = 1,
    .moving = 1,
    .los_threshold = IMMIX_MAX_OBJECT_BYTES,
    .init = immix_init,
    .mutator_init = immix_mutator_init,
    .prepare = immix_prepare,
    .worker_init = immix_worker_init,
    .scanned = immix_scanned,
    .copy_reserve = immix_copy_reserve,
};
