/*
 * refs.c — weak slots and finalizers.
 *
 * Owns: heap->weak (slots registered by the VM), heap->final (objects with
 * a finalizer, not yet found dead) and heap->ready (found dead, kept alive
 * until the VM takes them with mmtk_get_finalized_object), all under
 * refs_lock outside collections.
 * In a collection: ready objects are roots; the WEAK bucket clears every
 * weak slot whose target was not reached and updates the others; the
 * FINALIZE bucket moves every unreached finalizable object to `ready` and
 * traces it (its closure runs in the same bucket), so it and what it
 * reaches survive exactly once more.
 */
#include "mmtk_internal.h"
#include <string.h>

static int grow(mmtk *heap, void **arr, size_t *cap, size_t need, size_t elem, int in_gc)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *n = in_gc ? heap_mem_alloc_or_uncache(heap, ncap * elem, 16) : heap_mem_alloc(heap, ncap * elem, 16);
    if (!n)
        return ENOMEM;
    if (*arr) {
        memcpy(n, *arr, *cap * elem);
        heap_mem_free(heap, *arr);
    }
    *arr = n;
    *cap = ncap;
    return 0;
}

static int heap_ok(const mmtk *heap)
{
    return heap && heap->magic == HEAP_MAGIC;
}

int mmtk_add_weak_slot(mmtk *heap, mmtk_object *slot)
{
    if (!heap_ok(heap) || !slot)
        return EINVAL;
    pthread_mutex_lock(&heap->refs_lock);
    int e = grow(heap, (void **)&heap->weak, &heap->weak_cap, heap->nweak + 1, sizeof *heap->weak, 0);
    if (!e)
        heap->weak[heap->nweak++] = slot;
    pthread_mutex_unlock(&heap->refs_lock);
    return e;
}

int mmtk_remove_weak_slot(mmtk *heap, mmtk_object *slot)
{
    if (!heap_ok(heap) || !slot)
        return EINVAL;
    int e = EINVAL;
    pthread_mutex_lock(&heap->refs_lock);
    for (size_t i = 0; i < heap->nweak; i++) {
        if (heap->weak[i] == slot) {
            heap->weak[i] = heap->weak[--heap->nweak];
            e = 0;
            break;
        }
    }
    pthread_mutex_unlock(&heap->refs_lock);
    return e;
}

int mmtk_add_finalizer(mmtk *heap, mmtk_object obj)
{
    if (!heap_ok(heap) || !mmtk_is_mmtk_object(heap, obj))
        return EINVAL;
    pthread_mutex_lock(&heap->refs_lock);
    int e = grow(heap, (void **)&heap->final, &heap->final_cap, heap->nfinal + 1, sizeof *heap->final, 0);
    if (!e)
        heap->final[heap->nfinal++] = obj;
    pthread_mutex_unlock(&heap->refs_lock);
    return e;
}

mmtk_object mmtk_get_finalized_object(mmtk *heap)
{
    if (!heap_ok(heap)) {
        errno = EINVAL;
        return NULL;
    }
    mmtk_object obj = NULL;
    pthread_mutex_lock(&heap->refs_lock);
    if (heap->nready)
        obj = heap->ready[--heap->nready];
    pthread_mutex_unlock(&heap->refs_lock);
    return obj;
}

void refs_scan_roots(mmtk *heap, mmtk_visitor *v)
{
    for (size_t i = 0; i < heap->nready; i++)
        mmtk_visit_slot(v, &heap->ready[i]);
}

void refs_process_weak(mmtk *heap, gc_worker *w)
{
    (void)w;
    for (size_t i = 0; i < heap->nweak; i++) {
        mmtk_object *slot = heap->weak[i], obj = *slot;
        space *s = obj ? gc_space_of(heap, obj) : NULL;
        if (!s)
            continue;
        *slot = s->ops->is_live(s, obj) ? s->ops->forwarded(s, obj) : NULL;
    }
}

/* A dead finalizable object for which `ready` has no room stays
 * registered, marked by its low bit until it is traced (objects are
 * granule-aligned): kept alive, it is found dead again next time. */
#define REFS_DEFERRED ((uintptr_t)1)

void refs_process_finalizers(mmtk *heap, gc_worker *w)
{
    if (!heap->nfinal)
        return;
    /* within the heap's quota: when `ready` cannot grow, what does not fit waits */
    grow(heap, (void **)&heap->ready, &heap->ready_cap, heap->nready + heap->nfinal, sizeof *heap->ready, 1);
    /* First decide who is dead, then resurrect: an object reachable only
     * from another dead finalizable object is finalized in the same cycle. */
    size_t keep = 0, first_ready = heap->nready, deferred = 0;
    for (size_t i = 0; i < heap->nfinal; i++) {
        mmtk_object obj = heap->final[i];
        space *s = gc_space_of(heap, obj);
        if (s && !s->ops->is_live(s, obj)) {
            if (heap->nready < heap->ready_cap) {
                heap->ready[heap->nready++] = obj;
            } else {
                heap->final[keep++] = (mmtk_object)((uintptr_t)obj | REFS_DEFERRED);
                deferred++;
            }
        } else {
            heap->final[keep++] = s ? s->ops->forwarded(s, obj) : obj;
        }
    }
    heap->nfinal = keep;
    for (size_t i = first_ready; i < heap->nready; i++)
        heap->ready[i] = gc_trace_object(w, heap->ready[i]);
    for (size_t i = 0; deferred && i < heap->nfinal; i++) {
        uintptr_t e = (uintptr_t)heap->final[i];
        if (e & REFS_DEFERRED) {
            heap->final[i] = gc_trace_object(w, (mmtk_object)(e & ~REFS_DEFERRED));
            deferred--;
        }
    }
}
