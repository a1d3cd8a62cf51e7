/*
 * gc.c — one collection: stop the world, build the work-packet job
 * (prepare → roots → closure → weak → finalize → release), run it on the
 * scheduler, release, verify, resume.
 *
 * Owns: the stop-the-world handshake (heap->stop_requested, heap->running,
 * under stw_lock), the trace packets and the GC workers' state.
 * Invariants: at most one collection per heap at a time (stop_requested is
 * the token); while it runs no mutator of the heap is MUT_RUNNING unless the
 * binding stops mutators itself; every trace packet taken during a
 * collection is back in the client when it ends.
 */
#include "mmtk_internal.h"
#include "policy/copyspace.h"
#include "policy/immixspace.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t gc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

space *gc_space_of(mmtk *heap, const void *p)
{
    chunk *c = chunk_table_find(&heap->chunks, p);
    if (c)
        return ((uintptr_t)p & CHUNK_MASK) >= CHUNK_DATA_OFFSET ? c->space : NULL;
    return los_lookup(heap, p);
}

int gc_is_live(mmtk *heap, mmtk_object obj)
{
    space *s = gc_space_of(heap, obj);
    return s && s->ops->is_live(s, obj);
}

mmtk_object gc_forwarded(mmtk *heap, mmtk_object obj)
{
    space *s = gc_space_of(heap, obj);
    return s ? s->ops->forwarded(s, obj) : obj;
}

/* ---------------------------------------------------------------- */
/* Trace packets                                                      */

static void trace_packet_run(sched_packet *packet, sched_worker *sw);

/* A new packet from the heap's client, within its limit and the
 * trace_packets option; NULL when there is none (see "Mark-stack
 * overflow" below). */
static trace_packet *packet_alloc(mmtk *heap)
{
    pthread_mutex_lock(&heap->packet_lock);
    int room = !heap->trace_packets || heap->npackets < heap->trace_packets;
    heap->npackets += room;
    pthread_mutex_unlock(&heap->packet_lock);
    if (!room)
        return NULL;
    trace_packet *p = heap_mem_alloc_or_uncache(heap, sizeof *p, 64);
    if (!p) {
        pthread_mutex_lock(&heap->packet_lock);
        heap->npackets--;
        pthread_mutex_unlock(&heap->packet_lock);
    }
    return p;
}

static trace_packet *packet_get(gc_worker *w)
{
    mmtk *heap = w->heap;
    trace_packet *p = w->cache;
    if (p) {
        w->cache = p->next_free;
    } else {
        pthread_mutex_lock(&heap->packet_lock);
        p = heap->free_packets;
        if (p)
            heap->free_packets = p->next_free;
        pthread_mutex_unlock(&heap->packet_lock);
        if (!p)
            p = packet_alloc(heap);
        if (!p)
            return NULL;
    }
    p->base.run = trace_packet_run;
    p->count = 0;
    return p;
}

static void packet_put(gc_worker *w, trace_packet *p)
{
    p->next_free = w->cache;
    w->cache = p;
}

static void gc_note_overflow(mmtk *heap, mmtk_object obj);

/* gc_enqueue_sized's slow path: no open packet, or the object fills it. */
void gc_enqueue_slow(gc_worker *w, mmtk_object obj, size_t size)
{
    trace_packet *o = w->out;
    if (!o)
        o = w->out = packet_get(w);
    if (!o) {
        gc_note_overflow(w->heap, obj);
        return;
    }
    o->sizes[o->count] = size <= UINT32_MAX ? (uint32_t)size : 0;
    o->objs[o->count++] = obj;
    if (o->count == TRACE_PACKET_OBJECTS) {
        w->out = NULL;
        sched_push(&w->heap->job, w->sw, SCHED_CLOSURE, &o->base);
    }
}

mmtk_object gc_trace_object(gc_worker *w, mmtk_object obj)
{
    space *s = gc_space_of(w->heap, obj);
    return s ? s->ops->trace(s, w, obj) : obj;
}

/* gc_space_of with a one-chunk cache: neighbouring objects mostly share
 * a chunk, and a chunk keeps its space while a trace runs (chunks are
 * released after it; workers_prepare clears the cache). */
static inline space *worker_space_of(gc_worker *w, const void *p)
{
    const chunk *c = chunk_of(p);
    if (c == w->last_chunk && ((uintptr_t)p & CHUNK_MASK) >= CHUNK_DATA_OFFSET)
        return w->last_space;
    chunk *found = chunk_table_find(&w->heap->chunks, p);
    if (!found)
        return los_lookup(w->heap, p);
    w->last_chunk = found;
    w->last_space = found->space;
    return ((uintptr_t)p & CHUNK_MASK) >= CHUNK_DATA_OFFSET ? found->space : NULL;
}

/* Slots are read and written as relaxed atomics (plain moves): a root
 * slot may be listed twice (a remembered set names a large object's slot
 * once per store), and two workers tracing it store the same new address. */
static void trace_slot_now(gc_worker *w, mmtk_object *slot)
{
    mmtk_object obj = __atomic_load_n(slot, __ATOMIC_RELAXED);
    space *s = worker_space_of(w, obj);
    if (!s)
        return;   /* not the heap's: left alone (verify reports it) */
    mmtk_object moved = s->ops == &copy_space_ops ? copy_space_trace(s, w, obj) : s->ops->trace(s, w, obj);
    if (moved != obj)
        __atomic_store_n(slot, moved, __ATOMIC_RELAXED);
}

/* A slot found while scanning: prefetch its target and trace the slot
 * GC_SLOT_FIFO slots later, so the copy/mark reads a cached header instead
 * of stalling on it (the header miss was ~17% of a nursery collection's
 * CPU). Every held slot is traced before the packet or root scan that
 * found it ends (trace_fifo_drain). */
static inline void trace_slot_in(gc_worker *w, mmtk_object *slot)
{
    mmtk_object obj = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (!obj)
        return;
    __builtin_prefetch(obj);
    /* and its mark word, if obj is in a chunk (a prefetch never faults) */
    __builtin_prefetch(meta_word(obj, META_MARK), 1);
    unsigned i = w->fifo_n++ & (GC_SLOT_FIFO - 1);
    mmtk_object *held = w->fifo[i];
    w->fifo[i] = slot;
    if (held)
        trace_slot_now(w, held);
}

static void trace_slot(mmtk_visitor *v, mmtk_object *slot)
{
    trace_slot_in(v->worker, slot);
}

static void trace_slots(mmtk_visitor *v, mmtk_object *first, size_t n)
{
    gc_worker *w = v->worker;
    for (size_t i = 0; i < n; i++)
        trace_slot_in(w, &first[i]);
}

static void trace_fifo_drain(gc_worker *w)
{
    for (unsigned i = 0; i < GC_SLOT_FIFO; i++) {
        mmtk_object *held = w->fifo[i];
        if (held) {
            w->fifo[i] = NULL;
            trace_slot_now(w, held);
        }
    }
    gc_publish_forwards(w);
}

/* A word that may point into an object: keep that object alive and in
 * place for this collection (trace_pinned). */
void gc_trace_conservative(mmtk_visitor *v, void *word)
{
    mmtk *heap = v->worker->heap;
    space *s = gc_space_of(heap, word);
    if (!s) {
        /* Not a chunk's object start nor a large object's: maybe inside a
         * large object, if it is in one of the heap's blocks at all (most
         * words of a stack are not: O(1) to say so). */
        if (!heap->los || chunk_table_find(&heap->chunks, word) ||
            vmma_get_owner(heap->ctx, word) != heap->client)
            return;
        s = heap->los;
    }
    mmtk_object obj = s->ops->find_object(s, word);
    if (obj)
        (s->ops->trace_pinned ? s->ops->trace_pinned : s->ops->trace)(s, v->worker, obj);
}

static gc_worker *worker_of(sched_worker *sw)
{
    mmtk *heap = sched_job_owner(sched_worker_job(sw));
    gc_worker *w = &heap->workers[sched_worker_id(sw)];
    w->sw = sw;
    return w;
}

typedef void (*scanned_fn)(gc_worker *, mmtk_object, size_t);

/* The plan's hook for each object scanned in this collection, or NULL. */
static scanned_fn scan_hook(const mmtk *heap)
{
    return heap->nursery_gc && heap->plan->scanned_full_only ? NULL : heap->plan->scanned;
}

/* Scan one reached object (size: its size, or 0 when not known). */
static inline void scan_one(gc_worker *w, scanned_fn scanned, mmtk_object obj, size_t size)
{
    mmtk *heap = w->heap;
    if (!size)
        size = gc_object_size(heap, obj);
    w->live_objects++;
    w->live_bytes += size;
    if (scanned)
        scanned(w, obj, size);
    heap->binding.scan_object(heap->vm, obj, &w->visitor);
}

static void scan_packet(gc_worker *w, trace_packet *tp)
{
    scanned_fn scanned = scan_hook(w->heap);
    for (uint32_t i = 0; i < tp->count; i++)
        scan_one(w, scanned, tp->objs[i], tp->sizes[i]);
    trace_fifo_drain(w);
    tp->count = 0;
}

/* Scan a packet, then keep scanning what it found on this worker; full
 * buffers went to the scheduler (gc_enqueue) for others to steal. */
static void trace_packet_run(sched_packet *packet, sched_worker *sw)
{
    gc_worker *w = worker_of(sw);
    trace_packet *tp = (trace_packet *)packet;
    for (;;) {
        scan_packet(w, tp);
        packet_put(w, tp);
        tp = w->out;
        if (!tp || tp->count == 0)
            break;
        w->out = NULL;
    }
}

/* GC-scoped arrays (roots, pins): from the client, within its limit;
 * ENOMEM when the array cannot grow (each caller has a way around). */
static int gc_vec_push(mmtk *heap, void ***arr, size_t *n, size_t *cap, void *item)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        void **fresh = heap_mem_alloc_or_uncache(heap, ncap * sizeof *fresh, 16);
        if (!fresh)
            return ENOMEM;
        if (*arr) {
            memcpy(fresh, *arr, *n * sizeof *fresh);
            heap_mem_free(heap, *arr);
        }
        *arr = fresh;
        *cap = ncap;
    }
    (*arr)[(*n)++] = item;
    return 0;
}

/* Listed, a transient pin is dropped after this collection; one that
 * finds no room in the list stays until its object dies (a pinned object
 * that is not reached is freed, its PIN bit with it): the object only
 * moves no more. */
void gc_note_transient_pin(mmtk *heap, mmtk_object obj)
{
    pthread_mutex_lock(&heap->packet_lock);
    (void)gc_vec_push(heap, (void ***)&heap->pins, &heap->npins, &heap->pins_cap, obj);
    pthread_mutex_unlock(&heap->packet_lock);
}

/* A root list up to this many slots is kept for the next collection:
 * most collections then take no work space beyond their packets. */
#define GC_KEEP_ROOT_SLOTS 4096

/* After release: drop this collection's transient pins and root list. */
static void gc_free_scratch(mmtk *heap)
{
    for (size_t i = 0; i < heap->npins; i++)
        meta_clear_atomic(heap->pins[i], META_PIN);
    if (heap->pins)
        heap_mem_free(heap, heap->pins);
    if (heap->root_slots && heap->root_slots_cap > GC_KEEP_ROOT_SLOTS) {
        heap_mem_free(heap, heap->root_slots);
        heap->root_slots = NULL;
        heap->root_slots_cap = 0;
    }
    if (heap->root_slices)
        heap_mem_free(heap, heap->root_slices);
    heap->root_slices = NULL;
    heap->pins = NULL;
    heap->npins = heap->pins_cap = heap->nroot_slots = 0;
}

static void record_root_slot(mmtk_visitor *v, mmtk_object *slot)
{
    mmtk *heap = v->worker->heap;
    if (*slot && gc_vec_push(heap, (void ***)&heap->root_slots, &heap->nroot_slots, &heap->root_slots_cap, slot))
        heap->roots_unrecorded = 1;
}

static void ignore_conservative(mmtk_visitor *v, void *word)
{
    (void)v;
    (void)word;
}

/* Precise root slots beyond the first ROOT_SLICE_SLOTS are traced in
 * packets of that many, which any worker may take: a nursery collection's
 * roots include every slot of the remembered set, which can be most of its
 * work. */
#define ROOT_SLICE_SLOTS 512

typedef struct root_slice {
    sched_packet base;
    size_t from, to;          /* heap->root_slots[from, to) */
} root_slice;

static void flush_out(gc_worker *w, sched_worker *sw, int bucket);

static void root_slots_trace(gc_worker *w, size_t from, size_t to)
{
    mmtk_object **slots = w->heap->root_slots;
    for (size_t i = from; i < to; i++)
        trace_slot_in(w, slots[i]);
    trace_fifo_drain(w);
}

static void root_slice_run(sched_packet *packet, sched_worker *sw)
{
    root_slice *r = (root_slice *)packet;
    gc_worker *w = worker_of(sw);
    root_slots_trace(w, r->from, r->to);
    flush_out(w, sw, SCHED_CLOSURE);
}

/* Hand root_slots[ROOT_SLICE_SLOTS, n) out as packets; returns how many
 * slots this worker keeps (all of them when packets cannot be had). */
static size_t root_slices_push(gc_worker *w, sched_worker *sw, size_t n)
{
    mmtk *heap = w->heap;
    if (heap->trace_workers < 2 || n <= 2 * ROOT_SLICE_SLOTS)
        return n;
    size_t count = (n - 1) / ROOT_SLICE_SLOTS;   /* slices after the first ROOT_SLICE_SLOTS */
    if (heap->root_slices)   /* a plan's second trace (gc_trace): the first's are done */
        heap_mem_free(heap, heap->root_slices);
    root_slice *r = heap->root_slices = heap_mem_alloc(heap, count * sizeof *r, 64);
    if (!r)
        return n;   /* the heap's client is full: this worker traces them all */
    for (size_t i = 0; i < count; i++) {
        r[i].base.run = root_slice_run;
        r[i].from = ROOT_SLICE_SLOTS * (i + 1);
        r[i].to = r[i].from + ROOT_SLICE_SLOTS < n ? r[i].from + ROOT_SLICE_SLOTS : n;
        sched_push(&heap->job, sw, SCHED_CLOSURE, &r[i].base);
    }
    return ROOT_SLICE_SLOTS;
}

static void scan_all_roots(mmtk *heap, mmtk_visitor *v)
{
    heap->binding.scan_roots(heap->vm, v);
    refs_scan_roots(heap, v);
    if (heap->plan->scan_roots)
        heap->plan->scan_roots(heap, v);
}

/* Roots: conservative words first (they pin what they point into), then
 * the precise slots, recorded meanwhile: so no object a conservative word
 * points into has been moved by a precise slot before it was pinned. When
 * the record cannot grow, the roots are visited a second time, pinned by
 * then, and every precise slot is traced as it comes (the recorded ones
 * twice, which changes nothing). */
static void roots_packet_run(sched_packet *packet, sched_worker *sw)
{
    (void)packet;
    gc_worker *w = worker_of(sw);
    mmtk *heap = w->heap;
    mmtk_visitor rv = w->visitor;
    rv.slot = record_root_slot;
    rv.slots = NULL;
    heap->nroot_slots = 0;   /* a plan may trace twice (gc_trace) */
    heap->roots_unrecorded = 0;
    scan_all_roots(heap, &rv);
    if (heap->roots_unrecorded) {
        mmtk_visitor now = w->visitor;
        now.conservative = ignore_conservative;
        scan_all_roots(heap, &now);
    }
    size_t mine = root_slices_push(w, sw, heap->nroot_slots);
    root_slots_trace(w, 0, mine);
    flush_out(w, sw, SCHED_CLOSURE);
}

static void flush_out(gc_worker *w, sched_worker *sw, int bucket)
{
    gc_publish_forwards(w);
    if (w->out && w->out->count) {
        trace_packet *o = w->out;
        w->out = NULL;
        sched_push(&w->heap->job, sw, bucket, &o->base);
    }
}

static void weak_packet_run(sched_packet *packet, sched_worker *sw)
{
    (void)packet;
    gc_worker *w = worker_of(sw);
    refs_process_weak(w->heap, w);
}

static void final_packet_run(sched_packet *packet, sched_worker *sw)
{
    (void)packet;
    gc_worker *w = worker_of(sw);
    refs_process_finalizers(w->heap, w);
    flush_out(w, sw, SCHED_FINALIZE);
}

/* ---------------------------------------------------------------- */
/* Mark-stack overflow                                                */

/* Trace packets are the collection's mark stack, and they come from the
 * heap's client within its limit (and the trace_packets option): a heap
 * never outgrows its quota for them. An object that is reached (marked or
 * copied) when no packet can be had is not lost: its chunk is flagged (or
 * the large object space, for a large object), and when the closure
 * bucket has drained, the worker that finds it drained, alone, scans
 * again every object of the flagged chunks that may not have been
 * scanned, which may fill packets (freed by then) or overflow again; the
 * bucket reopens until nothing overflows. Scanning an object twice is
 * harmless: its references are already marked or forwarded. Which objects
 * may be unscanned is the space's to say (space_ops.unscanned): the
 * marked ones that did not move, unless the space marks not all it
 * reaches (copy spaces, a generational mature space); a large object was
 * marked where it was reached. */

static void gc_note_overflow(mmtk *heap, mmtk_object obj)
{
    chunk *c = chunk_table_find(&heap->chunks, obj);
    if (c)
        __atomic_store_n(&c->overflow, 1, __ATOMIC_RELAXED);
    else
        __atomic_store_n(&heap->los_overflow, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&heap->trace_overflow, 1, __ATOMIC_RELEASE);
}

/* Scan the objects of c that `which` (SPACE_UNSCANNED_*) selects. */
static void rescan_chunk(gc_worker *w, scanned_fn scanned, chunk *c, int which)
{
    for (size_t i = CHUNK_DATA_OFFSET >> (GRANULE_LOG + 6); i < CHUNK_BITMAP_WORDS; i++) {
        uint64_t bits = which == SPACE_UNSCANNED_ALL    ? c->bits[META_VO][i]
                      : which == SPACE_UNSCANNED_PINNED ? c->bits[META_MARK][i] & c->bits[META_PIN][i]
                                                        : c->bits[META_MARK][i] & ~c->bits[META_FWD][i];
        while (bits) {
            size_t g = i * 64 + (size_t)__builtin_ctzll(bits);
            bits &= bits - 1;
            scan_one(w, scanned, (mmtk_object)((uintptr_t)c + (g << GRANULE_LOG)), 0);
        }
    }
}

static void rescan_los_object(mmtk_object obj, void *arg)
{
    gc_worker *w = arg;
    scan_one(w, scan_hook(w->heap), obj, 0);
}

static void gc_rescan_overflowed(gc_worker *w)
{
    mmtk *heap = w->heap;
    scanned_fn scanned = scan_hook(heap);
    for (unsigned i = 0; i < heap->nworkers; i++)   /* copies get their MARK bits now */
        for (int k = 0; k < GC_COPY_SLOTS; k++)
            immix_allocator_checkpoint(&heap->workers[i].copy[k].a);
    for (int i = 0; i < heap->nspaces; i++) {
        space *s = heap->spaces[i];
        int which = s->ops->unscanned ? s->ops->unscanned(s) : SPACE_UNSCANNED_MARKED;
        for (chunk *c = s->chunks; c; c = c->next)
            if (__atomic_exchange_n(&c->overflow, 0, __ATOMIC_ACQ_REL))
                rescan_chunk(w, scanned, c, which);
    }
    if (heap->los && __atomic_exchange_n(&heap->los_overflow, 0, __ATOMIC_ACQ_REL))
        los_for_each_marked(heap->los, rescan_los_object, w);
}

/* The scheduler's drained hook: the closure (or the finalizers' closure)
 * is done but for what overflowed; that is scanned now, and what it finds
 * reopens the bucket. */
static void gc_drained(sched_job *job, int bucket, sched_worker *sw, void *arg)
{
    mmtk *heap = arg;
    (void)job;
    if ((bucket != SCHED_CLOSURE && bucket != SCHED_FINALIZE) ||
        !__atomic_exchange_n(&heap->trace_overflow, 0, __ATOMIC_ACQ_REL))
        return;
    gc_worker *w = worker_of(sw);
    do {   /* until a pass overflows no more: each one that does marks more */
        __atomic_add_fetch(&heap->trace_overflows, 1, __ATOMIC_RELAXED);
        gc_rescan_overflowed(w);
        trace_fifo_drain(w);
        flush_out(w, sw, bucket);
    } while (__atomic_exchange_n(&heap->trace_overflow, 0, __ATOMIC_ACQ_REL));
}

/* ---------------------------------------------------------------- */
/* One collection, world stopped                                      */

static void workers_prepare(mmtk *heap)
{
    if (!heap->workers) {   /* a heap that never collects never pays for them */
        heap->workers = heap_mem_alloc_or_uncache(heap, heap->nworkers * sizeof *heap->workers, 64);
        if (!heap->workers) {   /* no room: this heap collects on one worker, its own record */
            heap->workers = &heap->worker0;
            heap->nworkers = 1;
        }
    }
    for (unsigned i = 0; i < heap->nworkers; i++) {
        gc_worker *w = &heap->workers[i];
        memset(w, 0, sizeof *w);
        w->heap = heap;
        w->visitor.slot = trace_slot;
        w->visitor.slots = trace_slots;
        w->visitor.conservative = gc_trace_conservative;
        w->visitor.worker = w;
        if (heap->plan->worker_init)
            heap->plan->worker_init(heap, w);
    }
}

/* Gather the workers' figures and packets; returns the bytes found alive. */
static uint64_t workers_finish(mmtk *heap)
{
    trace_packet *all = heap->free_packets;
    heap->free_packets = NULL;
    heap->npackets = 0;
    uint64_t copied = 0, copied_bytes = 0, live = 0;
    for (unsigned i = 0; i < heap->nworkers; i++) {
        gc_worker *w = &heap->workers[i];
        copied += w->objects_copied;
        copied_bytes += w->bytes_copied;
        live += w->live_bytes;
        if (w->out) {
            w->out->next_free = all;
            all = w->out;
        }
        while (w->cache) {
            trace_packet *p = w->cache;
            w->cache = p->next_free;
            p->next_free = all;
            all = p;
        }
    }
    while (all) {
        trace_packet *p = all;
        all = p->next_free;
        heap_mem_free(heap, p);
    }
    if (heap->nursery_gc)
        heap->last_nursery_survived = live;   /* copied, or marked in place (StickyImmix) */
    pthread_mutex_lock(&heap->stats_lock);
    heap->stats.objects_copied += copied;
    heap->stats.bytes_copied += copied_bytes;
    heap->gc_copied += copied;             /* this collection's, for the log */
    heap->gc_copied_bytes += copied_bytes;
    heap->stats.live_bytes_after_last_gc = live;
    pthread_mutex_unlock(&heap->stats_lock);
    return live;
}

static void gc_adjust_budget(mmtk *heap)
{
    if (heap->trigger != TRIGGER_DYNAMIC)
        return;
    pthread_mutex_lock(&heap->mem_lock);
    size_t want = heap->committed * 2 + (heap->plan->copy_reserve ? heap->plan->copy_reserve(heap) : 0);
    if (want < heap->min_heap)
        want = heap->min_heap;
    if (want > heap->max_heap)
        want = heap->max_heap;
    heap->budget = want;
    chunk_cache_trim(heap, want > heap->committed ? want - heap->committed : 0);
    pthread_mutex_unlock(&heap->mem_lock);
}

/* One transitive closure as a work-packet job: roots → closure → weak →
 * finalize, through the spaces' trace ops. gc_run runs it once; a plan's
 * after_closure may run it again (plan.h). */
void gc_trace(mmtk *heap)
{
    workers_prepare(heap);
    heap->trace_workers = gc_trace_width(heap);
    sched_job_init(&heap->job, heap->trace_workers, heap);
    sched_job_on_drained(&heap->job, gc_drained, heap);
    heap->roots_packet.run = roots_packet_run;
    heap->weak_packet.run = weak_packet_run;
    heap->final_packet.run = final_packet_run;
    sched_push(&heap->job, NULL, SCHED_ROOTS, &heap->roots_packet);
    sched_push(&heap->job, NULL, SCHED_WEAK, &heap->weak_packet);
    sched_push(&heap->job, NULL, SCHED_FINALIZE, &heap->final_packet);
    uint64_t t0 = gc_now_ns();
    sched_run(&heap->job);
    uint64_t ns = gc_now_ns() - t0;
    heap->gc_trace_ns += ns;
    gc_note_rate(heap, ns, workers_finish(heap));
}

static void gc_run(mmtk *heap)
{
    heap->in_gc = 1;
    mutators_reset_allocators(heap);
    if (heap->plan->prepare)
        heap->plan->prepare(heap);
    for (int i = 0; i < heap->nspaces; i++)
        heap->spaces[i]->ops->prepare(heap->spaces[i]);
    gc_trace(heap);
    if (heap->plan->after_closure)
        heap->plan->after_closure(heap);
    for (int i = 0; i < heap->nspaces; i++)
        heap->spaces[i]->ops->release(heap->spaces[i]);
    if (heap->plan->release)
        heap->plan->release(heap);
    gc_free_scratch(heap);
    heap->in_gc = 0;
    gc_adjust_budget(heap);
    if (heap->verify)
        verify_heap(heap);
}

/* ---------------------------------------------------------------- */
/* Stop the world                                                     */

void gc_collect(mmtk *heap, mmtk_mutator *m)
{
    uint64_t t0 = gc_now_ns();
    pthread_mutex_lock(&heap->stw_lock);
    if (heap->stop_requested) {
        /* Another thread is collecting: wait it out as if at a safepoint. */
        if (m)
            mutator_block_for_gc(m);
        else
            while (heap->stop_requested)
                pthread_cond_wait(&heap->stw_cond, &heap->stw_lock);
        pthread_mutex_unlock(&heap->stw_lock);
        return;
    }
    __atomic_store_n(&heap->stop_requested, 1, __ATOMIC_RELEASE);
    int was_running = m && m->state == MUT_RUNNING;
    if (was_running) {
        m->state = MUT_BLOCKED;
        heap->running--;
    }
    void *tls = m ? m->tls : NULL;
    if (!heap->binding.stop_all_mutators)
        while (heap->running > 0)
            pthread_cond_wait(&heap->stw_cond, &heap->stw_lock);
    pthread_mutex_unlock(&heap->stw_lock);

    if (heap->binding.stop_all_mutators)
        heap->binding.stop_all_mutators(heap->vm, tls);
    if (heap->binding.gc_started)
        heap->binding.gc_started(heap->vm);
    gc_run(heap);
    __atomic_store_n(&heap->stress_bytes, 0, __ATOMIC_RELAXED);
    if (heap->binding.gc_finished)
        heap->binding.gc_finished(heap->vm);
    if (heap->binding.resume_mutators)
        heap->binding.resume_mutators(heap->vm, tls);
    stats_collection_done(heap, gc_now_ns() - t0);

    pthread_mutex_lock(&heap->stw_lock);
    if (was_running) {
        m->state = MUT_RUNNING;
        heap->running++;
    }
    __atomic_store_n(&heap->stop_requested, 0, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&heap->stw_cond);
    pthread_mutex_unlock(&heap->stw_lock);
}

/* ---------------------------------------------------------------- */
/* The visitor's public doors                                         */

void mmtk_visit_slot(mmtk_visitor *v, mmtk_object *slot)
{
    if (v && slot)
        v->slot(v, slot);
}

void mmtk_visit_slots(mmtk_visitor *v, mmtk_object *first, size_t count)
{
    if (!v || !first)
        return;
    if (v->slots == trace_slots) {   /* the tracer's own: its loop, no second call */
        gc_worker *w = v->worker;
        for (size_t i = 0; i < count; i++)
            trace_slot_in(w, &first[i]);
        return;
    }
    if (v->slots) {
        v->slots(v, first, count);
        return;
    }
    for (size_t i = 0; i < count; i++)
        v->slot(v, &first[i]);
}

void mmtk_visit_conservative(mmtk_visitor *v, void *word)
{
    if (v && word)
        v->conservative(v, word);
}

void mmtk_visit_range_conservative(mmtk_visitor *v, void *start, void *end)
{
    if (!v || !start || !end)
        return;
    uintptr_t p = ((uintptr_t)start + sizeof(void *) - 1) & ~(uintptr_t)(sizeof(void *) - 1);
    for (; p + sizeof(void *) <= (uintptr_t)end; p += sizeof(void *)) {
        void *word;
        memcpy(&word, (void *)p, sizeof word);
        if (word)
            v->conservative(v, word);
    }
}
