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
    marksweep_plan *p = plan_data_new(heap, sizeof *p);
    if (!p)
        return ENOMEM;
    p->ms = ms_space_create(heap, "ms");
    return plan_add_spaces(heap, &p->immortal, &p->ms, 1);
}

static void marksweep_mutator_init(mmtk_mutator *m)
{
    marksweep_plan *p = m->heap->plan_data;
    allocator *fl = mutator_allocator_slot(m, 0), *imm = mutator_allocator_slot(m, 1),
              *large = mutator_allocator_slot(m, 2);
    allocator_init_freelist(fl, p->ms, m);
    allocator_init_bump(imm, p->immortal, m, 0);
    allocator_init_large(large, m->heap->los, m);
    plan_route_allocators(m, fl, fl, imm, large);
}

const plan_ops marksweep_plan_ops = {
    .name = "MarkSweep",
    .collects = 1,
    .moving = 0,
    .los_threshold = MS_MAX_CELL + 1,
    .init = marksweep_init,
    .mutator_init = marksweep_mutator_init,
};
