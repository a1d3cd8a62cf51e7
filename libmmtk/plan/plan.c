/*
 * plan/plan.c — the registry of plan names, and what every plan's init and
 * mutator_init share (the common spaces, the routing of semantics to
 * allocators), so that a plan file says only how it differs. A name with
 * NULL ops is known (accepted by the builder) but not implemented yet:
 * mmtk_init refuses it with ENOTSUP. Adding a plan: define its plan_ops in
 * plan/<name>.c and put it here.
 */
#include "mmtk_internal.h"
#include <string.h>

const plan_entry plan_registry[] = {
    { "NoGC", &nogc_plan_ops },
    { "MarkSweep", &marksweep_plan_ops },
    { "SemiSpace", &semispace_plan_ops },
    { "Immix", &immix_plan_ops },
    { "GenCopy", &gencopy_plan_ops },
    { "GenImmix", &genimmix_plan_ops },
    { "StickyImmix", &stickyimmix_plan_ops },
    { "MarkCompact", &markcompact_plan_ops },
    { NULL, NULL },
};

const plan_entry *plan_find(const char *name)
{
    for (const plan_entry *e = plan_registry; e->name; e++)
        if (!strcmp(e->name, name))
            return e;
    return NULL;
}

void *plan_data_new(mmtk *heap, size_t bytes)
{
    void *p = heap_mem_alloc(heap, bytes, 16);
    if (p)
        memset(p, 0, bytes);
    heap->plan_data = p;
    return p;
}

int plan_add_spaces(mmtk *heap, space **immortal, space *const *own, int n)
{
    int e = 0;
    for (int i = 0; i < n && !e; i++)
        e = plan_add_space(heap, own[i]);
    if (!e)
        e = plan_add_space(heap, *immortal = immortal_space_create(heap, "immortal"));
    if (!e)
        e = plan_add_space(heap, heap->los = los_create(heap, "los"));
    return e;
}

void plan_route_allocators(mmtk_mutator *m, allocator *dflt, allocator *nonmoving,
                           allocator *immortal, allocator *large)
{
    mutator_set_allocator(m, MMTK_ALLOC_DEFAULT, dflt);
    mutator_set_allocator(m, MMTK_ALLOC_NON_MOVING, nonmoving);
    mutator_set_allocator(m, MMTK_ALLOC_CODE, nonmoving);
    mutator_set_allocator(m, MMTK_ALLOC_IMMORTAL, immortal);
    mutator_set_allocator(m, MMTK_ALLOC_READ_ONLY, immortal);
    mutator_set_allocator(m, MMTK_ALLOC_LOS, large);
}
