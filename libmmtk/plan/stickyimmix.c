/*
 * plan/stickyimmix.c — StickyImmix: generational collection in one Immix
 * space, without a separate nursery. Objects allocated since the last
 * collection (in YOUNG lines) are the nursery: a nursery collection traces
 * them from the roots and the remembered set and marks the survivors in
 * place, which makes them old (their lines LIVE, their LOG bit set); old
 * objects keep their marks ("sticky") and are not traced. A full
 * collection marks everything and may defragment. NON_MOVING and CODE
 * objects are allocated young and pinned; immortal ones are unlogged on
 * arrival; large ones go to the LOS. The nursery size bounds the bytes
 * mutators take between collections.
 */
#include "plan/generational.h"
#include "policy/immixspace.h"

typedef struct sticky_plan {
    gen_plan gen;      /* first: generational.c reads it from plan_data */
    space *ix, *immortal;
} sticky_plan;

static int sticky_init(mmtk *heap)
{
    sticky_plan *p = plan_data_new(heap, sizeof *p);
    if (!p)
        return ENOMEM;
    p->ix = immix_space_create(heap, "sticky", 1);
    gen_init(heap, &p->gen, NULL, p->ix);
    int e = plan_add_spaces(heap, &p->immortal, &p->ix, 1);
    if (!e) {
        immix_space_set_sticky(p->ix, 1);
        immix_space_set_log_survivors(p->ix, 1);
        immix_space_set_young_limit(p->ix, p->gen.nursery_bytes);
        /* a full collection empties whole chunks, which go back to the
         * heap: the LOS needs them (by block, the freed blocks stay
         * scattered over chunks that all keep a survivor) */
        immix_space_set_defrag_chunks(p->ix, 1);
    }
    return e;
}

static void sticky_mutator_init(mmtk_mutator *m)
{
    sticky_plan *p = m->heap->plan_data;
    allocator *ix = mutator_allocator_slot(m, 0), *pinned = mutator_allocator_slot(m, 1),
              *imm = mutator_allocator_slot(m, 2), *old = mutator_allocator_slot(m, 3),
              *large = mutator_allocator_slot(m, 4);
    immix_allocator_init(ix, p->ix, m, 0);
    immix_allocator_init(pinned, p->ix, m, IMMIX_ALLOC_PIN);
    allocator_init_bump(imm, p->immortal, m, 0);
    gen_allocator_init_logging(old, imm);
    allocator_init_large(large, m->heap->los, m);
    gen_mutator_init_remset(m);
    plan_route_allocators(m, ix, pinned, old, large);
}

static void sticky_prepare(mmtk *heap)
{
    sticky_plan *p = heap->plan_data;
    /* room for the next nursery: uncommitted memory plus the free lines
     * the last collection left that young objects have not taken since */
    size_t young = immix_space_young_bytes(p->ix), free = immix_space_free_bytes(p->ix);
    size_t room = gen_heap_room(heap) + (free > young ? free - young : 0);
    size_t reserve = immix_space_headroom(p->ix);
    int full = gen_prepare(heap, &p->gen, room > reserve ? room - reserve : 0, young);
    immix_space_set_collection(p->ix, full, full && immix_space_fragmented(p->ix));
    los_set_nursery(heap->los, !full);
}

static void sticky_worker_init(mmtk *heap, gc_worker *w)
{
    sticky_plan *p = heap->plan_data;
    int full = p->gen.full;
    immix_space_set_copy_slot(p->ix, 0);
    immix_allocator_init_copy(&w->copy[0].a, p->ix, IMMIX_ALLOC_LOG | IMMIX_ALLOC_CLEAN_ONLY,
                              full ? immix_space_headroom(p->ix) / heap->nworkers : 0);
}

static void sticky_release(mmtk *heap)
{
    sticky_plan *p = heap->plan_data;
    gen_release(heap, &p->gen);
    los_set_nursery(heap->los, 0);
}

static size_t sticky_copy_reserve(mmtk *heap)
{
    sticky_plan *p = heap->plan_data;
    return immix_space_headroom(p->ix);
}

const plan_ops stickyimmix_plan_ops = {
    .name = "StickyImmix",
    .collects = 1,
    .moving = 1,
    .los_threshold = IMMIX_MAX_OBJECT_BYTES,
    .init = sticky_init,
    .mutator_init = sticky_mutator_init,
    .prepare = sticky_prepare,
    .release = sticky_release,
    .worker_init = sticky_worker_init,
    .scanned = immix_scanned,
    .copy_reserve = sticky_copy_reserve,
    .write_post = gen_write_post,
    .scan_roots = gen_scan_roots,
};
