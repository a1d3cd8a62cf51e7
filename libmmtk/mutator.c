/*
 * mutator.c — binding threads to a heap, allocation dispatch, write
 * barriers, safepoints and native regions.
 *
 * Owns: heap->mutators, heap->running and each mutator's state (all under
 * heap->stw_lock). Invariant: heap->running counts the mutators in
 * MUT_RUNNING; a collection proceeds only when it is 0 (default
 * stop-the-world) and no mutator enters MUT_RUNNING while stop_requested.
 */
#include "mmtk_internal.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- */
/* Safepoints                                                         */

void mutator_block_for_gc(mmtk_mutator *m)
{
    mmtk *heap = m->heap;
    if (m->state == MUT_RUNNING) {
        m->state = MUT_BLOCKED;
        heap->running--;
        pthread_cond_broadcast(&heap->stw_cond);
    }
    while (heap->stop_requested)
        pthread_cond_wait(&heap->stw_cond, &heap->stw_lock);
    m->state = MUT_RUNNING;
    heap->running++;
}

mmtk_mutator *mutator_of_thread(mmtk *heap)
{
    pthread_t self = pthread_self();
    for (mmtk_mutator *m = heap->mutators; m; m = m->next)
        if (pthread_equal(m->thread, self))
            return m;
    return NULL;
}

static int mutator_ok(const mmtk_mutator *m)
{
    return m && m->magic == MUTATOR_MAGIC;
}

void mmtk_safepoint(mmtk_mutator *m)
{
    if (!mutator_ok(m))
        return;
    mmtk *heap = m->heap;
    if (MMTK_LIKELY(!__atomic_load_n(&heap->stop_requested, __ATOMIC_ACQUIRE)))
        return;
    pthread_mutex_lock(&heap->stw_lock);
    mutator_block_for_gc(m);
    pthread_mutex_unlock(&heap->stw_lock);
}

void mmtk_enter_native(mmtk_mutator *m)
{
    if (!mutator_ok(m))
        return;
    mmtk *heap = m->heap;
    pthread_mutex_lock(&heap->stw_lock);
    if (m->state == MUT_RUNNING) {
        m->state = MUT_NATIVE;
        heap->running--;
        pthread_cond_broadcast(&heap->stw_cond);
    }
    pthread_mutex_unlock(&heap->stw_lock);
}

void mmtk_leave_native(mmtk_mutator *m)
{
    if (!mutator_ok(m))
        return;
    mmtk *heap = m->heap;
    pthread_mutex_lock(&heap->stw_lock);
    if (m->state == MUT_NATIVE) {
        while (heap->stop_requested)
            pthread_cond_wait(&heap->stw_cond, &heap->stw_lock);
        m->state = MUT_RUNNING;
        heap->running++;
    }
    pthread_mutex_unlock(&heap->stw_lock);
}

/* ---------------------------------------------------------------- */
/* Binding                                                            */

/* The inline fast path of mmtk.h reads the chunk geometry it publishes. */
_Static_assert(MMTK_CHUNK_LOG_ == CHUNK_LOG, "mmtk.h chunk size");
_Static_assert(MMTK_GRANULE_LOG_ == GRANULE_LOG, "mmtk.h granule size");
_Static_assert(MMTK_VO_MAP_OFFSET_ == offsetof(chunk, bits[META_VO]), "mmtk.h VO map offset");
_Static_assert(MMTK_LOG_MAP_OFFSET_ == offsetof(chunk, bits[META_LOG]), "mmtk.h LOG map offset");
_Static_assert(offsetof(allocator, cursor) == offsetof(mmtk_bump_window, cursor) &&
               offsetof(allocator, limit) == offsetof(mmtk_bump_window, limit), "bump window");
_Static_assert(offsetof(mmtk_mutator, fast) == offsetof(mmtk_mutator_prefix, fast) &&
               offsetof(mmtk_mutator, write_post) == offsetof(mmtk_mutator_prefix, write_post) &&
               offsetof(mmtk_mutator, objects) == offsetof(mmtk_mutator_prefix, objects) &&
               offsetof(mmtk_mutator, bytes) == offsetof(mmtk_mutator_prefix, bytes) &&
               offsetof(mmtk_mutator, log_chunk) == offsetof(mmtk_mutator_prefix, log_chunk), "mutator prefix");

void mutator_set_allocator(mmtk_mutator *m, int semantics, allocator *a)
{
    m->sem[semantics] = a;
    if (semantics == MMTK_ALLOC_DEFAULT)
        m->fast = m->stress ? &m->empty : (mmtk_bump_window *)a;
}

allocator *mutator_allocator_slot(mmtk_mutator *m, int i)
{
    return &m->allocs[i].a;
}

mmtk_mutator *mmtk_bind_mutator(mmtk *heap, void *tls)
{
    if (!heap || heap->magic != HEAP_MAGIC) {
        errno = EINVAL;
        return NULL;
    }
    mmtk_mutator *m = heap_mem_alloc(heap, sizeof *m, 64);
    if (!m)
        return NULL;
    memset(m, 0, sizeof *m);
    m->magic = MUTATOR_MAGIC;
    m->heap = heap;
    m->tls = tls;
    m->thread = pthread_self();
    m->stress = heap->stress_factor != 0;
    m->write_post = heap->plan->write_post;
    pthread_mutex_lock(&heap->stw_lock);
    while (heap->stop_requested)
        pthread_cond_wait(&heap->stw_cond, &heap->stw_lock);
    /* Under the lock with no collection running: the plan's spaces cannot
     * change roles (e.g. a semispace flip) before m is on the list. */
    heap->plan->mutator_init(m);
    m->state = MUT_RUNNING;
    heap->running++;
    m->next = heap->mutators;
    if (heap->mutators)
        heap->mutators->prev = m;
    heap->mutators = m;
    pthread_mutex_unlock(&heap->stw_lock);
    return m;
}

/* stw_lock held, no collection running. */
void mutator_free(mmtk_mutator *m)
{
    mmtk *heap = m->heap;
    if (m->prev)
        m->prev->next = m->next;
    else
        heap->mutators = m->next;
    if (m->next)
        m->next->prev = m->prev;
    if (m->state == MUT_RUNNING) {
        heap->running--;
        pthread_cond_broadcast(&heap->stw_cond);
    }
    pthread_mutex_lock(&heap->stats_lock);
    heap->retired_objects += m->objects;
    heap->retired_bytes += m->bytes;
    pthread_mutex_unlock(&heap->stats_lock);
    m->magic = 0;
    heap_mem_free(heap, m);
}

void mmtk_destroy_mutator(mmtk_mutator *m)
{
    if (!mutator_ok(m))
        return;
    mmtk *heap = m->heap;
    pthread_mutex_lock(&heap->stw_lock);
    if (m->state != MUT_RUNNING)
        while (heap->stop_requested)
            pthread_cond_wait(&heap->stw_cond, &heap->stw_lock);
    mutator_free(m);
    pthread_mutex_unlock(&heap->stw_lock);
}

void mutators_reset_allocators(mmtk *heap)
{
    for (mmtk_mutator *m = heap->mutators; m; m = m->next)
        for (int i = 0; i < MUTATOR_ALLOCATORS; i++)
            if (m->allocs[i].a.ops)
                m->allocs[i].a.ops->reset(&m->allocs[i].a);
}

/* ---------------------------------------------------------------- */
/* Allocation                                                         */

static void mutator_count(mmtk_mutator *m, size_t size)
{
    __atomic_store_n(&m->objects, m->objects + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&m->bytes, m->bytes + size, __ATOMIC_RELAXED);
}

static void *mutator_alloc_once(mmtk_mutator *m, size_t size, size_t align, ptrdiff_t offset, int semantics)
{
    mmtk *heap = m->heap;
    int immortal = semantics == MMTK_ALLOC_IMMORTAL || semantics == MMTK_ALLOC_READ_ONLY;
    if (heap->los && (semantics == MMTK_ALLOC_LOS ||
                      size >= (immortal ? CHUNK_DATA_BYTES / 2 : heap->plan->los_threshold)))
        return los_alloc(heap->los, size, align, offset, immortal);
    allocator *a = m->sem[semantics];
    void *p = alloc_bump(a, size, align, offset);
    return p ? p : a->ops->alloc(a, size, align, offset);
}

static void *mutator_alloc_slow(mmtk_mutator *m, size_t size, size_t align, ptrdiff_t offset, int semantics)
{
    mmtk *heap = m->heap;
    if (__atomic_load_n(&heap->stop_requested, __ATOMIC_ACQUIRE))
        mmtk_safepoint(m);
    int can_collect = heap->collection_enabled && heap->plan->collects;
    if (m->stress && can_collect &&
        __atomic_add_fetch(&heap->stress_bytes, size, __ATOMIC_RELAXED) >= heap->stress_factor)
        gc_collect(heap, m);
    for (int attempt = 0;; attempt++) {
        errno = 0;
        void *p = mutator_alloc_once(m, size, align, offset, semantics);
        if (p) {
            mutator_count(m, size);
            return p;
        }
        if (errno == EINVAL)
            return NULL;
        if (attempt >= 2 || !can_collect)
            break;
        gc_collect(heap, m);
    }
    if (heap->binding.out_of_memory)
        heap->binding.out_of_memory(heap->vm, m->tls, size);
    errno = ENOMEM;
    return NULL;
}

/* An allocation with align > GRANULE_BYTES in a plan that must know of it
 * (plan_ops.note_aligned): the slow path, then the plan's note. */
static void *mutator_alloc_aligned(mmtk_mutator *m, size_t size, size_t align, ptrdiff_t offset, int semantics)
{
    if (m->magic != MUTATOR_MAGIC) {
        errno = EINVAL;
        return NULL;
    }
    void *p = mutator_alloc_slow(m, size, align, offset, semantics);
    if (p)
        m->heap->plan->note_aligned(m, p, semantics);
    return p;
}

void *mmtk_alloc(mmtk_mutator *m, size_t size, size_t align, ptrdiff_t offset, int semantics)
{
    if (MMTK_UNLIKELY(!m || (unsigned)semantics >= MMTK_SEMANTICS || (align & (align - 1)) != 0 ||
                      size > (SIZE_MAX >> 2))) {
        errno = EINVAL;
        return NULL;
    }
    size = alloc_round_size(size ? size : 1);
    if (MMTK_LIKELY(align <= GRANULE_BYTES)) {
        if (MMTK_UNLIKELY(align > 1 && ((uintptr_t)offset & (align - 1)) != 0)) {
            errno = EINVAL;
            return NULL;
        }
        align = GRANULE_BYTES;
        offset = 0;
    } else {
        if ((uintptr_t)offset & (GRANULE_BYTES - 1)) {
            errno = EINVAL;   /* objects start on granules */
            return NULL;
        }
        offset = (ptrdiff_t)((uintptr_t)offset & (align - 1));
        if (MMTK_UNLIKELY(m->heap->plan->note_aligned != NULL))
            return mutator_alloc_aligned(m, size, align, offset, semantics);
    }
    if (MMTK_LIKELY(!m->stress)) {
        allocator *a = m->sem[semantics];
        void *p = alloc_bump(a, size, align, offset);
        if (!p && a->ops->alloc_fast && align == GRANULE_BYTES && size < m->heap->plan->los_threshold)
            p = a->ops->alloc_fast(a, size);
        if (MMTK_LIKELY(p != NULL)) {
            mutator_count(m, size);
            return p;
        }
    }
    if (m->magic != MUTATOR_MAGIC) {
        errno = EINVAL;
        return NULL;
    }
    return mutator_alloc_slow(m, size, align, offset, semantics);
}

void mmtk_post_alloc(mmtk_mutator *m, mmtk_object object, size_t size, int semantics)
{
    /* The VO bit is set by mmtk_alloc itself, so nothing depends on this
     * call; it stays the hook for plans that need one (e.g. log bits). */
    (void)m;
    (void)object;
    (void)size;
    (void)semantics;
}

/* ---------------------------------------------------------------- */
/* Barriers and collection requests                                   */

/* The plan's barrier is cached in the mutator (m->write_post, NULL for
 * none), so a store without a barrier is one test and one store. */
void mmtk_object_reference_write_pre(mmtk_mutator *m, mmtk_object src, mmtk_object *slot, mmtk_object target)
{
    (void)m;
    (void)src;
    (void)slot;
    (void)target;
}

void mmtk_object_reference_write_post(mmtk_mutator *m, mmtk_object src, mmtk_object *slot, mmtk_object target)
{
    if (m && m->write_post)
        m->write_post(m, src, slot, target);
}

void mmtk_object_reference_write(mmtk_mutator *m, mmtk_object src, mmtk_object *slot, mmtk_object target)
{
    if (MMTK_UNLIKELY(!slot))
        return;
    *slot = target;
    if (m && m->write_post)
        m->write_post(m, src, slot, target);
}

void mmtk_handle_user_collection_request(mmtk *heap, void *tls)
{
    (void)tls;
    if (!heap || heap->magic != HEAP_MAGIC || !heap->collection_enabled || !heap->plan->collects)
        return;
    pthread_mutex_lock(&heap->stw_lock);
    mmtk_mutator *m = mutator_of_thread(heap);
    __atomic_store_n(&heap->full_gc_requested, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&heap->stw_lock);
    gc_collect(heap, m);
}
