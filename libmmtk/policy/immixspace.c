/*
 * policy/immixspace.c — the Immix space: block supply for its allocators,
 * tracing (mark in place, or evacuate from defragmentation candidates), and
 * the release sweep that turns marks into free lines, recyclable blocks and
 * free chunks. The design and the line/block states are in immixspace.h.
 *
 * Owns: each of its chunks' immix_meta, and the space's block cursors
 * (under s->lock). Invariant kept: after release, line states say exactly
 * which lines hold live objects (LIVE) and which are FREE; block states and
 * figures agree with them; MARK and FWD are clear; VO, PIN and LOG bits are
 * only on survivors.
 *
 * Evacuation protocol (candidate blocks, full defragmenting collections):
 * the worker that sets the MARK bit decides. Copying, it writes the new
 * address into the old copy's first word and sets FWD (release); staying,
 * it sets the LOG bit (release) — candidates' LOG bits are cleared at
 * prepare and serve as the "stays in place" flag during the closure. A
 * worker that loses the MARK race waits for one of the two. Outside
 * candidate blocks, the MARK winner enqueues the object; losers return.
 * Lines are marked when an object is scanned (immix_scanned, the plan's
 * scanned hook), where its size is read anyway; copies' lines are marked
 * by their copy allocator (immix_alloc.c, copy_done).
 *
 * Nursery collections (full == 0) leave untouched chunks alone: a chunk no
 * allocator took a block from since the last release holds no young line
 * and no mark, so its figures stand.
 */
#include "mmtk_internal.h"
#include "policy/immixspace.h"
#include <string.h>

typedef struct immix_space {
    space base;
    int may_move;          /* defragmentation allowed at all */
    int full;              /* the running collection marks this space */
    int defrag;            /* ... and evacuates candidate blocks */
    int sticky;            /* nursery collections trace YOUNG/SURVIVOR lines */
    int log_survivors;     /* survivors end the collection unlogged */
    int defrag_chunks;     /* defragmentation empties whole chunks */
    int copy_slot;
    /* block cursors (s->lock) */
    chunk *reuse_chunk, *clean_chunk;
    unsigned reuse_block, clean_block;
    /* figures */
    size_t young_bytes;    /* atomic: taken by mutator allocators since the last GC */
    size_t young_limit;    /* mutators collect when young_bytes reaches it (0: never) */
    size_t free_bytes;     /* free lines after the last release */
    size_t frag_bytes;     /* free lines in recyclable blocks after the last release */
    uint64_t evacuated;    /* atomic: objects copied out of candidates by the running/last GC */
} immix_space;

#define IMMIX_CHUNK_TOUCHED 1u   /* chunk->flags: a block was taken since the last release */

static immix_space *immix(space *s)
{
    return (immix_space *)s;
}

/* ---------------------------------------------------------------- */
/* Block supply                                                       */

static void immix_chunk_init(chunk *c)
{
    immix_meta *m = (immix_meta *)c->ext;
    memset(m->line, LINE_META, IMMIX_FIRST_LINE);
    for (size_t b = 0; b < IMMIX_CHUNK_BLOCKS; b++)
        m->state[b] = BLOCK_FREE;
}

/* Find a block in `state` from the cursor on; s->lock held. */
static uintptr_t immix_scan_blocks(chunk **cur, unsigned *blk, uint8_t state)
{
    for (chunk *c = *cur; c; c = c->next, *blk = 0) {
        immix_meta *m = (immix_meta *)c->ext;
        for (unsigned b = *blk; b < IMMIX_CHUNK_BLOCKS; b++) {
            if (m->state[b] == state && !m->candidate[b]) {
                m->state[b] = BLOCK_USED;
                c->flags |= IMMIX_CHUNK_TOUCHED;
                *cur = c;
                *blk = b + 1;
                return (uintptr_t)c + ((uintptr_t)b << IMMIX_BLOCK_LOG);
            }
        }
    }
    *cur = NULL;
    *blk = 0;
    return 0;
}

uintptr_t immix_take_block(space *s, int recyclable, int for_gc)
{
    immix_space *is = immix(s);
    uintptr_t b = 0;
    pthread_mutex_lock(&s->lock);
    if (recyclable && is->reuse_chunk)
        b = immix_scan_blocks(&is->reuse_chunk, &is->reuse_block, BLOCK_RECYCLABLE);
    if (!b && is->clean_chunk)
        b = immix_scan_blocks(&is->clean_chunk, &is->clean_block, BLOCK_FREE);
    if (!b) {
        chunk *c = space_acquire_chunk(s, for_gc);
        if (c) {
            immix_chunk_init(c);
            ((immix_meta *)c->ext)->state[0] = BLOCK_USED;
            c->flags |= IMMIX_CHUNK_TOUCHED;
            is->clean_chunk = c;
            is->clean_block = 1;
            b = (uintptr_t)c;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return b;
}

int immix_note_young(space *s, size_t bytes)
{
    immix_space *is = immix(s);
    size_t now = __atomic_add_fetch(&is->young_bytes, bytes, __ATOMIC_RELAXED);
    return is->young_limit && now > is->young_limit;
}

int immix_young_exhausted(space *s)
{
    immix_space *is = immix(s);
    return is->young_limit && __atomic_load_n(&is->young_bytes, __ATOMIC_RELAXED) >= is->young_limit;
}

/* ---------------------------------------------------------------- */
/* Tracing                                                            */

static mmtk_object immix_trace(space *s, gc_worker *w, mmtk_object obj);

/* Its lines are marked when it is scanned (immix_scanned): the object
 * itself is not touched here, only side metadata. */
static void immix_mark_in_place(immix_space *is, gc_worker *w, mmtk_object obj)
{
    if (is->log_survivors)
        meta_set_atomic(obj, META_LOG);
    gc_enqueue(w, obj);
}

void immix_scanned(gc_worker *w, mmtk_object obj, size_t size)
{
    /* the worker's last scanned chunk: neighbours mostly share one */
    chunk *c = chunk_of(obj);
    if (c != w->scan_chunk) {
        if (!chunk_table_find(&w->heap->chunks, obj))
            return;   /* a large object */
        w->scan_chunk = c;
    }
    if (c->space->ops->trace != immix_trace)
        return;
    immix_space *is = immix(c->space);
    if (is->full)
        immix_mark_lines(obj, size, LINE_LIVE);
    else if (is->sticky)
        immix_mark_lines(obj, size, LINE_SURVIVOR);
    /* else: a promoted copy in a mature space: copy_done marks its lines */
}

/* A candidate block's object: copy it out, or mark it where it is. */
static mmtk_object immix_evacuate(immix_space *is, gc_worker *w, mmtk_object obj)
{
    if (!meta_set_atomic(obj, META_MARK)) {
        for (;;) {
            if (meta_test_acquire(obj, META_FWD))
                return *(mmtk_object *)obj;
            if (meta_test_acquire(obj, META_LOG))
                return obj;
            gc_spin_pause();
        }
    }
    mmtk *heap = is->base.heap;
    size_t size = gc_object_size(heap, obj);
    immix_allocator *ia = (immix_allocator *)&w->copy[is->copy_slot].a;
    if (!meta_test_acquire(obj, META_PIN) && ia->base.space == &is->base && ia->evac_left >= size) {
        ia->evac_left -= size;
        void *to = ia->base.ops->alloc(&ia->base, size, GRANULE_BYTES, 0);
        if (!to)
            goto stay;   /* no chunk to be had: opportunistic means optional */
        gc_copy_bytes(to, obj, size);
        if (heap->binding.post_copy)
            heap->binding.post_copy(heap->vm, obj, to);
        /* the copy allocator marked the copy and its lines */
        *(mmtk_object *)obj = to;
        meta_set_release(obj, META_FWD);
        __atomic_add_fetch(&is->evacuated, 1, __ATOMIC_RELAXED);
        w->objects_copied++;
        w->bytes_copied += size;
        gc_enqueue(w, to);
        return to;
    }
stay:
    meta_set_release(obj, META_LOG);
    gc_enqueue(w, obj);
    return obj;
}

static mmtk_object immix_trace(space *s, gc_worker *w, mmtk_object obj)
{
    immix_space *is = immix(s);
    if (!is->full) {
        if (!is->sticky)
            return obj;   /* mature space of a nursery collection */
        if (__atomic_load_n(&immix_meta_of(obj)->line[immix_line_index(obj)], __ATOMIC_RELAXED) == LINE_LIVE)
            return obj;   /* old */
        if (gc_mark(s->heap, obj))
            immix_mark_in_place(is, w, obj);
        return obj;
    }
    if (is->defrag && immix_meta_of(obj)->candidate[immix_block_index(obj)])
        return immix_evacuate(is, w, obj);
    if (gc_mark(s->heap, obj))
        immix_mark_in_place(is, w, obj);
    return obj;
}

/* A conservative root: pinned for this collection (gc.c unpins it). */
static mmtk_object immix_trace_pinned(space *s, gc_worker *w, mmtk_object obj)
{
    if (meta_pin(obj))
        gc_note_transient_pin(w->heap, obj);
    return immix_trace(s, w, obj);
}

static int immix_is_live(space *s, mmtk_object obj)
{
    immix_space *is = immix(s);
    if (!is->full) {
        if (!is->sticky || immix_meta_of(obj)->line[immix_line_index(obj)] == LINE_LIVE)
            return 1;
    }
    return meta_test_acquire(obj, META_MARK);
}

static mmtk_object immix_forwarded(space *s, mmtk_object obj)
{
    (void)s;
    if (meta_test_acquire(obj, META_FWD))
        return *(mmtk_object *)obj;
    return obj;
}

/* ---------------------------------------------------------------- */
/* Prepare: choose defragmentation candidates, clear line marks        */

/* Candidates: blocks that had survivors, emptiest first, until their live
 * lines add up to the headroom a collection may copy. */
static void immix_choose_candidates(immix_space *is)
{
    size_t hist[IMMIX_LINES_PER_BLOCK + 1] = { 0 };
    for (chunk *c = is->base.chunks; c; c = c->next) {
        immix_meta *m = (immix_meta *)c->ext;
        for (size_t b = 0; b < IMMIX_CHUNK_BLOCKS; b++)
            if (m->holes[b] >= 2)
                hist[m->live_lines[b]]++;
    }
    size_t budget_lines = immix_space_headroom(&is->base) / IMMIX_LINE_BYTES, sum = 0;
    int threshold = -1;
    for (int l = 1; l <= (int)IMMIX_LINES_PER_BLOCK * 3 / 4; l++) {
        if (sum + hist[l] * (size_t)l > budget_lines)
            break;
        sum += hist[l] * (size_t)l;
        threshold = l;
    }
    is->defrag = threshold > 0;
    for (chunk *c = is->base.chunks; is->defrag && c; c = c->next) {
        immix_meta *m = (immix_meta *)c->ext;
        for (size_t b = 0; b < IMMIX_CHUNK_BLOCKS; b++) {
            if (m->holes[b] < 2 || m->live_lines[b] == 0 || m->live_lines[b] > threshold)
                continue;
            m->candidate[b] = 1;
            /* LOG bits of a candidate are the "stays" flags (file comment) */
            uintptr_t start = (uintptr_t)c + (b << IMMIX_BLOCK_LOG);
            size_t w0 = ((start & CHUNK_MASK) >> GRANULE_LOG) >> 6;
            memset(&c->bits[META_LOG][w0], 0, (IMMIX_BLOCK_BYTES >> GRANULE_LOG) / 8);
        }
    }
}

/* Live lines of chunk c after the last release. */
static size_t immix_chunk_live_lines(const immix_meta *m)
{
    size_t live = 0;
    for (size_t b = 0; b < IMMIX_CHUNK_BLOCKS; b++)
        live += m->live_lines[b];
    return live;
}

/* Candidates by chunk (immix_space_set_defrag_chunks): every block of the
 * chunks with the fewest live lines, until those add up to the headroom,
 * so the chunks end up empty and go back to the heap. In the bucket where
 * the headroom runs out, as many chunks as still fit (when every chunk is
 * about as sparse, some are still taken). Chunks over 3/4 live are left
 * alone. */
static void immix_choose_candidate_chunks(immix_space *is)
{
    enum { DATA_LINES = IMMIX_CHUNK_LINES - IMMIX_FIRST_LINE, BUCKET = 8, LAST = DATA_LINES * 3 / 4 / BUCKET };
    size_t hist[LAST + 1] = { 0 };
    for (chunk *c = is->base.chunks; c; c = c->next) {
        size_t live = immix_chunk_live_lines((immix_meta *)c->ext);
        if (live > 0 && live / BUCKET <= LAST)
            hist[live / BUCKET]++;
    }
    size_t budget_lines = immix_space_headroom(&is->base) / IMMIX_LINE_BYTES, sum = 0;
    size_t last_bucket = LAST + 1, last_count = 0;   /* chunks taken from the bucket that fills it */
    for (size_t k = 0; k <= LAST; k++) {
        size_t per_chunk = (k + 1) * BUCKET;   /* at most */
        if (sum + hist[k] * per_chunk > budget_lines) {
            last_bucket = k;
            last_count = (budget_lines - sum) / per_chunk;
            break;
        }
        sum += hist[k] * per_chunk;
    }
    is->defrag = 0;
    for (chunk *c = is->base.chunks; c; c = c->next) {
        immix_meta *m = (immix_meta *)c->ext;
        size_t live = immix_chunk_live_lines(m), k = live / BUCKET;
        if (live == 0 || k > LAST || k > last_bucket)
            continue;
        if (k == last_bucket) {
            if (last_count == 0)
                continue;
            last_count--;
        }
        is->defrag = 1;
        /* free blocks too: copies must not land in a chunk being emptied */
        memset(m->candidate, 1, IMMIX_CHUNK_BLOCKS);
        memset(c->bits[META_LOG], 0, CHUNK_BITMAP_WORDS * sizeof(uint64_t));   /* "stays" flags */
    }
}

static void immix_prepare(space *s)
{
    immix_space *is = immix(s);
    __atomic_store_n(&is->evacuated, 0, __ATOMIC_RELAXED);
    if (!is->full)
        return;
    if (is->defrag && is->defrag_chunks)
        immix_choose_candidate_chunks(is);
    else if (is->defrag)
        immix_choose_candidates(is);
    for (chunk *c = s->chunks; c; c = c->next) {
        immix_meta *m = (immix_meta *)c->ext;
        memset(m->line + IMMIX_FIRST_LINE, LINE_FREE, IMMIX_CHUNK_LINES - IMMIX_FIRST_LINE);
    }
}

/* ---------------------------------------------------------------- */
/* Release: sweep one chunk                                           */

/* VO bits of the granules of line l, as a mask within their word. */
static uint64_t line_vo_mask(size_t l)
{
    return (uint64_t)0xffff << ((l & 3) * IMMIX_GRANULES_PER_LINE);
}

/* Nursery collection of a sticky space: young lines' dead objects go. */
static void immix_sweep_young(chunk *c, immix_meta *m)
{
    uint64_t *vo = c->bits[META_VO], *mark = c->bits[META_MARK];
    for (size_t l = IMMIX_FIRST_LINE; l < IMMIX_CHUNK_LINES; l++) {
        uint8_t st = m->line[l];
        if (st == LINE_YOUNG) {
            vo[l >> 2] &= ~line_vo_mask(l);
            m->line[l] = LINE_FREE;
        } else if (st == LINE_SURVIVOR) {
            vo[l >> 2] &= mark[l >> 2] | ~line_vo_mask(l);
            m->line[l] = LINE_LIVE;
        }
    }
}

/* Per-block figures and states from the line states. Returns the number
 * of free blocks. */
static unsigned immix_count_blocks(immix_space *is, immix_meta *m)
{
    unsigned free_blocks = 0;
    for (size_t b = 0; b < IMMIX_CHUNK_BLOCKS; b++) {
        unsigned first = immix_block_first_line(b), end = (unsigned)((b + 1) * IMMIX_LINES_PER_BLOCK);
        unsigned used = 0, holes = 0, free = 0;
        for (unsigned l = first; l < end; l++) {
            if (m->line[l] != LINE_FREE) {
                used++;
            } else {
                free++;
                holes += l == first || m->line[l - 1] != LINE_FREE;
            }
        }
        m->live_lines[b] = (uint8_t)(used > 255 ? 255 : used);
        m->holes[b] = (uint8_t)(holes > 255 ? 255 : holes);
        m->candidate[b] = 0;
        is->free_bytes += (size_t)free * IMMIX_LINE_BYTES;
        if (used == 0) {
            m->state[b] = BLOCK_FREE;
            free_blocks++;
        } else if (free > 0) {
            m->state[b] = BLOCK_RECYCLABLE;
            is->frag_bytes += (size_t)free * IMMIX_LINE_BYTES;
        } else {
            m->state[b] = BLOCK_USED;
        }
    }
    return free_blocks;
}

static void immix_sweep_chunk(immix_space *is, chunk *c)
{
    immix_meta *m = (immix_meta *)c->ext;
    uint64_t *vo = c->bits[META_VO], *mark = c->bits[META_MARK], *fwd = c->bits[META_FWD];
    uint64_t *pin = c->bits[META_PIN], *log = c->bits[META_LOG], *nonmoving = c->bits[META_NONMOVING];
    if (is->full) {
        for (size_t i = 0; i < CHUNK_BITMAP_WORDS; i++)
            vo[i] &= mark[i] & ~fwd[i];
    } else if (is->sticky) {
        immix_sweep_young(c, m);
    }
    for (size_t i = 0; i < CHUNK_BITMAP_WORDS; i++) {
        pin[i] &= vo[i];
        nonmoving[i] &= vo[i];
        log[i] = is->log_survivors ? log[i] & vo[i] : 0;
    }
    chunk_clear_map(c, META_MARK);   /* promoted copies are marked too */
    chunk_clear_map(c, META_FWD);
}

static void immix_release(space *s)
{
    immix_space *is = immix(s);
    mmtk *heap = s->heap;
    for (unsigned i = 0; i < heap->nworkers; i++)
        if (heap->workers[i].copy[is->copy_slot].a.space == s)
            immix_allocator_flush(&heap->workers[i].copy[is->copy_slot].a);
    is->free_bytes = is->frag_bytes = 0;
    chunk *next;
    for (chunk *c = s->chunks; c; c = next) {
        next = c->next;
        immix_meta *m = (immix_meta *)c->ext;
        if (!is->full && !(c->flags & IMMIX_CHUNK_TOUCHED)) {
            /* a nursery collection left it alone: no mark, no young line */
            for (size_t b = 0; b < IMMIX_CHUNK_BLOCKS; b++) {
                size_t free = m->state[b] == BLOCK_FREE ? IMMIX_LINES_PER_BLOCK - (b ? 0 : IMMIX_FIRST_LINE)
                                                        : IMMIX_LINES_PER_BLOCK - m->live_lines[b] - (b ? 0 : IMMIX_FIRST_LINE);
                is->free_bytes += free * IMMIX_LINE_BYTES;
                if (m->state[b] == BLOCK_RECYCLABLE)
                    is->frag_bytes += free * IMMIX_LINE_BYTES;
            }
            continue;
        }
        c->flags &= ~IMMIX_CHUNK_TOUCHED;
        immix_sweep_chunk(is, c);
        if (immix_count_blocks(is, m) == IMMIX_CHUNK_BLOCKS) {
            is->free_bytes -= CHUNK_DATA_BYTES;
            space_release_chunk(s, c);
        }
    }
    is->reuse_chunk = is->clean_chunk = s->chunks;
    is->reuse_block = is->clean_block = 0;
    __atomic_store_n(&is->young_bytes, 0, __ATOMIC_RELAXED);
    is->full = is->defrag = 0;
}

/* ---------------------------------------------------------------- */
/* The space                                                          */

/* Full and sticky collections mark what they reach (copies too, once
 * their copy allocator checkpoints; an evacuated object is marked and
 * forwarded); a mature space in a nursery collection marks nothing, and
 * every object in it is a promoted copy or an object whose references stay
 * valid until the space is collected. */
static int immix_unscanned(space *s)
{
    immix_space *is = immix(s);
    return is->full || is->sticky ? SPACE_UNSCANNED_MARKED : SPACE_UNSCANNED_ALL;
}

static const space_ops immix_ops = {
    .kind = "immix",
    .trace = immix_trace,
    .trace_pinned = immix_trace_pinned,
    .is_live = immix_is_live,
    .forwarded = immix_forwarded,
    .prepare = immix_prepare,
    .release = immix_release,
    .clear_marks = space_clear_marks,
    .is_object = space_vo_is_object,
    .find_object = space_vo_find_object,
    .unscanned = immix_unscanned,
};

space *immix_space_create(mmtk *heap, const char *name, int may_move)
{
    immix_space *is = heap_mem_alloc(heap, sizeof *is, 16);
    if (!is)
        return NULL;
    memset(is, 0, sizeof *is);
    space_init(&is->base, heap, &immix_ops, name);
    is->base.movable = may_move;
    is->may_move = may_move;
    is->full = 1;
    return &is->base;
}

void immix_space_set_collection(space *s, int full, int defrag)
{
    immix_space *is = immix(s);
    is->full = full;
    is->defrag = full && defrag && is->may_move;
}

void immix_space_set_sticky(space *s, int sticky)
{
    immix(s)->sticky = sticky;
}

void immix_space_set_defrag_chunks(space *s, int on)
{
    immix(s)->defrag_chunks = on;
}

void immix_space_set_log_survivors(space *s, int on)
{
    immix(s)->log_survivors = on;
}

void immix_space_set_young_limit(space *s, size_t bytes)
{
    immix(s)->young_limit = bytes;
}

void immix_space_set_copy_slot(space *s, int copy_slot)
{
    immix(s)->copy_slot = copy_slot;
}

size_t immix_space_headroom(space *s)
{
    if (!immix(s)->may_move)
        return 0;
    size_t h = s->heap->max_heap / 32;
    return h < 4 * IMMIX_BLOCK_BYTES ? 4 * IMMIX_BLOCK_BYTES : h;
}

/* Worth defragmenting: the last collection left an eighth of the space in
 * holes of recyclable blocks, or less than a sixteenth of the heap free. */
int immix_space_fragmented(space *s)
{
    immix_space *is = immix(s);
    return is->frag_bytes * 8 >= s->committed || is->free_bytes * 16 < s->heap->max_heap;
}

size_t immix_space_young_bytes(space *s)
{
    return __atomic_load_n(&immix(s)->young_bytes, __ATOMIC_RELAXED);
}

size_t immix_space_free_bytes(space *s)
{
    return immix(s)->free_bytes;
}

size_t immix_space_frag_bytes(space *s)
{
    return immix(s)->frag_bytes;
}

uint64_t immix_space_evacuated(space *s)
{
    return __atomic_load_n(&immix(s)->evacuated, __ATOMIC_RELAXED);
}
