/*
 * plan/generational.h — what GenCopy, GenImmix and StickyImmix share: the
 * nursery size, the nursery-or-full decision, the write barrier and its
 * remembered set, and allocators that make objects old on arrival.
 *
 * The generational invariant: at the start of a nursery collection, every
 * reference from an old object to a young one is either in an old object
 * whose LOG bit is clear and which is in the remembered set, or in a slot
 * of a large object that is in the remembered set. Old objects keep their
 * LOG ("unlogged") bit set; the barrier's first store into one clears it
 * and remembers the object, so a nursery collection scans it as a root and
 * sets the bit again. Objects become old with the bit set: when promoted
 * (copy allocators with IMMIX_ALLOC_LOG or gen_allocator_init_logging),
 * when a StickyImmix collection marks them, and when they are allocated
 * straight into an old space (immortal, non-moving; and GenImmix's young
 * objects when no chunk is left for the nursery). Large objects have no
 * side metadata: a store into one that makes it point to a young object
 * remembers the slot.
 *
 * A plan's plan_data begins with a gen_plan.
 */
#ifndef MMTK_PLAN_GENERATIONAL_H
#define MMTK_PLAN_GENERATIONAL_H

#include <pthread.h>
#include "mmtk_internal.h"

#define GEN_REMSET_ENTRIES 510
#define GEN_REMSET_SLOT    5      /* the mutator allocator slot holding its buffer */
/* A remembered set bigger than heap/GEN_REMSET_MAX_FRACTION bytes makes
 * the mutator that grows it collect. */
#define GEN_REMSET_MAX_FRACTION 32
/* m->log_chunk when the barrier knows no chunk: not chunk-aligned, so no
 * source address (NULL included) ever matches it. */
#define GEN_NO_CHUNK       ((uintptr_t)1)

typedef struct gen_remset_buf {
    struct gen_remset_buf *next;
    size_t n;
    void *e[GEN_REMSET_ENTRIES];  /* an old object, or a slot address + 1 */
} gen_remset_buf;

typedef struct gen_plan {
    space *nursery;            /* copy space of GenCopy/GenImmix, NULL for StickyImmix */
    space *sticky;             /* StickyImmix's Immix space */
    size_t nursery_bytes;
    int full;                  /* the running (or last) collection is full */
    int nursery_pinned;        /* the nursery kept pinned objects: next one is full */
    int young_in_mature;       /* atomic: the nursery allocator fell back to the
                                  mature space since the last collection: next is full */
    pthread_mutex_t lock;      /* bufs */
    gen_remset_buf *bufs;      /* every buffer filled since the last collection */
    size_t nbufs;              /* on bufs */
    gen_remset_buf *gc_bufs;   /* the running collection's */
} gen_plan;

/* Set up g: the nursery size from the heap's options. */
void gen_init(mmtk *heap, gen_plan *g, space *nursery, space *sticky);

/* In the plan's prepare: decide nursery or full. `promote_room`: bytes
 * the old generation can still take; `young`: bytes in the nursery now.
 * Takes the remembered set for the collection. Returns g->full. */
int  gen_prepare(mmtk *heap, gen_plan *g, size_t promote_room, size_t young);
void gen_release(mmtk *heap, gen_plan *g);
/* plan_ops.scan_roots: the remembered set, in nursery collections. */
void gen_scan_roots(mmtk *heap, mmtk_visitor *v);
/* plan_ops.write_post: the object-remembering barrier. */
void gen_write_post(mmtk_mutator *m, mmtk_object src, mmtk_object *slot, mmtk_object target);
/* Is obj young (in the nursery, or in young lines of the sticky space)? */
int  gen_is_young(mmtk *heap, mmtk_object obj);
/* Bytes the heap may still commit for mutators. */
size_t gen_heap_room(mmtk *heap);

/* Mutator allocators. The remembered-set buffer lives in slot
 * GEN_REMSET_SLOT (its reset hands the buffer back). */
void gen_mutator_init_remset(mmtk_mutator *m);
/* A bump allocator into the nursery that stops at the nursery size. With
 * `mature` (an Immix space, or NULL): when the nursery is empty and no
 * chunk is left for it, young objects go to free lines of `mature`, old on
 * arrival (LOG set), a nursery's worth per collection, and the next
 * collection is full. */
void gen_allocator_init_nursery(allocator *a, space *nursery, space *mature, mmtk_mutator *m);
/* An allocator that sets the LOG bit of every object `inner` returns
 * (inner lives in another slot). */
void gen_allocator_init_logging(allocator *a, allocator *inner);

#endif /* MMTK_PLAN_GENERATIONAL_H */
