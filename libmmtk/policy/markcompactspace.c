/*
 * policy/markcompactspace.c — the mark-compact space: bump-allocated like a
 * copy space, collected in place by marking and then sliding the live
 * objects down in address order (Lisp-2 order, Compressor-style side
 * tables: no object header is touched).
 *
 * A collection drives it through three modes (plan/markcompact.c):
 *   MC_MARK    the closure marks live objects (MARK bit on the first granule);
 *              conservative roots pin their object for this collection;
 *   forwarding mc_space_forward(), in parallel over compaction groups (see
 *              mc_group): walk the chunks in list order (chunks
 *              holding fixed objects first: see below), regions of
 *              64 granules (one bitmap word, 1 KiB) in address order; set a
 *              FWD bit on every granule of every live object (the live map)
 *              and give each region a base so that the new address of a live
 *              object at granule g of region r is
 *                  base[r] + GRANULE_BYTES * popcount(FWD[r] below g)
 *              (bases live in the chunk's ext area). A region holding a
 *              pinned object (PIN bit: mmtk_pin_object or a conservative
 *              root) or an object that must keep its alignment (LOG bit,
 *              plan_ops.note_aligned) is *fixed*: none of its objects moves,
 *              and the destination fills the room before it, then hops past;
 *   MC_UPDATE  the space's forwarded op returns new addresses: the plan
 *              rewrites every root, field, weak slot and finalizer entry
 *              with it (objects still at their old addresses);
 *   compaction mc_space_compact(), per group too: memmove each live object to its new
 *              address in the same order, rebuild VO bits, drop PIN/LOG bits
 *              of dead objects, set the chunks' cursors and release chunks
 *              left empty. post_copy(from, to) is called after each move;
 *              the old copy may already be partly overwritten (the ranges
 *              overlap when an object slides by less than its size).
 *
 * Invariant of the forwarding walk (what makes memmove in order safe): the
 * destination cursor never passes the source position — every object's new
 * address precedes or equals its old one in (chunk order, address) order,
 * and destinations are handed out in source order. Objects never straddle
 * chunks (they are smaller than the LOS threshold).
 * Outside a collection MARK and FWD bits and the base tables are clear;
 * PIN and LOG bits are set only on live objects' first granules.
 */
#include "mmtk_internal.h"
#include <string.h>

enum { MC_IDLE, MC_MARK, MC_UPDATE };

#define MC_REGION_GRANULES 64                       /* one bitmap word */
#define MC_REGIONS         CHUNK_BITMAP_WORDS
#define MC_FIRST_REGION    ((CHUNK_DATA_OFFSET >> GRANULE_LOG) / MC_REGION_GRANULES)
/* The base of a fixed region is the end of its last object plus MC_FIXED
 * (addresses are granule-aligned, so the low bit marks it). */
#define MC_FIXED           ((uintptr_t)1)
/* chunk->space_data slots during a collection */
#define MC_FIXED_HI        1    /* end of the last fixed region's last object, 0 = none */
#define MC_DEST_END        2    /* end of what compaction puts in this chunk, 0 = nothing */

_Static_assert(MC_REGIONS * sizeof(uintptr_t) <= CHUNK_EXT_BYTES, "region bases must fit in ext");

/* Compaction groups: the chunk list is cut into up to MC_MAX_GROUPS runs
 * of consecutive chunks, one per GC worker, each forwarded and compacted
 * into itself by one work packet (no object crosses a group, so groups
 * share no chunk and need no synchronisation). Each group may end with a
 * partly filled chunk, so a group gets at least MC_GROUP_MIN_CHUNKS. */
#define MC_MAX_GROUPS       16
#define MC_GROUP_MIN_CHUNKS 16

typedef struct mc_group {
    sched_packet base;
    struct mc_space *ms;
    chunk *first;                   /* first chunk, in list order */
    size_t nchunks;
    size_t moving;                  /* forwarding: regions that move */
    uint64_t moved, moved_bytes;    /* compaction: objects moved */
} mc_group;

typedef struct mc_space {
    space base;
    int mode;
    unsigned ngroups;
    mc_group groups[MC_MAX_GROUPS];
    sched_job job;
} mc_space;

/* Where the next region's live objects go, and the next fixed region in
 * that chunk at or after it ([ob_lo, ob_hi), ob_lo 0 = none) while
 * ob_valid. */
typedef struct mc_dest {
    chunk *c;
    uintptr_t at;
    uintptr_t ob_lo, ob_hi;
    int ob_valid;
} mc_dest;

static inline uintptr_t *mc_bases(chunk *c)
{
    return (uintptr_t *)(void *)c->ext;
}

static inline uint64_t mc_below(size_t g)
{
    return ((uint64_t)1 << (g & 63)) - 1;
}

/* Bits set in x. Without -mpopcnt __builtin_popcountll is a libgcc call;
 * this is a handful of inline instructions either way. */
static inline unsigned mc_popcount(uint64_t x)
{
#ifdef __POPCNT__
    return (unsigned)__builtin_popcountll(x);
#else
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
#endif
}

/* The new address of live object obj (valid from forwarding to compaction). */
static inline mmtk_object mc_new_address(mmtk_object obj)
{
    chunk *c = chunk_of(obj);
    size_t g = chunk_granule(obj), r = g / MC_REGION_GRANULES;
    uintptr_t b = mc_bases(c)[r];
    if (b & MC_FIXED)
        return obj;
    unsigned n = mc_popcount(c->bits[META_FWD][r] & mc_below(g));
    return (mmtk_object)(b + ((uintptr_t)n << GRANULE_LOG));
}

/* ---------------------------------------------------------------- */
/* Trace ops                                                          */

static mmtk_object mc_trace(space *s, gc_worker *w, mmtk_object obj)
{
    return space_mark_trace(s, w, obj);
}

static mmtk_object mc_forwarded(space *s, mmtk_object obj)
{
    return ((mc_space *)s)->mode == MC_UPDATE ? mc_new_address(obj) : obj;
}

/* A conservative root: pin obj for this collection (gc.c unpins it after
 * release), so its region is fixed. */
static mmtk_object mc_trace_pinned(space *s, gc_worker *w, mmtk_object obj)
{
    if (((mc_space *)s)->mode == MC_MARK && meta_pin(obj))
        gc_note_transient_pin(w->heap, obj);
    return mc_trace(s, w, obj);
}

/* ---------------------------------------------------------------- */
/* Forwarding                                                         */

static void mc_set_range(chunk *c, int map, size_t g, size_t n)
{
    while (n) {
        size_t bit = g & 63, take = 64 - bit < n ? 64 - bit : n;
        uint64_t m = take == 64 ? ~(uint64_t)0 : (((uint64_t)1 << take) - 1) << bit;
        c->bits[map][g >> 6] |= m;
        g += take;
        n -= take;
    }
}

/* The first fixed region of d's chunk that ends after d->at. Regions not
 * forwarded yet have base 0: the only ones are in the chunk being scanned,
 * beyond the source, which the destination never reaches. */
static void mc_dest_obstacle(mc_dest *d)
{
    chunk *c = d->c;
    const uintptr_t *bases = mc_bases(c);
    d->ob_lo = d->ob_hi = 0;
    d->ob_valid = 1;
    for (size_t r = chunk_granule((void *)d->at) / MC_REGION_GRANULES; r < MC_REGIONS; r++) {
        uintptr_t end = bases[r] & ~MC_FIXED;
        if (!(bases[r] & MC_FIXED) || end <= d->at)
            continue;
        size_t g = r * MC_REGION_GRANULES + (size_t)__builtin_ctzll(c->bits[META_MARK][r]);
        d->ob_lo = (uintptr_t)c + (g << GRANULE_LOG);
        d->ob_hi = end;
        return;
    }
}

/* Move d to a place that holds `bytes`: before the next fixed region of
 * its chunk, else past it, else into the next chunk. Never past chunk
 * `src` (the region's own place fits). */
static void mc_dest_fit(mc_dest *d, size_t bytes, chunk *src)
{
    for (;;) {
        if (!d->ob_valid)
            mc_dest_obstacle(d);
        uintptr_t limit = d->ob_lo ? d->ob_lo : chunk_end(d->c);
        if (d->at + bytes <= limit)
            return;
        if (d->ob_lo) {
            d->at = d->ob_hi;
        } else {
            if (d->c == src)
                return;   /* unreachable: a region fits where it already is */
            d->c = d->c->next;
            d->at = chunk_data_start(d->c);
        }
        d->ob_valid = 0;
    }
}

/* Live map and base for region r of chunk c; advances d. Returns 1 when
 * the region's objects move. */
static int mc_forward_region(mmtk *heap, chunk *c, size_t r, mc_dest *d)
{
    uint64_t starts = c->bits[META_MARK][r];
    uintptr_t *bases = mc_bases(c);
    int fixed = (starts & (c->bits[META_PIN][r] | c->bits[META_LOG][r])) != 0;
    size_t total = 0, first_g = r * MC_REGION_GRANULES + (size_t)__builtin_ctzll(starts);
    uintptr_t first = (uintptr_t)c + (first_g << GRANULE_LOG), last_end = first;
    for (uint64_t bits = starts; bits; bits &= bits - 1) {
        size_t g = r * MC_REGION_GRANULES + (size_t)__builtin_ctzll(bits);
        uintptr_t obj = (uintptr_t)c + (g << GRANULE_LOG);
        size_t size = gc_object_size(heap, (mmtk_object)obj);
        mc_set_range(c, META_FWD, g, size >> GRANULE_LOG);
        total += size;
        last_end = obj + size;
    }
    if (fixed) {
        bases[r] = last_end | MC_FIXED;
        c->space_data[MC_FIXED_HI] = last_end;
        if (d->c == c)
            d->ob_valid = 0;   /* a new obstacle ahead of the destination */
        return 0;
    }
    mc_dest_fit(d, total, c);
    int moves = d->at != first || total != last_end - first;
    unsigned before = mc_popcount(c->bits[META_FWD][r] & mc_below(first_g));
    bases[r] = d->at - ((uintptr_t)before << GRANULE_LOG);
    d->at += total;
    d->c->space_data[MC_DEST_END] = d->at;
    return moves;
}

static void mc_forward_group(sched_packet *packet, sched_worker *sw)
{
    (void)sw;
    mc_group *g = (mc_group *)packet;
    mmtk *heap = g->ms->base.heap;
    mc_dest d = { .c = g->first, .at = chunk_data_start(g->first) };
    chunk *c = g->first;
    g->moving = 0;
    for (size_t i = 0; i < g->nchunks; i++, c = c->next)
        for (size_t r = MC_FIRST_REGION; r < MC_REGIONS; r++)
            if (c->bits[META_MARK][r])
                g->moving += (size_t)mc_forward_region(heap, c, r, &d);
}

/* Cut the chunk list into groups: one per worker, each big enough. */
static void mc_make_groups(mc_space *ms)
{
    space *s = &ms->base;
    size_t n = s->nchunks, k = s->heap->nworkers;
    if (k > n / MC_GROUP_MIN_CHUNKS)
        k = n / MC_GROUP_MIN_CHUNKS;
    if (k > MC_MAX_GROUPS)
        k = MC_MAX_GROUPS;
    if (k < 1)
        k = 1;
    chunk *c = s->chunks;
    for (size_t g = 0; g < k; g++) {
        size_t len = (g + 1) * n / k - g * n / k;
        ms->groups[g] = (mc_group){ .ms = ms, .first = c, .nchunks = len };
        for (size_t i = 0; i < len; i++)
            c = c->next;
    }
    ms->ngroups = (unsigned)k;
}

/* Run fn on every group: inline for one, else as packets on the GC workers. */
static void mc_run_groups(mc_space *ms, sched_work_fn fn)
{
    if (ms->ngroups == 1) {
        fn(&ms->groups[0].base, NULL);
        return;
    }
    sched_job_init(&ms->job, ms->base.heap->nworkers, ms);
    for (unsigned g = 0; g < ms->ngroups; g++) {
        ms->groups[g].base.run = fn;
        sched_push(&ms->job, NULL, SCHED_CLOSURE, &ms->groups[g].base);
    }
    sched_run(&ms->job);
}

/* Chunks holding fixed objects first: they can never go back to the
 * client, so the destination should fill the room around their objects
 * before it takes a chunk that could otherwise be emptied. */
static void mc_fixed_chunks_first(space *s)
{
    chunk *head = NULL, *tail = NULL;
    for (chunk *c = s->chunks, *next; c; c = next) {
        next = c->next;
        int fixed = 0;
        for (size_t r = MC_FIRST_REGION; r < MC_REGIONS && !fixed; r++)
            fixed = (c->bits[META_MARK][r] & (c->bits[META_PIN][r] | c->bits[META_LOG][r])) != 0;
        if (!fixed)
            continue;
        if (c->prev)   /* unlink */
            c->prev->next = c->next;
        else
            s->chunks = c->next;
        if (c->next)
            c->next->prev = c->prev;
        c->prev = tail;
        c->next = NULL;
        if (tail)
            tail->next = c;
        else
            head = c;
        tail = c;
    }
    if (!head)
        return;
    tail->next = s->chunks;
    if (s->chunks)
        s->chunks->prev = tail;
    s->chunks = head;
}

size_t mc_space_forward(space *s)
{
    mc_space *ms = (mc_space *)s;
    ms->mode = MC_UPDATE;
    ms->ngroups = 0;
    if (!s->chunks)
        return 0;
    mc_fixed_chunks_first(s);
    mc_make_groups(ms);
    mc_run_groups(ms, mc_forward_group);
    size_t moving = 0;
    for (unsigned g = 0; g < ms->ngroups; g++)
        moving += ms->groups[g].moving;
    return moving;
}

/* ---------------------------------------------------------------- */
/* Compaction                                                         */

/* Bytes of the live object starting at granule g, read off the live map:
 * its FWD run ends at the first clear FWD bit or the next live start. */
static size_t mc_live_size(const chunk *c, size_t g)
{
    size_t n = 1;
    for (size_t i = g + 1; i < CHUNK_GRANULES;) {
        size_t w = i >> 6, bit = i & 63, avail = 64 - bit;
        uint64_t stop = (~c->bits[META_FWD][w] | c->bits[META_MARK][w]) >> bit;
        if (stop) {
            n += (size_t)__builtin_ctzll(stop);
            break;
        }
        n += avail;
        i += avail;
    }
    return n << GRANULE_LOG;
}

/* Slide chunk c's live objects (MARK bits, as the closure set them) to
 * their new addresses. */
static void mc_compact_chunk(mmtk *heap, chunk *c, uint64_t *moved, uint64_t *moved_bytes)
{
    for (size_t r = 0; r < MC_REGIONS; r++) {
        uint64_t live = c->bits[META_MARK][r];
        c->bits[META_PIN][r] &= live;   /* dead objects' bits go; fixed objects keep theirs */
        c->bits[META_LOG][r] &= live;
        c->bits[META_VO][r] = 0;        /* set again below, at each new address */
    }
    for (size_t r = MC_FIRST_REGION; r < MC_REGIONS; r++) {
        for (uint64_t bits = c->bits[META_MARK][r]; bits; bits &= bits - 1) {
            size_t g = r * MC_REGION_GRANULES + (size_t)__builtin_ctzll(bits);
            mmtk_object obj = (mmtk_object)((uintptr_t)c + (g << GRANULE_LOG));
            mmtk_object to = mc_new_address(obj);
            if (to != obj) {
                size_t size = mc_live_size(c, g);
                MMTK_ASSERT(size == gc_object_size(heap, obj));
                memmove(to, obj, size);
                if (heap->binding.post_copy)
                    heap->binding.post_copy(heap->vm, obj, to);
                (*moved)++;
                *moved_bytes += size;
            }
            meta_set(to, META_VO);
        }
    }
}

static void mc_compact_group(sched_packet *packet, sched_worker *sw)
{
    (void)sw;
    mc_group *g = (mc_group *)packet;
    mmtk *heap = g->ms->base.heap;
    chunk *c = g->first;
    g->moved = g->moved_bytes = 0;
    for (size_t i = 0; i < g->nchunks; i++, c = c->next)
        mc_compact_chunk(heap, c, &g->moved, &g->moved_bytes);
}

void mc_space_compact(space *s)
{
    mc_space *ms = (mc_space *)s;
    mmtk *heap = s->heap;
    uint64_t moved = 0, moved_bytes = 0;
    if (ms->ngroups)
        mc_run_groups(ms, mc_compact_group);
    for (unsigned g = 0; g < ms->ngroups; g++) {
        moved += ms->groups[g].moved;
        moved_bytes += ms->groups[g].moved_bytes;
    }
    /* New cursors; chunks that hold nothing go back to the client. Bump
     * buffers continue in the chunk with the most room left. */
    chunk *roomiest = NULL;
    for (chunk *c = s->chunks, *next; c; c = next) {
        next = c->next;
        uintptr_t end = c->space_data[MC_DEST_END], hi = c->space_data[MC_FIXED_HI];
        if (hi > end)
            end = hi;
        if (!end) {
            space_release_chunk(s, c);
            continue;
        }
        /* bump buffers start on ALLOC_TLAB_ALIGN (no shared VO word) */
        end = (end + ALLOC_TLAB_ALIGN - 1) & ~(uintptr_t)(ALLOC_TLAB_ALIGN - 1);
        c->cursor = end < chunk_end(c) ? end : chunk_end(c);
        if (!roomiest || chunk_end(c) - c->cursor > chunk_end(roomiest) - roomiest->cursor)
            roomiest = c;
    }
    s->bump_chunk = roomiest;
    pthread_mutex_lock(&heap->stats_lock);
    heap->stats.objects_copied += moved;
    heap->stats.bytes_copied += moved_bytes;
    pthread_mutex_unlock(&heap->stats_lock);
}

/* ---------------------------------------------------------------- */
/* Prepare, release                                                   */

static void mc_prepare(space *s)
{
    ((mc_space *)s)->mode = MC_MARK;
}

static void mc_release(space *s)
{
    for (chunk *c = s->chunks; c; c = c->next) {
        chunk_clear_map(c, META_MARK);
        chunk_clear_map(c, META_FWD);
        memset(mc_bases(c), 0, MC_REGIONS * sizeof(uintptr_t));
        c->space_data[MC_FIXED_HI] = c->space_data[MC_DEST_END] = 0;
    }
    ((mc_space *)s)->mode = MC_IDLE;
}

static const space_ops mc_ops = {
    .kind = "markcompact",
    .trace = mc_trace,
    .trace_pinned = mc_trace_pinned,
    .is_live = space_mark_is_live,
    .forwarded = mc_forwarded,
    .prepare = mc_prepare,
    .release = mc_release,
    .clear_marks = space_clear_marks,
    .is_object = space_vo_is_object,
    .find_object = space_vo_find_object,
};

space *mc_space_create(mmtk *heap, const char *name)
{
    mc_space *ms = heap_mem_alloc(heap, sizeof *ms, 16);
    if (!ms)
        return NULL;
    space_init(&ms->base, heap, &mc_ops, name);
    ms->base.movable = 1;
    ms->mode = MC_IDLE;
    return &ms->base;
}
