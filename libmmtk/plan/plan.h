/*
 * plan/plan.h — a plan composes spaces into a collector.
 *
 * A plan is one file, plan/<name>.c, that defines a `const plan_ops` and is
 * listed in plan_registry[] (plan/plan.c). Its init() creates the spaces it
 * needs with the policy constructors (policy/space.h), registers them with
 * plan_add_space(), and sets heap->los when it has a large object space.
 * mutator_init() fills the mutator's allocators (alloc/alloc.h), one per
 * allocation semantics, with mutator_set_allocator().
 *
 * A collection (gc.c) runs, with every mutator stopped:
 *   1. every mutator allocator's reset; plan->prepare (optional: choose
 *      roles, e.g. flip semispaces); every space's prepare;
 *   2. the work-packet job: roots → closure → weak → finalize → release,
 *      tracing through the spaces' trace ops; GC workers copy with the
 *      allocators plan->worker_init set up (copy slot numbers);
 *   3. plan->after_closure (optional: extra phases, e.g. MarkCompact's
 *      forwarding, reference update and sliding);
 *   4. every space's release; plan->release (optional: e.g. rebind
 *      mutators to the new to-space).
 * The generic code does all of it; a plan only says what differs.
 */
#ifndef MMTK_PLAN_PLAN_H
#define MMTK_PLAN_PLAN_H

#include <stddef.h>
#include "mmtk.h"

struct mmtk;
struct space;
struct gc_worker;
struct allocator;

typedef struct plan_ops {
    const char *name;
    int  collects;          /* 0: NoGC (a full heap is out of memory at once) */
    int  moving;            /* objects in the default space may move */
    size_t los_threshold;   /* MMTK_ALLOC_DEFAULT objects at or above go to the LOS */
    /* Create the spaces; 0 or an errno. */
    int  (*init)(struct mmtk *heap);
    /* Set the mutator's allocator for every semantics. */
    void (*mutator_init)(struct mmtk_mutator *m);
    /* Optional hooks around the generic collection. */
    void (*prepare)(struct mmtk *heap);
    void (*release)(struct mmtk *heap);
    /* Set up a worker's copy allocators for this collection (moving plans);
     * it may also replace w->visitor.conservative (called before each
     * gc_trace), e.g. to note objects that conservative roots keep in place. */
    void (*worker_init)(struct mmtk *heap, struct gc_worker *w);
    /* Bytes a collection may need to copy into: kept free when mutators
     * ask for memory (0 or NULL for non-moving plans). */
    size_t (*copy_reserve)(struct mmtk *heap);
    /* Optional: extra phases after the closure, before the spaces release
     * (world stopped, every worker idle). Liveness is decided by then (weak
     * slots cleared, finalizable objects resurrected) and the marks are
     * still set. A plan may run its own jobs on the scheduler here, or run
     * the closure again with gc_trace(heap) after switching its spaces'
     * trace ops to another mode and clearing the marks (clear_marks).
     * MarkCompact computes new addresses, then calls the binding's
     * scan_roots and scan_object on every marked object with a visitor
     * whose slot action stores the new address, then slides the objects. */
    void (*after_closure)(struct mmtk *heap);
    /* Optional: a mutator allocated obj with an alignment above
     * GRANULE_BYTES (called on the allocating thread, after the slow path):
     * for plans that move objects and must keep their alignment. */
    void (*note_aligned)(struct mmtk_mutator *m, mmtk_object obj, int semantics);
    /* Write barrier after the store (NULL: no barrier). */
    void (*write_post)(struct mmtk_mutator *m, mmtk_object src, mmtk_object *slot, mmtk_object target);
    /* Optional: extra roots reported in the roots packet after the VM's
     * (generational plans: the remembered set in nursery collections). */
    void (*scan_roots)(struct mmtk *heap, mmtk_visitor *v);
    /* Optional: called by the worker that scans each object the closure
     * reached, with its size (Immix marks the object's lines here, where
     * the object is in cache anyway, rather than when it is marked). */
    void (*scanned)(struct gc_worker *w, mmtk_object obj, size_t size);
    int  scanned_full_only; /* nursery collections skip `scanned` (GenCopy, GenImmix: only
                               full collections mark Immix lines) */
} plan_ops;

/* Known plan names; ops NULL = not implemented yet (mmtk_init: ENOTSUP). */
typedef struct plan_entry {
    const char *name;
    const plan_ops *ops;
} plan_entry;
extern const plan_entry plan_registry[];
#define PLAN_DEFAULT_NAME "GenImmix"    /* SPEC default */
const plan_entry *plan_find(const char *name);

int  plan_add_space(struct mmtk *heap, struct space *s);

/* What every plan's init and mutator_init share (plan/plan.c). */
/* Zeroed plan data of `bytes`, taken from the heap's client and set as
 * heap->plan_data; NULL when the client has no room. */
void *plan_data_new(struct mmtk *heap, size_t bytes);
/* Add the plan's `n` own spaces in order (a NULL among them, from a failed
 * constructor, is ENOMEM), then the spaces every plan has beside them: an
 * immortal space, stored in *immortal, and the large object space, stored
 * in heap->los. 0 or an errno. */
int  plan_add_spaces(struct mmtk *heap, struct space **immortal, struct space *const *own, int n);
/* Route every allocation semantics to one of four allocators:
 * DEFAULT → dflt; NON_MOVING and CODE → nonmoving; IMMORTAL and
 * READ_ONLY → immortal; LOS → large. */
void plan_route_allocators(struct mmtk_mutator *m, struct allocator *dflt,
                           struct allocator *nonmoving, struct allocator *immortal,
                           struct allocator *large);
void mutator_set_allocator(struct mmtk_mutator *m, int semantics, struct allocator *a);
/* The mutator's allocator storage slot i (0 .. MUTATOR_ALLOCATORS-1). */
struct allocator *mutator_allocator_slot(struct mmtk_mutator *m, int i);

extern const plan_ops nogc_plan_ops;
extern const plan_ops marksweep_plan_ops;
extern const plan_ops semispace_plan_ops;
extern const plan_ops immix_plan_ops;
extern const plan_ops gencopy_plan_ops;
extern const plan_ops genimmix_plan_ops;
extern const plan_ops stickyimmix_plan_ops;
extern const plan_ops markcompact_plan_ops;

#endif /* MMTK_PLAN_PLAN_H */
