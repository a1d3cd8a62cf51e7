/*
 * alloc/large.c — the large-object allocator: every request is a block of
 * its own in the large object space (no buffer, no fast path).
 */
#include "mmtk_internal.h"

static void *large_alloc(allocator *a, size_t size, size_t align, ptrdiff_t offset)
{
    return los_alloc(a->space, size, align, offset, 0);
}

static void large_reset(allocator *a)
{
    (void)a;
}

static const allocator_ops large_ops = { .alloc = large_alloc, .reset = large_reset };

void allocator_init_large(allocator *a, space *s, mmtk_mutator *m)
{
    a->cursor = a->limit = 0;
    a->ops = &large_ops;
    a->space = s;
    a->mutator = m;
    a->for_gc = 0;
}
