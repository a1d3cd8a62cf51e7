/*
 * alloc/bump.c — the bump-pointer allocator's slow path: take a new buffer
 * (TLAB) from the space and retry. The fast path is alloc_bump() in
 * alloc.h. A mutator's buffer is zero-filled when taken, so every object it
 * bumps out is zero; a GC copy allocator's buffer is not (copies overwrite
 * it).
 */
#include "mmtk_internal.h"
#include <string.h>

static void *bump_alloc(allocator *a, size_t size, size_t align, ptrdiff_t offset)
{
    void *p = alloc_bump(a, size, align, offset);
    if (p)
        return p;
    uintptr_t start, end;
    size_t need = size + (align > GRANULE_BYTES ? align : 0);
    if (space_bump_buffer(a->space, need, a->for_gc, &start, &end) != 0)
        return NULL;   /* a GC copy allocator's caller keeps the object in place (copyspace.c) */
    if (!a->for_gc)
        memset((void *)start, 0, end - start);
    a->cursor = start;
    a->limit = end;
    return alloc_bump(a, size, align, offset);
}

static void bump_reset(allocator *a)
{
    if (a->space && a->space->keep_tlabs && !a->for_gc)
        return;
    a->cursor = a->limit = 0;
}

static const allocator_ops bump_ops = { .alloc = bump_alloc, .reset = bump_reset };

void allocator_init_bump(allocator *a, space *s, mmtk_mutator *m, int for_gc)
{
    a->cursor = a->limit = 0;
    a->ops = &bump_ops;
    a->space = s;
    a->mutator = m;
    a->for_gc = for_gc;
}
