/*
 * plan/gencopy.c — GenCopy: a copying nursery over a semispace mature
 * generation. A nursery collection traces from the roots and the
 * remembered set and copies survivors into the current mature space; a full
 * collection evacuates the nursery and the current mature space into the
 * other one. NON_MOVING and CODE objects live in a non-moving Immix space,
 * immortal ones in an immortal space (both unlogged on arrival), large
 * ones in the LOS. The generational machinery is plan/generational.c.
 *
 * Copy reserve: the nursery plus the current mature space, which a full
 * collection may have to copy entirely.
 */
#include "plan/generational.h"
#include "policy/immixspace.h"

typedef struct gencopy_plan {
    gen_plan gen;      /* first: generational.c reads it from plan_data */
    space *mature[2];
    int cur;           /* survivors are copied into mature[cur] */
    space *nonmoving, *immortal;
} gencopy_plan;

static int gencopy_init(mmtk *heap)
{
    gencopy_plan *p = plan_data_new(heap, sizeof *p);
    if (!p)
        return ENOMEM;
    space *nursery = copy_space_create(heap, "nursery");
    gen_init(heap, &p->gen, nursery, NULL);
    p->mature[0] = copy_space_create(heap, "mature0");
    p->mature[1] = copy_space_create(heap, "mature1");
    p->nonmoving = immix_space_create(heap, "nonmoving", 0);
    int e = plan_add_spaces(heap, &p->immortal,
                            (space *[]){ nursery, p->mature[0], p->mature[1], p->nonmoving }, 4);
    if (!e)
        immix_space_set_log_survivors(p->nonmoving, 1);
    return e;
}

static void gencopy_mutator_init(mmtk_mutator *m)
{
    gencopy_plan *p = m->heap->plan_data;
    allocator *nursery = mutator_allocator_slot(m, 0), *nonmoving = mutator_allocator_slot(m, 1),
              *imm = mutator_allocator_slot(m, 2), *old = mutator_allocator_slot(m, 3),
              *large = mutator_allocator_slot(m, 4);
    gen_allocator_init_nursery(nursery, p->gen.nursery, NULL, m);
    immix_allocator_init(nonmoving, p->nonmoving, m, IMMIX_ALLOC_LOG);
    allocator_init_bump(imm, p->immortal, m, 0);
    gen_allocator_init_logging(old, imm);
    allocator_init_large(large, m->heap->los, m);
    gen_mutator_init_remset(m);
    plan_route_allocators(m, nursery, nonmoving, old, large);
}

static void gencopy_prepare(mmtk *heap)
{
    gencopy_plan *p = heap->plan_data;
    space *nursery = p->gen.nursery;
    pthread_mutex_lock(&heap->mem_lock);
    size_t young = nursery->committed, mature = p->mature[p->cur]->committed;
    pthread_mutex_unlock(&heap->mem_lock);
    size_t room = gen_heap_room(heap);
    /* what stays free once a full collection's copy of the mature space is set aside */
    int full = gen_prepare(heap, &p->gen, room > mature ? room - mature : 0, young);
    copy_space_set_from(nursery, 1, 0);
    if (full) {
        copy_space_set_from(p->mature[p->cur], 1, 0);
        p->cur ^= 1;
    }
    immix_space_set_collection(p->nonmoving, full, 0);
    los_set_nursery(heap->los, !full);
}

static void gencopy_worker_init(mmtk *heap, gc_worker *w)
{
    gencopy_plan *p = heap->plan_data;
    allocator_init_bump(&w->copy[1].a, p->mature[p->cur], NULL, 1);
    gen_allocator_init_logging(&w->copy[0].a, &w->copy[1].a);
}

static void gencopy_release(mmtk *heap)
{
    gencopy_plan *p = heap->plan_data;
    gen_release(heap, &p->gen);
    /* A full collection left chunks in the old mature space for pinned
     * objects: the copy space would sweep them in a nursery collection, so
     * collections stay full while they last. */
    if (p->mature[p->cur ^ 1]->nchunks > 0)
        p->gen.nursery_pinned = 1;
    los_set_nursery(heap->los, 0);
}

/* mem_lock held. Chunks retained for pinned objects need no copy room
 * (an object unpinned since that finds none stays in place, copyspace.c). */
static size_t gencopy_copy_reserve(mmtk *heap)
{
    gencopy_plan *p = heap->plan_data;
    space *n = p->gen.nursery, *m = p->mature[p->cur];
    return n->committed - copy_space_retained_bytes(n) + m->committed - copy_space_retained_bytes(m);
}

const plan_ops gencopy_plan_ops = {
    .name = "GenCopy",
    .collects = 1,
    .moving = 1,
    .los_threshold = 16 * 1024,
    .init = gencopy_init,
    .mutator_init = gencopy_mutator_init,
    .prepare = gencopy_prepare,
    .release = gencopy_release,
    .worker_init = gencopy_worker_init,
    .scanned = immix_scanned,
    .scanned_full_only = 1,
    .copy_reserve = gencopy_copy_reserve,
    .write_post = gen_write_post,
    .scan_roots = gen_scan_roots,
};
