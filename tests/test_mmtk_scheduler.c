/*
 * test_mmtk_scheduler.c — CUnit suite for libmmtk's work-packet scheduler
 * (libmmtk/scheduler/scheduler.h), compiled in directly.
 *
 * What a collector relies on, and what these tests check: buckets run
 * strictly in order; every pushed packet runs exactly once; packets pushing
 * packets (own, later or already drained buckets) all run before the job
 * ends; on_drained runs alone, once per drain, and can reopen its bucket; a
 * single-worker job starts no thread; a parallel job really uses several
 * workers; jobs of different heaps in different threads run concurrently.
 * Workers record errors in atomics; assertions run on the main thread.
 * VMMA_TEST_SCALE divides loop counts; SCHED_TEST_SEED replays the stress.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "scheduler/scheduler.h"

#include <CUnit/Basic.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define container_of(p, T, m) ((T *)(void *)((char *)(p) - offsetof(T, m)))

static unsigned test_scale = 1;

static unsigned scaled(unsigned n)
{
    unsigned r = n / test_scale;
    return r ? r : 1;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------- the checking world
 * A world is a job plus a pool of test packets. Each packet knows the
 * bucket it must run in (its requested bucket, or the pusher's if that one
 * is later) and derives its children from a key, so the work's shape is a
 * deterministic function of the seed. */

typedef struct world world;

typedef struct tpacket {
    sched_packet pk;
    world *w;
    uint64_t key;
    int expected;
    int depth;
    atomic_int runs;
} tpacket;

struct world {
    sched_job job;
    tpacket *pk;
    size_t cap;
    atomic_size_t used;          /* packets handed out (= pushed) */
    atomic_long ran;
    atomic_int running[SCHED_BUCKETS];
    atomic_int maxseen;          /* latest bucket a packet ran in */
    atomic_int errors;
    atomic_int first_error;      /* code of the first error, for the log */
    atomic_uint id_mask;         /* worker ids seen (bits 0..31) */
    int max_depth;
    unsigned fanout;             /* children: key % (fanout + 1) */
    unsigned spin;               /* busy work per packet */
    /* on_drained */
    int drained_seq[256];
    int ndrained;
    int reopen_rounds;           /* times on_drained may reopen a bucket */
    int reopened[SCHED_BUCKETS];
};

enum { E_BUCKET = 1, E_EARLIER_RUNNING, E_LATER_STARTED, E_TWICE,
       E_DRAIN_BUSY, E_DRAIN_ORDER, E_JOB, E_WORKER_ID };

static void world_error(world *w, int code)
{
    int zero = 0;
    atomic_fetch_add(&w->errors, 1);
    atomic_compare_exchange_strong(&w->first_error, &zero, code);
}

static void tp_run(sched_packet *p, sched_worker *wk);

/* Push a new packet into `bucket` from a packet running in `from` (or
 * -1 before the job runs). Returns 0 when the pool is exhausted. */
static int world_push(world *w, sched_worker *wk, int from, int bucket,
                      uint64_t key, int depth)
{
    size_t i = atomic_fetch_add(&w->used, 1);
    tpacket *t;

    if (i >= w->cap) {
        atomic_fetch_sub(&w->used, 1);
        return 0;
    }
    t = &w->pk[i];
    t->pk.run = tp_run;
    t->w = w;
    t->key = key;
    t->depth = depth;
    t->expected = bucket > from ? bucket : from;
    atomic_init(&t->runs, 0);
    sched_push(&w->job, wk, bucket, &t->pk);
    return 1;
}

static void busy_work(unsigned spin)
{
    unsigned x = 0;
    for (unsigned i = 0; i < spin; i++) {
        x += i;
        __asm__ volatile("" : "+r"(x));   /* keep the loop */
    }
}

static void check_order_at_start(world *w, int e)
{
    int seen = atomic_load(&w->maxseen);
    for (int b = 0; b < e; b++)
        if (atomic_load(&w->running[b]) != 0)
            world_error(w, E_EARLIER_RUNNING);
    while (seen < e && !atomic_compare_exchange_weak(&w->maxseen, &seen, e))
        ;
    if (seen > e)
        world_error(w, E_LATER_STARTED);
}

static void tp_run(sched_packet *p, sched_worker *wk)
{
    tpacket *t = container_of(p, tpacket, pk);
    world *w = t->w;
    int e = t->expected;
    unsigned id = sched_worker_id(wk), nchild;

    if (p->bucket != e)
        world_error(w, E_BUCKET);
    if (sched_worker_job(wk) != &w->job || sched_job_owner(&w->job) != w)
        world_error(w, E_JOB);
    if (id >= sched_job_workers(&w->job))
        world_error(w, E_WORKER_ID);
    atomic_fetch_or(&w->id_mask, 1u << (id & 31));
    check_order_at_start(w, e);
    atomic_fetch_add(&w->running[e], 1);
    if (atomic_fetch_add(&t->runs, 1) != 0)
        world_error(w, E_TWICE);
    busy_work(w->spin);

    nchild = t->depth < w->max_depth
           ? (unsigned)(mix64(t->key) % (w->fanout + 1)) : 0;
    for (unsigned c = 0; c < nchild; c++) {
        uint64_t k = mix64(t->key + c + 1);
        unsigned r = (unsigned)(k >> 40) % 16;
        /* mostly the same bucket; sometimes a later or an earlier one */
        int b = r < 11 ? e : r < 14 ? e + 1 + (int)(r % 2) : e - 1 - (int)(r % 3);
        if (b >= SCHED_BUCKETS)
            b = SCHED_BUCKETS - 1;
        if (b < 0)
            b = 0;
        world_push(w, wk, e, b, k, t->depth + 1);
    }
    atomic_fetch_sub(&w->running[e], 1);
    atomic_fetch_add(&w->ran, 1);
}

static void world_drained(sched_job *job, int bucket, sched_worker *wk,
                          void *arg)
{
    world *w = arg;
    int prev = w->ndrained ? w->drained_seq[w->ndrained - 1] : 0;

    if (job != &w->job)
        world_error(w, E_JOB);
    for (int b = 0; b < SCHED_BUCKETS; b++)
        if (atomic_load(&w->running[b]) != 0)
            world_error(w, E_DRAIN_BUSY);
    if (bucket < prev || atomic_load(&w->maxseen) > bucket)
        world_error(w, E_DRAIN_ORDER);
    if (w->ndrained < (int)(sizeof w->drained_seq / sizeof w->drained_seq[0]))
        w->drained_seq[w->ndrained++] = bucket;
    if (w->reopened[bucket] < w->reopen_rounds) {
        /* keep the bucket open: a few packets into it, one into the next */
        w->reopened[bucket]++;
        for (int i = 0; i < 3; i++)
            world_push(w, wk, bucket, bucket,
                       mix64((uint64_t)bucket * 977 + (uint64_t)w->reopened[bucket] * 31 + (uint64_t)i), 1);
        if (bucket + 1 < SCHED_BUCKETS)
            world_push(w, wk, bucket, bucket + 1, mix64((uint64_t)bucket + 12345), 1);
    }
}

static world *world_new(size_t cap, unsigned workers)
{
    world *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->pk = calloc(cap, sizeof *w->pk);
    if (!w->pk) {
        free(w);
        return NULL;
    }
    w->cap = cap;
    w->max_depth = 1000;
    w->fanout = 2;
    sched_job_init(&w->job, workers, w);
    sched_job_on_drained(&w->job, world_drained, w);
    return w;
}

static void world_free(world *w)
{
    if (w) {
        free(w->pk);
        free(w);
    }
}

/* Assertions after a job: every handed-out packet ran exactly once, no
 * error was seen, every bucket drained at least once, in order. */
static void world_check(world *w)
{
    size_t used = atomic_load(&w->used);
    size_t bad = 0;
    int b = 0;

    for (size_t i = 0; i < used; i++)
        if (atomic_load(&w->pk[i].runs) != 1)
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL((size_t)atomic_load(&w->ran), used);
    if (atomic_load(&w->errors))
        fprintf(stderr, "\n  world error code %d (%d errors)\n",
                atomic_load(&w->first_error), atomic_load(&w->errors));
    CU_ASSERT_EQUAL(atomic_load(&w->errors), 0);
    /* each drain is of the same bucket again or of the next one */
    for (int i = 0; i < w->ndrained; i++) {
        int d = w->drained_seq[i];
        CU_ASSERT(d == b - 1 || d == b);
        if (d == b)
            b++;
    }
    CU_ASSERT_EQUAL(b, SCHED_BUCKETS);
    for (b = 0; b < SCHED_BUCKETS; b++)
        CU_ASSERT_EQUAL(atomic_load(&w->running[b]), 0);
}

/* ---------------------------------------------------------------- tests */

/* Must run first: nothing before it has asked for a parallel job. */
static void test_single_worker_starts_no_thread(void)
{
    world *w = world_new(scaled(20000), 1);

    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(sched_pool_threads(), 0);
    for (int b = 0; b < SCHED_BUCKETS; b++)
        world_push(w, NULL, -1, b, mix64((uint64_t)b), 0);
    w->fanout = 3;
    w->reopen_rounds = 1;
    sched_run(&w->job);
    world_check(w);
    CU_ASSERT(atomic_load(&w->used) > 100);
    CU_ASSERT_EQUAL(atomic_load(&w->id_mask), 1u);
    CU_ASSERT_EQUAL(sched_pool_threads(), 0);
    world_free(w);
}

static void test_job_fields(void)
{
    sched_job job;
    int owner;

    sched_job_init(&job, 0, &owner);
    CU_ASSERT_EQUAL(sched_job_workers(&job), 1);
    CU_ASSERT_PTR_EQUAL(sched_job_owner(&job), &owner);
    sched_job_init(&job, 1000, NULL);
    CU_ASSERT_EQUAL(sched_job_workers(&job), SCHED_MAX_WORKERS);
    sched_job_init(&job, 3, NULL);
    CU_ASSERT_EQUAL(sched_job_workers(&job), 3);
    CU_ASSERT_EQUAL(sched_pool_threads(), 0);   /* init starts nothing */
}

static void count_drained(sched_job *job, int bucket, sched_worker *wk, void *arg)
{
    int *seq = arg;
    (void)job;
    (void)wk;
    seq[seq[0]++ + 1] = bucket;
}

/* A job with no packets still drains every bucket, once, in order. */
static void test_empty_job(void)
{
    for (unsigned workers = 1; workers <= 2; workers++) {
        sched_job job;
        int seq[32] = {0};

        sched_job_init(&job, workers, NULL);
        sched_job_on_drained(&job, count_drained, seq);
        sched_run(&job);
        CU_ASSERT_EQUAL(seq[0], SCHED_BUCKETS);
        for (int b = 0; b < SCHED_BUCKETS; b++)
            CU_ASSERT_EQUAL(seq[b + 1], b);
        /* a job can be run again after a fresh init */
        seq[0] = 0;
        sched_job_init(&job, workers, NULL);
        sched_job_on_drained(&job, count_drained, seq);
        sched_run(&job);
        CU_ASSERT_EQUAL(seq[0], SCHED_BUCKETS);
    }
}

static void run_ordered(unsigned workers, uint64_t seed, int reopen)
{
    world *w = world_new(scaled(40000), workers);

    CU_ASSERT_FATAL(w != NULL);
    w->spin = 200;
    w->fanout = 3;
    w->reopen_rounds = reopen;
    for (int b = 0; b < SCHED_BUCKETS; b++)
        for (int i = 0; i < 4; i++)
            world_push(w, NULL, -1, b, mix64(seed + (uint64_t)(b * 4 + i)), 0);
    sched_run(&w->job);
    world_check(w);
    CU_ASSERT(atomic_load(&w->used) > 1000 / test_scale);
    world_free(w);
}

/* Packets of bucket b never overlap with any other bucket's, and pushes
 * into earlier buckets run in the open one. */
static void test_buckets_in_order(void)
{
    run_ordered(2, 1, 0);
    run_ordered(4, 2, 0);
}

/* on_drained pushing into its own bucket reopens it; it runs again when
 * that work drains, and the next bucket waits. */
static void test_on_drained_reopens(void)
{
    world *w = world_new(1000, 2);

    CU_ASSERT_FATAL(w != NULL);
    w->max_depth = 0;             /* packets push nothing themselves */
    w->reopen_rounds = 3;
    sched_run(&w->job);
    world_check(w);
    for (int b = 0; b < SCHED_BUCKETS; b++)
        CU_ASSERT_EQUAL(w->reopened[b], 3);
    /* each bucket: 3 drains that reopen it, then a final one */
    CU_ASSERT_EQUAL(w->ndrained, SCHED_BUCKETS * 4);
    CU_ASSERT_EQUAL(atomic_load(&w->used), (size_t)(SCHED_BUCKETS * 3 * 4 - 3));
    world_free(w);
}

/* 100k packets fanned out as a binary tree from one root. */
typedef struct tree_packet {
    sched_packet pk;
    atomic_int runs;
} tree_packet;

typedef struct tree {
    sched_job job;
    tree_packet *nodes;
    size_t n;
    atomic_long ran;
    atomic_uint id_mask;
} tree;

static void tree_run(sched_packet *p, sched_worker *wk)
{
    tree *t = sched_job_owner(sched_worker_job(wk));
    size_t i = (size_t)(container_of(p, tree_packet, pk) - t->nodes);

    atomic_fetch_add(&t->nodes[i].runs, 1);
    atomic_fetch_or(&t->id_mask, 1u << (sched_worker_id(wk) & 31));
    for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < t->n; c++) {
        t->nodes[c].pk.run = tree_run;
        sched_push(&t->job, wk, SCHED_CLOSURE, &t->nodes[c].pk);
    }
    atomic_fetch_add(&t->ran, 1);
}

static int tree_run_job(tree *t, size_t n, unsigned workers)
{
    size_t bad = 0;

    memset(t, 0, sizeof *t);
    t->nodes = calloc(n, sizeof *t->nodes);
    if (!t->nodes)
        return -1;
    t->n = n;
    sched_job_init(&t->job, workers, t);
    t->nodes[0].pk.run = tree_run;
    sched_push(&t->job, NULL, SCHED_ROOTS, &t->nodes[0].pk);
    sched_run(&t->job);
    for (size_t i = 0; i < n; i++)
        if (atomic_load(&t->nodes[i].runs) != 1)
            bad++;
    if (atomic_load(&t->ran) != (long)n)
        bad++;
    free(t->nodes);
    return bad == 0 ? 0 : 1;
}

static void test_packet_tree_100k(void)
{
    tree t;

    CU_ASSERT_EQUAL(tree_run_job(&t, scaled(100000), 2), 0);
    CU_ASSERT_EQUAL(tree_run_job(&t, scaled(100000), 1), 0);
    CU_ASSERT(sched_pool_threads() >= 1);
}

/* Heavy packets keep coming until a second worker has taken some (or
 * 20 s pass): a parallel job must not run on one thread only. */
typedef struct heavy {
    sched_job job;
    sched_packet *pk;
    size_t cap;
    atomic_size_t used;
    atomic_uint id_mask;
    double deadline;
} heavy;

static void heavy_run(sched_packet *p, sched_worker *wk)
{
    heavy *h = sched_job_owner(sched_worker_job(wk));
    unsigned mask = atomic_fetch_or(&h->id_mask, 1u << (sched_worker_id(wk) & 31));

    (void)p;
    busy_work(20000);
    sched_yield();   /* lets the other worker in under Valgrind's one-at-a-time threads */
    if ((mask & (mask - 1)) != 0 || now_seconds() > h->deadline)
        return;
    for (int c = 0; c < 2; c++) {
        size_t i = atomic_fetch_add(&h->used, 1);
        if (i >= h->cap)
            return;
        h->pk[i].run = heavy_run;
        sched_push(&h->job, wk, SCHED_CLOSURE, &h->pk[i]);
    }
}

static void test_parallel_uses_workers(void)
{
    heavy h;
    unsigned mask;

    memset(&h, 0, sizeof h);
    h.cap = 1 << 16;
    h.pk = calloc(h.cap, sizeof *h.pk);
    CU_ASSERT_FATAL(h.pk != NULL);
    h.deadline = now_seconds() + 20;
    sched_job_init(&h.job, 2, &h);
    for (int i = 0; i < 8; i++) {
        h.pk[i].run = heavy_run;
        sched_push(&h.job, NULL, SCHED_CLOSURE, &h.pk[i]);
    }
    atomic_store(&h.used, 8);
    sched_run(&h.job);
    mask = atomic_load(&h.id_mask);
    CU_ASSERT_EQUAL(mask, 3u);      /* both worker 0 and worker 1 */
    CU_ASSERT(sched_pool_threads() >= 1);
    free(h.pk);
}

/* The pool grows to the largest job asked for, one thread short of it
 * (the caller is worker 0), and a smaller job does not shrink it. */
static void run_small_job(unsigned workers)
{
    world *w = world_new(scaled(20000), workers);

    CU_ASSERT_FATAL(w != NULL);
    w->fanout = 3;
    world_push(w, NULL, -1, SCHED_CLOSURE, 99, 0);
    sched_run(&w->job);
    world_check(w);
    world_free(w);
}

static void test_pool_grows(void)
{
    unsigned n0 = sched_pool_threads();

    CU_ASSERT(n0 >= 1);
    run_small_job(n0 + 2);
    CU_ASSERT_EQUAL(sched_pool_threads(), n0 + 1);
    run_small_job(2);
    CU_ASSERT_EQUAL(sched_pool_threads(), n0 + 1);
}

/* sched_idle_workers: a long packet sees its idle peer go to sleep. */
typedef struct lone {
    sched_job job;
    sched_packet pk;
    unsigned seen;
} lone;

static void lone_run(sched_packet *p, sched_worker *wk)
{
    lone *l = container_of(p, lone, pk);
    double deadline = now_seconds() + 20;

    while ((l->seen = sched_idle_workers(wk)) == 0 &&
           sched_job_workers(&l->job) > 1 && now_seconds() < deadline)
        sched_yield();
}

static void test_idle_workers_hint(void)
{
    for (unsigned workers = 1; workers <= 2; workers++) {
        lone l;

        memset(&l, 0, sizeof l);
        sched_job_init(&l.job, workers, &l);
        l.pk.run = lone_run;
        sched_push(&l.job, NULL, SCHED_CLOSURE, &l.pk);
        sched_run(&l.job);
        CU_ASSERT_EQUAL(l.seen, workers - 1);
    }
    CU_ASSERT_EQUAL(sched_idle_workers(NULL), 0);
}

/* Idle workers sleep, inside a job and between jobs: while one packet
 * sleeps 300 ms and then while no job runs for 300 ms, the process uses
 * next to no CPU (a spinning worker would use all of it). */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void napping_run(sched_packet *p, sched_worker *wk)
{
    (void)p;
    (void)wk;
    usleep(300000);
}

static void test_idle_workers_sleep(void)
{
    sched_job job;
    sched_packet pk;
    double c0, c1, c2;

    sched_job_init(&job, 2, NULL);
    pk.run = napping_run;
    sched_push(&job, NULL, SCHED_CLOSURE, &pk);
    c0 = cpu_seconds();
    sched_run(&job);
    c1 = cpu_seconds();
    usleep(300000);
    c2 = cpu_seconds();
    CU_ASSERT(sched_pool_threads() >= 1);
    CU_ASSERT(c1 - c0 < 0.1);
    CU_ASSERT(c2 - c1 < 0.1);
}

/* A child forked after the pool started runs parallel jobs with a pool of
 * its own and exits cleanly (exit would hang joining the parent's threads). */
static void test_fork_child(void)
{
#ifdef VMMA_TSAN
    /* ThreadSanitizer does not support threads after a threaded fork */
    return;
#else
    pid_t pid;
    int status = -1;

    run_small_job(2);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        tree t;
        int bad = tree_run_job(&t, scaled(20000), 2);
        exit(bad || sched_pool_threads() != 1 ? 3 : 0);
    }
    for (int i = 0; i < 3000; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        usleep(10000);
        if (i == 2999) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#endif
}

/* Several heaps collecting at once in several threads. */
typedef struct jobs_arg {
    unsigned rounds, workers;
    int failures;
} jobs_arg;

static void *jobs_thread(void *arg)
{
    jobs_arg *a = arg;
    for (unsigned r = 0; r < a->rounds; r++) {
        tree t;
        if (tree_run_job(&t, scaled(20000) + r, a->workers) != 0)
            a->failures++;
    }
    return NULL;
}

static void test_concurrent_jobs(void)
{
    enum { NTHREADS = 3 };
    pthread_t th[NTHREADS];
    jobs_arg a[NTHREADS];

    for (int i = 0; i < NTHREADS; i++) {
        a[i].rounds = 20;
        a[i].workers = 2 + (unsigned)i;   /* the pool grows meanwhile */
        a[i].failures = 0;
        CU_ASSERT_FATAL(pthread_create(&th[i], NULL, jobs_thread, &a[i]) == 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(a[i].failures, 0);
    }
}

/* While one heap's job holds the pool, another heap's parallel job runs on
 * its own thread alone and finishes: it never waits for the pool. */
typedef struct nested {
    sched_job job;
    sched_packet pk;
    tree inner;
    pthread_t th;
    int started, inner_result, inner_in_time;
    atomic_int inner_done;
} nested;

static void *nested_inner(void *arg)
{
    nested *n = arg;
    n->inner_result = tree_run_job(&n->inner, scaled(5000), 2);
    atomic_store(&n->inner_done, 1);
    return NULL;
}

static void nested_outer_run(sched_packet *p, sched_worker *wk)
{
    nested *n = container_of(p, nested, pk);
    double deadline = now_seconds() + 20;

    (void)wk;
    n->started = pthread_create(&n->th, NULL, nested_inner, n) == 0;
    while (n->started && !atomic_load(&n->inner_done) && now_seconds() < deadline)
        sched_yield();
    n->inner_in_time = atomic_load(&n->inner_done);
}

static void test_busy_pool_runs_alone(void)
{
    static nested n;

    memset(&n, 0, sizeof n);
    sched_job_init(&n.job, 2, &n);
    n.pk.run = nested_outer_run;
    sched_push(&n.job, NULL, SCHED_CLOSURE, &n.pk);
    sched_run(&n.job);
    CU_ASSERT_FATAL(n.started);
    pthread_join(n.th, NULL);
    CU_ASSERT(n.inner_in_time);
    CU_ASSERT_EQUAL(n.inner_result, 0);
    CU_ASSERT_EQUAL(atomic_load(&n.inner.id_mask), 1u);   /* worker 0 only */
}

/* Seeded random shapes, worker counts and drain behaviour. */
static void test_random_stress(void)
{
    const char *env = getenv("SCHED_TEST_SEED");
    unsigned seed = env ? (unsigned)strtoul(env, NULL, 0)
                        : (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    unsigned rounds = scaled(40);

    fprintf(stderr, "\n  test_random_stress seed=%u (replay: SCHED_TEST_SEED=%u)\n",
            seed, seed);
    for (unsigned r = 0; r < rounds; r++) {
        uint64_t k = mix64((uint64_t)seed * 1000003u + r);
        world *w = world_new(scaled(20000), 1 + (unsigned)(k % 4));

        CU_ASSERT_FATAL(w != NULL);
        w->fanout = 1 + (unsigned)((k >> 8) % 3);
        w->max_depth = 4 + (int)((k >> 16) % 20);
        w->spin = (unsigned)((k >> 24) % 500);
        w->reopen_rounds = (int)((k >> 32) % 3);
        for (unsigned i = 0; i < 1 + (unsigned)((k >> 40) % 8); i++) {
            uint64_t pk = mix64(k + i);
            world_push(w, NULL, -1, (int)(pk % SCHED_BUCKETS), pk, 0);
        }
        sched_run(&w->job);
        world_check(w);
        world_free(w);
    }
}

/* ----------------------------------------------------------------- main */

int main(void)
{
    const char *scale = getenv("VMMA_TEST_SCALE");
    CU_pSuite suite;
    unsigned failures;

    if (scale && atoi(scale) > 0)
        test_scale = (unsigned)atoi(scale);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    suite = CU_add_suite("mmtk_scheduler", NULL, NULL);
    if (!suite
        /* first: no parallel job may have run before it */
        || !CU_add_test(suite, "single worker starts no thread", test_single_worker_starts_no_thread)
        || !CU_add_test(suite, "job fields", test_job_fields)
        || !CU_add_test(suite, "empty job drains every bucket", test_empty_job)
        || !CU_add_test(suite, "buckets in order", test_buckets_in_order)
        || !CU_add_test(suite, "on_drained reopens its bucket", test_on_drained_reopens)
        || !CU_add_test(suite, "packet tree of 100k", test_packet_tree_100k)
        || !CU_add_test(suite, "parallel job uses two workers", test_parallel_uses_workers)
        || !CU_add_test(suite, "pool grows to the largest job", test_pool_grows)
        || !CU_add_test(suite, "idle workers hint", test_idle_workers_hint)
        || !CU_add_test(suite, "idle workers sleep", test_idle_workers_sleep)
        || !CU_add_test(suite, "forked child", test_fork_child)
        || !CU_add_test(suite, "busy pool: a second job runs alone", test_busy_pool_runs_alone)
        || !CU_add_test(suite, "concurrent jobs in threads", test_concurrent_jobs)
        || !CU_add_test(suite, "random stress", test_random_stress)) {
        CU_cleanup_registry();
        return CU_get_error();
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
