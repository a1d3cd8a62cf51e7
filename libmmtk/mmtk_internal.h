/*
 * mmtk_internal.h — libmmtk's private structures: the heap, its mutators, the GC
 * workers' state and the trace packets. Layers (DESIGN.md): mmtk.c and
 * mutator.c are the doors; gc.c runs collections on the scheduler; plan/
 * composes policy/ spaces; alloc/ holds fast paths; heap/ owns chunks.
 *
 * Memory rule: every byte the heap uses beyond the mmtk struct's own block
 * comes from heap->client through heap_mem_alloc()/heap_mem_free(), so
 * vmma_delete_client() in mmtk_destroy returns all of it.
 */
#ifndef MMTK_INTERNAL_H
#define MMTK_INTERNAL_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "mmtk.h"

/* Internal invariants, checked in debug builds (--enable-debug) only;
 * never used on caller input. */
#ifdef MMTK_DEBUG
#include <assert.h>
#define MMTK_ASSERT(x) assert(x)
#else
#define MMTK_ASSERT(x) ((void)0)
#endif

#define MMTK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MMTK_LIKELY(x)   __builtin_expect(!!(x), 1)

#include "scheduler/scheduler.h"
#include "heap/chunk.h"
#include "policy/space.h"
#include "alloc/alloc.h"
#include "plan/plan.h"

#define MMTK_SEMANTICS        6
#define MUTATOR_ALLOCATORS    6
#define HEAP_MAX_SPACES       8
#define GC_COPY_SLOTS         2
#define HEAP_MAGIC            0x6d6d746b48454150ULL   /* "mmtkHEAP" */
#define MUTATOR_MAGIC         0x6d6d746b4d555441ULL   /* "mmtkMUTA" */
#define HEAP_MIN_BYTES        ((size_t)64 * 1024)
/* What a heap may take from its client beyond heap_size: the heap and
 * mutator records, the chunk table, work packets, weak/finalizer tables,
 * LOS bookkeeping. Stated in mmtk(3). */
#define HEAP_MARGIN(max)      ((max) / 16 + (size_t)256 * 1024)

typedef enum { TRIGGER_FIXED, TRIGGER_DYNAMIC } gc_trigger_kind;

struct mmtk_builder {
    uint64_t magic;
    char plan[32];
    size_t min_heap, max_heap;
    gc_trigger_kind trigger;
    unsigned threads;
    size_t nursery;
    size_t stress_factor;
    int verify;
    int verbose;
    size_t trace_packets;
    vmma_context *ctx;
};

/* ---- Trace packets: a buffer of objects to scan, one work packet. ---- */
#define TRACE_PACKET_OBJECTS 339   /* the packet stays ~4 KiB */
typedef struct trace_packet {
    sched_packet base;
    struct trace_packet *next_free;
    uint32_t count;
    mmtk_object objs[TRACE_PACKET_OBJECTS];
    uint32_t sizes[TRACE_PACKET_OBJECTS];   /* objs[i]'s size if its enqueuer knew it, else 0 */
} trace_packet;

/* A visitor handed to binding callbacks: what a visited slot means. */
struct mmtk_visitor {
    void (*slot)(mmtk_visitor *v, mmtk_object *slot);
    void (*slots)(mmtk_visitor *v, mmtk_object *first, size_t n);   /* NULL: slot on each */
    void (*conservative)(mmtk_visitor *v, void *word);
    gc_worker *worker;
    void *arg;
};

/* Objects a worker has copied before it sets their FWD bits, in one go
 * (copyspace.c): locked instructions back to back cost less than one per
 * copy, each waiting for that copy's stores to drain. */
#define GC_FWD_BATCH 16

/* Slots a worker holds back while their targets are prefetched (power of 2). */
#define GC_SLOT_FIFO 16

/* Per-worker state of a collection, indexed by sched_worker_id. Aligned
 * to a cache line: a worker writes its own state on every object, and a
 * line shared with the next worker's would bounce between them (two
 * workers were slower than one on GCBench's nursery collections). */
struct __attribute__((aligned(64))) gc_worker {
    struct mmtk *heap;
    sched_worker *sw;
    trace_packet *out;              /* objects found, not yet pushed */
    trace_packet *cache;            /* free packets kept by this worker */
    mmtk_visitor visitor;
    mmtk_object *fifo[GC_SLOT_FIFO];  /* slots whose target is being prefetched (gc.c) */
    unsigned fifo_n;
    const chunk *last_chunk;        /* trace_slot's cache: the last chunk a slot pointed into */
    space *last_space;              /* ... and its space */
    const chunk *scan_chunk;        /* the plan's scanned hook's cache: a chunk of the heap */
    allocator_storage copy[GC_COPY_SLOTS];
    mmtk_object fwd_pending[GC_FWD_BATCH];   /* copied, FWD not yet set (gc_publish_forwards) */
    unsigned nfwd_pending;
    uint64_t objects_copied, bytes_copied, live_bytes, live_objects;
};

enum mutator_state { MUT_RUNNING, MUT_BLOCKED, MUT_NATIVE };

struct mmtk_mutator {
    /* The published prefix (mmtk.h, mmtk_mutator_prefix): keep it first. */
    mmtk_bump_window *fast;           /* default semantics' window, or `empty` */
    void (*write_post)(mmtk_mutator *m, mmtk_object src, mmtk_object *slot, mmtk_object target);
    uint64_t objects, bytes;          /* written by the owner only (relaxed) */
    uintptr_t log_chunk;              /* barrier's chunk cache (generational.c), reset by each GC */
    /* private */
    allocator *sem[MMTK_SEMANTICS];   /* hot: allocator per semantics */
    struct mmtk *heap;
    int stress;                       /* take the counting path in mmtk_alloc */
    mmtk_bump_window empty;           /* always full: sends the inline path out of line */
    uint64_t magic;
    void *tls;
    pthread_t thread;
    int state;                        /* heap->stw_lock */
    struct mmtk_mutator *next, *prev; /* heap->mutators, heap->stw_lock */
    allocator_storage allocs[MUTATOR_ALLOCATORS];
};

struct mmtk {
    uint64_t magic;
    const plan_ops *plan;
    mmtk_vm_binding binding;
    void *vm;
    vmma_context *ctx;
    vmma_client *client;
    int own_ctx;                       /* ctx is private: destroyed with the heap */
    void *own_map;                     /* a private ctx's memory, mapped by the heap (heap_map) */
    size_t own_map_size;
    size_t client_limit;

    /* options */
    size_t min_heap, max_heap, nursery, stress_factor;
    gc_trigger_kind trigger;
    unsigned threads;
    int verify;
    int verbose;                       /* one line on stderr per collection (stats.c) */
    size_t trace_packets;              /* most trace packets a collection may hold (0: as the quota allows) */

    /* memory (mem_lock) */
    pthread_mutex_t mem_lock;
    size_t budget;                     /* current heap size (bytes a mutator may commit) */
    size_t committed;                  /* chunks + LOS blocks */
    chunk_table chunks;
    chunk *chunk_cache;                /* free chunks kept for the next collection's copies (chunk.c) */
    size_t cached;                     /* their bytes: held from the client, not committed */

    /* spaces */
    space *spaces[HEAP_MAX_SPACES];
    int nspaces;
    space *los;
    void *plan_data;

    /* stop-the-world (stw_lock) */
    pthread_mutex_t stw_lock;
    pthread_cond_t stw_cond;
    int stop_requested;                /* atomic reads outside the lock */
    int running;                       /* mutators in MUT_RUNNING */
    int collection_enabled;
    int full_gc_requested;             /* atomic: the next collection must be full (user request) */
    int nursery_gc;                    /* the running/last collection is a nursery one (generational plans' prepare) */
    int in_gc;
    uint64_t gc_copied, gc_copied_bytes;   /* this collection's copies so far (stats_lock) */
    uint64_t gc_trace_ns;              /* this collection's time in trace jobs (gc_trace) */
    mmtk_mutator *mutators;
    uint64_t stress_bytes;             /* atomic: allocated since the last collection */

    /* collection (only the collecting thread) */
    sched_job job;
    sched_packet roots_packet, weak_packet, final_packet;
    gc_worker *workers;
    gc_worker worker0;                 /* workers' record when no array could be had (gc.c) */
    unsigned nworkers;
    unsigned trace_workers;            /* workers of the running trace job: 1 lets spaces claim objects without atomics */
    uint64_t trace_rate[2][2];         /* [nursery?][several workers?]: ns per KiB alive (gc_trace_width) */
    unsigned width_probe;
    uint64_t last_nursery_survived;    /* bytes the last nursery collection found alive (predicts the next one's work) */
    pthread_mutex_t packet_lock;
    trace_packet *free_packets;
    size_t npackets;                   /* packets this collection holds (packet_lock) */
    int trace_overflow;                /* atomic: some object found no packet; its chunk says so (gc.c) */
    int los_overflow;                  /* atomic: ... and it is a large object */
    mmtk_object *pins; size_t npins, pins_cap;   /* transient pins of this collection */
    mmtk_object **root_slots; size_t nroot_slots, root_slots_cap;   /* precise roots, deferred */
    int roots_unrecorded;              /* root_slots could not hold them all (gc.c) */
    struct root_slice *root_slices;    /* packets over root_slots (gc.c), this trace's */

    /* weak slots and finalizers (refs.c; refs_lock) */
    pthread_mutex_t refs_lock;
    mmtk_object **weak; size_t nweak, weak_cap;
    mmtk_object *final; size_t nfinal, final_cap;      /* registered, not yet found dead */
    mmtk_object *ready; size_t nready, ready_cap;      /* found dead, for the VM */

    /* figures (stats_lock) */
    pthread_mutex_t stats_lock;
    mmtk_stats stats;
    uint64_t retired_objects, retired_bytes;   /* of destroyed mutators */
    uint64_t harness_start_ns;
    uint64_t verify_failures;                  /* atomic */
    uint64_t trace_overflows;                  /* atomic: rescans after mark-stack overflow (gc.c) */
};

/* ---- heap memory (mmtk.c) ---- */
void *heap_mem_alloc(struct mmtk *heap, size_t size, size_t align);
void  heap_mem_free(struct mmtk *heap, void *p);
/* heap_mem_alloc; when that fails, the chunk cache (heap/chunk.c) goes
 * back to the client and it tries again. Not with mem_lock held. All of a
 * collection's work space comes from here: within the client's limit,
 * and every user has a way around NULL (gc.c, refs.c, verify.c, the
 * remembered set, MarkCompact's update). */
void *heap_mem_alloc_or_uncache(struct mmtk *heap, size_t size, size_t align);
/* Whether `bytes` more may be committed (for_gc: always); for a mutator,
 * also gives back cached chunks (chunk.c) that stand in the way. mem_lock
 * held. */
int   heap_may_commit(struct mmtk *heap, size_t bytes, int for_gc);

/* ---- collection (gc.c) ---- */
/* Collect now on behalf of mutator m (NULL: a thread that is no mutator, or
 * not known). Returns when a collection has finished, this one or one that
 * another thread was running. */
void gc_collect(struct mmtk *heap, mmtk_mutator *m);
/* Queue obj for scanning; size: its gc_object_size when the caller has it
 * (a copy), which spares the scan a call to the binding, else 0. The fast
 * path appends to the worker's open packet; gc_enqueue_slow opens one or
 * hands a full one to the scheduler. */
void gc_enqueue_slow(gc_worker *w, mmtk_object obj, size_t size);
static inline void gc_enqueue_sized(gc_worker *w, mmtk_object obj, size_t size)
{
    MMTK_ASSERT(obj != NULL && w->heap->in_gc);
    trace_packet *o = w->out;
    /* the object will be scanned when this buffer is: start its cache miss
     * now (measured: -25..35% pause on a 200 MiB heap, 1 and 2 workers) */
    __builtin_prefetch(obj);
    if (MMTK_UNLIKELY(!o || o->count >= TRACE_PACKET_OBJECTS - 1)) {
        gc_enqueue_slow(w, obj, size);
        return;
    }
    o->sizes[o->count] = size <= UINT32_MAX ? (uint32_t)size : 0;
    o->objs[o->count++] = obj;
}
static inline void gc_enqueue(gc_worker *w, mmtk_object obj)
{
    gc_enqueue_sized(w, obj, 0);
}
/* obj was pinned for this collection only (a conservative root). */
void gc_note_transient_pin(struct mmtk *heap, mmtk_object obj);
/* Run one closure job (roots, closure, weak, finalize) with the spaces'
 * current trace ops; see plan_ops.after_closure. */
void gc_trace(struct mmtk *heap);
/* How many workers trace this collection (gc_width.c), and the rate one
 * trace took, for the next choice. */
unsigned gc_trace_width(struct mmtk *heap);
void gc_note_rate(struct mmtk *heap, uint64_t ns, uint64_t live);
/* The default conservative visit: trace the object a word points into. */
void gc_trace_conservative(mmtk_visitor *v, void *word);
/* Trace an object from outside a slot (finalizers): its new address. */
mmtk_object gc_trace_object(gc_worker *w, mmtk_object obj);
space *gc_space_of(struct mmtk *heap, const void *obj);
int   gc_is_live(struct mmtk *heap, mmtk_object obj);
mmtk_object gc_forwarded(struct mmtk *heap, mmtk_object obj);
uint64_t gc_now_ns(void);

/* ---- mutators (mutator.c) ---- */
void mutator_block_for_gc(mmtk_mutator *m);   /* stw_lock held: wait out a collection */
mmtk_mutator *mutator_of_thread(struct mmtk *heap);  /* stw_lock held */
void mutators_reset_allocators(struct mmtk *heap);
void mutator_free(mmtk_mutator *m);           /* stw_lock held */

/* ---- weak slots, finalizers (refs.c) ---- */
void refs_scan_roots(struct mmtk *heap, mmtk_visitor *v);   /* ready-for-finalization objects */
void refs_process_weak(struct mmtk *heap, gc_worker *w);
void refs_process_finalizers(struct mmtk *heap, gc_worker *w);

/* ---- verifier (verify.c) ---- */
void verify_heap(struct mmtk *heap);

/* ---- figures (stats.c) ---- */
void stats_collection_done(struct mmtk *heap, uint64_t pause_ns);

/* obj's size as the binding says, rounded to granules (at least one). */
static inline size_t gc_object_size(const struct mmtk *heap, mmtk_object obj)
{
    size_t s = heap->binding.object_size(heap->vm, obj);
    return alloc_round_size(s ? s : 1);
}

/* Copy an object of `size` bytes (a multiple of GRANULE_BYTES) to `to`:
 * the sizes most objects have as fixed-size moves, no loop or call. */
static inline void gc_copy_bytes(void *to, const void *from, size_t size)
{
    switch (size >> GRANULE_LOG) {
    case 1: memcpy(to, from, 16); break;
    case 2: memcpy(to, from, 32); break;
    case 3: memcpy(to, from, 48); break;
    case 4: memcpy(to, from, 64); break;
    default: memcpy(to, from, size); break;
    }
}

/* Mark obj (its MARK bit) in this collection: 1 when this call marked it.
 * Plain when the trace runs on one worker, atomic otherwise. */
static inline int gc_mark(const struct mmtk *heap, mmtk_object obj)
{
    return heap->trace_workers == 1 ? meta_set_alone(obj, META_MARK) : meta_set_atomic(obj, META_MARK);
}

/* Set the FWD bits of the objects this worker copied and has not yet
 * published; before it waits for another worker's copy and at the end of
 * every packet, so a waiter never waits on a worker that waits too or has
 * gone idle. */
static inline void gc_publish_forwards(gc_worker *w)
{
    /* copies made one after another mostly share a FWD word (a word maps
     * 1 KiB): one locked OR per run of them */
    uint64_t *word = NULL, bits = 0;
    for (unsigned i = 0; i < w->nfwd_pending; i++) {
        uint64_t *wd = meta_word(w->fwd_pending[i], META_FWD);
        if (wd != word) {
            if (word)
                __atomic_fetch_or(word, bits, __ATOMIC_RELEASE);
            word = wd;
            bits = 0;
        }
        bits |= meta_bit(w->fwd_pending[i]);
    }
    if (word)
        __atomic_fetch_or(word, bits, __ATOMIC_RELEASE);
    w->nfwd_pending = 0;
}

static inline void gc_spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

#endif /* MMTK_INTERNAL_H */
