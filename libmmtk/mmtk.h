/*
 * mmtk.h — a tracing garbage-collection toolkit in C, in the spirit of MMTk.
 *
 * A heap (`mmtk`) is one isolated, garbage-collected heap. Every byte whose
 * amount grows with the heap (spaces, side metadata, mutator buffers, work
 * packets, remembered sets) is taken from one vmma client that belongs to the
 * heap: mmtk_destroy gives all of it back at once, and a heap can never grow
 * past its client's limit. Any number of heaps can live in one process.
 *
 * The collector needs no object header: mark, forwarding, log, pinning and
 * valid-object bits live in side metadata. The language runtime describes its
 * objects and roots through an mmtk_vm_binding.
 *
 * Conventions (SPEC.md): status is 0 or a positive errno value; pointers are
 * NULL with errno set on failure; no function aborts or prints on bad input.
 * The man page mmtk(3) documents every function.
 */
#ifndef MMTK_H
#define MMTK_H

#include <stddef.h>
#include <stdint.h>
#include <libvmma.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MMTK_API __attribute__((visibility("default")))
#else
#define MMTK_API
#endif

typedef struct mmtk_builder mmtk_builder;   /* options for a heap under construction */
typedef struct mmtk         mmtk;           /* one heap */
typedef struct mmtk_mutator mmtk_mutator;   /* one thread's binding to a heap */
typedef void               *mmtk_object;    /* an object reference: the address mmtk_alloc returned */
typedef struct mmtk_visitor mmtk_visitor;   /* handed to scanning callbacks by the collector */

enum mmtk_semantics {            /* allocation semantics, argument of mmtk_alloc */
    MMTK_ALLOC_DEFAULT = 0,      /* the plan's default space */
    MMTK_ALLOC_IMMORTAL,         /* never collected, never moved */
    MMTK_ALLOC_LOS,              /* large object space: never moved */
    MMTK_ALLOC_NON_MOVING,       /* collected, never moved */
    MMTK_ALLOC_CODE,             /* executable-code objects: never moved */
    MMTK_ALLOC_READ_ONLY         /* immortal, written once */
};

/* ------------------------------------------------------------------ */
/* The VM binding: what the collector needs from the language runtime. */
typedef struct mmtk_vm_binding {
    /* required */
    size_t (*object_size)(void *vm, mmtk_object object);
        /* bytes of the object, counted from the address mmtk_alloc returned */
    void   (*scan_object)(void *vm, mmtk_object object, mmtk_visitor *visitor);
        /* call mmtk_visit_slot for every field of the object that holds a reference */
    void   (*scan_roots)(void *vm, mmtk_visitor *visitor);
        /* report every root: globals and every mutator's stack slots */

    /* optional: NULL means the library's default */
    void   (*post_copy)(void *vm, mmtk_object from, mmtk_object to);
        /* after a moving collection copied `from` to `to` (default: nothing) */
    void   (*stop_all_mutators)(void *vm, void *tls);
    void   (*resume_mutators)(void *vm, void *tls);
        /* default: the library's own cooperative safepoints (see below) */
    void   (*out_of_memory)(void *vm, void *tls, size_t bytes);
        /* the heap is full even after a collection (default: mmtk_alloc returns NULL/ENOMEM) */
    void   (*gc_started)(void *vm);
    void   (*gc_finished)(void *vm);
} mmtk_vm_binding;

/* Called by the binding inside scan_object / scan_roots. */
MMTK_API void mmtk_visit_slot(mmtk_visitor *visitor, mmtk_object *slot);
     /* a field or root that holds a reference or NULL; a moving collection updates it */
MMTK_API void mmtk_visit_conservative(mmtk_visitor *visitor, void *word);
     /* a word that may or may not point into the heap (interior pointers included);
        an object it points into is kept alive and not moved in this collection */
MMTK_API void mmtk_visit_range_conservative(mmtk_visitor *visitor, void *start, void *end);
/* Extension: count consecutive reference fields (or roots) starting at
 * first, as if mmtk_visit_slot were called on each in turn; one call instead
 * of count, so the collector's loop runs without a call per field. A NULL
 * visitor or first does nothing. */
MMTK_API void mmtk_visit_slots(mmtk_visitor *visitor, mmtk_object *first, size_t count);

/* ------------------------------------------------------------------ */
/* Building a heap. */
MMTK_API mmtk_builder *mmtk_builder_new(void);
MMTK_API void mmtk_builder_free(mmtk_builder *builder);
MMTK_API int  mmtk_builder_set_option(mmtk_builder *builder, const char *name, const char *value);
     /* EINVAL for an unknown name or a bad value */
MMTK_API int  mmtk_builder_read_env(mmtk_builder *builder);
     /* MMTK_<NAME>=value for every option, e.g. MMTK_PLAN=Immix MMTK_HEAP_SIZE=64M */
MMTK_API int  mmtk_builder_set_heap_size(mmtk_builder *builder, size_t min_bytes, size_t max_bytes);
MMTK_API void mmtk_builder_set_vmma_context(mmtk_builder *builder, vmma_context *ctx);
     /* the heap's client is made in this context (default: a context private to the heap) */

MMTK_API mmtk *mmtk_init(mmtk_builder *builder, const mmtk_vm_binding *binding, void *vm);
     /* NULL + errno on failure; `vm` is passed back to every binding callback */
MMTK_API void  mmtk_initialize_collection(mmtk *heap, void *tls);   /* from here on collections may happen */
MMTK_API void  mmtk_destroy(mmtk *heap);                             /* the whole heap is gone */
MMTK_API vmma_client *mmtk_get_vmma_client(const mmtk *heap);
MMTK_API const char *mmtk_plan_name(const mmtk *heap);

/* ------------------------------------------------------------------ */
/* Mutators and allocation. */
MMTK_API mmtk_mutator *mmtk_bind_mutator(mmtk *heap, void *tls);   /* tls: the VM's thread, passed back */
MMTK_API void  mmtk_destroy_mutator(mmtk_mutator *mutator);
MMTK_API void *mmtk_alloc(mmtk_mutator *mutator, size_t size, size_t align, ptrdiff_t offset, int semantics);
MMTK_API void  mmtk_post_alloc(mmtk_mutator *mutator, mmtk_object object, size_t size, int semantics);
     /* mmtk_alloc may collect before it returns; the new object is zero-filled */

MMTK_API void  mmtk_safepoint(mmtk_mutator *mutator);      /* cooperative stop point (default stop-the-world) */
MMTK_API void  mmtk_enter_native(mmtk_mutator *mutator);   /* this thread holds no unreported references until */
MMTK_API void  mmtk_leave_native(mmtk_mutator *mutator);   /* it leaves: collections may run meanwhile */

MMTK_API void  mmtk_object_reference_write(mmtk_mutator *mutator, mmtk_object src,
                                           mmtk_object *slot, mmtk_object target);
MMTK_API void  mmtk_object_reference_write_pre(mmtk_mutator *m, mmtk_object src, mmtk_object *slot, mmtk_object target);
MMTK_API void  mmtk_object_reference_write_post(mmtk_mutator *m, mmtk_object src, mmtk_object *slot, mmtk_object target);

MMTK_API void  mmtk_handle_user_collection_request(mmtk *heap, void *tls);   /* a full collection now */

/* ------------------------------------------------------------------ */
/* Queries, weak references, finalizers, pinning. */
MMTK_API int    mmtk_is_live_object(mmtk *heap, mmtk_object object);
MMTK_API int    mmtk_is_mmtk_object(mmtk *heap, const void *address);
MMTK_API mmtk_object mmtk_find_object(mmtk *heap, const void *address);

MMTK_API int    mmtk_add_weak_slot(mmtk *heap, mmtk_object *slot);
MMTK_API int    mmtk_remove_weak_slot(mmtk *heap, mmtk_object *slot);
MMTK_API int    mmtk_add_finalizer(mmtk *heap, mmtk_object object);
MMTK_API mmtk_object mmtk_get_finalized_object(mmtk *heap);

MMTK_API int    mmtk_pin_object(mmtk *heap, mmtk_object object);
MMTK_API int    mmtk_unpin_object(mmtk *heap, mmtk_object object);
MMTK_API int    mmtk_is_pinned(mmtk *heap, mmtk_object object);

/* ------------------------------------------------------------------ */
/* Figures. */
MMTK_API size_t mmtk_used_bytes(const mmtk *heap);
MMTK_API size_t mmtk_free_bytes(const mmtk *heap);
MMTK_API size_t mmtk_total_bytes(const mmtk *heap);

typedef struct mmtk_stats {
    uint64_t collections, full_collections;
    uint64_t bytes_allocated, objects_allocated;
    uint64_t bytes_copied, objects_copied;
    uint64_t pause_ns_total, pause_ns_max;
    uint64_t live_bytes_after_last_gc;
} mmtk_stats;
MMTK_API int  mmtk_get_stats(const mmtk *heap, mmtk_stats *out);
MMTK_API void mmtk_harness_begin(mmtk *heap, void *tls);
MMTK_API void mmtk_harness_end(mmtk *heap);

/* ------------------------------------------------------------------ */
/* Extensions beyond SPEC.md (libmmtk-specific). */

/* Inline fast paths. They do exactly what mmtk_alloc (MMTK_ALLOC_DEFAULT,
 * align <= 16, offset 0) and mmtk_object_reference_write do, without a call
 * in the common case, over a small published prefix of every mutator and
 * the side-metadata geometry below; anything unusual (a full buffer, a
 * plan whose default space has no bump window, stress mode) goes to the
 * out-of-line functions. The library checks at build time that these
 * constants match its own. */
typedef struct mmtk_bump_window {
    uintptr_t cursor, limit;        /* [cursor, limit) is free and zeroed */
} mmtk_bump_window;

typedef struct mmtk_mutator_prefix {
    mmtk_bump_window *fast;         /* the default semantics' bump window */
    void (*write_post)(mmtk_mutator *m, mmtk_object src, mmtk_object *slot, mmtk_object target);
    uint64_t objects, bytes;        /* allocation counts, owner-written */
    uintptr_t log_chunk;            /* a chunk of the heap the barrier has seen (1: none):
                                       a store into one of its objects whose LOG bit is
                                       clear (not an unlogged old object) needs no call */
} mmtk_mutator_prefix;

#define MMTK_CHUNK_LOG_       18    /* chunks of 256 KiB, aligned */
#define MMTK_GRANULE_LOG_     4     /* objects start on 16-byte granules */
#define MMTK_VO_MAP_OFFSET_   2688  /* chunk offset of the valid-object bitmap */
#define MMTK_LOG_MAP_OFFSET_  8832  /* chunk offset of the LOG (unlogged) bitmap */

static inline void *mmtk_alloc_inline(mmtk_mutator *m, size_t size)
{
    mmtk_mutator_prefix *p = (mmtk_mutator_prefix *)m;
    size_t rounded = (size + 15) & ~(size_t)15;
    if (m && size - 1 < 4096) {   /* below every plan's large-object threshold */
        mmtk_bump_window *w = p->fast;
        uintptr_t c = w->cursor;
        if (c + rounded <= w->limit) {
            uintptr_t off = c & (((uintptr_t)1 << MMTK_CHUNK_LOG_) - 1);
            uint64_t *vo = (uint64_t *)(c - off + MMTK_VO_MAP_OFFSET_) + (off >> (MMTK_GRANULE_LOG_ + 6));
            w->cursor = c + rounded;
            __atomic_store_n(vo, __atomic_load_n(vo, __ATOMIC_RELAXED) |
                                     (uint64_t)1 << ((off >> MMTK_GRANULE_LOG_) & 63), __ATOMIC_RELAXED);
            __atomic_store_n(&p->objects, p->objects + 1, __ATOMIC_RELAXED);
            __atomic_store_n(&p->bytes, p->bytes + rounded, __ATOMIC_RELAXED);
            return (void *)c;
        }
    }
    return mmtk_alloc(m, size, 16, 0, MMTK_ALLOC_DEFAULT);
}

static inline void mmtk_object_reference_write_inline(mmtk_mutator *m, mmtk_object src,
                                                      mmtk_object *slot, mmtk_object target)
{
    mmtk_mutator_prefix *p = (mmtk_mutator_prefix *)m;
    if (m && slot) {
        if (!p->write_post) {
            *slot = target;
            return;
        }
        uintptr_t c = (uintptr_t)src & ~(((uintptr_t)1 << MMTK_CHUNK_LOG_) - 1);
        if (c == p->log_chunk) {   /* generational barrier: src is not an unlogged old object */
            uintptr_t off = (uintptr_t)src - c;
            const uint64_t *w = (const uint64_t *)(c + MMTK_LOG_MAP_OFFSET_) + (off >> (MMTK_GRANULE_LOG_ + 6));
            if (!((__atomic_load_n(w, __ATOMIC_RELAXED) >> ((off >> MMTK_GRANULE_LOG_) & 63)) & 1)) {
                *slot = target;
                return;
            }
        }
    }
    mmtk_object_reference_write(m, src, slot, target);
}

/* Bad references the verifier (option verify=true) has found so far in this
 * heap, over all collections; 0 for a NULL heap. Each one was also reported
 * on stderr naming the object and the slot. */
MMTK_API uint64_t mmtk_verify_failures(const mmtk *heap);

/* How many times a collection of this heap found no trace packet for an
 * object (its mark stack full: the heap's quota, or the trace_packets
 * option) and scanned the objects it had reached again; 0 for a NULL heap.
 * Such a collection finds everything all the same; it is only slower. */
MMTK_API uint64_t mmtk_trace_overflows(const mmtk *heap);

#ifdef __cplusplus
}
#endif
#endif /* MMTK_H */
