/*
 * policy/largeobjectspace.c — the large object space: each object is its
 * own vmma block (outside chunks), never moved; marked in a header placed
 * just before the object, freed at release when unmarked.
 *
 * Owns: the list of large objects and a hash set of their addresses (the
 * answer to "is this address a large object?", since these blocks have no
 * chunk). Invariants: an object is on the list iff it is in the set; its
 * header's mark is 0 outside collections. The set only changes under
 * s->lock outside collections; GC workers read it without the lock.
 */
#include "mmtk_internal.h"
#include <string.h>

#define LOS_MAGIC 0x6d6d746b4c4f5321ULL   /* "mmtkLOS!" */

typedef struct los_header {
    uint64_t magic;
    struct los_header *next, *prev;
    void *block;
    size_t size;          /* object bytes (rounded to granules) */
    size_t block_bytes;   /* as counted in heap->committed */
    uint32_t mark;
    uint32_t immortal;    /* never freed (MMTK_ALLOC_IMMORTAL/READ_ONLY) */
    uint32_t young;       /* allocated since the last collection */
    uint32_t pad;
} los_header;
_Static_assert(sizeof(los_header) == 64, "LOS header is 64 bytes");

typedef struct los_space {
    space base;
    los_header *objects;
    uintptr_t *set;        /* object addresses; 0 empty, 1 tombstone */
    size_t cap, used, live;
    size_t bytes;          /* committed by this space */
    int nursery;           /* nursery collection: every object stays; only young ones
                              are traced (old ones' slots to young objects are in the
                              remembered set, gen_write_post) */
} los_space;

static los_header *los_hdr(const void *obj)
{
    return (los_header *)((uintptr_t)obj - sizeof(los_header));
}

static size_t los_hash(uintptr_t key, size_t cap)
{
    return (size_t)(((uint64_t)(key >> 4) * 0x9E3779B97F4A7C15ULL) >> 32) & (cap - 1);
}

static int los_set_find(const los_space *l, uintptr_t key)
{
    if (!l->set)
        return 0;
    size_t mask = l->cap - 1;
    for (size_t i = los_hash(key, l->cap), n = 0; n <= mask; i = (i + 1) & mask, n++) {
        if (l->set[i] == key)
            return 1;
        if (l->set[i] == 0)
            return 0;
    }
    return 0;
}

static void los_set_put(uintptr_t *set, size_t cap, uintptr_t key)
{
    size_t mask = cap - 1;
    size_t i = los_hash(key, cap);
    while (set[i] > 1)
        i = (i + 1) & mask;
    set[i] = key;
}

/* Room for one more key; ENOMEM when the table cannot grow. */
static int los_set_reserve(los_space *l)
{
    if (l->set && (l->used + 1) * 2 <= l->cap)
        return 0;
    size_t cap = l->cap ? l->cap : 16;
    while ((l->live + 1) * 4 > cap)
        cap <<= 1;
    uintptr_t *set = heap_mem_alloc(l->base.heap, cap * sizeof *set, sizeof *set);
    if (!set)
        return ENOMEM;
    memset(set, 0, cap * sizeof *set);
    for (size_t i = 0; l->set && i < l->cap; i++)
        if (l->set[i] > 1)
            los_set_put(set, cap, l->set[i]);
    if (l->set)
        heap_mem_free(l->base.heap, l->set);
    l->set = set;
    l->cap = cap;
    l->used = l->live;
    return 0;
}

static void los_set_remove(los_space *l, uintptr_t key)
{
    size_t mask = l->cap - 1;
    for (size_t i = los_hash(key, l->cap);; i = (i + 1) & mask) {
        if (l->set[i] == key) {
            l->set[i] = 1;
            l->live--;
            return;
        }
        if (l->set[i] == 0)
            return;
    }
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 16;
    while (p < n)
        p <<= 1;
    return p;
}

void *los_alloc(space *s, size_t size, size_t align, ptrdiff_t offset, int immortal)
{
    los_space *l = (los_space *)s;
    mmtk *heap = s->heap;
    if (align < 64)
        align = 64;
    size_t head = sizeof(los_header) + (((size_t)0 - sizeof(los_header) - (size_t)offset) & (align - 1));
    if (size > SIZE_MAX / 2 - head) {
        errno = ENOMEM;
        return NULL;
    }
    size_t total = head + size;
    void *obj = NULL;
    pthread_mutex_lock(&s->lock);
    pthread_mutex_lock(&heap->mem_lock);
    int ok = heap_may_commit(heap, pow2_at_least(total), 0);
    pthread_mutex_unlock(&heap->mem_lock);
    if (!ok || los_set_reserve(l) != 0)
        goto out;
    void *block = heap_mem_alloc(heap, total, align);
    if (!block)
        goto out;
    size_t got = vmma_get_size(heap->client, block);
    if (got < total)
        got = total;
    obj = (char *)block + head;
    memset(obj, 0, size);
    los_header *h = los_hdr(obj);
    memset(h, 0, sizeof *h);
    h->magic = LOS_MAGIC;
    h->block = block;
    h->size = size;
    h->immortal = immortal != 0;
    h->young = 1;
    h->block_bytes = got;
    h->next = l->objects;
    if (l->objects)
        l->objects->prev = h;
    l->objects = h;
    los_set_put(l->set, l->cap, (uintptr_t)obj);
    l->used++;
    l->live++;
    l->bytes += got;
    pthread_mutex_lock(&heap->mem_lock);
    heap->committed += got;
    pthread_mutex_unlock(&heap->mem_lock);
out:
    pthread_mutex_unlock(&s->lock);
    return obj;
}

space *los_lookup(mmtk *heap, const void *obj)
{
    los_space *l = (los_space *)heap->los;
    if (!l)
        return NULL;
    int in_gc = heap->in_gc;
    if (!in_gc)
        pthread_mutex_lock(&l->base.lock);
    int found = los_set_find(l, (uintptr_t)obj);
    if (!in_gc)
        pthread_mutex_unlock(&l->base.lock);
    return found ? &l->base : NULL;
}

mmtk_object los_find_object(space *s, const void *addr)
{
    los_space *l = (los_space *)s;
    mmtk_object found = NULL;
    pthread_mutex_lock(&s->lock);
    for (los_header *h = l->objects; h; h = h->next) {
        uintptr_t o = (uintptr_t)h + sizeof *h;
        if ((uintptr_t)addr >= o && (uintptr_t)addr < o + (h->size ? h->size : 1)) {
            found = (mmtk_object)o;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

size_t los_bytes(space *s)
{
    return ((los_space *)s)->bytes;
}

static mmtk_object los_trace(space *s, gc_worker *w, mmtk_object obj)
{
    los_header *h = los_hdr(obj);
    if (((los_space *)s)->nursery && !h->young)
        return obj;   /* old: not scanned again by every nursery collection */
    if (__atomic_load_n(&h->mark, __ATOMIC_RELAXED) == 0 &&
        __atomic_exchange_n(&h->mark, 1, __ATOMIC_ACQ_REL) == 0)
        gc_enqueue(w, obj);
    return obj;
}

int los_mark_once(space *s, mmtk_object obj)
{
    (void)s;
    los_header *h = los_hdr(obj);
    if (h->mark)
        return 0;
    h->mark = 1;
    return 1;
}

static int los_is_live(space *s, mmtk_object obj)
{
    return ((los_space *)s)->nursery || los_hdr(obj)->immortal ||
           __atomic_load_n(&los_hdr(obj)->mark, __ATOMIC_ACQUIRE) != 0;
}

void los_set_nursery(space *s, int nursery)
{
    ((los_space *)s)->nursery = nursery;
}

static void los_release(space *s)
{
    los_space *l = (los_space *)s;
    mmtk *heap = s->heap;
    los_header *next;
    for (los_header *h = l->objects; h; h = next) {
        next = h->next;
        if (h->mark || h->immortal || l->nursery) {
            h->mark = 0;
            h->young = 0;
            continue;
        }
        if (h->prev)
            h->prev->next = h->next;
        else
            l->objects = h->next;
        if (h->next)
            h->next->prev = h->prev;
        los_set_remove(l, (uintptr_t)h + sizeof *h);
        l->bytes -= h->block_bytes;
        pthread_mutex_lock(&heap->mem_lock);
        heap->committed -= h->block_bytes;
        pthread_mutex_unlock(&heap->mem_lock);
        h->magic = 0;
        heap_mem_free(heap, h->block);
    }
}

void los_for_each_marked(space *s, void (*fn)(mmtk_object obj, void *arg), void *arg)
{
    for (los_header *h = ((los_space *)s)->objects; h; h = h->next)
        if (h->mark)
            fn((mmtk_object)(h + 1), arg);
}

static void los_clear_marks(space *s)
{
    for (los_header *h = ((los_space *)s)->objects; h; h = h->next)
        h->mark = 0;
}

static int los_is_object(space *s, const void *addr)
{
    return los_set_find((los_space *)s, (uintptr_t)addr);
}

static const space_ops los_ops = {
    .kind = "large",
    .trace = los_trace,
    .is_live = los_is_live,
    .forwarded = space_same_address,
    .prepare = space_nop,
    .release = los_release,
    .clear_marks = los_clear_marks,
    .is_object = los_is_object,
    .find_object = los_find_object,
};

space *los_create(mmtk *heap, const char *name)
{
    los_space *l = heap_mem_alloc(heap, sizeof *l, 16);
    if (!l)
        return NULL;
    memset(l, 0, sizeof *l);
    space_init(&l->base, heap, &los_ops, name);
    return &l->base;
}
