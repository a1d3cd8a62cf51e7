/*
 * plan/nogc.c — NoGC: allocation only. Every object is bump-allocated in
 * one immortal space (large ones in a LOS that is never swept); a full heap
 * is out of memory at once.
 */
#include "mmtk_internal.h"

typedef struct nogc_plan {
    space *immortal;
} nogc_plan;

static int nogc_init(mmtk *heap)
{
    nogc_plan *p = plan_data_new(heap, sizeof *p);
    if (!p)
        return ENOMEM;
    p->immortal = immortal_space_create(heap, "nogc");
    int e = plan_add_space(heap, p->immortal);
    if (!e)
        e = plan_add_space(heap, heap->los = los_create(heap, "los"));
    return e;
}

static void nogc_mutator_init(mmtk_mutator *m)
{
    nogc_plan *p = m->heap->plan_data;
    allocator *bump = mutator_allocator_slot(m, 0), *large = mutator_allocator_slot(m, 1);
    allocator_init_bump(bump, p->immortal, m, 0);
    allocator_init_large(large, m->heap->los, m);
    for (int sem = 0; sem < MMTK_SEMANTICS; sem++)
        mutator_set_allocator(m, sem, bump);
    mutator_set_allocator(m, MMTK_ALLOC_LOS, large);
}

const plan_ops nogc_plan_ops = {
    .name = "NoGC",
    .collects = 0,
    .moving = 0,
    .los_threshold = 16 * 1024,
    .init = nogc_init,
    .mutator_init = nogc_mutator_init,
};
