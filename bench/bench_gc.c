/*
 * bench_gc.c — GCBench-style and binary-trees workloads on every libmmtk
 * plan and on Boehm GC, one child process per configuration so that peak
 * RSS (getrusage maxrss) is per configuration. Prints one table: wall time,
 * collections, max pause, peak RSS.
 *
 * Objects (libmmtk side): a header word (size << 8 | reference count), then
 * the reference fields, then data. Roots are a shadow stack of slots. Every
 * reference store goes through mmtk_object_reference_write.
 * Usage: bench_gc [depth-reduction [plan workload]]  (0 = full size; BENCH_GC_QUICK=1
 * means 4); with a plan and workload, runs that one in-process (profiling).
 * BENCH_GC_PLANS="GenImmix,GenImmix@4M,BoehmGC" runs only those configurations.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <mmtk.h>
#ifdef HAVE_BDWGC
#include <gc/gc.h>
#endif

typedef struct node {
    uint64_t hdr;
    struct node *left, *right;
    int64_t i, j;
} node;

typedef struct darray {
    uint64_t hdr;
    double d[];
} darray;

#define HDR(size, nrefs) (((uint64_t)(size) << 8) | (nrefs))

/* ---------------------------------------------------------------- */
/* Back ends                                                          */

typedef struct backend {
    const char *name;
    node *(*new_node)(void);
    darray *(*new_array)(size_t n);
    void (*set)(node *src, node **slot, node *val);
    uint64_t (*collections)(void);
    double (*max_pause_ms)(void);
} backend;

/* A shadow stack of roots, scanned by the libmmtk binding. */
#define MAX_ROOTS 1024
static void *roots[MAX_ROOTS];
static int nroots;
/* A function, not a macro: the value (which may allocate and push) is
 * computed before the slot is taken. */
static int PUSH(void *p)
{
    roots[nroots] = p;
    return nroots++;
}
#define ROOT(i) ((node *)roots[i])
#define POP(n) (nroots -= (n))

static mmtk *heap;
static mmtk_mutator *mut;

static size_t b_size(void *vm, mmtk_object o)
{
    (void)vm;
    return (size_t)(*(uint64_t *)o >> 8);
}

static void b_scan(void *vm, mmtk_object o, mmtk_visitor *v)
{
    (void)vm;
    uint64_t h = *(uint64_t *)o;
    mmtk_visit_slots(v, (mmtk_object *)((char *)o + 8), h & 0xff);
}

static void b_roots(void *vm, mmtk_visitor *v)
{
    (void)vm;
    for (int k = 0; k < nroots; k++)
        mmtk_visit_slot(v, (mmtk_object *)&roots[k]);
}

static void m_oom(void)
{
    mmtk_stats st;
    mmtk_get_stats(heap, &st);
    fprintf(stderr, "bench_gc: out of memory (%s: %zu of %zu bytes in use, %llu collections, %llu live after the last)\n",
            mmtk_plan_name(heap), mmtk_used_bytes(heap), mmtk_total_bytes(heap),
            (unsigned long long)st.collections, (unsigned long long)st.live_bytes_after_last_gc);
    exit(3);
}

static node *m_node(void)
{
    node *n = mmtk_alloc_inline(mut, sizeof(node));   /* = mmtk_alloc(.., 8, 0, DEFAULT) */
    if (!n)
        m_oom();
    n->hdr = HDR(sizeof(node), 2);
    mmtk_post_alloc(mut, n, sizeof(node), MMTK_ALLOC_DEFAULT);
    return n;
}

static darray *m_array(size_t n)
{
    size_t bytes = sizeof(darray) + n * sizeof(double);
    darray *a = mmtk_alloc(mut, bytes, 8, 0, MMTK_ALLOC_DEFAULT);
    if (!a)
        m_oom();
    a->hdr = HDR(bytes, 0);
    mmtk_post_alloc(mut, a, bytes, MMTK_ALLOC_DEFAULT);
    return a;
}

static void m_set(node *src, node **slot, node *val)
{
    mmtk_object_reference_write_inline(mut, src, (mmtk_object *)slot, val);
}

static uint64_t m_collections(void)
{
    mmtk_stats s;
    mmtk_get_stats(heap, &s);
    return s.collections;
}

static double m_max_pause(void)
{
    mmtk_stats s;
    mmtk_get_stats(heap, &s);
    return (double)s.pause_ns_max / 1e6;
}

/* The pause distribution: every collection's pause, from the binding's
 * gc_started/gc_finished (Boehm GC: its collection events). A libmmtk pause
 * is a nursery one when the count of full collections, read at the next
 * gc_started (or at the end), did not move across it. */
#define MAX_PAUSES 100000
static double pause_ms[MAX_PAUSES];
static unsigned char pause_full[MAX_PAUSES];
static int npauses;
static double pause_t0;
static uint64_t full_seen;

static double ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void pauses_classify(void)
{
    mmtk_stats s;
    mmtk_get_stats(heap, &s);
    if (npauses > 0 && s.full_collections > full_seen)
        pause_full[npauses - 1] = 1;
    full_seen = s.full_collections;
}

static void m_started(void *vm)
{
    (void)vm;
    pauses_classify();
    pause_t0 = ms_now();
}

static void m_finished(void *vm)
{
    (void)vm;
    if (npauses < MAX_PAUSES)
        pause_ms[npauses++] = ms_now() - pause_t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile q (0..1) of the pauses of one kind (full: 0, 1, or -1 for all). */
static double pause_pct(double q, int full)
{
    static double v[MAX_PAUSES];
    int n = 0;
    for (int i = 0; i < npauses; i++)
        if (full < 0 || pause_full[i] == full)
            v[n++] = pause_ms[i];
    if (!n)
        return 0;
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    int k = (int)(q * (double)(n - 1) + 0.5);
    return v[k];
}

/* plan may be "Plan@size": a generational plan with that nursery_size. */
static int mmtk_setup(const char *plan, const char *heap_size)
{
    mmtk_builder *b = mmtk_builder_new();
    char name[32];
    snprintf(name, sizeof name, "%s", plan);
    char *at = strchr(name, '@');
    if (at)
        *at++ = '\0';
    if (mmtk_builder_set_option(b, "plan", name) || mmtk_builder_set_option(b, "heap_size", heap_size) ||
        (at && mmtk_builder_set_option(b, "nursery_size", at)))
        return 1;
    mmtk_builder_read_env(b);
    mmtk_vm_binding binding = { .object_size = b_size, .scan_object = b_scan, .scan_roots = b_roots,
                                .gc_started = m_started, .gc_finished = m_finished };
    heap = mmtk_init(b, &binding, NULL);
    mmtk_builder_free(b);
    if (!heap)
        return 1;
    mmtk_initialize_collection(heap, NULL);
    mut = mmtk_bind_mutator(heap, NULL);
    return mut == NULL;
}

static const backend mmtk_backend = { "mmtk", m_node, m_array, m_set, m_collections, m_max_pause };

#ifdef HAVE_BDWGC
static double bdw_pause_max;
static struct timespec bdw_t0;
static void bdw_event(GC_EventType e)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (e == GC_EVENT_START) {
        bdw_t0 = t;
    } else if (e == GC_EVENT_END) {
        double ms = (double)(t.tv_sec - bdw_t0.tv_sec) * 1e3 + (double)(t.tv_nsec - bdw_t0.tv_nsec) / 1e6;
        if (ms > bdw_pause_max)
            bdw_pause_max = ms;
        if (npauses < MAX_PAUSES) {
            pause_full[npauses] = 1;
            pause_ms[npauses++] = ms;
        }
    }
}
static node *g_node(void)
{
    node *n = GC_MALLOC(sizeof(node));
    n->hdr = HDR(sizeof(node), 2);
    return n;
}
static darray *g_array(size_t n)
{
    darray *a = GC_MALLOC_ATOMIC(sizeof(darray) + n * sizeof(double));
    memset(a, 0, sizeof(darray) + n * sizeof(double));
    return a;
}
static void g_set(node *src, node **slot, node *val)
{
    (void)src;
    *slot = val;
}
static uint64_t g_collections(void)
{
    return GC_get_gc_no();
}
static double g_max_pause(void)
{
    return bdw_pause_max;
}
static const backend bdw_backend = { "bdwgc", g_node, g_array, g_set, g_collections, g_max_pause };
#endif

/* ---------------------------------------------------------------- */
/* Workloads                                                          */

static const backend *B;

/* GCBench (after Ellis, Kovac, Boehm): trees built top-down and bottom-up
 * beside a long-lived tree and a large array of doubles. */
static int tree_size(int d)
{
    return (1 << (d + 1)) - 1;
}

static void populate(int depth, int slot)
{
    if (depth <= 0)
        return;
    depth--;
    node *l = B->new_node();
    B->set(ROOT(slot), &ROOT(slot)->left, l);
    node *r = B->new_node();
    B->set(ROOT(slot), &ROOT(slot)->right, r);
    int s = PUSH(ROOT(slot)->left);
    populate(depth, s);
    roots[s] = ROOT(slot)->right;
    populate(depth, s);
    POP(1);
}

static node *make_tree(int depth)
{
    if (depth <= 0)
        return B->new_node();
    int l = PUSH(make_tree(depth - 1));
    int r = PUSH(make_tree(depth - 1));
    node *n = B->new_node();
    B->set(n, &n->left, ROOT(l));
    B->set(n, &n->right, ROOT(r));
    POP(2);
    return n;
}

static long check_tree(node *n)
{
    return n->left ? 1 + check_tree(n->left) + check_tree(n->right) : 1;
}

static int gcbench(int scale)
{
    const int stretch = 18 - scale, long_lived = 16 - scale, min_d = 4, max_d = 16 - scale;
    (void)make_tree(stretch);
    int ll = PUSH(B->new_node());
    populate(long_lived, ll);
    int arr = PUSH(B->new_array(500000 >> scale));
    for (int d = min_d; d <= max_d; d += 2) {
        int iters = 2 * tree_size(stretch) / tree_size(d);
        for (int k = 0; k < iters; k++) {
            int t = PUSH(B->new_node());
            populate(d, t);
            POP(1);
            (void)make_tree(d);
        }
    }
    int ok = check_tree(ROOT(ll)) == tree_size(long_lived) && ((darray *)roots[arr]) != NULL;
    POP(2);
    return ok;
}

/* binary-trees (benchmarks game shape): a stretch tree, a long-lived tree,
 * then many short-lived trees of every depth. */
static int binary_trees(int scale)
{
    const int max_d = 17 - scale, min_d = 4;   /* SemiSpace fits its 32 MiB stretch tree in 64 MiB */
    long c = check_tree(make_tree(max_d + 1));
    int ll = PUSH(make_tree(max_d));
    long total = c;
    for (int d = min_d; d <= max_d; d += 2) {
        long iters = 1L << (max_d - d + min_d);
        for (long k = 0; k < iters; k++)
            total += check_tree(make_tree(d));
    }
    int ok = check_tree(ROOT(ll)) == tree_size(max_d);
    POP(1);
    return ok && total > 0;
}

/* ---------------------------------------------------------------- */
/* Driver: one child per configuration                                */

typedef struct result {
    int ok;
    double seconds, cpu_seconds, max_pause_ms;
    double p50_ms, p95_ms, nursery_p95_ms, nursery_max_ms, gc_seconds;
    uint64_t collections, full;
    uint64_t objects_copied;
    int failed;          /* parent: 0, or the child's wait status (-1: no result) */
    double rss_mib;      /* parent: the child's peak RSS */
} result;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int run_child(const char *plan, int workload, int scale, int fd)
{
    result r;
    memset(&r, 0, sizeof r);
    if (!strcmp(plan, "BoehmGC")) {
#ifdef HAVE_BDWGC
        GC_INIT();
        GC_set_on_collection_event(bdw_event);
        B = &bdw_backend;
#else
        return 1;
#endif
    } else {
        if (mmtk_setup(plan, strcmp(plan, "NoGC") ? "64M" : "6G"))
            return 2;
        B = &mmtk_backend;
    }
    double t0 = now();
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    r.ok = workload == 0 ? gcbench(scale) : binary_trees(scale);
    r.seconds = now() - t0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    r.cpu_seconds = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    if (B == &mmtk_backend)
        pauses_classify();
    for (int i = 0; i < npauses; i++) {
        r.full += pause_full[i];
        r.gc_seconds += pause_ms[i] / 1e3;
    }
    r.p50_ms = pause_pct(0.5, -1);
    r.p95_ms = pause_pct(0.95, -1);
    r.nursery_p95_ms = pause_pct(0.95, 0);
    r.nursery_max_ms = pause_pct(1.0, 0);
    r.collections = B->collections();
    if (B == &mmtk_backend) {
        mmtk_stats st;
        mmtk_get_stats(heap, &st);
        r.objects_copied = st.objects_copied;
    }
    r.max_pause_ms = B->max_pause_ms();
    if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
        return 4;
    return 0;
}

#define MAX_REPS 15

/* One configuration in a child process: its result, with peak RSS. */
static void run_config(const char *plan, int workload, int scale, result *out)
{
    int fds[2];
    memset(out, 0, sizeof *out);
    out->failed = -1;
    if (pipe(fds))
        return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        _exit(run_child(plan, workload, scale, fds[1]));
    }
    close(fds[1]);
    result r;
    ssize_t got = read(fds[0], &r, sizeof r);
    close(fds[0]);
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || got != (ssize_t)sizeof r) {
        out->failed = status ? status : -1;
        return;
    }
    *out = r;
    out->failed = 0;
    out->rss_mib = (double)ru.ru_maxrss / 1024.0;
}

static int cmp_run_time(const void *a, const void *b)
{
    const result *x = *(const result *const *)a, *y = *(const result *const *)b;
    if (x->failed != y->failed)
        return x->failed ? 1 : -1;   /* failed runs sort last */
    return x->seconds < y->seconds ? -1 : x->seconds > y->seconds;
}

/* The run with the median time (a failed run counts as slowest). */
static const result *median_run(const result *runs, int n)
{
    const result *sorted[MAX_REPS];
    for (int i = 0; i < n; i++)
        sorted[i] = &runs[i];
    qsort(sorted, (size_t)n, sizeof sorted[0], cmp_run_time);
    return sorted[n / 2];
}

/* One table row: the median run of a configuration, its range of times
 * and its ratio to Boehm GC's median time (boehm; 0 if not run). */
static void print_row(const char *workload, const char *plan, const result *runs, int reps, double boehm)
{
    const result *r = median_run(runs, reps);
    if (r->failed) {
        printf("%-13s %-14s %9s (failed: status %d)\n", workload, plan, "-", r->failed);
        return;
    }
    double lo = r->seconds, hi = r->seconds;
    for (int rep = 0; rep < reps; rep++) {
        if (runs[rep].failed)
            continue;
        lo = runs[rep].seconds < lo ? runs[rep].seconds : lo;
        hi = runs[rep].seconds > hi ? runs[rep].seconds : hi;
    }
    printf("%-13s %-14s %7.3f %6.3f..%-6.3f %6.2f %6.3f %6.3f %6.2fM %5llu %5llu %6.2f %6.2f %7.2f %7.2f %7.2f %8.1f %s\n",
           workload, plan, r->seconds, lo, hi, boehm > 0 ? r->seconds / boehm : 0.0, r->cpu_seconds,
           r->gc_seconds, (double)r->objects_copied / 1e6, (unsigned long long)r->collections,
           (unsigned long long)r->full, r->p50_ms, r->p95_ms, r->max_pause_ms, r->nursery_p95_ms,
           r->nursery_max_ms, r->rss_mib, r->ok ? "yes" : "NO");
}

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 0;
    if (getenv("BENCH_GC_QUICK"))
        scale = 4;
    const char *plans[] = { "NoGC", "MarkSweep", "SemiSpace", "MarkCompact",
                            "Immix", "GenCopy", "GenImmix", "StickyImmix",
                            "GenCopy@16M", "GenImmix@16M", "StickyImmix@16M",
#ifdef HAVE_BDWGC
                            "BoehmGC",
#endif
    };
    const char *workloads[] = { "GCBench", "binary-trees" };
    size_t nplans = sizeof plans / sizeof plans[0];
    /* BENCH_GC_PLANS="GenImmix,GenImmix@4M": only those configurations */
    static char plan_buf[512];
    const char *only = getenv("BENCH_GC_PLANS");
    if (only && *only) {
        snprintf(plan_buf, sizeof plan_buf, "%s", only);
        nplans = 0;
        for (char *save = NULL, *tok = strtok_r(plan_buf, ",", &save);
             tok && nplans < sizeof plans / sizeof plans[0]; tok = strtok_r(NULL, ",", &save))
            plans[nplans++] = tok;
    }
    if (argc > 3) {   /* one configuration in this process (for profilers) */
        int w = !strcmp(argv[3], "binary-trees");
        return run_child(argv[2], w, scale, 1) ? 1 : 0;
    }
    const char *e_reps = getenv("BENCH_GC_REPS");
    int reps = e_reps && atoi(e_reps) > 0 ? atoi(e_reps) : 3;
    if (reps > MAX_REPS)
        reps = MAX_REPS;
    printf("bench_gc: depth scale -%d, libmmtk heaps 64 MiB (NoGC 6 GiB), Boehm GC default heap\n", scale);
    printf("each configuration runs %d times (BENCH_GC_REPS), interleaved with the others; the row is the run\n"
           "with the median time; range: fastest..slowest time; xBoehm: median time / Boehm GC's median time\n", reps);
    printf("gc_s: the sum of all pauses; copied: objects copied (millions); pauses in ms: p50/p95/max over all collections; nursery p95/max over nursery ones;\n"
           "nursery: an eighth of the heap by default (8 MiB here); Plan@16M: nursery_size=16M\n");
    printf("%-13s %-14s %7s %13s %6s %6s %6s %7s %5s %5s %6s %6s %7s %7s %7s %8s %s\n", "workload", "plan", "time_s",
           "range", "xBoehm", "cpu_s", "gc_s", "copied", "GCs", "full", "p50", "p95", "max", "nur_p95", "nur_max",
           "rss_MiB", "ok");
    static result runs[sizeof plans / sizeof plans[0]][MAX_REPS];
    for (int w = 0; w < 2; w++) {
        for (int rep = 0; rep < reps; rep++)
            for (size_t p = 0; p < nplans; p++)
                run_config(plans[p], w, scale, &runs[p][rep]);
        double boehm = 0;
        for (size_t p = 0; p < nplans; p++)
            if (!strcmp(plans[p], "BoehmGC"))
                boehm = median_run(runs[p], reps)->seconds;
        for (size_t p = 0; p < nplans; p++)
            print_row(workloads[w], plans[p], runs[p], reps, boehm);
    }
    return 0;
}
