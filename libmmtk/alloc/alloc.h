/*
 * alloc/alloc.h — allocators: a mutator's (or GC worker's) fast path into
 * one space.
 *
 * Every allocator starts with a bump window [cursor, limit): the inline
 * fast path alloc_bump() serves any allocator that has one (bump pointer,
 * and later Immix's line holes); allocators with no window keep
 * limit == 0 and go straight to ops->alloc. ops->alloc is the general path:
 * it refills the window or takes cells, and returns NULL only when its space
 * cannot grow without a collection (the mutator then collects and retries).
 * Every path returns zero-filled memory (mutator allocators) and sets the
 * object's VO bit.
 *
 * ops->reset drops buffers at the start of a collection (before spaces
 * prepare). Buffers of spaces with keep_tlabs survive collections.
 *
 * Adding an allocator: a struct beginning with `allocator`, no larger than
 * ALLOCATOR_MAX_BYTES, with its own allocator_ops (alloc/<name>.c).
 */
#ifndef MMTK_ALLOC_ALLOC_H
#define MMTK_ALLOC_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include "heap/chunk.h"
#include "policy/space.h"

typedef struct allocator allocator;

typedef struct allocator_ops {
    void *(*alloc)(allocator *a, size_t size, size_t align, ptrdiff_t offset);
    /* Optional: a fast path for allocators without a bump window (granule
     * alignment only) that never takes memory from its space, so never
     * needs a safepoint; NULL when it would have to (ops->alloc then runs
     * on the slow path, which polls for collections). */
    void *(*alloc_fast)(allocator *a, size_t size);
    void  (*reset)(allocator *a);
} allocator_ops;

struct allocator {
    uintptr_t cursor, limit;      /* bump window; limit 0 = none */
    const allocator_ops *ops;
    space *space;
    struct mmtk_mutator *mutator; /* NULL for a GC worker's copy allocator */
    int for_gc;                   /* copy allocator: no budget check, no zeroing */
};

#define ALLOCATOR_MAX_BYTES 1024
#define ALLOC_TLAB_BYTES    ((size_t)32 * 1024)
#define ALLOC_TLAB_ALIGN    ((size_t)1024)   /* buffers never share a VO bitmap word */

/* Per size class, a window of cells [cursor, limit) of one page owned by
 * this allocator; a cell whose VO bit is set holds a live object and is
 * skipped. */
typedef struct freelist_allocator {
    allocator base;
    struct { uintptr_t cursor, limit; } win[MS_NCLASSES];
} freelist_allocator;

typedef union allocator_storage {
    allocator a;
    freelist_allocator fl;
    char pad[ALLOCATOR_MAX_BYTES];
} allocator_storage;

static inline size_t alloc_round_size(size_t size)
{
    return (size + GRANULE_BYTES - 1) & ~(GRANULE_BYTES - 1);
}

/* The bump fast path: size already rounded; align a power of two; when
 * align <= GRANULE_BYTES the caller passes offset 0 (see mutator.c). */
static inline void *alloc_bump(allocator *a, size_t size, size_t align, ptrdiff_t offset)
{
    uintptr_t start = a->cursor;
    if (align > GRANULE_BYTES)
        start = ((start + (uintptr_t)offset + align - 1) & ~(uintptr_t)(align - 1)) - (uintptr_t)offset;
    uintptr_t end = start + size;
    if (end > a->limit || end < start)
        return NULL;
    a->cursor = end;
    meta_set((void *)start, META_VO);
    return (void *)start;
}

void allocator_init_bump(allocator *a, space *s, struct mmtk_mutator *m, int for_gc);
void allocator_init_freelist(allocator *a, space *s, struct mmtk_mutator *m);
void allocator_init_large(allocator *a, space *s, struct mmtk_mutator *m);

#endif /* MMTK_ALLOC_ALLOC_H */
