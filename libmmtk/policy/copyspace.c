/*
 * policy/copyspace.c — a copy space: bump-allocated; when it is the
 * from-space of a collection, every object reached is evacuated into the
 * space behind the tracing worker's copy allocator, and afterwards all its
 * chunks go back to the client.
 *
 * Forwarding protocol (several workers may reach one object at once). For
 * everything but the race itself the MARK bit is the state: MARK without
 * PIN means forwarded (the old copy's first word holds the new address),
 * MARK with PIN means kept in place.
 *   1. claim: atomically set the object's MARK bit; the worker that set it
 *      copies, the others wait for step 4;
 *   2. copy: memcpy into to-space, set the copy's VO bit, call post_copy
 *      (the old copy is still intact);
 *   3. write the new address into the old copy's first word;
 *   4. set FWD with release order, for up to GC_FWD_BATCH copies at once
 *      (gc_publish_forwards); waiters read the first word after an
 *      acquiring load of FWD.
 * When the collection traces on one worker (heap->trace_workers == 1)
 * nobody waits: MARK is tested and set with a plain load and store, and
 * FWD is not used.
 *
 * Pinning: an object whose PIN bit is set (mmtk_pin_object, or a
 * conservative root for this collection) is marked in place instead. Its
 * chunk is then *retained* at release: VO keeps only the objects left in
 * place, the chunk takes no new buffers, and in later collections its
 * objects are marked in place while the space is not being evacuated, and
 * evacuated (unless still pinned) when it is.
 */
#include "mmtk_internal.h"
#include "policy/copyspace.h"
#include <string.h>

mmtk_object copy_space_mark_in_place(gc_worker *w, mmtk_object obj)
{
    if (meta_set_atomic(obj, META_MARK)) {
        __atomic_fetch_or(&chunk_of(obj)->flags, COPY_CHUNK_PINNED, __ATOMIC_RELAXED);
        gc_enqueue(w, obj);
    }
    return obj;
}

/* No room to copy obj into (chunks held by pinned objects, or the client
 * at its limit): obj, claimed by this worker (MARK), stays where it is,
 * pinned for this collection so that waiting workers take it as is, and
 * its chunk is retained at release. A collection never fails for want of
 * to-space; the mutator that needed it gets out_of_memory instead. */
mmtk_object copy_space_stay(gc_worker *w, mmtk_object obj)
{
    if (meta_pin(obj))
        gc_note_transient_pin(w->heap, obj);
    __atomic_fetch_or(&chunk_of(obj)->flags, COPY_CHUNK_PINNED, __ATOMIC_RELAXED);
    gc_enqueue(w, obj);
    return obj;
}

/* obj was claimed by another worker: wait until it is copied (FWD) or kept
 * in place (PIN), and return where it is now. */
mmtk_object copy_space_wait(gc_worker *w, mmtk_object obj)
{
    gc_publish_forwards(w);
    while (!meta_test_acquire(obj, META_FWD)) {
        if (meta_pinned(obj))
            return obj;
        gc_spin_pause();
    }
    return *(mmtk_object *)obj;
}

static mmtk_object copy_trace(space *s, gc_worker *w, mmtk_object obj)
{
    return copy_space_trace(s, w, obj);
}

/* A conservative root: pin obj for this collection (gc.c unpins it). */
static mmtk_object copy_trace_pinned(space *s, gc_worker *w, mmtk_object obj)
{
    if (meta_pin(obj))
        gc_note_transient_pin(w->heap, obj);
    return copy_trace(s, w, obj);
}

static int copy_is_live(space *s, mmtk_object obj)
{
    if (!s->is_from)
        return (chunk_of(obj)->flags & COPY_CHUNK_RETAINED) ? meta_test_acquire(obj, META_MARK) : 1;
    return meta_test_acquire(obj, META_MARK);
}

static mmtk_object copy_forwarded(space *s, mmtk_object obj)
{
    if (s->is_from && meta_test_acquire(obj, META_MARK) && !meta_pinned(obj))
        return *(mmtk_object *)obj;
    return obj;
}

/* Keep only the objects marked in place, 1 if any: in a from-space chunk
 * MARK with PIN (MARK alone means forwarded), in a retained chunk of a
 * space that was not evacuated every MARK. */
static int copy_keep_in_place(chunk *c, int evacuated)
{
    uint64_t all_stayed = evacuated ? 0 : ~(uint64_t)0;
    uint64_t any = 0;
    for (size_t i = 0; i < CHUNK_BITMAP_WORDS; i++) {
        uint64_t keep = c->bits[META_MARK][i] & (c->bits[META_PIN][i] | all_stayed);
        c->bits[META_VO][i] = keep;
        c->bits[META_PIN][i] &= keep;
        c->bits[META_MARK][i] = 0;
        c->bits[META_FWD][i] = 0;
        any |= keep;
    }
    return any != 0;
}

static void copy_release(space *s)
{
    chunk *next;
    size_t retained = 0;
    for (chunk *c = s->chunks; c; c = next) {
        next = c->next;
        if (!s->is_from && !(c->flags & COPY_CHUNK_RETAINED))
            continue;   /* fresh copies: nothing to do */
        if (copy_keep_in_place(c, s->is_from)) {
            c->flags = COPY_CHUNK_RETAINED;
            c->cursor = chunk_end(c);
            if (s->bump_chunk == c)
                s->bump_chunk = NULL;
            retained += CHUNK_BYTES;
        } else {
            space_release_chunk(s, c);
        }
    }
    __atomic_store_n(&((copy_space *)s)->retained, retained, __ATOMIC_RELAXED);
    s->is_from = 0;
}

size_t copy_space_retained_bytes(space *s)
{
    return __atomic_load_n(&((copy_space *)s)->retained, __ATOMIC_RELAXED);
}

/* Evacuated: the objects kept in place; not: every object (this
 * collection's copies, and objects from before it, whose references stay
 * valid until this space is collected). */
static int copy_unscanned(space *s)
{
    return s->is_from ? SPACE_UNSCANNED_PINNED : SPACE_UNSCANNED_ALL;
}

const space_ops copy_space_ops = {
    .kind = "copy",
    .trace = copy_trace,
    .trace_pinned = copy_trace_pinned,
    .is_live = copy_is_live,
    .forwarded = copy_forwarded,
    .prepare = space_nop,
    .release = copy_release,
    .clear_marks = space_clear_marks,
    .is_object = space_vo_is_object,
    .find_object = space_vo_find_object,
    .unscanned = copy_unscanned,
};

space *copy_space_create(mmtk *heap, const char *name)
{
    copy_space *cs = heap_mem_alloc(heap, sizeof *cs, 16);
    if (!cs)
        return NULL;
    space_init(&cs->base, heap, &copy_space_ops, name);
    cs->base.movable = 1;
    cs->copy_slot = 0;
    cs->retained = 0;
    return &cs->base;
}

void copy_space_set_from(space *s, int is_from, int copy_slot)
{
    s->is_from = is_from;
    ((copy_space *)s)->copy_slot = copy_slot;
}
