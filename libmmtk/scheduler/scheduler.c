/*
 * scheduler.c — the work-packet scheduler: the process-wide pool of GC
 * worker threads, one packet deque per worker with stealing, and the ordered
 * buckets of a job (the contract is in scheduler.h).
 *
 * Invariants this file keeps:
 * - Only the open bucket (`cur`) has packets in worker deques. Packets pushed
 *   for a later bucket wait on that bucket's lock-free stack (`later[b]`)
 *   until it opens; a push for an earlier bucket goes to the open one.
 * - The open bucket has drained when every worker that joined the run is
 *   idle (none is running a packet, so none can push) and every deque is
 *   empty. The worker that finds this, under the run's lock, owns the job
 *   alone: it runs on_drained (whose pushes into the open bucket are held
 *   back until it returns, so the others really wait) and opens the next
 *   bucket. Nothing shared is written per packet but the worker's own deque.
 * - No lost wake-up: a worker counts itself in `idle` and then looks at the
 *   deques' sizes; a pusher adds to a deque's size and then looks at `idle`
 *   (all seq_cst), so one of them sees the other.
 * - The pool runs one job at a time; a job that finds it busy runs on the
 *   calling thread alone. sched_run returns only after every pool worker has
 *   left the job, so the job's memory is the caller's again.
 * Nothing is allocated per packet; the pool is static storage.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "scheduler.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#ifdef MMTK_DEBUG
#include <assert.h>
#define SCHED_ASSERT(x) assert(x)
#else
#define SCHED_ASSERT(x) ((void)0)
#endif

#define SCHED_JOB_MAGIC   0x53434a42u   /* "SCJB" */
#define SCHED_SPIN_ROUNDS 200           /* polls of the deques before sleeping */

#if defined(__x86_64__) || defined(__i386__)
#define sched_cpu_relax() __builtin_ia32_pause()
#else
#define sched_cpu_relax() ((void)0)
#endif

typedef struct sched_ctx sched_ctx;

/* One worker: its deque and identity. Cache-line aligned so that one
 * worker's deque traffic does not slow its neighbour's. */
struct sched_worker {
    _Alignas(64) pthread_mutex_t lock;  /* guards head and the list it heads */
    sched_packet *head;                 /* owner pops here (LIFO) */
    atomic_size_t size;                 /* list length: written under lock */
    unsigned id;
    sched_ctx *ctx;                     /* the run this worker serves */
    sched_job *job;                     /* the job it works on, or NULL */
};

/* One run of a job: the workers serving it and the idle protocol. */
struct sched_ctx {
    sched_worker *workers;
    unsigned nworkers;        /* deques to look at (joined or not) */
    pthread_mutex_t lock;     /* guards `active`, writes of `idle`, `wake` */
    pthread_cond_t wake;      /* idle workers sleep here */
    unsigned active;          /* workers that joined the run */
    atomic_int idle;          /* joined workers out of work (read racily) */
    atomic_int done;          /* the last bucket has drained */
};

typedef struct sched_job_impl {
    void *owner;
    sched_drained_fn on_drained;
    void *arg;
    sched_ctx *ctx;                            /* non-NULL while running */
    _Atomic(sched_packet *) later[SCHED_BUCKETS];
    sched_packet *drain_list;                  /* pushes held during on_drained */
    atomic_int cur;                            /* the open bucket */
    atomic_int in_drain;
    unsigned workers;
    unsigned magic;
} sched_job_impl;

_Static_assert(sizeof(sched_job_impl) <= sizeof(sched_job),
               "sched_job is too small for the scheduler's state");
_Static_assert(_Alignof(sched_job_impl) <= _Alignof(sched_job),
               "sched_job is not aligned enough for the scheduler's state");

static inline sched_job_impl *job_impl(sched_job *job)
{
    return (sched_job_impl *)(void *)job;
}

static inline sched_job *job_public(sched_job_impl *j)
{
    return (sched_job *)(void *)j;
}

/* ---------------------------------------------------------------- pool */

static struct {
    pthread_mutex_t lock;      /* guards everything below but `slots` */
    pthread_cond_t wake;       /* a job was launched, or shutdown */
    pthread_cond_t left;       /* the last worker left a job */
    int busy;                  /* a job owns the pool */
    int shutdown;
    unsigned nthreads;         /* threads started: slots 1..nthreads */
    unsigned long epoch;       /* bumped at each launch */
    sched_job_impl *job;       /* the launched job, NULL between jobs */
    unsigned joined;           /* pool threads inside `job` */
    pthread_t threads[SCHED_MAX_WORKERS];
    sched_ctx ctx;
    sched_worker slots[SCHED_MAX_WORKERS];
} sched_pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .left = PTHREAD_COND_INITIALIZER,
};

static pthread_once_t sched_pool_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------- deques */

static void deque_init(sched_worker *w, unsigned id, sched_ctx *ctx)
{
    pthread_mutex_init(&w->lock, NULL);
    w->head = NULL;
    atomic_init(&w->size, 0);
    w->id = id;
    w->ctx = ctx;
    w->job = NULL;
}

/* Put the chain first..last (n packets) on top of w's deque. */
static void deque_push_chain(sched_worker *w, sched_packet *first,
                             sched_packet *last, size_t n)
{
    pthread_mutex_lock(&w->lock);
    last->next = w->head;
    w->head = first;
    /* seq_cst: ordered before the pusher's look at `idle` (ctx_notify) */
    atomic_fetch_add_explicit(&w->size, n, memory_order_seq_cst);
    pthread_mutex_unlock(&w->lock);
}

static sched_packet *deque_pop(sched_worker *w)
{
    sched_packet *p;

    pthread_mutex_lock(&w->lock);
    p = w->head;
    if (p) {
        w->head = p->next;
        atomic_store_explicit(&w->size,
            atomic_load_explicit(&w->size, memory_order_relaxed) - 1,
            memory_order_relaxed);
    }
    pthread_mutex_unlock(&w->lock);
    return p;
}

/* Take the older half of v's deque (at least one packet); *n gets how many.
 * Walking to the middle costs no more than the packets moved. */
static sched_packet *deque_steal_half(sched_worker *v, size_t *n)
{
    sched_packet *chain = NULL, *cut;
    size_t size, keep;

    pthread_mutex_lock(&v->lock);
    size = atomic_load_explicit(&v->size, memory_order_relaxed);
    if (size > 0) {
        keep = size / 2;
        if (keep == 0) {
            chain = v->head;
            v->head = NULL;
        } else {
            cut = v->head;
            for (size_t i = 1; i < keep; i++)
                cut = cut->next;
            chain = cut->next;
            cut->next = NULL;
        }
        atomic_store_explicit(&v->size, keep, memory_order_relaxed);
        *n = size - keep;
    }
    pthread_mutex_unlock(&v->lock);
    return chain;
}

/* ---------------------------------------------------------- idle/wake */

static void ctx_init(sched_ctx *c, sched_worker *workers, unsigned n)
{
    c->workers = workers;
    c->nworkers = n;
    c->active = 0;
    atomic_init(&c->idle, 0);
    atomic_init(&c->done, 0);
}

/* n packets were just put in deques (by a seq_cst add to a deque's size):
 * wake idle workers if there are any. */
static void ctx_notify(sched_ctx *c, long n)
{
    if (atomic_load_explicit(&c->idle, memory_order_seq_cst) > 0) {
        pthread_mutex_lock(&c->lock);
        if (n > 1)
            pthread_cond_broadcast(&c->wake);
        else
            pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
    }
}

static void ctx_finish(sched_ctx *c)
{
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->done, 1);
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

static int ctx_any_queued(sched_ctx *c, memory_order mo)
{
    for (unsigned i = 0; i < c->nworkers; i++)
        if (atomic_load_explicit(&c->workers[i].size, mo))
            return 1;
    return 0;
}

/* Join the run (0), or learn that it is over (-1). */
static int ctx_join(sched_ctx *c)
{
    int over;

    pthread_mutex_lock(&c->lock);
    over = atomic_load_explicit(&c->done, memory_order_relaxed);
    if (!over)
        c->active++;
    pthread_mutex_unlock(&c->lock);
    return over ? -1 : 0;
}

enum idle_verdict { IDLE_RETRY, IDLE_DRAINED, IDLE_DONE };

/* Nothing to pop or steal: spin briefly, then wait under the lock until
 * work appears, the run ends, or every joined worker is idle with every
 * deque empty (the bucket drained: the caller handles it). */
static enum idle_verdict idle_wait(sched_ctx *c)
{
    enum idle_verdict v;

    for (int i = 0; c->nworkers > 1 && i < SCHED_SPIN_ROUNDS; i++) {
        if (atomic_load_explicit(&c->done, memory_order_acquire))
            return IDLE_DONE;
        if (ctx_any_queued(c, memory_order_relaxed))
            return IDLE_RETRY;
        sched_cpu_relax();
    }
    pthread_mutex_lock(&c->lock);
    /* seq_cst against the pushers' size adds: see the file comment */
    atomic_fetch_add_explicit(&c->idle, 1, memory_order_seq_cst);
    for (;;) {
        if (atomic_load_explicit(&c->done, memory_order_relaxed)) {
            v = IDLE_DONE;
            break;
        }
        if (ctx_any_queued(c, memory_order_seq_cst)) {
            v = IDLE_RETRY;
            break;
        }
        if ((unsigned)atomic_load_explicit(&c->idle, memory_order_relaxed)
            == c->active) {
            v = IDLE_DRAINED;
            break;
        }
        pthread_cond_wait(&c->wake, &c->lock);
    }
    atomic_fetch_sub_explicit(&c->idle, 1, memory_order_relaxed);
    pthread_mutex_unlock(&c->lock);
    return v;
}

/* ------------------------------------------------------------ buckets */

/* Open a list of packets in the current bucket: deal them round-robin to
 * the workers' deques, starting with w's own. */
static void job_publish(sched_job_impl *j, sched_worker *w, sched_packet *list)
{
    sched_ctx *c = j->ctx;
    unsigned nw = c->nworkers;
    sched_packet *first[SCHED_MAX_WORKERS], *last[SCHED_MAX_WORKERS];
    size_t count[SCHED_MAX_WORKERS];
    long n = 0;

    for (unsigned i = 0; i < nw; i++) {
        first[i] = last[i] = NULL;
        count[i] = 0;
    }
    for (sched_packet *p = list, *next; p; p = next, n++) {
        unsigned t = (unsigned)((w->id + (unsigned long)n) % nw);
        next = p->next;
        p->next = first[t];
        if (!first[t])
            last[t] = p;
        first[t] = p;
        count[t]++;
    }
    for (unsigned i = 0; i < nw; i++)
        if (first[i])
            deque_push_chain(&c->workers[i], first[i], last[i], count[i]);
    ctx_notify(c, n);
}

/* The open bucket has drained and w found it so: w alone runs the job now.
 * Call on_drained, then either reopen the bucket with what it pushed, or
 * open the next bucket that has work (calling on_drained for each empty one
 * on the way), or end the job. */
static void job_drained(sched_job_impl *j, sched_worker *w)
{
    for (;;) {
        int b = atomic_load_explicit(&j->cur, memory_order_relaxed);
        sched_packet *list;

        if (j->on_drained) {
            atomic_store_explicit(&j->in_drain, 1, memory_order_relaxed);
            j->on_drained(job_public(j), b, w, j->arg);
            atomic_store_explicit(&j->in_drain, 0, memory_order_relaxed);
        }
        list = j->drain_list;
        j->drain_list = NULL;
        if (!list) {
            if (b + 1 == SCHED_BUCKETS) {
                ctx_finish(j->ctx);
                return;
            }
            atomic_store_explicit(&j->cur, b + 1, memory_order_relaxed);
            list = atomic_exchange_explicit(&j->later[b + 1], NULL,
                                            memory_order_acquire);
            if (!list)
                continue;
        }
        job_publish(j, w, list);
        return;
    }
}

/* Steal from the other workers, starting after w. The first stolen packet
 * is returned to run; the rest go on w's own deque. */
static sched_packet *worker_steal(sched_ctx *c, sched_worker *w)
{
    for (unsigned i = 1; i < c->nworkers; i++) {
        sched_worker *v = &c->workers[(w->id + i) % c->nworkers];
        sched_packet *chain, *last;
        size_t n = 0;

        if (atomic_load_explicit(&v->size, memory_order_relaxed) == 0)
            continue;
        chain = deque_steal_half(v, &n);
        if (!chain)
            continue;
        if (n > 1) {
            last = chain->next;
            while (last->next)
                last = last->next;
            deque_push_chain(w, chain->next, last, n - 1);
            ctx_notify(c, 1);   /* an idler may have missed them in transit */
        }
        return chain;
    }
    return NULL;
}

/* Work on the job until it ends. w has joined the run. */
static void worker_loop(sched_job_impl *j, sched_ctx *c, sched_worker *w)
{
    for (;;) {
        sched_packet *p = deque_pop(w);

        if (!p)
            p = worker_steal(c, w);
        if (p) {
            p->run(p, w);   /* p may be gone now */
            continue;
        }
        switch (idle_wait(c)) {
        case IDLE_RETRY:
            break;
        case IDLE_DRAINED:
            job_drained(j, w);
            break;
        case IDLE_DONE:
            return;
        }
    }
}

/* Open the first bucket; w is worker 0 of the run. */
static void job_start(sched_job_impl *j, sched_ctx *c, sched_worker *w)
{
    sched_packet *list;

    j->ctx = c;
    j->drain_list = NULL;
    atomic_store_explicit(&j->in_drain, 0, memory_order_relaxed);
    atomic_store_explicit(&j->cur, 0, memory_order_relaxed);
    c->active = 1;
    w->job = job_public(j);
    list = atomic_exchange_explicit(&j->later[0], NULL, memory_order_acquire);
    if (list)
        job_publish(j, w, list);
    else
        job_drained(j, w);
}

/* -------------------------------------------------------- pool threads */

static void pool_init_locks(void)
{
    pthread_mutex_init(&sched_pool.ctx.lock, NULL);
    pthread_cond_init(&sched_pool.ctx.wake, NULL);
    for (unsigned i = 0; i < SCHED_MAX_WORKERS; i++)
        deque_init(&sched_pool.slots[i], i, &sched_pool.ctx);
}

/* fork(): hold the pool lock across it, so the child's copy is coherent. */
static void pool_fork_prepare(void)
{
    pthread_mutex_lock(&sched_pool.lock);
}

static void pool_fork_parent(void)
{
    pthread_mutex_unlock(&sched_pool.lock);
}

/* The child has only the forking thread: forget the parent's pool threads
 * (joining them at exit would wait forever) and any job they served; the
 * next parallel job starts new ones. */
static void pool_fork_child(void)
{
    sched_pool.nthreads = 0;
    sched_pool.joined = 0;
    sched_pool.job = NULL;
    sched_pool.busy = 0;
    pthread_cond_init(&sched_pool.wake, NULL);
    pthread_cond_init(&sched_pool.left, NULL);
    pool_init_locks();
    pthread_mutex_unlock(&sched_pool.lock);
}

static void pool_init(void)
{
    pool_init_locks();
    pthread_atfork(pool_fork_prepare, pool_fork_parent, pool_fork_child);
}

static void *pool_thread(void *arg)
{
    sched_worker *w = arg;
    unsigned long seen = 0;

    pthread_mutex_lock(&sched_pool.lock);
    for (;;) {
        sched_job_impl *j;

        while (!sched_pool.shutdown &&
               (!sched_pool.job || sched_pool.epoch == seen ||
                w->id >= sched_pool.ctx.nworkers))
            pthread_cond_wait(&sched_pool.wake, &sched_pool.lock);
        if (sched_pool.shutdown)
            break;
        seen = sched_pool.epoch;
        j = sched_pool.job;
        sched_pool.joined++;
        pthread_mutex_unlock(&sched_pool.lock);

        if (ctx_join(&sched_pool.ctx) == 0) {
            w->job = job_public(j);
            worker_loop(j, &sched_pool.ctx, w);
            w->job = NULL;
        }

        pthread_mutex_lock(&sched_pool.lock);
        if (--sched_pool.joined == 0)
            pthread_cond_broadcast(&sched_pool.left);
    }
    pthread_mutex_unlock(&sched_pool.lock);
    return NULL;
}

/* Start the thread for slot `id`, with every signal blocked so that the
 * embedder's signal handlers never run on a GC worker. Pool lock held. */
static int pool_spawn(unsigned id)
{
    sigset_t all, old;
    int err;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&sched_pool.threads[id], NULL, pool_thread,
                         &sched_pool.slots[id]);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return err;
}

/* Take the pool for a job wanting `want` workers, growing it as needed.
 * Returns the run context, or NULL if the pool is busy (or shutting down). */
static sched_ctx *pool_acquire(unsigned want)
{
    unsigned n;

    pthread_once(&sched_pool_once, pool_init);
    pthread_mutex_lock(&sched_pool.lock);
    if (sched_pool.busy || sched_pool.shutdown) {
        pthread_mutex_unlock(&sched_pool.lock);
        return NULL;
    }
    sched_pool.busy = 1;
    while (sched_pool.nthreads + 1 < want &&
           pool_spawn(sched_pool.nthreads + 1) == 0)
        sched_pool.nthreads++;
    n = sched_pool.nthreads + 1 < want ? sched_pool.nthreads + 1 : want;
    ctx_init(&sched_pool.ctx, sched_pool.slots, n);
    pthread_mutex_unlock(&sched_pool.lock);
    return &sched_pool.ctx;
}

static void pool_launch(sched_job_impl *j)
{
    pthread_mutex_lock(&sched_pool.lock);
    sched_pool.job = j;
    sched_pool.epoch++;
    pthread_cond_broadcast(&sched_pool.wake);
    pthread_mutex_unlock(&sched_pool.lock);
}

/* The job is done: wait for every pool thread to leave it, free the pool. */
static void pool_release(void)
{
    pthread_mutex_lock(&sched_pool.lock);
    sched_pool.job = NULL;
    while (sched_pool.joined > 0)
        pthread_cond_wait(&sched_pool.left, &sched_pool.lock);
    sched_pool.busy = 0;
    pthread_mutex_unlock(&sched_pool.lock);
}

/* At process exit (or library unload) stop and join idle pool threads. If
 * a collection is still running in some thread, leave the pool alone. */
__attribute__((destructor)) static void pool_fini(void)
{
    unsigned n;

    pthread_mutex_lock(&sched_pool.lock);
    if (sched_pool.busy || sched_pool.nthreads == 0) {
        pthread_mutex_unlock(&sched_pool.lock);
        return;
    }
    sched_pool.shutdown = 1;
    pthread_cond_broadcast(&sched_pool.wake);
    n = sched_pool.nthreads;
    pthread_mutex_unlock(&sched_pool.lock);
    for (unsigned i = 1; i <= n; i++)
        pthread_join(sched_pool.threads[i], NULL);
}

/* ----------------------------------------------------------------- API */

void sched_job_init(sched_job *job, unsigned workers, void *owner)
{
    sched_job_impl *j;

    if (!job)
        return;
    j = job_impl(job);
    memset(job, 0, sizeof *job);
    j->owner = owner;
    j->workers = workers == 0 ? 1
               : workers > SCHED_MAX_WORKERS ? SCHED_MAX_WORKERS : workers;
    for (int b = 0; b < SCHED_BUCKETS; b++)
        atomic_init(&j->later[b], NULL);
    atomic_init(&j->cur, 0);
    atomic_init(&j->in_drain, 0);
    j->magic = SCHED_JOB_MAGIC;
}

void sched_job_on_drained(sched_job *job, sched_drained_fn fn, void *arg)
{
    if (!job)
        return;
    job_impl(job)->on_drained = fn;
    job_impl(job)->arg = arg;
}

void *sched_job_owner(const sched_job *job)
{
    return job ? ((const sched_job_impl *)(const void *)job)->owner : NULL;
}

unsigned sched_job_workers(const sched_job *job)
{
    return job ? ((const sched_job_impl *)(const void *)job)->workers : 0;
}

unsigned sched_worker_id(const sched_worker *worker)
{
    return worker ? worker->id : 0;
}

sched_job *sched_worker_job(const sched_worker *worker)
{
    return worker ? worker->job : NULL;
}

unsigned sched_idle_workers(const sched_worker *worker)
{
    int n;

    if (!worker || !worker->ctx)
        return 0;
    n = atomic_load_explicit(&worker->ctx->idle, memory_order_relaxed);
    return n > 0 ? (unsigned)n : 0;
}

static void later_push(sched_job_impl *j, int bucket, sched_packet *p)
{
    sched_packet *old = atomic_load_explicit(&j->later[bucket],
                                             memory_order_relaxed);
    do
        p->next = old;
    while (!atomic_compare_exchange_weak_explicit(&j->later[bucket], &old, p,
                                                  memory_order_release,
                                                  memory_order_relaxed));
}

void sched_push(sched_job *job, sched_worker *worker, int bucket,
                sched_packet *packet)
{
    sched_job_impl *j;
    int cur;

    if (!job || !packet)
        return;
    j = job_impl(job);
    SCHED_ASSERT(j->magic == SCHED_JOB_MAGIC);
    SCHED_ASSERT(packet->run != NULL);
    if (bucket < 0)
        bucket = 0;
    if (bucket >= SCHED_BUCKETS)
        bucket = SCHED_BUCKETS - 1;
    cur = atomic_load_explicit(&j->cur, memory_order_relaxed);
    if (!j->ctx || bucket > cur) {
        packet->bucket = bucket;
        later_push(j, bucket, packet);
        return;
    }
    packet->bucket = cur;
    if (atomic_load_explicit(&j->in_drain, memory_order_relaxed)) {
        packet->next = j->drain_list;
        j->drain_list = packet;
        return;
    }
    SCHED_ASSERT(worker && worker->ctx == j->ctx);
    if (!worker)
        worker = &j->ctx->workers[0];
    deque_push_chain(worker, packet, packet, 1);
    ctx_notify(j->ctx, 1);
}

static void run_alone(sched_job_impl *j)
{
    sched_ctx c;
    sched_worker w;

    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.wake, NULL);
    ctx_init(&c, &w, 1);
    deque_init(&w, 0, &c);
    job_start(j, &c, &w);
    worker_loop(j, &c, &w);
    j->ctx = NULL;
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&c.wake);
    pthread_mutex_destroy(&c.lock);
}

void sched_run(sched_job *job)
{
    sched_job_impl *j;
    sched_ctx *c;

    if (!job)
        return;
    j = job_impl(job);
    SCHED_ASSERT(j->magic == SCHED_JOB_MAGIC);
    SCHED_ASSERT(j->ctx == NULL);
    if (j->workers <= 1 || !(c = pool_acquire(j->workers))) {
        run_alone(j);
        return;
    }
    job_start(j, c, &c->workers[0]);
    if (!atomic_load(&c->done))
        pool_launch(j);
    worker_loop(j, c, &c->workers[0]);
    c->workers[0].job = NULL;
    pool_release();
    j->ctx = NULL;
}

unsigned sched_pool_threads(void)
{
    unsigned n;

    pthread_mutex_lock(&sched_pool.lock);
    n = sched_pool.nthreads;
    pthread_mutex_unlock(&sched_pool.lock);
    return n;
}
