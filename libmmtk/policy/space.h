/*
 * policy/space.h — the space interface: a policy owns memory and knows how
 * to trace the objects it holds.
 *
 * A space is a struct that begins with `space` and is driven through its
 * space_ops. Spaces built on chunks (immortal, copy, mark-sweep, and any new
 * one such as Immix) get their chunks with space_acquire_chunk(); the chunk
 * names its space, so tracing an address is chunk_table_find() then
 * chunk->space->ops->trace(). The large object space holds objects outside
 * chunks and is found through heap->los.
 *
 * Collection protocol, all while mutators are stopped:
 *   prepare(s)   — single-threaded, before any tracing;
 *   trace(s,w,o) — from any GC worker, concurrently: mark or forward `o`
 *                  (atomic CAS on side metadata), enqueue it with
 *                  gc_enqueue(w, obj) the first time it is reached, and
 *                  return its (possibly new) address;
 *   is_live / forwarded — after the closure (weak processing);
 *   release(s)   — single-threaded, after the closure: sweep or free, and
 *                  leave every MARK/FWD bit clear (chunk.h invariant).
 * Adding a policy: write policy/<name>.c with its ops and a constructor
 * `space *<name>_create(mmtk *heap, const char *name)`, declared below.
 */
#ifndef MMTK_POLICY_SPACE_H
#define MMTK_POLICY_SPACE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "mmtk.h"
#include "heap/chunk.h"

typedef struct space space;
typedef struct gc_worker gc_worker;

typedef struct space_ops {
    const char *kind;
    /* Mark/forward obj, enqueue it the first time; return its address now. */
    mmtk_object (*trace)(space *s, gc_worker *w, mmtk_object obj);
    /* Like trace, but obj must not move in this collection (a conservative
     * root). NULL: trace never moves objects of this space. */
    mmtk_object (*trace_pinned)(space *s, gc_worker *w, mmtk_object obj);
    /* After the closure of a collection: was obj reached? */
    int  (*is_live)(space *s, mmtk_object obj);
    /* After the closure: obj's new address (obj itself if it did not move). */
    mmtk_object (*forwarded)(space *s, mmtk_object obj);
    void (*prepare)(space *s);
    void (*release)(space *s);
    /* Clear every MARK bit (after the verifier used them). */
    void (*clear_marks)(space *s);
    /* Outside a collection: is addr the start of an allocated object? */
    int  (*is_object)(space *s, const void *addr);
    /* The allocated object containing addr, or NULL. */
    mmtk_object (*find_object)(space *s, const void *addr);
    /* During a collection, after a mark-stack overflow (gc.c): which
     * objects may have been reached and not scanned (SPACE_UNSCANNED_*).
     * NULL: SPACE_UNSCANNED_MARKED. */
    int  (*unscanned)(space *s);
} space_ops;

enum {
    SPACE_UNSCANNED_MARKED,    /* MARK and not FWD (an evacuated object's copy is elsewhere) */
    SPACE_UNSCANNED_PINNED,    /* MARK and PIN: kept in place in a space being evacuated */
    SPACE_UNSCANNED_ALL        /* every object (VO) */
};

struct space {
    const space_ops *ops;
    struct mmtk *heap;
    const char *name;
    int index;              /* in heap->spaces[] */
    int movable;            /* objects may move when this space is collected */
    int is_from;            /* copy spaces: being evacuated in this collection */
    int keep_tlabs;         /* mutator bump buffers stay valid across collections */
    pthread_mutex_t lock;   /* chunk list, cursor, page lists */
    chunk *chunks;          /* every chunk of the space */
    chunk *bump_chunk;      /* bump spaces: chunk being carved into buffers */
    size_t nchunks;
    size_t committed;       /* bytes of its chunks (heap->mem_lock) */
};

/* Shared helpers for chunk-based spaces (policy/space.c). */
void   space_init(space *s, struct mmtk *heap, const space_ops *ops, const char *name);
chunk *space_acquire_chunk(space *s, int for_gc);      /* s->lock held */
void   space_release_chunk(space *s, chunk *c);        /* s->lock held or stopped world */
void   space_release_all_chunks(space *s);
/* Carve a buffer of at least `bytes` (TLAB) from the space's chunks. */
int    space_bump_buffer(space *s, size_t bytes, int for_gc, uintptr_t *start, uintptr_t *end);
void   space_clear_map(space *s, int map);
int    space_vo_is_object(space *s, const void *addr);
mmtk_object space_vo_find_object(space *s, const void *addr);
mmtk_object space_mark_trace(space *s, gc_worker *w, mmtk_object obj);   /* mark in place */
int    space_mark_is_live(space *s, mmtk_object obj);
mmtk_object space_same_address(space *s, mmtk_object obj);
void   space_nop(space *s);
void   space_clear_marks(space *s);

/* The spaces. */
space *immortal_space_create(struct mmtk *heap, const char *name);
space *copy_space_create(struct mmtk *heap, const char *name);
space *ms_space_create(struct mmtk *heap, const char *name);
space *los_create(struct mmtk *heap, const char *name);
space *mc_space_create(struct mmtk *heap, const char *name);

/* Mark-compact space (policy/markcompactspace.c), driven by the MarkCompact
 * plan's after_closure: new addresses after the marking closure (and the
 * space's trace switches to returning them), then sliding after the
 * reference-updating closure. */
size_t mc_space_forward(space *s);   /* regions whose objects move */
void mc_space_compact(space *s);

/* Mark-sweep size classes (policy/marksweepspace.c). */
#define MS_NCLASSES     32
#define MS_MAX_CELL     8192
unsigned ms_size_class(size_t bytes);
size_t   ms_class_bytes(unsigned cls);
/* Take a page with free cells of class cls for one allocator: its cell
 * range in [*start, *end) (cells with their VO bit set are live); ENOMEM
 * when the space cannot grow (a collection is needed). */
int      ms_take_page(space *s, unsigned cls, uintptr_t *start, uintptr_t *end);

/* Large object space (policy/largeobjectspace.c). */
#define LOS_HEADER_BYTES 64   /* before each large object */
void  *los_alloc(space *s, size_t size, size_t align, ptrdiff_t offset, int immortal);
space *los_lookup(struct mmtk *heap, const void *obj);     /* heap->los if obj is one of its objects */
mmtk_object los_find_object(space *s, const void *addr);
int    los_mark_once(space *s, mmtk_object obj);   /* verifier: 1 the first time */
size_t los_bytes(space *s);
/* After a closure: fn on every object it marked (a plan's linear pass). */
void   los_for_each_marked(space *s, void (*fn)(mmtk_object obj, void *arg), void *arg);
/* Generational plans: in a nursery collection (nursery != 0) the LOS frees
 * nothing and reports every object live; reached objects are still scanned. */
void   los_set_nursery(space *s, int nursery);

/* Copy space role for the next collection (policy/copyspace.c):
 * evacuate into the worker's copy allocator number `copy_slot`. */
void copy_space_set_from(space *s, int is_from, int copy_slot);
/* Bytes of its chunks kept for objects pinned in place (they take no new
 * buffers): a nursery's allocation limit does not count them. */
size_t copy_space_retained_bytes(space *s);

#endif /* MMTK_POLICY_SPACE_H */
