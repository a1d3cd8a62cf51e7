/*
 * plan/marksweep.c — MarkSweep: a non-moving full-heap collector. Objects
 * up to MS_MAX_CELL bytes live in a segregated-fit mark-sweep space (also
 * serving NON_MOVING and CODE), larger ones in the LOS, immortal ones in an
 * immortal space.
 */
#include "mmtk_internal.h"

typedef struct marksweep_plan {
    space *ms, *immortal;
} marksweep_plan;

static int marksweep_init(mmtk *heap)
{
    marksweep_plan *p = heap_mem_alloc(heap, sizeof *p, 16);
    if (!p)
        return ENOMEM;
    heap->plan_data = p;
    int e = plan_add_space(heap, p->ms = ms_space_create(heap, "ms"));
    if (!e)
        e = plan_add_space(heap, p->immortal = immortal_space_create(heap, "immortal"));
    if (!e)
        e = plan_add_space(heap, heap->los = los_create(heap, "los"));
    return e;
}

static void marksweep_mutator_init(mmtk_mutator *m)
{
    marksweep_plan *p = m->heap->plan_data;
    allocator *fl = mutator_allocator_slot(m, 0), *imm = mutator_allocator_slot(m, 1),
              *large = mutator_allocator_slot(m, 2);
    allocator_init_freelist(fl, p->ms, m);
    allocator_init_bump(imm, p->immortal, m, 0);
    allocator_init_large(large, m->heap->los, m);
    mutator_set_allocator(m, MMTK_ALLOC_DEFAULT, fl);
    mutator_set_allocator(m, MMTK_ALLOC_NON_MOVING, fl);
    mutator_set_allocator(m, MMTK_ALLOC_CODE, fl);
    mutator_set_allocator(m, MMTK_ALLOC_IMMORTAL, imm);
    mutator_set_allocator(m, MMTK_ALLOC_READ_ONLY, imm);
    mutator_set_allocator(m, MMTK_ALLOC_LOS, large);
}

const plan_ops marksweep_plan_ops = {
    .name = "MarkSweep",
    .collects = 1,
    .moving = 0,
    .los_threshold = MS_MAX_CELL + 1,
    .init = marksweep_init,
    .mutator_init = marksweep_mutator_init,
};
