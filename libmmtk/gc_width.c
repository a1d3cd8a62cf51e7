/*
 * gc_width.c — how many GC workers trace a collection: one for a small
 * nursery, else all of them unless what they measured says one is as
 * fast (a shared machine whose other CPUs are busy).
 *
 * Owns heap->trace_rate and heap->width_probe (only the collecting
 * thread touches them).
 */
#include "mmtk_internal.h"

/* How many workers trace this collection. A nursery collection whose
 * predecessor found little alive (most of them: the nursery mostly dies) runs
 * on the collecting thread alone: waking pool workers costs more than they
 * save on ~0.2 ms of work, and a descheduled worker on a loaded machine
 * held such pauses at 2-5 ms wall (scheduler engineer's measurement). */
#define GC_SMALL_NURSERY_LIVE  ((uint64_t)1 << 20)

/* Whether more workers pay, judged by what they did: for each kind of
 * collection (nursery, full) the heap keeps the average tracing time per
 * KiB found alive with one worker and with several (traces that found at
 * least GC_RATE_MIN_LIVE). When several have not been at least 10% faster
 * than one, a collection that would use several uses one, except every
 * GC_WIDTH_PROBE-th, which tries again: on a machine whose other CPUs are
 * busy (a shared host, other processes) extra workers only wait to be
 * scheduled; and a nursery the mutator has just written is partly in its
 * own core's cache, which a second core reads at a cost. Until both are
 * known nothing changes, except that the nursery collection after one
 * with several workers measures one. */
#define GC_RATE_MIN_LIVE  ((uint64_t)256 << 10)
#define GC_WIDTH_PROBE    8

unsigned gc_trace_width(mmtk *heap)
{
    /* (the first collection has no predecessor: it may copy a whole nursery
     * of young survivors, as GCBench's first ones do) */
    if (heap->nworkers == 1 ||
        (heap->nursery_gc && heap->stats.collections > 0 && heap->last_nursery_survived < GC_SMALL_NURSERY_LIVE))
        return 1;
    const uint64_t *rate = heap->trace_rate[heap->nursery_gc != 0];
    if (heap->nursery_gc && rate[1] && !rate[0])
        return 1;   /* several have traced a nursery, one not yet: measure it now */
    if (rate[0] && rate[1] && rate[1] * 10 > rate[0] * 9 && ++heap->width_probe % GC_WIDTH_PROBE)
        return 1;
    return heap->nworkers;
}

/* After a trace: fold its time per KiB alive into the average of its kind
 * and width (weight 1/4). */
void gc_note_rate(mmtk *heap, uint64_t ns, uint64_t live)
{
    if (live < GC_RATE_MIN_LIVE || heap->nworkers == 1)
        return;
    uint64_t *r = &heap->trace_rate[heap->nursery_gc != 0][heap->trace_workers > 1];
    uint64_t v = ns * 1024 / live;
    *r = *r ? (*r * 3 + v) / 4 : v;
}
