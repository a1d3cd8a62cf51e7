/*
 * policy/copyspace.c — a copy space: bump-allocated; when it is the
 * from-space of a collection, every object reached is evacuated into the
 * space behind the tracing worker's copy allocator, and afterwards all its
 * chunks go back to the client.
 *
 * Forwarding protocol (several workers may reach one object at once):
 *   1. claim: atomically set the object's MARK bit; the worker that set it
 *      copies, the others wait for step 4;
 *   2. copy: memcpy into to-space, set the copy's VO bit, call post_copy
 *      (the old copy is still intact);
 *   3. write the new address into the old copy's first word;
 *   4. set FWD with release order; waiters read the first word after an
 *      acquiring load of FWD.
 */
#include "mmtk_internal.h"
#include <string.h>

typedef struct copy_space {
    space base;
    int copy_slot;      /* worker copy allocator to evacuate into */
} copy_space;

static mmtk_object copy_trace(space *s, gc_worker *w, mmtk_object obj)
{
    if (!s->is_from)
        return obj;   /* a to-space copy: scanned when it was made */
    if (!meta_set_atomic(obj, META_MARK)) {
        while (!meta_test_acquire(obj, META_FWD))
            gc_spin_pause();
        return *(mmtk_object *)obj;
    }
    mmtk *heap = s->heap;
    size_t size = gc_object_size(heap, obj);
    allocator *a = &w->copy[((copy_space *)s)->copy_slot].a;
    void *to = alloc_bump(a, size, GRANULE_BYTES, 0);
    if (!to)
        to = a->ops->alloc(a, size, GRANULE_BYTES, 0);
    if (size <= 64) {   /* most objects: a few words, no call */
        for (size_t i = 0; i < size / sizeof(uint64_t); i++)
            ((uint64_t *)to)[i] = ((const uint64_t *)obj)[i];
    } else {
        memcpy(to, obj, size);
    }
    if (heap->binding.post_copy)
        heap->binding.post_copy(heap->vm, obj, to);
    *(mmtk_object *)obj = to;
    meta_set_release(obj, META_FWD);
    w->objects_copied++;
    w->bytes_copied += size;
    gc_enqueue(w, to);
    return to;
}

static int copy_is_live(space *s, mmtk_object obj)
{
    if (!s->is_from)
        return 1;
    return meta_test_acquire(obj, META_FWD);
}

static mmtk_object copy_forwarded(space *s, mmtk_object obj)
{
    if (s->is_from && meta_test_acquire(obj, META_FWD))
        return *(mmtk_object *)obj;
    return obj;
}

static void copy_release(space *s)
{
    if (s->is_from) {
        space_release_all_chunks(s);
        s->is_from = 0;
    }
}

static const space_ops copy_ops = {
    .kind = "copy",
    .trace = copy_trace,
    .is_live = copy_is_live,
    .forwarded = copy_forwarded,
    .prepare = space_nop,
    .release = copy_release,
    .clear_marks = space_clear_marks,
    .is_object = space_vo_is_object,
    .find_object = space_vo_find_object,
};

space *copy_space_create(mmtk *heap, const char *name)
{
    copy_space *cs = heap_mem_alloc(heap, sizeof *cs, 16);
    if (!cs)
        return NULL;
    space_init(&cs->base, heap, &copy_ops, name);
    cs->base.movable = 1;
    return &cs->base;
}

void copy_space_set_from(space *s, int is_from, int copy_slot)
{
    s->is_from = is_from;
    ((copy_space *)s)->copy_slot = copy_slot;
}
