/*
 * alloc/immix_alloc.c — the Immix allocator: bump through the holes (runs
 * of free lines) of the blocks it takes; objects larger than a line that do
 * not fit the current hole go to a second bump window over a clean block
 * (overflow allocation), or, when none is left, over a hole of a
 * recyclable block big enough for them. The inline fast path is alloc_bump() over
 * base.cursor/limit = the current hole.
 *
 * An allocator owns the block it takes until the next collection, so its
 * plain VO-bit stores never race (a VO word covers 4 lines of one block).
 * A mutator's hole or overflow block is zeroed and its lines turned YOUNG
 * when taken. Allocators that must act on every object (copying, pinning,
 * logging) keep base.limit at 0 and bump a private window, so every
 * allocation reaches immix_alloc.
 */
#include "mmtk_internal.h"
#include "policy/immixspace.h"
#include <string.h>

/* Bump [*cur, lim): the object's address or 0; sets VO. */
static void *window_bump(uintptr_t *cur, uintptr_t lim, size_t size, size_t align, ptrdiff_t offset)
{
    uintptr_t start = *cur;
    if (align > GRANULE_BYTES)
        start = ((start + (uintptr_t)offset + align - 1) & ~(uintptr_t)(align - 1)) - (uintptr_t)offset;
    uintptr_t end = start + size;
    if (!lim || end > lim || end < start)
        return NULL;
    *cur = end;
    meta_set((void *)start, META_VO);
    return (void *)start;
}

/* Mutator allocators that pin or log every object need every allocation;
 * copy allocators bump the public window (copy_trace inlines alloc_bump)
 * and finish a window's objects in one go when it is done (copy_done). */
static int private_window(const immix_allocator *ia)
{
    return !(ia->flags & IMMIX_ALLOC_COPY) && (ia->flags & (IMMIX_ALLOC_PIN | IMMIX_ALLOC_LOG)) != 0;
}

/* dst |= src over the granules of [start, end) (one chunk), atomically:
 * other workers may set bits of neighbouring words. */
static void meta_or_range(chunk *c, int dst, int src, uintptr_t start, uintptr_t end)
{
    size_t g0 = chunk_granule((void *)start), g1 = (end - (uintptr_t)c) >> GRANULE_LOG;
    for (size_t w = g0 >> 6; w <= (g1 - 1) >> 6; w++) {
        uint64_t mask = ~(uint64_t)0;
        if (w == g0 >> 6)
            mask &= ~(uint64_t)0 << (g0 & 63);
        if (w == (g1 - 1) >> 6 && (g1 & 63))
            mask &= ~(uint64_t)0 >> (64 - (g1 & 63));
        uint64_t bits = c->bits[src][w] & mask;
        if (bits)
            __atomic_fetch_or(&c->bits[dst][w], bits, __ATOMIC_RELAXED);
    }
}

/* A copy allocator is done with [start, used): those objects are copies,
 * back to back: their lines are live, and they are unlogged (LOG) and
 * marked (full collections: CLEAN_ONLY) like every survivor. */
static void copy_done(immix_allocator *ia, uintptr_t start, uintptr_t used)
{
    if (!(ia->flags & IMMIX_ALLOC_COPY) || !start || used <= start)
        return;
    chunk *c = chunk_of((void *)start);
    immix_mark_lines((void *)start, used - start, LINE_LIVE);
    if (ia->flags & IMMIX_ALLOC_LOG)
        meta_or_range(c, META_LOG, META_VO, start, used);
    if (ia->flags & IMMIX_ALLOC_CLEAN_ONLY)
        meta_or_range(c, META_MARK, META_VO, start, used);
}

/* A mutator takes [start, end): zero it, make its lines YOUNG. */
static void take_for_mutator(immix_allocator *ia, uintptr_t start, uintptr_t end)
{
    if (ia->flags & IMMIX_ALLOC_COPY)
        return;
    memset((void *)start, 0, end - start);
    immix_meta *m = immix_meta_of((void *)start);
    size_t first = immix_line_index((void *)start);
    memset(&m->line[first], LINE_YOUNG, (end - start) >> IMMIX_LINE_LOG);
    immix_note_young(ia->base.space, end - start);
}

static void set_window(immix_allocator *ia, uintptr_t start, uintptr_t end)
{
    copy_done(ia, ia->win_start, ia->base.cursor);
    ia->win_start = start;
    if (private_window(ia)) {
        ia->win_cursor = start;
        ia->win_limit = end;
    } else {
        ia->base.cursor = start;
        ia->base.limit = end;
    }
}

static uintptr_t take_block(immix_allocator *ia, int recyclable)
{
    int copy = (ia->flags & IMMIX_ALLOC_COPY) != 0;
    if (!copy && immix_young_exhausted(ia->base.space))
        return 0;
    if (ia->flags & IMMIX_ALLOC_CLEAN_ONLY)
        recyclable = 0;
    return immix_take_block(ia->base.space, recyclable, copy);
}

/* The next hole of the current block, or of the next block taken. */
static int next_hole(immix_allocator *ia)
{
    for (;;) {
        if (ia->block) {
            immix_meta *m = immix_meta_of((void *)ia->block);
            size_t b = immix_block_index((void *)ia->block);
            unsigned end = (unsigned)((b + 1) * IMMIX_LINES_PER_BLOCK), l = ia->next_line;
            while (l < end && m->line[l] != LINE_FREE)
                l++;
            if (l < end) {
                unsigned h = l + 1;
                while (h < end && m->line[h] == LINE_FREE)
                    h++;
                ia->next_line = h;
                uintptr_t c = (uintptr_t)chunk_of((void *)ia->block);
                uintptr_t start = c + ((uintptr_t)l << IMMIX_LINE_LOG), stop = c + ((uintptr_t)h << IMMIX_LINE_LOG);
                take_for_mutator(ia, start, stop);
                set_window(ia, start, stop);
                return 1;
            }
            ia->block = 0;
        }
        uintptr_t blk = take_block(ia, 1);
        if (!blk)
            return 0;
        ia->block = blk;
        ia->next_line = immix_block_first_line(immix_block_index((void *)blk));
    }
}

static void set_overflow_window(immix_allocator *ia, uintptr_t start, uintptr_t end)
{
    take_for_mutator(ia, start, end);
    copy_done(ia, ia->ov_start, ia->ov_cursor);
    ia->ov_start = start;
    ia->ov_cursor = start;
    ia->ov_limit = end;
}

/* No clean block left: a mutator's medium object takes a hole of `need`
 * bytes or more from the recyclable blocks (the blocks it looks at are its
 * own until the next collection). Without this, a heap whose blocks each
 * keep a survivor refused medium objects with most of its lines free. */
static int overflow_hole(immix_allocator *ia, size_t need)
{
    if (ia->flags & (IMMIX_ALLOC_COPY | IMMIX_ALLOC_CLEAN_ONLY))
        return 0;
    uintptr_t blk;
    while ((blk = take_block(ia, 1)) != 0) {
        immix_meta *m = immix_meta_of((void *)blk);
        size_t b = immix_block_index((void *)blk);
        unsigned end = (unsigned)((b + 1) * IMMIX_LINES_PER_BLOCK), l = immix_block_first_line(b);
        uintptr_t c = (uintptr_t)chunk_of((void *)blk);
        while (l < end) {
            while (l < end && m->line[l] != LINE_FREE)
                l++;
            unsigned h = l;
            while (h < end && m->line[h] == LINE_FREE)
                h++;
            if (((size_t)(h - l) << IMMIX_LINE_LOG) >= need) {
                set_overflow_window(ia, c + ((uintptr_t)l << IMMIX_LINE_LOG), c + ((uintptr_t)h << IMMIX_LINE_LOG));
                return 1;
            }
            l = h;
        }
    }
    return 0;
}

/* A medium object that does not fit the current hole: a clean block, or
 * failing that a large enough hole of a recyclable one. */
static void *overflow_alloc(immix_allocator *ia, size_t size, size_t align, ptrdiff_t offset)
{
    for (int tries = 0; tries < 3; tries++) {
        void *p = window_bump(&ia->ov_cursor, ia->ov_limit, size, align, offset);
        if (p)
            return p;
        uintptr_t blk = take_block(ia, 0);
        if (!blk) {
            if (!overflow_hole(ia, size + (align > GRANULE_BYTES ? align : 0)))
                return NULL;
            continue;
        }
        uintptr_t start = blk + ((uintptr_t)(immix_block_first_line(immix_block_index((void *)blk)) %
                                             IMMIX_LINES_PER_BLOCK) << IMMIX_LINE_LOG);
        set_overflow_window(ia, start, blk + IMMIX_BLOCK_BYTES);
    }
    return NULL;
}

static void *finish(immix_allocator *ia, void *p)
{
    if (ia->flags & IMMIX_ALLOC_COPY)
        return p;   /* copy_done */
    if (ia->flags & IMMIX_ALLOC_PIN) {
        meta_pin(p);
        meta_set_atomic(p, META_NONMOVING);   /* mmtk_unpin_object leaves it pinned */
    }
    if (ia->flags & IMMIX_ALLOC_LOG)
        meta_set_atomic(p, META_LOG);
    return p;
}

static void *immix_alloc(allocator *a, size_t size, size_t align, ptrdiff_t offset)
{
    immix_allocator *ia = (immix_allocator *)a;
    if (size + (align > GRANULE_BYTES ? align : 0) > IMMIX_MAX_OBJECT_BYTES) {
        mmtk *heap = a->space->heap;
        if (heap->los && !(ia->flags & IMMIX_ALLOC_COPY))
            return los_alloc(heap->los, size, align, offset, 0);
        errno = EINVAL;
        return NULL;
    }
    int priv = private_window(ia);
    for (;;) {
        void *p = priv ? window_bump(&ia->win_cursor, ia->win_limit, size, align, offset)
                       : alloc_bump(a, size, align, offset);
        if (p)
            return finish(ia, p);
        if (size > IMMIX_LINE_BYTES) {
            p = overflow_alloc(ia, size, align, offset);
            return p ? finish(ia, p) : NULL;
        }
        if (!next_hole(ia))
            return NULL;
    }
}

/* Lines of a window that no object reached go back to FREE. */
static void give_back(uintptr_t cursor, uintptr_t limit)
{
    if (!limit)
        return;
    uintptr_t from = (cursor + IMMIX_LINE_BYTES - 1) & ~(uintptr_t)(IMMIX_LINE_BYTES - 1);
    if (from >= limit)
        return;
    immix_meta *m = immix_meta_of((void *)from);
    memset(&m->line[immix_line_index((void *)from)], LINE_FREE, (limit - from) >> IMMIX_LINE_LOG);
}

static const allocator_ops immix_alloc_ops;

void immix_allocator_flush(allocator *a)
{
    immix_allocator *ia = (immix_allocator *)a;
    if (a->ops != &immix_alloc_ops)
        return;
    copy_done(ia, ia->win_start, a->cursor);
    copy_done(ia, ia->ov_start, ia->ov_cursor);
    ia->win_start = ia->ov_start = 0;
}

void immix_allocator_checkpoint(allocator *a)
{
    immix_allocator *ia = (immix_allocator *)a;
    if (a->ops != &immix_alloc_ops)
        return;
    if (ia->win_start) {
        copy_done(ia, ia->win_start, a->cursor);
        ia->win_start = a->cursor;
    }
    if (ia->ov_start) {
        copy_done(ia, ia->ov_start, ia->ov_cursor);
        ia->ov_start = ia->ov_cursor;
    }
}

static void immix_reset(allocator *a)
{
    immix_allocator *ia = (immix_allocator *)a;
    if (!(ia->flags & IMMIX_ALLOC_COPY)) {
        give_back(a->cursor, a->limit);
        give_back(ia->win_cursor, ia->win_limit);
        give_back(ia->ov_cursor, ia->ov_limit);
    }
    a->cursor = a->limit = 0;
    ia->win_cursor = ia->win_limit = ia->ov_cursor = ia->ov_limit = 0;
    ia->win_start = ia->ov_start = 0;
    ia->block = 0;
    ia->next_line = 0;
}

static const allocator_ops immix_alloc_ops = { .alloc = immix_alloc, .reset = immix_reset };

void immix_allocator_init(allocator *a, space *s, mmtk_mutator *m, unsigned flags)
{
    immix_allocator *ia = (immix_allocator *)a;
    memset(ia, 0, sizeof *ia);
    a->ops = &immix_alloc_ops;
    a->space = s;
    a->mutator = m;
    ia->flags = flags;
}

void immix_allocator_init_copy(allocator *a, space *s, unsigned flags, size_t evac_budget)
{
    immix_allocator_init(a, s, NULL, flags | IMMIX_ALLOC_COPY);
    a->for_gc = 1;
    ((immix_allocator *)a)->evac_left = evac_budget;
}
