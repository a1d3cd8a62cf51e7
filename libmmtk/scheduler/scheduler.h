/*
 * scheduler.h — the work-packet scheduler (internal to libmmtk).
 *
 * A collection is a *job*: packets of work in ordered buckets
 * (prepare → roots → closure → weak → finalize → release). A bucket opens
 * only when every earlier bucket has drained: no packet queued in it and no
 * worker still running one of its packets (a running packet may push more
 * work, into its own bucket or a later one; a push into a bucket that has
 * already drained runs in the current one). sched_run returns when the last
 * bucket has drained.
 *
 * Workers are one pool for the whole process, shared by every heap, started
 * lazily by the first job that wants more than one worker, never one pool per
 * heap. The thread calling sched_run always takes part as worker 0. When the
 * pool is busy with another heap's job, a job runs on the calling thread
 * alone (correct, only slower): one heap's collection never waits for
 * another's. Idle workers steal packets from each other's queues.
 *
 * Memory: the scheduler allocates nothing per packet. Packets are embedded
 * in memory the heap owns (taken from its vmma client) and linked through
 * their `next` field; a packet belongs to the scheduler from sched_push until
 * its `run` returns, and `run` may free or reuse it.
 */
#ifndef MMTK_SCHEDULER_H
#define MMTK_SCHEDULER_H

#include <stddef.h>

typedef struct sched_packet sched_packet;
typedef struct sched_worker sched_worker;
typedef struct sched_job    sched_job;

typedef void (*sched_work_fn)(sched_packet *packet, sched_worker *worker);

struct sched_packet {
    sched_work_fn run;      /* the work; set by the pusher */
    sched_packet *next;     /* scheduler's link while queued */
    int bucket;             /* scheduler's: bucket it was queued in */
};

enum sched_bucket {
    SCHED_PREPARE,
    SCHED_ROOTS,
    SCHED_CLOSURE,
    SCHED_WEAK,
    SCHED_FINALIZE,
    SCHED_RELEASE,
    SCHED_BUCKETS
};

/* Called once when `bucket` has drained, before the next bucket opens; it
 * may push more packets (into `bucket` itself, to keep it open, or later
 * ones). Runs on one worker while the others wait. Every bucket drains at
 * least once, in order, even one that never had a packet; a bucket reopened
 * by the callback drains (and calls it) again. Packets it pushes into the
 * open bucket start only after it returns. */
typedef void (*sched_drained_fn)(sched_job *job, int bucket, sched_worker *worker, void *arg);

#define SCHED_MAX_WORKERS 64

/* Prepare a job; `workers` is how many threads may work on it (>= 1;
 * 1 = the calling thread only, no thread is ever started; 0 counts as 1 and
 * more than SCHED_MAX_WORKERS as SCHED_MAX_WORKERS). `owner` is handed back
 * by sched_job_owner (the heap, usually). A job that has run may be
 * prepared and run again (one collection after another). */
void  sched_job_init(sched_job *job, unsigned workers, void *owner);
void  sched_job_on_drained(sched_job *job, sched_drained_fn fn, void *arg);
void *sched_job_owner(const sched_job *job);

/* Queue a packet. Before sched_run (worker NULL) or from inside a running
 * packet/drained callback (its worker), never from another thread while the
 * job runs. A bucket outside 0..SCHED_BUCKETS-1 is clamped into it. */
void  sched_push(sched_job *job, sched_worker *worker, int bucket, sched_packet *packet);

/* Run the job to completion on the calling thread plus pool workers. */
void  sched_run(sched_job *job);

/* 0 .. sched_job_workers(job)-1: index for per-worker state of the job. */
unsigned sched_worker_id(const sched_worker *worker);
unsigned sched_job_workers(const sched_job *job);
sched_job *sched_worker_job(const sched_worker *worker);

/* Threads the process-wide pool has started so far (0 until a parallel job). */
unsigned sched_pool_threads(void);

/* How many other workers of the job are asleep for want of work right now
 * (a racy hint). A packet that sees one may push the work it holds in
 * smaller pieces instead of finishing it alone. */
unsigned sched_idle_workers(const sched_worker *worker);

/* The job's state is public only so that a heap can embed it; touch it only
 * through the functions above. */
struct sched_job {
    void *impl[24];
};

#endif /* MMTK_SCHEDULER_H */
