/*
 * bench_sched_heap.c — parallel tracing in a real libmmtk heap: the same
 * ~200 MiB live object graph collected by a heap with threads=1 and by one
 * with threads=2 (issue 4's goal: two workers mark a 200 MiB live heap at
 * least 1.6x faster than one).
 *
 * The graph is built through the test VM (tests/testvm.[ch]) with the public
 * API: a root array of "spine" objects of SPINE_REFS references, each
 * pointing to nodes of NODE_REFS references to random nodes. Each heap then
 * runs REPS full collections (mmtk_handle_user_collection_request), the two
 * heaps taking turns, and the table shows the best and median pause, taken
 * from mmtk_get_stats, so it
 * includes the serial parts of a collection (prepare, sweep) as well as the
 * parallel closure.
 *
 * Last, the machine's own parallelism before and after (a CPU-bound loop
 * on two threads against one): on a shared virtual machine two threads may
 * get much less than two CPUs, which caps any speedup.
 *
 * Environment: BENCH_SCHED_MIB (live size, default 200), BENCH_SCHED_REPS
 * (default 5), BENCH_SCHED_PLAN (default MarkSweep; must not move objects
 * while the graph is being built: MarkSweep or Immix-like plans).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "testvm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#define NODE_REFS   4
#define NODE_BYTES  64          /* 24 header + 4 refs + 8 payload */
#define SPINE_REFS  1024
#define MAX_REPS    31

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Build the graph; the top array stays in root slot 0. Objects do not move
 * during the build (the plan is non-moving), so plain pointers are kept. */
static int graph_build(tv_thread *t, size_t mib, size_t *nodes_out)
{
    size_t nnodes = mib * 1024 * 1024 / NODE_BYTES;
    size_t nspines = (nnodes + SPINE_REFS - 1) / SPINE_REFS;
    uint64_t seed = 42;
    tv_obj *top = tv_alloc(t, (uint32_t)nspines, 0, 0);

    if (!top)
        return -1;
    tv_push(t, top);
    for (size_t s = 0; s < nspines; s++) {
        tv_obj *spine = tv_alloc(t, SPINE_REFS, 0, 0);
        if (!spine)
            return -1;
        tv_set(t, top, (uint32_t)s, spine);
        for (uint32_t i = 0; i < SPINE_REFS; i++) {
            tv_obj *n = tv_alloc(t, NODE_REFS, 8, 0);
            if (!n)
                return -1;
            tv_set(t, spine, i, n);
        }
    }
    for (size_t s = 0; s < nspines; s++) {
        tv_obj *spine = top->refs[s];
        for (uint32_t i = 0; i < SPINE_REFS; i++) {
            tv_obj *n = spine->refs[i];
            for (uint32_t r = 0; r < NODE_REFS; r++) {
                uint64_t k = rng_next(&seed) % (nspines * SPINE_REFS);
                tv_obj *target = ((tv_obj *)top->refs[k / SPINE_REFS])->refs[k % SPINE_REFS];
                tv_set(t, n, r, target);
            }
        }
    }
    *nodes_out = nspines * SPINE_REFS;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* A heap with `threads` GC workers and its graph, ready to collect. */
typedef struct bench_heap {
    tv_vm vm;
    tv_thread *t;
    uint64_t pause[MAX_REPS];
    uint64_t live;
} bench_heap;

static int heap_setup(bench_heap *h, const char *plan, unsigned threads, size_t mib)
{
    char heap_opt[64], threads_opt[32];
    const char *opts[] = { heap_opt, threads_opt, NULL };
    size_t nodes = 0;

    snprintf(heap_opt, sizeof heap_opt, "heap_size=%zuM", mib * 2 + 128);
    snprintf(threads_opt, sizeof threads_opt, "threads=%u", threads);
    h->vm.no_copy_count = 1;   /* a shared counter bumped per copy would be the bottleneck */
    if (!tv_heap_new(&h->vm, NULL, plan, opts)) {
        fprintf(stderr, "bench_sched_heap: cannot make a %s heap\n", plan);
        return -1;
    }
    h->t = tv_thread_new(&h->vm);
    if (!h->t || graph_build(h->t, mib, &nodes) != 0) {
        fprintf(stderr, "bench_sched_heap: building the graph failed\n");
        return -1;
    }
    return 0;
}

/* One full collection; its pause (from the heap's figures) goes to pause[r]. */
static void heap_collect(bench_heap *h, int r)
{
    mmtk_stats st;
    uint64_t before;

    mmtk_get_stats(h->vm.heap, &st);
    before = st.pause_ns_total;
    mmtk_handle_user_collection_request(h->vm.heap, h->t);
    mmtk_get_stats(h->vm.heap, &st);
    h->pause[r] = st.pause_ns_total - before;
    h->live = st.live_bytes_after_last_gc;
}

/* The machine's own parallelism right now: the same CPU-bound loop on one
 * thread, then on two at once (a shared virtual machine may give two
 * threads much less than two CPUs): 2 * t(one) / t(two). */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
    volatile uint64_t x = 0;
    for (uint64_t i = 0; i < 50000000u; i++)
        x += i;
    (void)arg;
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One and two threads in turn, seven times; the medians (the speed of this
 * virtual machine's CPUs drifts by the second, so both see the same
 * drift). */
static double machine_parallelism(void)
{
    enum { ROUNDS = 7 };
    double one[ROUNDS], two[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        pthread_t th[2];
        double t0 = now_s();
        spin(NULL);
        one[r] = now_s() - t0;
        t0 = now_s();
        for (int i = 0; i < 2; i++)
            if (pthread_create(&th[i], NULL, spin, NULL) != 0)
                return 0;
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        two[r] = now_s() - t0;
    }
    qsort(one, ROUNDS, sizeof one[0], cmp_double);
    qsort(two, ROUNDS, sizeof two[0], cmp_double);
    return 2 * one[ROUNDS / 2] / two[ROUNDS / 2];
}

int main(void)
{
    const char *e_mib = getenv("BENCH_SCHED_MIB"), *e_reps = getenv("BENCH_SCHED_REPS");
    const char *e_plan = getenv("BENCH_SCHED_PLAN");
    size_t mib = e_mib && atoi(e_mib) > 0 ? (size_t)atoi(e_mib) : 200;
    int reps = e_reps && atoi(e_reps) > 0 ? atoi(e_reps) : 5;
    const char *plan = e_plan ? e_plan : "MarkSweep";
    static bench_heap h[2];
    int bad = 0;

    if (reps > MAX_REPS)
        reps = MAX_REPS;
    /* Both heaps live at once and their collections alternate, so that
     * other load on the machine falls on both alike. */
    for (unsigned k = 0; k < 2 && !bad; k++)
        bad = heap_setup(&h[k], plan, k + 1, mib) != 0;
    for (int r = 0; r < reps && !bad; r++)
        for (unsigned k = 0; k < 2; k++)
            heap_collect(&h[k], r);
    double par_before = machine_parallelism();
    if (!bad) {
        printf("full collections of a %zu MiB random graph, plan %s, %d each, alternating (ms)\n",
               mib, plan, reps);
        printf("%-10s %12s %9s %9s %9s %9s\n", "threads", "live MiB", "best", "median",
               "speedup", "(median)");
        for (unsigned k = 0; k < 2; k++)
            qsort(h[k].pause, (size_t)reps, sizeof(uint64_t), cmp_u64);
        for (unsigned k = 0; k < 2; k++)
            printf("%-10u %12.1f %9.1f %9.1f %8.2fx %8.2fx\n", k + 1,
                   (double)h[k].live / (1 << 20), h[k].pause[0] / 1e6,
                   h[k].pause[reps / 2] / 1e6,
                   (double)h[0].pause[0] / (double)h[k].pause[0],
                   (double)h[0].pause[reps / 2] / (double)h[k].pause[reps / 2]);
        printf("the machine meanwhile: two threads of a CPU-bound loop ran %.2fx as fast as one "
               "(before the collections) and %.2fx (after)\n", par_before, machine_parallelism());
        bad = h[0].live != h[1].live;
    }
    for (unsigned k = 0; k < 2; k++)
        if (h[k].vm.heap)
            tv_heap_free(&h[k].vm);
    return bad;
}
