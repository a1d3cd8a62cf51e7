/*
 * alloc/freelist.c — the segregated-fit allocator over a mark-sweep space:
 * per size class, a window over the cells of one page it owns; cells whose
 * VO bit is set are live and skipped, the others are free (the sweep left
 * no list: VO &= MARK is the whole sweep). A new page comes from
 * ms_take_page. Cells are zeroed as they are handed out (a free cell may
 * hold a dead object).
 */
#include "mmtk_internal.h"
#include <string.h>

static void *freelist_take(freelist_allocator *fl, unsigned cls, size_t size)
{
    size_t csize = ms_class_bytes(cls);
    uintptr_t c = fl->win[cls].cursor, limit = fl->win[cls].limit;
    while (c < limit) {
        uintptr_t cell = c;
        c += csize;
        if (!meta_test((void *)cell, META_VO)) {
            fl->win[cls].cursor = c;
            memset((void *)cell, 0, size);
            meta_set((void *)cell, META_VO);
            return (void *)cell;
        }
    }
    fl->win[cls].cursor = c;
    return NULL;
}

static void *freelist_alloc(allocator *a, size_t size, size_t align, ptrdiff_t offset)
{
    freelist_allocator *fl = (freelist_allocator *)a;
    if (align > GRANULE_BYTES || size > MS_MAX_CELL) {
        /* Cells are only granule-aligned: such objects are the LOS's. */
        mmtk *heap = a->space->heap;
        if (heap->los)
            return los_alloc(heap->los, size, align, offset, 0);
        errno = EINVAL;
        return NULL;
    }
    unsigned cls = ms_size_class(size);
    for (;;) {
        void *cell = freelist_take(fl, cls, size);
        if (cell)
            return cell;
        if (ms_take_page(a->space, cls, &fl->win[cls].cursor, &fl->win[cls].limit) != 0)
            return NULL;
    }
}

static void *freelist_alloc_fast(allocator *a, size_t size)
{
    if (size > MS_MAX_CELL)
        return NULL;
    return freelist_take((freelist_allocator *)a, ms_size_class(size), size);
}

static void freelist_reset(allocator *a)
{
    freelist_allocator *fl = (freelist_allocator *)a;
    memset(fl->win, 0, sizeof fl->win);
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
