/*
 * heap/chunk.c — chunk acquisition and release, the chunk table, whole-chunk
 * metadata operations.
 *
 * Owns: heap->chunks (the table), heap->committed for chunks, and the
 * chunk cache (heap->chunk_cache, heap->cached).
 * Invariants: a chunk is in the table iff it is held from the heap's client
 * and owned by a space; its metadata page is zeroed when it is acquired, so
 * every side-metadata bit starts clear. A cached chunk is held from the
 * client but owned by no space and not in the table; the cache never
 * makes a mutator's commit fail (heap_may_commit trims it first).
 *
 * Why a cache: a collection copies into chunks it takes while the world is
 * stopped. Fresh memory there means page faults (a 2 MiB huge page is
 * zeroed by the kernel on first touch) inside the pause: about 1.5 ms of
 * GCBench's 8 MiB full-survival nursery collections. So chunks freed by a
 * collection are kept, touched, for the next one's copies, and mutators
 * take fresh memory, whose faults they pay outside pauses.
 */
#include "mmtk_internal.h"
#include <string.h>

int chunk_table_reserve(mmtk *heap, size_t max_chunks)
{
    size_t cap = 16;
    while (cap < 2 * max_chunks + 8)
        cap <<= 1;
    uintptr_t *slots = heap_mem_alloc(heap, cap * sizeof *slots, sizeof *slots);
    if (!slots)
        return ENOMEM;
    memset(slots, 0, cap * sizeof *slots);
    heap->chunks.cap = cap;
    heap->chunks.used = heap->chunks.live = 0;
    __atomic_store_n(&heap->chunks.slots, slots, __ATOMIC_RELEASE);
    return 0;
}

/* mem_lock held; readers may run concurrently (atomic slot stores). */
static void chunk_table_insert(chunk_table *t, uintptr_t key)
{
    size_t mask = t->cap - 1;
    for (size_t i = chunk_table_hash(key, t->cap);; i = (i + 1) & mask) {
        uintptr_t v = t->slots[i];
        if (v == 0 || v == 1) {
            if (v == 0)
                t->used++;
            t->live++;
            __atomic_store_n(&t->slots[i], key, __ATOMIC_RELEASE);
            return;
        }
    }
}

static void chunk_table_remove(chunk_table *t, uintptr_t key)
{
    size_t mask = t->cap - 1;
    for (size_t i = chunk_table_hash(key, t->cap), n = 0; n <= mask; i = (i + 1) & mask, n++) {
        uintptr_t v = t->slots[i];
        if (v == key) {
            __atomic_store_n(&t->slots[i], (uintptr_t)1, __ATOMIC_RELEASE);
            t->live--;
            return;
        }
        if (v == 0)
            return;
    }
}

/* Tombstones accumulate as chunks come and go; rebuild into a fresh array
 * when more than half the slots are used. Only while no reader runs: the
 * release phase of a collection (no GC worker, mutators stopped). On
 * allocation failure the old table simply stays. mem_lock held. */
static void chunk_table_compact(mmtk *heap)
{
    chunk_table *t = &heap->chunks;
    if (t->used * 2 < t->cap)
        return;
    uintptr_t *old = t->slots;
    uintptr_t *fresh = heap_mem_alloc(heap, t->cap * sizeof *fresh, sizeof *fresh);
    if (!fresh)
        return;
    memset(fresh, 0, t->cap * sizeof *fresh);
    t->slots = fresh;
    t->used = t->live = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (old[i] > 1)
            chunk_table_insert(t, old[i]);
    heap_mem_free(heap, old);
}

/* At most this much memory waits in the cache: a generational nursery's
 * survivors or a quarter heap of SemiSpace copies. mem_lock held. */
static size_t chunk_cache_cap(const mmtk *heap)
{
    size_t cap = heap->max_heap / 4;
    size_t room = heap->budget > heap->committed ? heap->budget - heap->committed : 0;
    return cap < room ? cap : room;
}

static chunk *chunk_cache_take(mmtk *heap)
{
    chunk *c = heap->chunk_cache;
    if (c) {
        heap->chunk_cache = c->next;
        heap->cached -= CHUNK_BYTES;
    }
    return c;
}

void chunk_cache_trim(mmtk *heap, size_t keep)
{
    while (heap->cached > keep)
        heap_mem_free(heap, chunk_cache_take(heap));
}

chunk *chunk_acquire(mmtk *heap, space *s, int for_gc)
{
    pthread_mutex_lock(&heap->mem_lock);
    chunk *c = NULL;
    if (!heap->chunks.slots) {
        size_t max = heap->max_heap / CHUNK_BYTES + 2;
        if (chunk_table_reserve(heap, max) != 0)
            goto out;
    }
    if (heap->chunks.live + 1 > heap->chunks.cap / 2 || !heap_may_commit(heap, CHUNK_BYTES, for_gc)) {
        errno = ENOMEM;
        goto out;
    }
    /* Within the client's limit even for a collection's copies: a copy
     * that finds no chunk keeps its object in place (copyspace.c, Immix).
     * Collections copy into cached (touched) memory first, mutators take
     * fresh memory first (see the top of this file). */
    c = for_gc ? chunk_cache_take(heap) : NULL;
    if (!c)
        c = heap_mem_alloc(heap, CHUNK_BYTES, CHUNK_BYTES);
    if (!c)
        c = chunk_cache_take(heap);   /* the client or its context is full */
    if (!c)
        goto out;
    memset(c, 0, sizeof *c);
    c->magic = CHUNK_MAGIC;
    c->space = s;
    c->cursor = chunk_data_start(c);
    heap->committed += CHUNK_BYTES;
    s->committed += CHUNK_BYTES;
    chunk_table_insert(&heap->chunks, (uintptr_t)c);
out:
    pthread_mutex_unlock(&heap->mem_lock);
    return c;
}

void chunk_release(mmtk *heap, chunk *c)
{
    MMTK_ASSERT(c->magic == CHUNK_MAGIC && chunk_table_find(&heap->chunks, c) == c);
    pthread_mutex_lock(&heap->mem_lock);
    chunk_table_remove(&heap->chunks, (uintptr_t)c);
    if (heap->in_gc)
        chunk_table_compact(heap);
    c->magic = 0;
    heap->committed -= CHUNK_BYTES;
    c->space->committed -= CHUNK_BYTES;
    if (heap->cached + CHUNK_BYTES <= chunk_cache_cap(heap)) {
        c->next = heap->chunk_cache;
        heap->chunk_cache = c;
        heap->cached += CHUNK_BYTES;
    } else {
        heap_mem_free(heap, c);
    }
    pthread_mutex_unlock(&heap->mem_lock);
}

void chunk_clear_map(chunk *c, int map)
{
    memset(c->bits[map], 0, sizeof c->bits[map]);
}

uintptr_t chunk_vo_find_before(const void *p)
{
    chunk *c = chunk_of(p);
    size_t g = chunk_granule(p);
    size_t first = CHUNK_DATA_OFFSET >> GRANULE_LOG;
    if (g < first)
        return 0;
    size_t w = g >> 6;
    uint64_t bits = c->bits[META_VO][w] & (~(uint64_t)0 >> (63 - (g & 63)));
    for (;;) {
        if (bits) {
            size_t hit = (w << 6) + 63 - (size_t)__builtin_clzll(bits);
            if (hit < first)
                return 0;
            return (uintptr_t)c + (hit << GRANULE_LOG);
        }
        if (w == first >> 6)
            return 0;
        bits = c->bits[META_VO][--w];
    }
}
