/*
 * plan/plan.c — the registry of plan names. A name with NULL ops is known
 * (accepted by the builder) but not implemented yet: mmtk_init refuses it
 * with ENOTSUP. Adding a plan: define its plan_ops in plan/<name>.c and put
 * it here.
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
