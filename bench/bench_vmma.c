/*
 * bench_vmma.c — libvmma against glibc malloc, talloc and APR pools in this
 * process, and against mimalloc and jemalloc through their own binaries
 * (bench_vmma_mimalloc, bench_vmma_jemalloc: linking them replaces malloc
 * process-wide). Prints one ratio table with the targets of issue 2.
 *
 *   bench_vmma          run everything, print the table
 *   bench_vmma --raw    run this binary's allocators, print RESULT lines
 * BENCH_SCALE=n divides the loop counts (quick runs).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "bench_vmma.h"
#include "libvmma.h"

#include <libgen.h>
#include <limits.h>
#ifdef HAVE_TALLOC
#include <talloc.h>
#endif
#ifdef HAVE_APR
#include <apr_pools.h>
#endif

#define CONTEXT_BYTES ((size_t)4 << 30)   /* address space; pages used on touch */
#define BENCH_ROUNDS 3

static vmma_context *ctx;

static void run_vmma(void)
{
    vmma_client *c = NULL;
    if (vmma_create_context(&ctx, NULL, CONTEXT_BYTES, NULL)) {
        fprintf(stderr, "bench_vmma: cannot create a context\n");
        exit(1);
    }
#define V_ALLOC(sz) vmma_alloc(c, (sz))
#define V_FREE(p) vmma_free(ctx, (p))
    BENCH_CHURN("vmma", c = vmma_create_client(ctx), V_ALLOC, V_FREE, vmma_delete_client(c));
    BENCH_TEARDOWN_RUN("vmma", c = vmma_create_client(ctx), V_ALLOC, vmma_delete_client(c));
    BENCH_LIFECYCLE_RUN("vmma", BENCH_LIFECYCLE * 5, c = vmma_create_client(ctx),
                        vmma_delete_client(c));
    vmma_stats st;
    vmma_get_context_stats(ctx, &st);
    bench_result("admin", "vmma", 100.0 * (double)st.admin_size / (double)CONTEXT_BYTES);
    vmma_destroy_context(ctx);
    /* the same churn on a THREAD_SAFE context (mimalloc's heaps take no
     * lock; a vmma client is biased to the one thread that uses it) */
    vmma_config ts = {0, 0, VMMA_FEATURE_THREAD_SAFE};
    if ((vmma_get_supported_flags() & VMMA_FEATURE_THREAD_SAFE) &&
        vmma_create_context(&ctx, NULL, CONTEXT_BYTES, &ts) == 0) {
        BENCH_CHURN("vmma-ts", c = vmma_create_client(ctx), V_ALLOC, V_FREE,
                    vmma_delete_client(c));
        vmma_destroy_context(ctx);
    }
    /* a caller's block of 64 MiB: the admin share with a small block */
    size_t small = (size_t)64 << 20;
    void *mem = malloc(small);
    if (mem && vmma_create_context(&ctx, mem, small, NULL) == 0) {
        vmma_get_context_stats(ctx, &st);
        bench_result("admin64", "vmma", 100.0 * (double)st.admin_size / (double)small);
        vmma_destroy_context(ctx);
    }
    free(mem);
}

static void run_glibc(void)
{
#define G_ALLOC(sz) malloc(sz)
#define G_FREE(p) free(p)
    BENCH_CHURN("glibc", (void)0, G_ALLOC, G_FREE, (void)0);
    BENCH_TEARDOWN_RUN("glibc", (void)0, G_ALLOC, for (size_t i = 0; i < n; i++) free(slots[i]));
}

#ifdef HAVE_TALLOC
static void run_talloc(void)
{
    void *top = NULL;
#define T_ALLOC(sz) talloc_size(top, (sz))
#define T_FREE(p) talloc_free(p)
    BENCH_CHURN("talloc", top = talloc_new(NULL), T_ALLOC, T_FREE, talloc_free(top));
    BENCH_TEARDOWN_RUN("talloc", top = talloc_new(NULL), T_ALLOC, talloc_free(top));
    BENCH_LIFECYCLE_RUN("talloc", BENCH_LIFECYCLE, top = talloc_new(NULL), talloc_free(top));
}
#endif

#ifdef HAVE_APR
static void run_apr(void)
{
    apr_pool_t *pool = NULL;
    apr_initialize();
#define A_ALLOC(sz) apr_palloc(pool, (sz))
    BENCH_TEARDOWN_RUN("apr", apr_pool_create(&pool, NULL), A_ALLOC, apr_pool_destroy(pool));
    BENCH_LIFECYCLE_RUN("apr", BENCH_LIFECYCLE, apr_pool_create(&pool, NULL),
                        apr_pool_destroy(pool));
    apr_terminate();
}
#endif

/* ---- the table ---------------------------------------------------------- */

#define MAX_RESULTS 64
struct result {
    char workload[32], allocator[32];
    double value;
};
static struct result results[MAX_RESULTS];
static int nresults;

static void record(const char *workload, const char *allocator, double ns);

static void collect(FILE *f)
{
    char line[256], workload[32], allocator[32];
    double value;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RESULT %31s %31s %lf", workload, allocator, &value) == 3)
            record(workload, allocator, value);
}

static double find(const char *workload, const char *allocator)
{
    for (int i = 0; i < nresults; i++)
        if (!strcmp(results[i].workload, workload) && !strcmp(results[i].allocator, allocator))
            return results[i].value;
    return -1;
}

static void run_peer(const char *self, const char *name)
{
    char path[PATH_MAX], dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", self);
    snprintf(path, sizeof path, "%s/bench_vmma_%s --raw", dirname(dir), name);
    FILE *f = popen(path, "r");
    if (!f)
        return;
    collect(f);
    pclose(f);
}

/* One table: each peer's figure and vmma's ratio to it; `also` names a
 * second vmma configuration (or NULL) shown as a row and a ratio column. */
static void print_workload(const char *workload, const char *title, const char *unit, double div,
                           const char *also)
{
    static const char *peers[] = {"glibc", "mimalloc", "jemalloc", "talloc", "apr"};
    double v = find(workload, "vmma"), w = also ? find(workload, also) : -1;
    printf("\n%s\n  %-10s %12s %14s", title, "allocator", unit, "vmma / peer");
    if (w > 0)
        printf(" %9s / peer", also);
    printf("\n  %-10s %12.1f %14s", "vmma", v / div, "1.00");
    if (w > 0)
        printf(" %16.2f\n  %-10s %12.1f %14.2f %16s", w / v, also, w / div, v / w, "1.00");
    printf("\n");
    for (size_t i = 0; i < sizeof peers / sizeof *peers; i++) {
        double p = find(workload, peers[i]);
        if (p < 0)
            continue;
        printf("  %-10s %12.1f %14.2f", peers[i], p / div, v / p);
        if (w > 0)
            printf(" %16.2f", w / p);
        printf("\n");
    }
}

static const char *verdict(int ok) { return ok ? "met" : "MISSED"; }

static void print_table(void)
{
    print_workload("churn", "churn: free + alloc of 16..512-byte blocks, 100k live "
                   "(vmma-ts: a THREAD_SAFE context, one thread)", "ns/pair", 1, "vmma-ts");
    print_workload("teardown", "teardown: drop 1M live blocks at once", "us", 1e3, NULL);
    print_workload("lifecycle", "lifecycle: create + delete an empty heap", "ns/pair", 1, NULL);
    double v = find("churn", "vmma"), g = find("churn", "glibc"), m = find("churn", "mimalloc");
    double tv = find("teardown", "vmma"), tm = find("teardown", "mimalloc");
    double tg = find("teardown", "glibc"), lv = find("lifecycle", "vmma");
    double adm = find("admin", "vmma"), adm64 = find("admin64", "vmma");
    printf("\nadministrative overhead: %.3f%% of a 4 GiB context, %.3f%% of a 64 MiB block\n",
           adm, adm64);
    printf("\ntargets (issue 2)\n");
    printf("  churn    vmma <= 1.00 x glibc      %5.2f  %s\n", v / g, verdict(v <= g));
    if (m > 0)
        printf("  churn    vmma <= 1.25 x mimalloc   %5.2f  %s\n", v / m, verdict(v <= 1.25 * m));
    double ts = find("churn", "vmma-ts");
    if (ts > 0)
        printf("  churn    vmma-ts <= 1.30 x vmma    %5.2f  %s\n", ts / v, verdict(ts <= 1.3 * v));
    if (tm > 0)
        printf("  teardown vmma <= 1.00 x mi_heap    %5.2f  %s\n", tv / tm, verdict(tv <= tm));
    printf("  teardown glibc >= 20 x vmma        %5.0f  %s\n", tg / tv, verdict(tg >= 20 * tv));
    printf("  admin    <= 2%% of the block        %5.3f  %s\n", adm64 > adm ? adm64 : adm,
           verdict(adm <= 2 && adm64 <= 2));
    printf("  client   create+delete <= 1 us     %5.0f ns  %s\n", lv, verdict(lv <= 1000));
}

/* Keep the best figure of each (workload, allocator) over the rounds. */
static void record(const char *workload, const char *allocator, double ns)
{
    for (int i = 0; i < nresults; i++)
        if (!strcmp(results[i].workload, workload) && !strcmp(results[i].allocator, allocator)) {
            if (ns < results[i].value)
                results[i].value = ns;
            return;
        }
    if (nresults == MAX_RESULTS)
        return;
    struct result *r = &results[nresults++];
    snprintf(r->workload, sizeof r->workload, "%s", workload);
    snprintf(r->allocator, sizeof r->allocator, "%s", allocator);
    r->value = ns;
}

int main(int argc, char **argv)
{
    int raw = argc > 1 && !strcmp(argv[1], "--raw");
    /* the machine may be shared: alternate the processes over rounds and
     * keep each figure's best, so that no allocator is measured only in a
     * busy moment */
    int rounds = raw ? 1 : BENCH_ROUNDS;
    if (!raw) {
        printf("bench_vmma: libvmma against its peers (best of %d x %d runs, CPU time)\n",
               BENCH_ROUNDS, BENCH_REPEAT);
        fflush(stdout);
        bench_hook = record;
    }
    for (int round = 0; round < rounds; round++) {
        if (!raw) {
#ifdef HAVE_MIMALLOC
            run_peer(argv[0], "mimalloc");
#endif
#ifdef HAVE_JEMALLOC
            run_peer(argv[0], "jemalloc");
#endif
        }
        run_vmma();
        run_glibc();
#ifdef HAVE_TALLOC
        run_talloc();
#endif
#ifdef HAVE_APR
        run_apr();
#endif
    }
    if (!raw)
        print_table();
    return 0;
}
