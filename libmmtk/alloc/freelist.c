/*
 * alloc/freelist.c — the free-list allocator over a mark-sweep space: one
 * list of free cells per size class, refilled a page at a time
 * (ms_take_cells). Cells are zeroed as they are handed out (a cell may hold
 * a dead object).
 */
#include "mmtk_internal.h"
#include <string.h>

static void *freelist_alloc(allocator *a, size_t size, size_t align, ptrdiff_t offset)
{
    freelist_allocator *fl = (freelist_allocator *)a;
    (void)offset;
    if (align > GRANULE_BYTES || size > MS_MAX_CELL) {
        /* Cells are only granule-aligned: such objects are the LOS's. */
        mmtk *heap = a->space->heap;
        if (heap->los)
            return los_alloc(heap->los, size, align, offset, 0);
        errno = EINVAL;
        return NULL;
    }
    unsigned cls = ms_size_class(size);
    void **cell = fl->lists[cls];
    if (!cell) {
        cell = ms_take_cells(a->space, cls);
        if (!cell)
            return NULL;
    }
    fl->lists[cls] = *cell;
    memset(cell, 0, size);
    meta_set(cell, META_VO);
    return cell;
}

static void *freelist_alloc_fast(allocator *a, size_t size)
{
    if (size > MS_MAX_CELL)
        return NULL;
    freelist_allocator *fl = (freelist_allocator *)a;
    unsigned cls = ms_size_class(size);
    void **cell = fl->lists[cls];
    if (!cell)
        return NULL;
    fl->lists[cls] = *cell;
    memset(cell, 0, size);
    meta_set(cell, META_VO);
    return cell;
}

static void freelist_reset(allocator *a)
{
    freelist_allocator *fl = (freelist_allocator *)a;
    memset(fl->lists, 0, sizeof fl->lists);
}

static const allocator_ops freelist_ops = {
    .alloc = freelist_alloc, .alloc_fast = freelist_alloc_fast, .reset = freelist_reset,
};

void allocator_init_freelist(allocator *a, space *s, mmtk_mutator *m)
{
    freelist_allocator *fl = (freelist_allocator *)a;
    memset(fl, 0, sizeof *fl);
    a->ops = &freelist_ops;
    a->space = s;
    a->mutator = m;
}
