/*
 * heap/chunk.h — chunks and the side metadata that lives in them.
 *
 * The heap takes memory from its vmma client in *chunks*: CHUNK_BYTES
 * regions aligned to CHUNK_BYTES, so `addr & ~CHUNK_MASK` finds the chunk of
 * any address inside it. The first CHUNK_META_BYTES of every chunk (its
 * page 0) hold the chunk header and all side metadata for the rest of the
 * chunk; objects live in [CHUNK_DATA_OFFSET, CHUNK_BYTES).
 *
 * Side metadata is one bit per 16-byte granule per map (mark, valid-object,
 * forwarded, pin, log), kept as arrays of 64-bit words. Every object starts
 * on a granule and occupies a whole number of granules (mmtk_alloc rounds
 * sizes up to GRANULE_BYTES), so a bit names exactly one object.
 *
 * Invariants:
 *  - a chunk belongs to exactly one space for its whole life (chunk->space);
 *  - a chunk is in the heap's chunk table iff it is live in some space, so
 *    chunk_lookup(heap, p) != NULL proves p lies in one of the heap's chunks;
 *  - outside a collection every MARK and FWD bit is clear;
 *  - VO is set exactly on the first granule of every allocated object.
 * Bits are set with __atomic read-modify-writes where GC workers may race
 * (mark, fwd, pin); VO bits are set plainly by the one thread that owns the
 * allocation buffer (buffers never share a bitmap word: see ALLOC_TLAB_ALIGN).
 */
#ifndef MMTK_HEAP_CHUNK_H
#define MMTK_HEAP_CHUNK_H

#include <stddef.h>
#include <stdint.h>

struct mmtk;
struct space;

#define CHUNK_LOG            18
#define CHUNK_BYTES          ((size_t)1 << CHUNK_LOG)          /* 256 KiB */
#define CHUNK_MASK           ((uintptr_t)CHUNK_BYTES - 1)
#define GRANULE_LOG          4
#define GRANULE_BYTES        ((size_t)1 << GRANULE_LOG)        /* 16 B */
#define CHUNK_GRANULES       (CHUNK_BYTES >> GRANULE_LOG)      /* 16384 */
#define CHUNK_BITMAP_WORDS   (CHUNK_GRANULES / 64)             /* 256 words = 2 KiB per map */
#define CHUNK_PAGE_LOG       14
#define CHUNK_PAGE_BYTES     ((size_t)1 << CHUNK_PAGE_LOG)     /* 16 KiB */
#define CHUNK_PAGES          (CHUNK_BYTES / CHUNK_PAGE_BYTES)  /* 16; page 0 is metadata */
#define CHUNK_META_BYTES     CHUNK_PAGE_BYTES
#define CHUNK_DATA_OFFSET    CHUNK_META_BYTES
#define CHUNK_DATA_BYTES     (CHUNK_BYTES - CHUNK_DATA_OFFSET)
#define CHUNK_EXT_BYTES      2048   /* free for a space's own per-chunk metadata (e.g. Immix line marks) */
#define CHUNK_MAGIC          0x6d6d746b43484e4bULL  /* "mmtkCHNK" */

/* Side metadata maps, one bit per granule. */
enum meta_map {
    META_MARK,   /* reached in the current collection (or claimed for copying) */
    META_VO,     /* valid object: an allocated object starts here */
    META_FWD,    /* forwarded: the old copy's first word holds the new address */
    META_PIN,    /* pinned: never moves */
    META_LOG,    /* reserved for the generational barrier's unlogged bit */
    META_NONMOVING, /* allocated NON_MOVING/CODE in a movable space: PIN for good */
    META_MAPS
};

/* Per-page state, interpreted by the page's space (mark-sweep size classes,
 * Immix block state ...). Pages are CHUNK_PAGE_BYTES; page 0 is metadata. */
typedef struct chunk_page {
    void *free;                  /* free list of cells (mark-sweep) */
    struct chunk_page *next;     /* link in the owning space's page lists */
    uint32_t cls;                /* size class, or space-defined state */
    uint32_t live;               /* live cells after the last sweep */
    uint64_t aux;                /* space-defined */
} chunk_page;

typedef struct chunk {
    uint64_t magic;
    struct space *space;         /* the space that owns every byte of data */
    struct chunk *next, *prev;   /* the space's chunk list */
    uintptr_t cursor;            /* bump spaces: first unallocated data byte */
    uint32_t flags;              /* space-defined */
    uint32_t pages_used;         /* page spaces: pages in use */
    uint32_t pin_hint;           /* nonzero once any PIN bit was set here (meta_pin) */
    uint32_t overflow;           /* atomic: an object here was reached with no trace packet for it (gc.c) */
    uintptr_t space_data[4];     /* space-defined */
    chunk_page page[CHUNK_PAGES];
    uint64_t bits[META_MAPS][CHUNK_BITMAP_WORDS] __attribute__((aligned(64)));
    uint8_t ext[CHUNK_EXT_BYTES] __attribute__((aligned(64)));
} chunk;

_Static_assert(sizeof(chunk) <= CHUNK_META_BYTES, "chunk metadata must fit in page 0");

static inline chunk *chunk_of(const void *p)
{
    return (chunk *)((uintptr_t)p & ~CHUNK_MASK);
}
static inline size_t chunk_granule(const void *p)
{
    return ((uintptr_t)p & CHUNK_MASK) >> GRANULE_LOG;
}
static inline uintptr_t chunk_data_start(const chunk *c)
{
    return (uintptr_t)c + CHUNK_DATA_OFFSET;
}
static inline uintptr_t chunk_end(const chunk *c)
{
    return (uintptr_t)c + CHUNK_BYTES;
}
static inline uint64_t *meta_word(const void *p, int map)
{
    size_t g = chunk_granule(p);
    return &chunk_of(p)->bits[map][g >> 6];
}
static inline uint64_t meta_bit(const void *p)
{
    return (uint64_t)1 << (chunk_granule(p) & 63);
}

/* Owner access: only the thread that owns the word (or the collector,
 * world stopped) writes it, as a plain read-modify-write; but other
 * mutators may read it meanwhile (mmtk_is_mmtk_object on an old object
 * whose VO word a new buffer shares), so loads and stores are relaxed
 * atomics (plain moves on common hardware, no data race in C11's model). */
static inline int meta_test(const void *p, int map)
{
    return (__atomic_load_n(meta_word(p, map), __ATOMIC_RELAXED) & meta_bit(p)) != 0;
}
static inline void meta_set(const void *p, int map)
{
    uint64_t *w = meta_word(p, map);
    __atomic_store_n(w, __atomic_load_n(w, __ATOMIC_RELAXED) | meta_bit(p), __ATOMIC_RELAXED);
}
static inline void meta_clear(const void *p, int map)
{
    uint64_t *w = meta_word(p, map);
    __atomic_store_n(w, __atomic_load_n(w, __ATOMIC_RELAXED) & ~meta_bit(p), __ATOMIC_RELAXED);
}

/* Atomic access: GC workers racing on the same word. */
static inline int meta_test_acquire(const void *p, int map)
{
    return (__atomic_load_n(meta_word(p, map), __ATOMIC_ACQUIRE) & meta_bit(p)) != 0;
}
/* Set the bit; 1 when this call set it (it was clear). */
static inline int meta_set_atomic(const void *p, int map)
{
    uint64_t b = meta_bit(p);
    uint64_t *w = meta_word(p, map);
    if (__atomic_load_n(w, __ATOMIC_RELAXED) & b)
        return 0;
    return (__atomic_fetch_or(w, b, __ATOMIC_ACQ_REL) & b) == 0;
}
/* meta_set_atomic for a tracer that is alone (one worker, world stopped):
 * a plain read-modify-write, no locked instruction. */
static inline int meta_set_alone(const void *p, int map)
{
    uint64_t b = meta_bit(p), *w = meta_word(p, map), v = __atomic_load_n(w, __ATOMIC_RELAXED);
    if (v & b)
        return 0;
    __atomic_store_n(w, v | b, __ATOMIC_RELAXED);
    return 1;
}
static inline void meta_set_release(const void *p, int map)
{
    __atomic_fetch_or(meta_word(p, map), meta_bit(p), __ATOMIC_RELEASE);
}
/* Pin p: PIN bit set (atomically; 1 when this call set it), and the chunk's
 * pin_hint, set first, so that a tracer that finds the hint clear may skip
 * reading the PIN map (copyspace.c). The hint is never cleared while the
 * chunk lives: it is a hint, not a count. */
static inline int meta_pin(const void *p)
{
    uint32_t *hint = &chunk_of(p)->pin_hint;
    if (!__atomic_load_n(hint, __ATOMIC_RELAXED))
        __atomic_store_n(hint, 1, __ATOMIC_RELAXED);
    return meta_set_atomic(p, META_PIN);
}
/* Whether p is pinned, reading the PIN map only when p's chunk has ever
 * had a pin. */
static inline int meta_pinned(const void *p)
{
    return __atomic_load_n(&chunk_of(p)->pin_hint, __ATOMIC_RELAXED) && meta_test_acquire(p, META_PIN);
}
/* Clear the bit; 1 when this call cleared it. */
static inline int meta_clear_atomic(const void *p, int map)
{
    uint64_t b = meta_bit(p);
    return (__atomic_fetch_and(meta_word(p, map), ~b, __ATOMIC_ACQ_REL) & b) != 0;
}

/* Clear one map over a whole chunk. */
void chunk_clear_map(chunk *c, int map);
/* The start of the object (VO bit) at or before p within p's chunk, or 0. */
uintptr_t chunk_vo_find_before(const void *p);

/* ---- The heap's chunk table: which chunk-aligned addresses are ours. ----
 * Open addressing over chunk addresses, sized once for the heap's maximum
 * so it never moves: GC workers read it without a lock while another worker
 * inserts a new to-space chunk. Inserts and removals hold the heap's mem
 * lock; removals happen only while mutators are stopped or under that lock. */
typedef struct chunk_table {
    uintptr_t *slots;   /* 0 = empty, 1 = tombstone, else a chunk address */
    size_t cap;         /* power of two */
    size_t used;        /* live + tombstones */
    size_t live;
} chunk_table;

static inline size_t chunk_table_hash(uintptr_t key, size_t cap)
{
    uint64_t h = (uint64_t)(key >> CHUNK_LOG) * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 32) & (cap - 1);
}

static inline chunk *chunk_table_find(const chunk_table *t, const void *p)
{
    uintptr_t *slots = __atomic_load_n(&t->slots, __ATOMIC_ACQUIRE);
    if (!slots)
        return NULL;
    uintptr_t key = (uintptr_t)p & ~CHUNK_MASK;
    size_t mask = t->cap - 1;
    for (size_t i = chunk_table_hash(key, t->cap), n = 0; n <= mask; i = (i + 1) & mask, n++) {
        uintptr_t v = __atomic_load_n(&slots[i], __ATOMIC_ACQUIRE);
        if (v == key)
            return (chunk *)key;
        if (v == 0)
            return NULL;
    }
    return NULL;
}

/* Chunk acquisition and release (heap/chunk.c). `for_gc` skips the heap
 * budget check (a collection copying into to-space); every chunk still
 * comes from the heap's client and so stays under its limit. */
chunk *chunk_acquire(struct mmtk *heap, struct space *space, int for_gc);
/* c goes back to the client, or to the heap's chunk cache (chunk.c). */
void   chunk_release(struct mmtk *heap, chunk *c);
/* Give cached chunks back to the client until at most `keep` bytes stay
 * cached. mem_lock held. */
void   chunk_cache_trim(struct mmtk *heap, size_t keep);
int    chunk_table_reserve(struct mmtk *heap, size_t max_chunks);

#endif /* MMTK_HEAP_CHUNK_H */
