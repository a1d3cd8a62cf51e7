/*
 * test_vmma_threads.c — several threads on one THREAD_SAFE context:
 * a client per thread, one client shared by all threads, blocks handed
 * from the thread that allocates them to another that frees them, and
 * clients created, used and deleted while others work, with statistics
 * read all along. Every block is filled with a pattern of its own and
 * checked before it is freed, so two threads given the same memory fail.
 * Without THREAD_SAFE compiled in, the test checks the flag is dropped.
 * Meant to run under ThreadSanitizer too (--enable-sanitizers=thread).
 */
#include "vmma_test.h"

#include <pthread.h>
#include <sched.h>

#define THREADS 4
#define MiB ((size_t)1 << 20)

static vmma_context *ctx;
static vmma_client *shared;
static unsigned long ops;
static _Atomic int failures;

static void fill(unsigned char *p, size_t n, unsigned char v) { memset(p, v, n); }

static int check(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* ---- a hand-over queue: one producer, one consumer ------------------- */

#define QUEUE 256
struct queue {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    void *items[QUEUE];
    size_t sizes[QUEUE];
    unsigned head, tail;
    int done;
};

/* 0 when the queue is full (never blocks: the threads form a ring). */
static int q_push(struct queue *q, void *p, size_t n)
{
    pthread_mutex_lock(&q->lock);
    int room = q->tail - q->head < QUEUE;
    if (room) {
        q->items[q->tail % QUEUE] = p;
        q->sizes[q->tail % QUEUE] = n;
        q->tail++;
        pthread_cond_broadcast(&q->cond);
    }
    pthread_mutex_unlock(&q->lock);
    return room;
}

/* wait: block until an item comes or the producer is done. */
static int q_pop(struct queue *q, void **p, size_t *n, int wait)
{
    pthread_mutex_lock(&q->lock);
    while (wait && q->tail == q->head && !q->done)
        pthread_cond_wait(&q->cond, &q->lock);
    int got = q->tail != q->head;
    if (got) {
        *p = q->items[q->head % QUEUE];
        *n = q->sizes[q->head % QUEUE];
        q->head++;
        pthread_cond_broadcast(&q->cond);
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

static struct queue queues[THREADS];

/* ---- workers ---------------------------------------------------------- */

struct worker {
    int id;
    uint64_t rng;
};

/* Random work on client c with a private set of live blocks. */
static void churn(vmma_client *c, uint64_t *rng, unsigned char tag, unsigned long n)
{
    enum { LIVE = 64 };
    unsigned char *live[LIVE] = {0};
    size_t size[LIVE] = {0};
    for (unsigned long i = 0; i < n; i++) {
        unsigned j = (unsigned)(vt_rand(rng) % LIVE);
        if (live[j]) {
            if (!check(live[j], size[j], tag))
                failures++;
            if (vmma_free(ctx, live[j]) != 0)
                failures++;
            live[j] = NULL;
        } else {
            size[j] = 1 + vt_rand(rng) % (vt_rand(rng) % 64 == 0 ? 300000 : 700);
            live[j] = (vt_rand(rng) & 1) ? vmma_alloc(c, size[j])
                                         : vmma_realloc(c, NULL, size[j]);
            if (!live[j]) {
                failures++;
                continue;
            }
            fill(live[j], size[j], tag);
        }
    }
    for (unsigned j = 0; j < LIVE; j++)
        if (live[j]) {
            if (!check(live[j], size[j], tag))
                failures++;
            vmma_free(ctx, live[j]);
        }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    unsigned char tag = (unsigned char)(0x10 + w->id);
    vmma_client *own = vmma_create_client(ctx);
    if (!own) {
        failures++;
        return NULL;
    }
    churn(own, &w->rng, tag, ops);                    /* own client */
    churn(shared, &w->rng, (unsigned char)(tag + 0x40), ops);   /* everyone's client */
    /* hand blocks to the next thread, free the ones the previous sends */
    struct queue *out = &queues[(w->id + 1) % THREADS], *in = &queues[w->id];
    for (unsigned long i = 0; i < ops / 2; i++) {
        size_t n = 1 + vt_rand(&w->rng) % 2000;
        unsigned char *p = vmma_alloc(own, n);
        if (!p) {
            failures++;
            break;
        }
        fill(p, n, (unsigned char)n);
        if (!q_push(out, p, n) && vmma_free(ctx, p) != 0)
            failures++;
        void *got;
        size_t gn;
        if (q_pop(in, &got, &gn, 0)) {
            if (!check(got, gn, (unsigned char)gn) || vmma_free(ctx, got) != 0)
                failures++;
        }
    }
    pthread_mutex_lock(&out->lock);
    out->done++;
    pthread_cond_broadcast(&out->cond);
    pthread_mutex_unlock(&out->lock);
    void *got;
    size_t gn;
    while (q_pop(in, &got, &gn, 1))
        if (!check(got, gn, (unsigned char)gn) || vmma_free(ctx, got) != 0)
            failures++;
    /* short-lived clients while the others work */
    for (int i = 0; i < 50; i++) {
        vmma_client *tmp = vmma_create_client(ctx);
        if (!tmp) {
            failures++;
            continue;
        }
        for (int k = 0; k < 20; k++)
            if (!vmma_alloc(tmp, (size_t)(k * 50 + 1)))
                failures++;
        vmma_stats st;
        if (vmma_get_client_stats(tmp, &st) || st.arena_count < 1)
            failures++;
        vmma_delete_client(tmp);
    }
    /* blocks we sent may still wait in the next thread's queue: the client
     * is deleted by the main thread once every worker is done */
    return own;
}

static void *stats_main(void *arg)
{
    _Atomic int *stop = arg;
    while (!*stop) {
        vmma_stats st;
        if (vmma_get_context_stats(ctx, &st) || st.total_size != vmma_get_total_size(ctx))
            failures++;
        (void)vmma_get_free_size(ctx);
        if (vmma_get_client_stats(shared, &st))
            failures++;
        vmma_cached_blocks cb;
        if (vmma_populate_cached_blocks(shared, &cb))
            failures++;
        /* a reader that never yields can starve the workers of the shared
         * client's lock where threads are scheduled unfairly (Valgrind
         * runs one thread at a time) */
        sched_yield();
    }
    return NULL;
}

static void run_threads(unsigned extra)
{
    if (!(vmma_get_supported_flags() & VMMA_FEATURE_THREAD_SAFE)) {
        vmma_config cfg = {0, 0, VMMA_FEATURE_THREAD_SAFE};
        CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, 64 * MiB, &cfg), 0);
        CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), 0);
        vmma_destroy_context(ctx);
        printf(" (THREAD_SAFE compiled out) ");
        return;
    }
    vmma_config cfg = {0, 0, VMMA_FEATURE_THREAD_SAFE | (vmma_get_supported_flags() & extra)};
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, 1024 * MiB, &cfg), 0);
    CU_ASSERT(vmma_get_accepted_flags(ctx) & VMMA_FEATURE_THREAD_SAFE);
    shared = vmma_create_client(ctx);
    ops = vt_scaled(40000);
    uint64_t seed = vt_seed("threads");
    for (int i = 0; i < THREADS; i++) {
        pthread_mutex_init(&queues[i].lock, NULL);
        pthread_cond_init(&queues[i].cond, NULL);
        queues[i].head = queues[i].tail = 0;
        queues[i].done = 0;
    }
    pthread_t t[THREADS], st;
    struct worker w[THREADS];
    _Atomic int stop = 0;
    pthread_create(&st, NULL, stats_main, &stop);
    for (int i = 0; i < THREADS; i++) {
        w[i].id = i;
        w[i].rng = seed + (uint64_t)i * 0x9e3779b97f4a7c15ull;
        pthread_create(&t[i], NULL, worker_main, &w[i]);
    }
    vmma_client *own[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], (void **)&own[i]);
    stop = 1;
    pthread_join(st, NULL);
    CU_ASSERT_EQUAL(failures, 0);
    vmma_stats cs;
    vmma_get_context_stats(ctx, &cs);
    CU_ASSERT_EQUAL(cs.used_size, 0);                 /* every block was freed */
    CU_ASSERT_EQUAL(cs.client_count, THREADS + 1);
    if (vmma_get_accepted_flags(ctx) & VMMA_FEATURE_STATISTICS)
        CU_ASSERT_EQUAL(cs.alloc_count, cs.free_count + THREADS * 50 * 20);   /* + short-lived */
    for (int i = 0; i < THREADS; i++)
        vmma_delete_client(own[i]);
    for (int i = 0; i < THREADS; i++) {
        pthread_mutex_destroy(&queues[i].lock);
        pthread_cond_destroy(&queues[i].cond);
    }
    vmma_destroy_context(ctx);
}

/* Plain: the fast paths (hot cache) under the client locks. */
static void test_threads(void) { run_threads(0); }

/* With the features that take the complete paths. */
static void test_threads_features(void)
{
    run_threads(VMMA_FEATURE_STATISTICS | VMMA_FEATURE_POISON | VMMA_FEATURE_ZERO_FILL);
}

/* Many threads creating and deleting clients at once: records and arenas
 * go back and forth through the pool. */
static void *lifecycle_main(void *arg)
{
    uint64_t rng = (uint64_t)(uintptr_t)arg;
    for (unsigned long i = 0; i < ops / 20; i++) {
        vmma_client *c = vmma_create_client(ctx);
        if (!c) {
            failures++;
            continue;
        }
        void *p = vmma_alloc(c, 1 + vt_rand(&rng) % 600000);
        if (!p)
            failures++;
        vmma_delete_client(c);
    }
    return NULL;
}

static void test_lifecycle_race(void)
{
    if (!(vmma_get_supported_flags() & VMMA_FEATURE_THREAD_SAFE))
        return;
    vmma_config cfg = {0, 0, VMMA_FEATURE_THREAD_SAFE | VMMA_FEATURE_RELEASE};
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, 256 * MiB, &cfg), 0);
    ops = vt_scaled(40000);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, lifecycle_main, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CU_ASSERT_EQUAL(failures, 0);
    vmma_stats cs;
    vmma_get_context_stats(ctx, &cs);
    CU_ASSERT_EQUAL(cs.client_count, 0);
    CU_ASSERT_EQUAL(cs.arena_count, 0);
    vmma_destroy_context(ctx);
}

/* ---- one client churned by every thread: exact figures at the end ---- */

#define SHARE_LIVE 256
#define ARENA ((size_t)256 * 1024)      /* the default block_size */
/* Ops a thread does alone in its turn: more than the run of lock takes
 * after which a client is biased to the thread taking it (1024), so the
 * client changes hands, biased, at every turn. */
#define TURN_OPS 2100

struct sharer {
    int id;
    uint64_t rng;
    unsigned long allocs, frees;     /* successful calls */
    size_t req_alloc, req_free;      /* bytes asked for by the blocks allocated / freed */
    unsigned char *live[SHARE_LIVE];
    size_t size[SHARE_LIVE], align[SHARE_LIVE];
};

static struct sharer sharers[THREADS];
static pthread_barrier_t turn;
static int stats_on;

/* Bytes the allocator holds for a block (the figures count these). */
static size_t held_bytes(size_t size, size_t align)
{
    size_t need = size + (stats_on != 0);     /* STATISTICS: a trailer byte at least */
    if (need > ARENA)
        return (size + ARENA - 1) / ARENA * ARENA;
    size_t r = 16;
    while (r < need || r < align)
        r <<= 1;
    return r;
}

static void share_free(struct sharer *me, struct sharer *of, unsigned j)
{
    unsigned char tag = (unsigned char)(0x80 + of->id);
    size_t n = of->size[j] < 64 ? of->size[j] : 64;
    if (!check(of->live[j], n, tag) || vmma_free(ctx, of->live[j]) != 0)
        failures++;
    me->frees++;
    me->req_free += of->size[j];
    of->live[j] = NULL;
}

/* One random step on slot j of the thread's own blocks. */
static void share_step(struct sharer *me)
{
    unsigned j = (unsigned)(vt_rand(&me->rng) % SHARE_LIVE);
    if (me->live[j]) {
        share_free(me, me, j);
        return;
    }
    uint64_t r = vt_rand(&me->rng);
    size_t size = r % 100 == 0 ? 1 + r % 300000 : r % 10 == 0 ? 1 + r % 8000 : 1 + r % 512;
    size_t align = (r >> 40) % 8 == 0 ? (size_t)64 << (r >> 44) % 7 : 0;
    unsigned char *p = align ? vmma_alloc_aligned(shared, size, align) : vmma_alloc(shared, size);
    if (!p || (align && (uintptr_t)p % align)) {
        failures++;
        return;
    }
    memset(p, 0x80 + me->id, size < 64 ? size : 64);
    me->live[j] = p;
    me->size[j] = size;
    me->align[j] = align;
    me->allocs++;
    me->req_alloc += size;
}

static void *sharer_main(void *arg)
{
    struct sharer *me = arg;
    unsigned long ops = vt_scaled(20000);
    for (int t = 0; t < THREADS; t++) {         /* turns: one thread at a time */
        pthread_barrier_wait(&turn);
        if (t == me->id)
            for (int i = 0; i < TURN_OPS; i++)
                share_step(me);
    }
    pthread_barrier_wait(&turn);
    for (unsigned long i = 0; i < ops; i++)    /* everyone at once */
        share_step(me);
    pthread_barrier_wait(&turn);
    struct sharer *next = &sharers[(me->id + 1) % THREADS];
    for (unsigned j = 0; j < SHARE_LIVE; j += 2)   /* the neighbour's even slots */
        if (next->live[j])
            share_free(me, next, j);
    return NULL;
}

static int count_block(void *block, size_t size, void *arg)
{
    (void)block;
    (void)size;
    ++*(size_t *)arg;
    return 0;
}

static void run_shared_churn(unsigned extra)
{
    if (!(vmma_get_supported_flags() & VMMA_FEATURE_THREAD_SAFE))
        return;
    vmma_config cfg = {0, 0, VMMA_FEATURE_THREAD_SAFE | (vmma_get_supported_flags() & extra)};
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, 1024 * MiB, &cfg), 0);
    stats_on = (vmma_get_accepted_flags(ctx) & VMMA_FEATURE_STATISTICS) != 0;
    shared = vmma_create_client(ctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(shared);
    failures = 0;
    uint64_t seed = vt_seed("shared churn");
    pthread_barrier_init(&turn, NULL, THREADS);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&sharers[i], 0, sizeof sharers[i]);
        sharers[i].id = i;
        sharers[i].rng = seed + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull;
        pthread_create(&t[i], NULL, sharer_main, &sharers[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&turn);
    CU_ASSERT_EQUAL(failures, 0);

    unsigned long allocs = 0, frees = 0;
    size_t req = 0, used = 0, nlive = 0;
    for (int i = 0; i < THREADS; i++) {
        allocs += sharers[i].allocs;
        frees += sharers[i].frees;
        req += sharers[i].req_alloc - sharers[i].req_free;
        for (unsigned j = 0; j < SHARE_LIVE; j++)
            if (sharers[i].live[j]) {
                used += held_bytes(sharers[i].size[j], sharers[i].align[j]);
                nlive++;
            }
    }
    CU_ASSERT(allocs > THREADS * TURN_OPS / 2);
    vmma_stats st;
    CU_ASSERT_EQUAL_FATAL(vmma_get_client_stats(shared, &st), 0);
    CU_ASSERT_EQUAL(st.used_size, used);
    CU_ASSERT_EQUAL(st.used_size + st.free_size, st.total_size);
    if (stats_on) {
        CU_ASSERT_EQUAL(st.alloc_count, allocs);
        CU_ASSERT_EQUAL(st.free_count, frees);
        CU_ASSERT_EQUAL(st.requested_size, req);
    }
    vmma_cached_blocks cb;
    CU_ASSERT_EQUAL(vmma_populate_cached_blocks(shared, &cb), 0);
    CU_ASSERT_EQUAL(cb.total_bytes, st.free_size);
    size_t walked = 0;
    CU_ASSERT_EQUAL(vmma_walk(shared, count_block, &walked), 0);
    CU_ASSERT_EQUAL(walked, nlive);

    for (int i = 0; i < THREADS; i++)            /* the main thread frees the rest */
        for (unsigned j = 0; j < SHARE_LIVE; j++)
            if (sharers[i].live[j])
                share_free(&sharers[0], &sharers[i], j);
    CU_ASSERT_EQUAL(failures, 0);
    CU_ASSERT_EQUAL_FATAL(vmma_get_client_stats(shared, &st), 0);
    CU_ASSERT_EQUAL(st.used_size, 0);
    if (stats_on) {
        CU_ASSERT_EQUAL(st.alloc_count, allocs);
        CU_ASSERT_EQUAL(st.free_count, allocs);
        CU_ASSERT_EQUAL(st.requested_size, 0);
    }
    vmma_destroy_context(ctx);
}

/* Fast tiers: the hot cache, by the client's bias or its lock. */
static void test_shared_churn(void) { run_shared_churn(0); }

/* The complete path, with every counter kept. */
static void test_shared_churn_stats(void) { run_shared_churn(VMMA_FEATURE_STATISTICS); }

/* ---- a walk's visitor queries its own client ----------------------------- */

#define WALK_BLOCKS 20

struct walk_probe {
    vmma_client *c;
    size_t seen, bad;
    pthread_t intruder;
    int started;
    _Atomic int intruded;      /* the intruder's vmma_alloc returned */
};

static void *intruder_main(void *arg)
{
    struct walk_probe *w = arg;
    void *p = vmma_alloc(w->c, 100);
    w->intruded = 1;
    if (!p || vmma_free(ctx, p) != 0)
        failures++;
    return NULL;
}

static int probe_visit(void *block, size_t size, void *arg)
{
    struct walk_probe *w = arg;
    size_t inner = 0;
    vmma_cached_blocks cb;
    w->seen++;
    if (vmma_get_size(w->c, block) != size || !vmma_test_address(w->c, (char *)block + size - 1) ||
        vmma_get_owner(ctx, block) != w->c || vmma_populate_cached_blocks(w->c, &cb) != 0 ||
        vmma_walk(w->c, count_block, &inner) != 0 || inner != WALK_BLOCKS)
        w->bad++;
    if (!w->started) {                 /* another thread wants the client meanwhile */
        w->started = pthread_create(&w->intruder, NULL, intruder_main, w) == 0;
        if (!w->started)
            w->bad++;
    }
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
    if (w->intruded)                   /* it got in while we walk */
        w->bad++;
    return 0;
}

static void *walker_main(void *arg)
{
    struct walk_probe *w = arg;
    w->seen = w->bad = 0;
    w->started = 0;
    w->intruded = 0;
    if (vmma_walk(w->c, probe_visit, w) != 0)
        w->bad++;
    if (w->started)
        pthread_join(w->intruder, NULL);
    return NULL;
}

static void test_walk_queries(void)
{
    if (!(vmma_get_supported_flags() & VMMA_FEATURE_THREAD_SAFE))
        return;
    vmma_config cfg = {0, 0, VMMA_FEATURE_THREAD_SAFE};
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, 64 * MiB, &cfg), 0);
    struct walk_probe w = {vmma_create_client(ctx), 0, 0, 0, 0, 0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(w.c);
    failures = 0;
    for (int i = 0; i < WALK_BLOCKS; i++)
        CU_ASSERT_PTR_NOT_NULL(vmma_alloc(w.c, (size_t)(i + 1) * 40));
    walker_main(&w);                    /* the thread that made the client */
    CU_ASSERT_EQUAL(w.seen, WALK_BLOCKS);
    CU_ASSERT_EQUAL(w.bad, 0);
    pthread_t t;                        /* another one */
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, walker_main, &w), 0);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(w.seen, WALK_BLOCKS);
    CU_ASSERT_EQUAL(w.bad, 0);
    CU_ASSERT_EQUAL(failures, 0);
    vmma_destroy_context(ctx);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"threads share a THREAD_SAFE context", test_threads},
        {"threads share a context with features", test_threads_features},
        {"threads create and delete clients at once", test_lifecycle_race},
        {"threads churn one client, exact figures after", test_shared_churn},
        {"threads churn one client with STATISTICS, exact counts", test_shared_churn_stats},
        {"a walk's visitor queries its client, others wait", test_walk_queries},
        CU_TEST_INFO_NULL};
    struct vt_suite suites[] = {{"threads", tests}, {NULL, NULL}};
    return vt_run(suites);
}
