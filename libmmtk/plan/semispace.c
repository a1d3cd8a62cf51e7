/*
 * plan/semispace.c — SemiSpace: two copy spaces; mutators bump-allocate in
 * one, a collection evacuates everything reachable into the other, and the
 * roles flip. NON_MOVING and CODE objects go to a mark-sweep space,
 * IMMORTAL/READ_ONLY to an immortal space, large ones to the LOS.
 *
 * Copy reserve: mutators may commit only while the bytes held by the
 * current copy space still fit in what is left, so a collection can always
 * copy everything into the other one.
 */
#include "mmtk_internal.h"

typedef struct semispace_plan {
    space *ss[2];
    int cur;            /* mutators allocate in ss[cur] */
    space *ms, *immortal;
} semispace_plan;

static int semispace_init(mmtk *heap)
{
    semispace_plan *p = plan_data_new(heap, sizeof *p);
    if (!p)
        return ENOMEM;
    p->ss[0] = copy_space_create(heap, "ss0");
    p->ss[1] = copy_space_create(heap, "ss1");
    p->ms = ms_space_create(heap, "nonmoving");
    return plan_add_spaces(heap, &p->immortal, (space *[]){ p->ss[0], p->ss[1], p->ms }, 3);
}

static void semispace_mutator_init(mmtk_mutator *m)
{
    semispace_plan *p = m->heap->plan_data;
    allocator *bump = mutator_allocator_slot(m, 0), *fl = mutator_allocator_slot(m, 1),
              *imm = mutator_allocator_slot(m, 2), *large = mutator_allocator_slot(m, 3);
    allocator_init_bump(bump, p->ss[p->cur], m, 0);
    allocator_init_freelist(fl, p->ms, m);
    allocator_init_bump(imm, p->immortal, m, 0);
    allocator_init_large(large, m->heap->los, m);
    plan_route_allocators(m, bump, fl, imm, large);
}

static void semispace_prepare(mmtk *heap)
{
    semispace_plan *p = heap->plan_data;
    copy_space_set_from(p->ss[p->cur], 1, 0);
    p->cur ^= 1;
}

static void semispace_worker_init(mmtk *heap, gc_worker *w)
{
    semispace_plan *p = heap->plan_data;
    allocator_init_bump(&w->copy[0].a, p->ss[p->cur], NULL, 1);
}

static void semispace_release(mmtk *heap)
{
    semispace_plan *p = heap->plan_data;
    for (mmtk_mutator *m = heap->mutators; m; m = m->next)
        allocator_init_bump(mutator_allocator_slot(m, 0), p->ss[p->cur], m, 0);
}

/* mem_lock held: the current copy space's chunks, all of which a
 * collection may have to copy, less those retained for pinned objects (an
 * object unpinned since that finds no room stays in place, copyspace.c). */
static size_t semispace_copy_reserve(mmtk *heap)
{
    semispace_plan *p = heap->plan_data;
    return p->ss[p->cur]->committed - copy_space_retained_bytes(p->ss[p->cur]);
}

const plan_ops semispace_plan_ops = {
    .name = "SemiSpace",
    .collects = 1,
    .moving = 1,
    .los_threshold = 16 * 1024,
    .init = semispace_init,
    .mutator_init = semispace_mutator_init,
    .prepare = semispace_prepare,
    .release = semispace_release,
    .worker_init = semispace_worker_init,
    .copy_reserve = semispace_copy_reserve,
};
