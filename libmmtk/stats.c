/*
 * stats.c — figures: heap sizes, collection statistics, the harness.
 *
 * Owns heap->stats (stats_lock). Allocation counts live in each mutator
 * (written by its thread with relaxed atomic stores) plus those of
 * destroyed mutators; they are summed when asked for.
 */
#include "mmtk_internal.h"
#include <string.h>

static int heap_ok(const mmtk *heap)
{
    return heap && heap->magic == HEAP_MAGIC;
}

void stats_collection_done(mmtk *heap, uint64_t pause_ns)
{
    pthread_mutex_lock(&heap->stats_lock);
    heap->stats.collections++;
    if (!heap->nursery_gc)
        heap->stats.full_collections++;
    heap->stats.pause_ns_total += pause_ns;
    if (pause_ns > heap->stats.pause_ns_max)
        heap->stats.pause_ns_max = pause_ns;
    mmtk_stats st = heap->stats;
    uint64_t copied = heap->gc_copied, copied_bytes = heap->gc_copied_bytes;
    uint64_t trace_ns = heap->gc_trace_ns;
    heap->gc_copied = heap->gc_copied_bytes = heap->gc_trace_ns = 0;
    pthread_mutex_unlock(&heap->stats_lock);
    if (heap->verbose)
        fprintf(stderr, "mmtk: %s collection %llu (%s): %.3f ms (tracing %.3f ms), %u workers, copied %llu objects (%llu bytes), "
                        "live %llu bytes, %zu of %zu bytes in use\n",
                heap->plan->name, (unsigned long long)st.collections, heap->nursery_gc ? "nursery" : "full",
                (double)pause_ns / 1e6, (double)trace_ns / 1e6, heap->trace_workers, (unsigned long long)copied,
                (unsigned long long)copied_bytes, (unsigned long long)st.live_bytes_after_last_gc,
                mmtk_used_bytes(heap), mmtk_total_bytes(heap));
}

size_t mmtk_used_bytes(const mmtk *heap)
{
    if (!heap_ok(heap))
        return 0;
    mmtk *h = (mmtk *)heap;
    pthread_mutex_lock(&h->mem_lock);
    size_t used = h->committed;
    pthread_mutex_unlock(&h->mem_lock);
    return used;
}

size_t mmtk_total_bytes(const mmtk *heap)
{
    if (!heap_ok(heap))
        return 0;
    mmtk *h = (mmtk *)heap;
    pthread_mutex_lock(&h->mem_lock);
    size_t total = h->budget;
    pthread_mutex_unlock(&h->mem_lock);
    return total;
}

size_t mmtk_free_bytes(const mmtk *heap)
{
    if (!heap_ok(heap))
        return 0;
    size_t total = mmtk_total_bytes(heap), used = mmtk_used_bytes(heap);
    return used < total ? total - used : 0;
}

static void allocated(mmtk *heap, uint64_t *objects, uint64_t *bytes)
{
    pthread_mutex_lock(&heap->stw_lock);
    pthread_mutex_lock(&heap->stats_lock);
    uint64_t o = heap->retired_objects, b = heap->retired_bytes;
    pthread_mutex_unlock(&heap->stats_lock);
    for (mmtk_mutator *m = heap->mutators; m; m = m->next) {
        o += __atomic_load_n(&m->objects, __ATOMIC_RELAXED);
        b += __atomic_load_n(&m->bytes, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&heap->stw_lock);
    *objects = o;
    *bytes = b;
}

int mmtk_get_stats(const mmtk *heap, mmtk_stats *out)
{
    if (!heap_ok(heap) || !out)
        return EINVAL;
    mmtk *h = (mmtk *)heap;
    uint64_t o, b;
    allocated(h, &o, &b);
    pthread_mutex_lock(&h->stats_lock);
    *out = h->stats;
    pthread_mutex_unlock(&h->stats_lock);
    out->objects_allocated = o - out->objects_allocated;   /* stats holds the harness baseline */
    out->bytes_allocated = b - out->bytes_allocated;
    return 0;
}

uint64_t mmtk_verify_failures(const mmtk *heap)
{
    if (!heap_ok(heap))
        return 0;
    return __atomic_load_n(&heap->verify_failures, __ATOMIC_RELAXED);
}

uint64_t mmtk_trace_overflows(const mmtk *heap)
{
    if (!heap_ok(heap))
        return 0;
    return __atomic_load_n(&heap->trace_overflows, __ATOMIC_RELAXED);
}

void mmtk_harness_begin(mmtk *heap, void *tls)
{
    (void)tls;
    if (!heap_ok(heap))
        return;
    uint64_t o, b;
    allocated(heap, &o, &b);
    pthread_mutex_lock(&heap->stats_lock);
    memset(&heap->stats, 0, sizeof heap->stats);
    heap->stats.objects_allocated = o;
    heap->stats.bytes_allocated = b;
    heap->harness_start_ns = gc_now_ns();
    pthread_mutex_unlock(&heap->stats_lock);
}

void mmtk_harness_end(mmtk *heap)
{
    if (!heap_ok(heap))
        return;
    mmtk_stats s;
    mmtk_get_stats(heap, &s);
    uint64_t elapsed = gc_now_ns() - heap->harness_start_ns;
    fprintf(stderr,
            "============================ mmtk harness ============================\n"
            "plan        time_ms  GCs  full  pause_ms  max_pause_ms  alloc_MiB  objects    copied_MiB  live_KiB\n"
            "%-11s %7.1f %4llu %5llu %9.2f %13.2f %10.1f %-10llu %11.1f %9.1f\n"
            "======================================================================\n",
            heap->plan->name, (double)elapsed / 1e6, (unsigned long long)s.collections,
            (unsigned long long)s.full_collections, (double)s.pause_ns_total / 1e6,
            (double)s.pause_ns_max / 1e6, (double)s.bytes_allocated / 1048576.0,
            (unsigned long long)s.objects_allocated, (double)s.bytes_copied / 1048576.0,
            (double)s.live_bytes_after_last_gc / 1024.0);
}
