/*
 * policy/immixspace.h — the Immix space and its allocator (internal).
 *
 * The idea (Blackburn & McKinley, Immix, PLDI 2008): memory is cut into
 * 32 KiB blocks of 256-byte lines. A collection marks objects (MARK bit) and
 * the lines they cover (a byte per line); afterwards every unmarked line is
 * free. Allocators bump through the *holes* (runs of free lines) of partly
 * free (recyclable) blocks, so a mostly dead block is reused without moving
 * anything; an object larger than a line that does not fit in the current
 * hole goes to a second bump window over a clean block (overflow
 * allocation). When blocks are fragmented, a full collection picks the
 * emptiest ones as *candidates* and evacuates what it reaches in them
 * (unless pinned, or the worker's copy budget is spent): opportunistic
 * defragmentation. Immix and GenImmix pick whole chunks instead (every
 * block of the emptiest chunks), so emptied chunks go back to the heap for
 * the LOS and the nursery.
 *
 * Layout: a chunk (256 KiB, heap/chunk.h) holds 8 blocks, 32 KiB-aligned.
 * Block 0's first half is the chunk's metadata page: its 64 lines are
 * LINE_META forever, so block 0 is a block with 64 usable lines. Line
 * states, block states and per-block figures live in chunk->ext.
 *
 * Line states (one byte each):
 *   FREE      nothing live (a hole);
 *   LIVE      holds an object that survived a collection (an *old* object);
 *   YOUNG     handed to a mutator allocator since the last collection;
 *   SURVIVOR  a young object marked by the running nursery collection
 *             (becomes LIVE at release; YOUNG lines become FREE);
 *   META      the chunk's metadata page.
 * A line never mixes old and young objects: mutators only allocate in FREE
 * lines (which they turn YOUNG). That is what lets StickyImmix tell a young
 * object from an old one by its first line.
 *
 * Invariants (outside a collection): MARK and FWD bits clear; VO set
 * exactly on allocated objects; PIN and LOG bits only on allocated objects;
 * every allocated object lies in non-FREE lines; a block is BLOCK_FREE only
 * if all its data lines are FREE, and only blocks owned by no allocator are
 * FREE or RECYCLABLE.
 */
#ifndef MMTK_POLICY_IMMIXSPACE_H
#define MMTK_POLICY_IMMIXSPACE_H

#include <stddef.h>
#include <stdint.h>
#include "heap/chunk.h"
#include "alloc/alloc.h"

#define IMMIX_LINE_LOG          8
#define IMMIX_LINE_BYTES        ((size_t)1 << IMMIX_LINE_LOG)              /* 256 B */
#define IMMIX_BLOCK_LOG         15
#define IMMIX_BLOCK_BYTES       ((size_t)1 << IMMIX_BLOCK_LOG)             /* 32 KiB */
#define IMMIX_LINES_PER_BLOCK   (IMMIX_BLOCK_BYTES / IMMIX_LINE_BYTES)     /* 128 */
#define IMMIX_CHUNK_LINES       (CHUNK_BYTES / IMMIX_LINE_BYTES)           /* 1024 */
#define IMMIX_CHUNK_BLOCKS      (CHUNK_BYTES / IMMIX_BLOCK_BYTES)          /* 8 */
#define IMMIX_FIRST_LINE        (CHUNK_DATA_OFFSET / IMMIX_LINE_BYTES)     /* 64 */
#define IMMIX_GRANULES_PER_LINE (IMMIX_LINE_BYTES / GRANULE_BYTES)         /* 16 */
/* Objects at or above this go to the LOS: block 0 holds exactly this much. */
#define IMMIX_MAX_OBJECT_BYTES  (IMMIX_BLOCK_BYTES - CHUNK_DATA_OFFSET)    /* 16 KiB */

enum { LINE_FREE, LINE_LIVE, LINE_YOUNG, LINE_SURVIVOR, LINE_META };
enum { BLOCK_FREE, BLOCK_RECYCLABLE, BLOCK_USED };

/* chunk->ext of an Immix chunk. */
typedef struct immix_meta {
    uint8_t line[IMMIX_CHUNK_LINES];
    uint8_t state[IMMIX_CHUNK_BLOCKS];        /* BLOCK_* */
    uint8_t live_lines[IMMIX_CHUNK_BLOCKS];   /* after the last release */
    uint8_t holes[IMMIX_CHUNK_BLOCKS];        /* after the last release */
    uint8_t candidate[IMMIX_CHUNK_BLOCKS];    /* evacuated by the running collection */
} immix_meta;
_Static_assert(sizeof(immix_meta) <= CHUNK_EXT_BYTES, "Immix metadata fits in chunk->ext");

static inline immix_meta *immix_meta_of(const void *p)
{
    return (immix_meta *)chunk_of(p)->ext;
}
static inline size_t immix_line_index(const void *p)
{
    return ((uintptr_t)p & CHUNK_MASK) >> IMMIX_LINE_LOG;
}
static inline size_t immix_block_index(const void *p)
{
    return ((uintptr_t)p & CHUNK_MASK) >> IMMIX_BLOCK_LOG;
}
static inline unsigned immix_block_first_line(size_t b)
{
    return b == 0 ? IMMIX_FIRST_LINE : (unsigned)(b * IMMIX_LINES_PER_BLOCK);
}

struct mmtk;
struct mmtk_mutator;

/* ---- The space (policy/immixspace.c) ---- */
space *immix_space_create(struct mmtk *heap, const char *name, int may_move);
/* Role of the space in the next collection, set by the plan's prepare:
 * full = mark it (else it is mature: its objects are old and not traced,
 * or, when sticky, only its young objects are traced); defrag = evacuate
 * fragmented blocks if any (ignored for a space that may not move). */
void immix_space_set_collection(space *s, int full, int defrag);
/* StickyImmix: young objects live in this space and nursery collections
 * trace them. */
void immix_space_set_sticky(space *s, int sticky);
/* Generational plans: every object that survives a collection in this space
 * ends it with its LOG (unlogged) bit set; others end with LOG clear. */
void immix_space_set_log_survivors(space *s, int on);
/* Defragmentation evacuates the sparsest chunks whole (their memory goes
 * back to the heap: GenImmix's nursery needs chunks) rather than the
 * sparsest blocks wherever they are. */
void immix_space_set_defrag_chunks(space *s, int on);
/* Evacuate into worker copy allocator `copy_slot` (set up by the plan's
 * worker_init with immix_allocator_init_copy on this space). */
void immix_space_set_copy_slot(space *s, int copy_slot);
/* Bytes a defragmenting collection may copy (the plan keeps them free
 * through its copy reserve). */
size_t immix_space_headroom(space *s);
/* Bytes mutators took (as holes and clean blocks) since the last collection. */
size_t immix_space_young_bytes(space *s);
/* Bytes free for allocation after the last collection (free lines). */
size_t immix_space_free_bytes(space *s);
/* Did the last collection evacuate anything? (figures, tests) */
uint64_t immix_space_evacuated(space *s);

/* plan_ops.scanned of every plan with an Immix space: marks the lines of
 * each object a collection scans (in place or copied). */
void immix_scanned(struct gc_worker *w, mmtk_object obj, size_t size);

/* Block supply for allocators (s->lock taken inside). Returns a block's
 * start address, now BLOCK_USED, or 0 when none is left and no chunk can be
 * had. recyclable: a block with holes is acceptable (tried first). */
uintptr_t immix_take_block(space *s, int recyclable, int for_gc);
/* Mutator allocators count what they take; with a young limit set
 * (StickyImmix's nursery size) they stop taking memory past it, so the
 * mutator collects. immix_note_young: 1 when the limit is now passed. */
int  immix_note_young(space *s, size_t bytes);
int  immix_young_exhausted(space *s);
void immix_space_set_young_limit(space *s, size_t bytes);
/* Should the next full collection defragment (immixspace.c says when)? */
int immix_space_fragmented(space *s);
/* Free lines in recyclable blocks after the last collection. */
size_t immix_space_frag_bytes(space *s);

/* Mark the lines [obj, obj+size) with `state` (racy-idempotent stores). */
static inline void immix_mark_lines(const void *obj, size_t size, uint8_t state)
{
    immix_meta *m = immix_meta_of(obj);
    size_t first = immix_line_index(obj);
    size_t last = immix_line_index((const char *)obj + size - 1);
    for (size_t l = first; l <= last; l++)
        __atomic_store_n(&m->line[l], state, __ATOMIC_RELAXED);
}

/* ---- The allocator (alloc/immix_alloc.c) ---- */
typedef struct immix_allocator {
    allocator base;            /* [cursor, limit) = the current hole (or 0) */
    uintptr_t block;           /* current block for holes, 0 = none */
    unsigned next_line;        /* next line of that block to look at */
    uintptr_t ov_cursor, ov_limit;   /* overflow window over a clean block */
    uintptr_t win_cursor, win_limit; /* private hole window when base.limit stays 0 */
    uintptr_t win_start, ov_start;   /* copy allocators: where the current windows began */
    unsigned flags;            /* IMMIX_ALLOC_* */
    size_t evac_left;          /* copy allocator: bytes defragmentation may still copy */
} immix_allocator;
_Static_assert(sizeof(immix_allocator) <= ALLOCATOR_MAX_BYTES, "fits an allocator slot");

#define IMMIX_ALLOC_COPY       1u   /* a GC worker's: no zeroing, lines marked per object */
#define IMMIX_ALLOC_CLEAN_ONLY 2u   /* never reuse holes (full collections: lines are being rebuilt) */
#define IMMIX_ALLOC_PIN        4u   /* pin every object (NON_MOVING semantics) */
#define IMMIX_ALLOC_LOG        8u   /* set every object's LOG bit (old on arrival: generational) */

void immix_allocator_init(allocator *a, space *s, struct mmtk_mutator *m, unsigned flags);
/* A GC worker's copy allocator into s for this collection: clean blocks
 * only when s is being fully collected; `evac_budget` bytes for
 * defragmentation copies. It never returns NULL (chunks for a collection
 * bypass the heap budget). */
void immix_allocator_init_copy(allocator *a, space *s, unsigned flags, size_t evac_budget);
/* A copy allocator finishes its copies window by window (their lines,
 * LOG and MARK bits); the space flushes every worker's at release. No-op
 * for an allocator that is not an Immix one. */
void immix_allocator_flush(allocator *a);
/* A copy allocator's copies so far get what copy_done gives them (line
 * marks, LOG, MARK in full collections) now; it goes on copying. For a
 * mark-stack overflow's rescan (gc.c). Not an Immix allocator: nothing. */
void immix_allocator_checkpoint(allocator *a);

#endif /* MMTK_POLICY_IMMIXSPACE_H */
