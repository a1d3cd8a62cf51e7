/*
 * bench_sched.c — parallel speed of libmmtk's work-packet scheduler.
 *
 * Marks a synthetic object graph (~200 MiB of 64-byte nodes, four random
 * references each, a mark byte in each header) through the scheduler the
 * way a tracing closure would: a ROOTS packet seeds CLOSURE packets of up to
 * MARK_PACKET_OBJS objects; a packet scans its objects, claims unmarked
 * children with an atomic exchange on their mark byte and pushes full
 * buffers as new packets. The same job runs with 1 and 2 workers and the
 * table gives the speedup (goal: >= 1.6x on 2 cores). A second row does the
 * same with pure CPU work per packet (no memory traffic) as a ceiling, and
 * a third with empty packets shows the scheduler's own cost per packet
 * (packets must be coarse: a GC's hold hundreds of objects).
 *
 * Environment: BENCH_SCHED_MIB (graph size, default 200), BENCH_SCHED_REPS
 * (runs per worker count, default 5; the best and the median are shown).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "scheduler/scheduler.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NODE_REFS        4
#define MARK_PACKET_OBJS 256
#define ROOT_COUNT       1024
#define MAX_REPS         31

typedef struct node {
    atomic_uchar mark;
    unsigned char pad[7];
    struct node *ref[NODE_REFS];
    uint64_t payload[3];
} node;                                   /* 64 bytes */

typedef struct mark_packet {
    sched_packet pk;
    struct mark_packet *free_next;
    unsigned n;
    node *obj[MARK_PACKET_OBJS];
} mark_packet;

typedef struct mark_state {
    sched_job job;
    node *nodes;
    size_t nnodes;
    node *roots[ROOT_COUNT];
    sched_packet roots_pk;
    mark_packet *free[SCHED_MAX_WORKERS];  /* per worker id: no locking */
    atomic_long marked;
} mark_state;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* ------------------------------------------------------------- marking */

static void mark_run(sched_packet *p, sched_worker *w);

static mark_packet *packet_get(mark_state *s, unsigned wid)
{
    mark_packet *mp = s->free[wid];

    if (mp)
        s->free[wid] = mp->free_next;
    else if (!(mp = malloc(sizeof *mp))) {
        fprintf(stderr, "bench_sched: out of memory\n");
        exit(1);
    }
    mp->pk.run = mark_run;
    mp->n = 0;
    return mp;
}

static void packet_put(mark_state *s, unsigned wid, mark_packet *mp)
{
    mp->free_next = s->free[wid];
    s->free[wid] = mp;
}

/* Claim obj for marking: the one who flips its mark byte scans it. */
static inline int mark_claim(node *obj)
{
    return atomic_load_explicit(&obj->mark, memory_order_relaxed) == 0 &&
           atomic_exchange_explicit(&obj->mark, 1, memory_order_relaxed) == 0;
}

static void mark_run(sched_packet *p, sched_worker *w)
{
    mark_state *s = sched_job_owner(sched_worker_job(w));
    unsigned wid = sched_worker_id(w);
    mark_packet *in = (mark_packet *)(void *)p;
    mark_packet *out = packet_get(s, wid);
    long marked = in->n;

    for (unsigned i = 0; i < in->n; i++) {
        node *obj = in->obj[i];
        for (int r = 0; r < NODE_REFS; r++) {
            node *child = obj->ref[r];
            if (!child || !mark_claim(child))
                continue;
            out->obj[out->n++] = child;
            if (out->n == MARK_PACKET_OBJS) {
                sched_push(&s->job, w, SCHED_CLOSURE, &out->pk);
                out = packet_get(s, wid);
            }
        }
    }
    if (out->n)
        sched_push(&s->job, w, SCHED_CLOSURE, &out->pk);
    else
        packet_put(s, wid, out);
    packet_put(s, wid, in);
    atomic_fetch_add_explicit(&s->marked, marked, memory_order_relaxed);
}

static void roots_run(sched_packet *p, sched_worker *w)
{
    mark_state *s = sched_job_owner(sched_worker_job(w));
    unsigned wid = sched_worker_id(w);
    mark_packet *out = packet_get(s, wid);

    (void)p;
    for (int i = 0; i < ROOT_COUNT; i++) {
        if (!mark_claim(s->roots[i]))
            continue;
        out->obj[out->n++] = s->roots[i];
        if (out->n == MARK_PACKET_OBJS / 8) {   /* small: spread early */
            sched_push(&s->job, w, SCHED_CLOSURE, &out->pk);
            out = packet_get(s, wid);
        }
    }
    if (out->n)
        sched_push(&s->job, w, SCHED_CLOSURE, &out->pk);
    else
        packet_put(s, wid, out);
}

static int graph_build(mark_state *s, size_t mib)
{
    uint64_t seed = 42;

    s->nnodes = mib * 1024 * 1024 / sizeof(node);
    s->nodes = malloc(s->nnodes * sizeof(node));
    if (!s->nodes)
        return -1;
    for (size_t i = 0; i < s->nnodes; i++) {
        node *n = &s->nodes[i];
        atomic_init(&n->mark, 0);
        for (int r = 0; r < NODE_REFS; r++)
            n->ref[r] = &s->nodes[rng_next(&seed) % s->nnodes];
        n->payload[0] = i;
    }
    for (int i = 0; i < ROOT_COUNT; i++)
        s->roots[i] = &s->nodes[rng_next(&seed) % s->nnodes];
    return 0;
}

static double mark_once(mark_state *s, unsigned workers, long *marked)
{
    double t0;

    for (size_t i = 0; i < s->nnodes; i++)
        atomic_store_explicit(&s->nodes[i].mark, 0, memory_order_relaxed);
    atomic_store(&s->marked, 0);
    sched_job_init(&s->job, workers, s);
    s->roots_pk.run = roots_run;
    sched_push(&s->job, NULL, SCHED_ROOTS, &s->roots_pk);
    t0 = now_seconds();
    sched_run(&s->job);
    *marked = atomic_load(&s->marked);
    return now_seconds() - t0;
}

/* ------------------------------------------------------- pure CPU work */

#define CPU_PACKETS   20000
#define CPU_PACKET_NS_ITERS 20000

typedef struct cpu_state {
    sched_job job;
    sched_packet *pk;
    atomic_ulong sum;
} cpu_state;

static void cpu_run(sched_packet *p, sched_worker *w)
{
    cpu_state *s = sched_job_owner(sched_worker_job(w));
    uint64_t x = (uint64_t)(p - s->pk);

    for (int i = 0; i < CPU_PACKET_NS_ITERS; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    atomic_fetch_add_explicit(&s->sum, (unsigned long)(x >> 60),
                              memory_order_relaxed);
}

static double cpu_once(cpu_state *s, unsigned workers, long *out)
{
    double t0;

    sched_job_init(&s->job, workers, s);
    atomic_store(&s->sum, 0);
    for (int i = 0; i < CPU_PACKETS; i++) {
        s->pk[i].run = cpu_run;
        sched_push(&s->job, NULL, SCHED_CLOSURE, &s->pk[i]);
    }
    t0 = now_seconds();
    sched_run(&s->job);
    *out = (long)atomic_load(&s->sum);
    return now_seconds() - t0;
}

/* ------------------------------------------- empty packets: overhead */

#define TINY_PACKETS 2000000

/* A binary tree of empty packets, each pushing its two children: nothing
 * but scheduler overhead (push, pop, steal, termination). */
static void tiny_run(sched_packet *p, sched_worker *w)
{
    cpu_state *s = sched_job_owner(sched_worker_job(w));
    size_t i = (size_t)(p - s->pk);

    for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < TINY_PACKETS; c++) {
        s->pk[c].run = tiny_run;
        sched_push(&s->job, w, SCHED_CLOSURE, &s->pk[c]);
    }
    atomic_fetch_add_explicit(&s->sum, 1, memory_order_relaxed);
}

static double tiny_once(cpu_state *s, unsigned workers, long *out)
{
    double t0;

    sched_job_init(&s->job, workers, s);
    atomic_store(&s->sum, 0);
    s->pk[0].run = tiny_run;
    sched_push(&s->job, NULL, SCHED_CLOSURE, &s->pk[0]);
    t0 = now_seconds();
    sched_run(&s->job);
    *out = (long)atomic_load(&s->sum);
    return now_seconds() - t0;
}

/* ---------------------------------------------------------------- table */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef double (*bench_fn)(void *state, unsigned workers, long *result);

/* Best and median of `reps` runs with 1 then 2 workers; the result (marked
 * objects, checksum) must not depend on the worker count. */
static int bench_row(const char *name, bench_fn fn, void *state, int reps)
{
    double t[2][MAX_REPS], best[2], med[2];
    long result[2] = {0, 0}, r;

    for (int rep = 0; rep < reps; rep++)
        for (unsigned k = 0; k < 2; k++) {
            t[k][rep] = fn(state, k + 1, &r);
            if (rep == 0)
                result[k] = r;
            else if (r != result[k])
                result[k] = -1;
        }
    for (unsigned k = 0; k < 2; k++) {
        qsort(t[k], (size_t)reps, sizeof(double), cmp_double);
        best[k] = t[k][0];
        med[k] = t[k][reps / 2];
    }
    printf("%-26s %9.1f %9.1f %9.1f %9.1f %8.2fx %8.2fx %s\n", name,
           best[0] * 1e3, med[0] * 1e3, best[1] * 1e3, med[1] * 1e3,
           best[0] / best[1], med[0] / med[1],
           result[0] == result[1] && result[0] >= 0 ? "ok" : "MISMATCH");
    return result[0] == result[1] && result[0] >= 0 ? 0 : 1;
}

static double mark_fn(void *s, unsigned w, long *r) { return mark_once(s, w, r); }
static double cpu_fn(void *s, unsigned w, long *r) { return cpu_once(s, w, r); }
static double tiny_fn(void *s, unsigned w, long *r) { return tiny_once(s, w, r); }

int main(void)
{
    const char *e_mib = getenv("BENCH_SCHED_MIB"), *e_reps = getenv("BENCH_SCHED_REPS");
    size_t mib = e_mib && atoi(e_mib) > 0 ? (size_t)atoi(e_mib) : 200;
    int reps = e_reps && atoi(e_reps) > 0 ? atoi(e_reps) : 5;
    static mark_state ms;
    cpu_state cs;
    char name[64];
    int bad = 0;

    if (reps > MAX_REPS)
        reps = MAX_REPS;
    if (graph_build(&ms, mib) != 0) {
        fprintf(stderr, "bench_sched: cannot allocate %zu MiB\n", mib);
        return 1;
    }
    cs.pk = calloc(TINY_PACKETS, sizeof *cs.pk);
    if (!cs.pk)
        return 1;
    printf("work-packet scheduler: 1 vs 2 workers, %d runs each (times in ms)\n", reps);
    printf("%-26s %9s %9s %9s %9s %9s %9s\n", "workload", "1w best", "1w med",
           "2w best", "2w med", "speedup", "(median)");
    snprintf(name, sizeof name, "mark %zu MiB graph", mib);
    bad |= bench_row(name, mark_fn, &ms, reps);
    bad |= bench_row("cpu packets (20k x ~20us)", cpu_fn, &cs, reps);
    bad |= bench_row("empty packets (2M, tree)", tiny_fn, &cs, reps);
    printf("graph: %zu nodes of %zu B, %d refs each; live (marked) %ld; pool threads %u\n",
           ms.nnodes, sizeof(node), NODE_REFS, atomic_load(&ms.marked),
           sched_pool_threads());

    for (unsigned i = 0; i < SCHED_MAX_WORKERS; i++)
        while (ms.free[i]) {
            mark_packet *mp = ms.free[i];
            ms.free[i] = mp->free_next;
            free(mp);
        }
    free(ms.nodes);
    free(cs.pk);
    return bad;
}
