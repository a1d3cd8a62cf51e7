/*
 * runner.c — compiles a set of programs and runs them concurrently, each on
 * its own libmmtk heap, all heaps over one shared vmma context.
 *
 * Invariant: every heap made in the context is destroyed before the context
 * is, so the context's free size after the run equals its free size before
 * (the caller checks and prints both).
 */
#include "vm.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void wt_job_init(wt_job *job, const char *path)
{
    memset(job, 0, sizeof *job);
    job->path = path;
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 3 && strcmp(b + n - 3, ".wt") == 0)
        n -= 3;
    if (n >= sizeof job->name)
        n = sizeof job->name - 1;
    memcpy(job->name, b, n);
    job->name[n] = '\0';
    job->heap_bytes = (size_t)16 << 20;
}

void wt_job_clear(wt_job *job)
{
    free(job->output);
    job->output = NULL;
    job->output_len = 0;
    wt_program_free(job->prog);
    job->prog = NULL;
}

const char *wt_status_text(const wt_job *job, char *buf, size_t n)
{
    switch (job->status) {
    case WT_OK: snprintf(buf, n, "ok"); break;
    case WT_COMPILE_ERROR: snprintf(buf, n, "not run: %s", job->diag.text); break;
    case WT_OUT_OF_MEMORY:
        snprintf(buf, n, "stopped: %s; %zu bytes returned to the context",
                 job->message, job->bytes_returned);
        break;
    case WT_BUDGET:
        snprintf(buf, n, "stopped: %s; %zu bytes returned to the context",
                 job->message, job->bytes_returned);
        break;
    case WT_RUNTIME_ERROR: snprintf(buf, n, "runtime error: %s", job->message); break;
    case WT_HEAP_ERROR: snprintf(buf, n, "not run: %s", job->message); break;
    default: snprintf(buf, n, "not run"); break;
    }
    return buf;
}

size_t wt_parse_size(const char *s)
{
    if (!s || !isdigit((unsigned char)*s))
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return 0;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10;
    else if (*end == 'M' || *end == 'm') shift = 20;
    else if (*end == 'G' || *end == 'g') shift = 30;
    if (shift)
        end++;
    if (*end || v > (SIZE_MAX >> shift))
        return 0;
    return (size_t)v << shift;
}

const char *wt_size_text(char *buf, size_t n, size_t bytes)
{
    const size_t mib = (size_t)1 << 20;
    if (bytes >= mib && bytes % mib == 0)
        snprintf(buf, n, "%zu MiB", bytes / mib);
    else if (bytes >= mib)
        snprintf(buf, n, "%.1f MiB", (double)bytes / (double)mib);
    else
        snprintf(buf, n, "%zu KiB", (bytes + 1023) / 1024);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Running                                                             */
typedef struct run_pool {
    wt_job *jobs;
    size_t n, next;
    vmma_context *ctx;
    pthread_mutex_t lock;
} run_pool;

static void *run_worker(void *arg)
{
    run_pool *pool = arg;
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        size_t i = pool->next < pool->n ? pool->next++ : pool->n;
        pthread_mutex_unlock(&pool->lock);
        if (i == pool->n)
            return NULL;
        wt_job *job = &pool->jobs[i];
        if (job->prog)
            wt_vm_run(job, pool->ctx);
    }
}

static void compile_jobs(wt_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&jobs[i].diag, 0, sizeof jobs[i].diag);
        jobs[i].prog = wt_compile_file(jobs[i].path, &jobs[i].diag);
        jobs[i].status = jobs[i].prog ? WT_NOT_RUN : WT_COMPILE_ERROR;
    }
}

/* address space for every heap with room to spare (pages are touched lazily) */
static size_t context_bytes(const wt_job *jobs, size_t n)
{
    size_t total = (size_t)256 << 20;
    for (size_t i = 0; i < n; i++)
        total += jobs[i].heap_bytes * 4;
    return total;
}

int wt_run_jobs(wt_job *jobs, size_t n, int threads,
                size_t *free_before, size_t *free_after)
{
    compile_jobs(jobs, n);
    vmma_config cfg = {0, 0, VMMA_FEATURE_THREAD_SAFE | VMMA_FEATURE_LIMITS};
    vmma_context *ctx = NULL;
    int rc = vmma_create_context(&ctx, NULL, context_bytes(jobs, n), &cfg);
    if (rc)
        return rc;
    *free_before = vmma_get_free_size(ctx);
    /* a build with THREAD_SAFE compiled out runs the programs one at a time */
    if (!(vmma_get_accepted_flags(ctx) & VMMA_FEATURE_THREAD_SAFE))
        threads = 1;
    run_pool pool = {jobs, n, 0, ctx, PTHREAD_MUTEX_INITIALIZER};
    if (threads < 1)
        threads = 1;
    if ((size_t)threads > n)
        threads = (int)n;
    pthread_t *tids = calloc((size_t)threads + 1, sizeof *tids);
    int started = 0;
    for (int t = 0; tids && t < threads; t++, started++)
        if (pthread_create(&tids[t], NULL, run_worker, &pool) != 0)
            break;
    if (started == 0)
        run_worker(&pool);                  /* no thread at all: run here */
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    free(tids);
    *free_after = vmma_get_free_size(ctx);
    vmma_destroy_context(ctx);
    return 0;
}
