/*
 * policy/copyspace.h — the copy space's tracing fast path, inline so the
 * tracer (gc.c) calls it without an indirect call for the objects most
 * collections evacuate: a nursery's. The protocol is described at the top
 * of copyspace.c; the rare cases (pinned, retained chunks, a race with
 * another worker, no to-space) are out of line there.
 * Include after mmtk_internal.h.
 */
#ifndef MMTK_POLICY_COPYSPACE_H
#define MMTK_POLICY_COPYSPACE_H

#define COPY_CHUNK_PINNED    1u   /* holds an object marked in place this collection */
#define COPY_CHUNK_RETAINED  2u   /* kept after an evacuation for pinned objects */

typedef struct copy_space {
    space base;
    int copy_slot;      /* worker copy allocator to evacuate into */
    size_t retained;    /* bytes of RETAINED chunks (no new buffers), after release */
} copy_space;

extern const space_ops copy_space_ops;

/* Keep obj where it is, marked (a pin, or a retained chunk's object). */
mmtk_object copy_space_mark_in_place(gc_worker *w, mmtk_object obj);
/* obj, claimed by this worker, stays: there is no to-space for it. */
mmtk_object copy_space_stay(gc_worker *w, mmtk_object obj);
/* obj was claimed by another worker: its address once that one is done. */
mmtk_object copy_space_wait(gc_worker *w, mmtk_object obj);

static inline mmtk_object copy_space_trace(space *s, gc_worker *w, mmtk_object obj)
{
    if (!s->is_from) {
        if (__atomic_load_n(&chunk_of(obj)->flags, __ATOMIC_RELAXED) & COPY_CHUNK_RETAINED)
            return copy_space_mark_in_place(w, obj);
        return obj;   /* a to-space copy: scanned when it was made */
    }
    if (MMTK_UNLIKELY(meta_pinned(obj)))
        return copy_space_mark_in_place(w, obj);
    /* One worker (gc_trace): nobody races on the metadata words, so a plain
     * load and store claim (no locked instructions: they were ~60% of this
     * function's cycles). */
    mmtk *heap = s->heap;
    int alone = heap->trace_workers == 1;
    if (!gc_mark(heap, obj))   /* forwarded (pinned ones were caught above), or being copied */
        return alone ? *(mmtk_object *)obj : copy_space_wait(w, obj);
    MMTK_ASSERT(meta_test(obj, META_VO));
    size_t size = gc_object_size(heap, obj);
    allocator *a = &w->copy[((copy_space *)s)->copy_slot].a;
    void *to = alloc_bump(a, size, GRANULE_BYTES, 0);
    if (!to)
        to = a->ops->alloc(a, size, GRANULE_BYTES, 0);
    if (MMTK_UNLIKELY(!to))
        return copy_space_stay(w, obj);
    __builtin_prefetch((char *)to + 512, 1);
    gc_copy_bytes(to, obj, size);
    if (heap->binding.post_copy)
        heap->binding.post_copy(heap->vm, obj, to);
    *(mmtk_object *)obj = to;
    if (!alone) {
        w->fwd_pending[w->nfwd_pending++] = obj;
        if (w->nfwd_pending == GC_FWD_BATCH)
            gc_publish_forwards(w);
    }
    w->objects_copied++;
    w->bytes_copied += size;
    gc_enqueue_sized(w, to, size);
    return to;
}

#endif /* MMTK_POLICY_COPYSPACE_H */
