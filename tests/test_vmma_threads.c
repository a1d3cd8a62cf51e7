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

int main(void)
{
    static CU_TestInfo tests[] = {
        {"threads share a THREAD_SAFE context", test_threads},
        {"threads share a context with features", test_threads_features},
        {"threads create and delete clients at once", test_lifecycle_race},
        CU_TEST_INFO_NULL};
    struct vt_suite suites[] = {{"threads", tests}, {NULL, NULL}};
    return vt_run(suites);
}
