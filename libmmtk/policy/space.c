/*
 * policy/space.c — what every chunk-based space shares: its chunk list,
 * carving bump buffers out of chunks, clearing maps, VO-bit queries and
 * marking in place.
 *
 * Invariant: every chunk on s->chunks has chunk->space == s and is in the
 * heap's chunk table; s->bump_chunk, when set, is on the list and
 * [bump_chunk->cursor, chunk end) is unused.
 */
#include "mmtk_internal.h"
#include <string.h>

void space_init(space *s, mmtk *heap, const space_ops *ops, const char *name)
{
    memset(s, 0, sizeof *s);
    s->ops = ops;
    s->heap = heap;
    s->name = name;
    pthread_mutex_init(&s->lock, NULL);
}

chunk *space_acquire_chunk(space *s, int for_gc)
{
    chunk *c = chunk_acquire(s->heap, s, for_gc);
    if (!c)
        return NULL;
    c->next = s->chunks;
    c->prev = NULL;
    if (s->chunks)
        s->chunks->prev = c;
    s->chunks = c;
    s->nchunks++;
    return c;
}

void space_release_chunk(space *s, chunk *c)
{
    MMTK_ASSERT(c->space == s && s->nchunks > 0);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->chunks = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (s->bump_chunk == c)
        s->bump_chunk = NULL;
    s->nchunks--;
    chunk_release(s->heap, c);
}

void space_release_all_chunks(space *s)
{
    while (s->chunks)
        space_release_chunk(s, s->chunks);
}

/* A buffer for a bump allocator: the rest of the current chunk when it
 * holds `bytes`, capped at ALLOC_TLAB_BYTES, else a new chunk. Buffers start
 * and end on ALLOC_TLAB_ALIGN boundaries (or the chunk end), so two
 * buffers never share a VO bitmap word. */
int space_bump_buffer(space *s, size_t bytes, int for_gc, uintptr_t *start, uintptr_t *end)
{
    if (bytes > CHUNK_DATA_BYTES)
        return ENOMEM;
    size_t want = bytes > ALLOC_TLAB_BYTES ? bytes : ALLOC_TLAB_BYTES;
    want = (want + ALLOC_TLAB_ALIGN - 1) & ~(ALLOC_TLAB_ALIGN - 1);
    pthread_mutex_lock(&s->lock);
    chunk *c = s->bump_chunk;
    if (!c || chunk_end(c) - c->cursor < bytes) {
        c = space_acquire_chunk(s, for_gc);
        if (!c) {
            pthread_mutex_unlock(&s->lock);
            return ENOMEM;
        }
        s->bump_chunk = c;
    }
    uintptr_t b = c->cursor;
    uintptr_t e = chunk_end(c) - b < want ? chunk_end(c) : b + want;
    c->cursor = e;
    pthread_mutex_unlock(&s->lock);
    *start = b;
    *end = e;
    return 0;
}

void space_clear_map(space *s, int map)
{
    for (chunk *c = s->chunks; c; c = c->next)
        chunk_clear_map(c, map);
}

void space_clear_marks(space *s)
{
    space_clear_map(s, META_MARK);
}

int space_vo_is_object(space *s, const void *addr)
{
    (void)s;
    if (((uintptr_t)addr & (GRANULE_BYTES - 1)) != 0)
        return 0;
    if (((uintptr_t)addr & CHUNK_MASK) < CHUNK_DATA_OFFSET)
        return 0;
    return meta_test(addr, META_VO);
}

mmtk_object space_vo_find_object(space *s, const void *addr)
{
    uintptr_t o = chunk_vo_find_before(addr);
    if (!o)
        return NULL;
    size_t size = gc_object_size(s->heap, (mmtk_object)o);
    if ((uintptr_t)addr < o + size)
        return (mmtk_object)o;
    return NULL;
}

mmtk_object space_mark_trace(space *s, gc_worker *w, mmtk_object obj)
{
    (void)s;
    MMTK_ASSERT(chunk_of(obj)->space == s && meta_test(obj, META_VO));
    if (gc_mark(s->heap, obj))
        gc_enqueue(w, obj);
    return obj;
}

int space_mark_is_live(space *s, mmtk_object obj)
{
    (void)s;
    return meta_test_acquire(obj, META_MARK);
}

mmtk_object space_same_address(space *s, mmtk_object obj)
{
    (void)s;
    return obj;
}

void space_nop(space *s)
{
    (void)s;
}
