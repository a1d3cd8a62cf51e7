/*
 * bench_heaps.c — what many small isolated heaps cost: per-heap create +
 * destroy time (each plan, on a shared vmma context and on a private one),
 * the idle heap's footprint (bytes taken from the context, resident bytes),
 * the process's thread count with 1,000 heaps before and after a collection
 * in each, and the cost of dropping one of 1,000 object graphs: destroying
 * its heap in libmmtk, against Boehm GC, which has one global heap (GC_INIT
 * once, no per-heap destroy or limit) and must collect the whole process
 * to drop one graph.
 *
 * Objects: a header word (bytes << 8 | reference count), then references.
 * Usage: bench_heaps [heaps]   (default 1000)
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mmtk.h>
#ifdef HAVE_BDWGC
#include <gc/gc.h>
#endif

static const char *const plans[] = {
    "NoGC", "MarkSweep", "SemiSpace", "Immix", "GenCopy", "GenImmix", "StickyImmix", "MarkCompact",
};
#define NPLANS 8
#define ARENA_BYTES ((size_t)64 * 1024)
#define GRAPH_DEPTH 6   /* 127 nodes per graph */

typedef struct obj {
    uint64_t hdr;
    struct obj *ref[2];
} obj;

/* One VM per heap: a shadow stack of root slots. */
#define VM_ROOTS 32
typedef struct vm {
    mmtk *heap;
    mmtk_mutator *m;
    int n;
    obj *roots[VM_ROOTS];
} vm;

static size_t b_size(void *v, mmtk_object o)
{
    (void)v;
    return (size_t)(((obj *)o)->hdr >> 8);
}

static void b_scan(void *v, mmtk_object o, mmtk_visitor *vis)
{
    (void)v;
    obj *x = o;
    for (unsigned i = 0; i < (x->hdr & 0xff); i++)
        mmtk_visit_slot(vis, (mmtk_object *)&x->ref[i]);
}

static void b_roots(void *v, mmtk_visitor *vis)
{
    vm *x = v;
    for (int i = 0; i < x->n; i++)
        mmtk_visit_slot(vis, (mmtk_object *)&x->roots[i]);
}

static const mmtk_vm_binding binding = { .object_size = b_size, .scan_object = b_scan, .scan_roots = b_roots };

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static long status_field(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, name, n) && line[n] == ':') {
            v = atol(line + n + 1);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_heaps: %s: %s\n", what, strerror(errno));
    exit(1);
}

static mmtk_builder *builder(const char *plan, const char *size, vmma_context *ctx)
{
    mmtk_builder *b = mmtk_builder_new();
    if (!b || mmtk_builder_set_option(b, "plan", plan) || mmtk_builder_set_option(b, "heap_size", size) ||
        mmtk_builder_set_option(b, "threads", "2"))
        die("builder");
    if (ctx)
        mmtk_builder_set_vmma_context(b, ctx);
    return b;
}

static obj *alloc_obj(vm *v)
{
    obj *o = mmtk_alloc(v->m, sizeof(obj), 16, 0, MMTK_ALLOC_DEFAULT);
    if (!o)
        die("mmtk_alloc");
    o->hdr = (uint64_t)sizeof(obj) << 8 | 2;
    mmtk_post_alloc(v->m, o, sizeof(obj), MMTK_ALLOC_DEFAULT);
    return o;
}

/* A complete binary tree of depth d pushed on the root stack; bottom-up
 * through the stack, so a collection in the middle is harmless. */
static void tree(vm *v, int d)
{
    if (d < 0) {
        v->roots[v->n++] = NULL;
        return;
    }
    tree(v, d - 1);
    tree(v, d - 1);
    obj *p = alloc_obj(v);
    mmtk_object_reference_write(v->m, p, (mmtk_object *)&p->ref[0], v->roots[v->n - 2]);
    mmtk_object_reference_write(v->m, p, (mmtk_object *)&p->ref[1], v->roots[v->n - 1]);
    v->n -= 2;
    v->roots[v->n++] = p;
}

static long count(const obj *o)
{
    return o ? 1 + count(o->ref[0]) + count(o->ref[1]) : 0;
}

static vmma_context *context(size_t bytes)
{
    vmma_context *ctx;
    vmma_config cfg = { 0, ARENA_BYTES, VMMA_FEATURE_THREAD_SAFE | VMMA_FEATURE_LIMITS };
    int e = vmma_create_context(&ctx, NULL, bytes, &cfg);
    if (e) {
        errno = e;
        die("vmma_create_context");
    }
    return ctx;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---------------------------------------------------------------- */
/* 1. create + destroy                                                */

/* Median over 7 batches of the mean time of one cycle, in microseconds.
 * use: 0 = init+destroy; 1 = also bind a mutator and allocate one object. */
static double cycle_us(const char *plan, vmma_context *ctx, int use, int per_batch)
{
    double med[7];
    mmtk_builder *b = builder(plan, "4M", ctx);
    for (int k = 0; k < 7; k++) {
        double t0 = now_us();
        for (int i = 0; i < per_batch; i++) {
            vm v = { .heap = NULL };
            v.heap = mmtk_init(b, &binding, &v);
            if (!v.heap)
                die("mmtk_init");
            mmtk_initialize_collection(v.heap, NULL);
            if (use) {
                v.m = mmtk_bind_mutator(v.heap, &v);
                if (!v.m)
                    die("mmtk_bind_mutator");
                v.roots[v.n++] = alloc_obj(&v);
            }
            mmtk_destroy(v.heap);
        }
        med[k] = (now_us() - t0) / per_batch;
    }
    mmtk_builder_free(b);
    qsort(med, 7, sizeof med[0], cmp_double);
    return med[3];
}

static void bench_create_destroy(void)
{
    vmma_context *ctx = context((size_t)1 << 30);
    printf("Create + destroy one heap (median of 7 batches, microseconds per heap)\n");
    printf("%-12s %14s %18s %16s\n", "plan", "shared context", "+ mutator + alloc", "private context");
    for (int p = 0; p < NPLANS; p++)
        printf("%-12s %14.2f %18.2f %16.2f\n", plans[p], cycle_us(plans[p], ctx, 0, 2000),
               cycle_us(plans[p], ctx, 1, 500), cycle_us(plans[p], NULL, 0, 100));
    vmma_destroy_context(ctx);
}

/* ---------------------------------------------------------------- */
/* 2. and 3. 1,000 idle heaps, then a collection in each               */

static void bench_many(int n)
{
    vmma_context *ctx = context((size_t)4 << 30);
    vm *vms = calloc((size_t)n, sizeof *vms);
    if (!vms)
        die("calloc");
    long threads0 = status_field("Threads"), rss0 = status_field("VmRSS");
    size_t free0 = vmma_get_free_size(ctx), used = 0;
    mmtk_builder *bs[NPLANS];
    for (int p = 0; p < NPLANS; p++)
        bs[p] = builder(plans[p], "1M", ctx);
    double t0 = now_us();
    for (int i = 0; i < n; i++) {
        vms[i].heap = mmtk_init(bs[i % NPLANS], &binding, &vms[i]);
        if (!vms[i].heap)
            die("mmtk_init");
        mmtk_initialize_collection(vms[i].heap, NULL);
    }
    double t_create = now_us() - t0;
    for (int i = 0; i < n; i++) {
        vmma_stats cs;
        vmma_get_client_stats(mmtk_get_vmma_client(vms[i].heap), &cs);
        used += cs.used_size;
    }
    size_t taken = free0 - vmma_get_free_size(ctx);
    long threads1 = status_field("Threads"), rss1 = status_field("VmRSS");
    /* each heap: a mutator, a graph, a collection */
    t0 = now_us();
    for (int i = 0; i < n; i++) {
        vm *v = &vms[i];
        v->m = mmtk_bind_mutator(v->heap, v);
        if (!v->m)
            die("mmtk_bind_mutator");
        tree(v, GRAPH_DEPTH);
        if (strcmp(plans[i % NPLANS], "NoGC"))
            mmtk_handle_user_collection_request(v->heap, NULL);
    }
    double t_gc = now_us() - t0;
    long threads2 = status_field("Threads"), rss2 = status_field("VmRSS");
    long bad = 0;
    for (int i = 0; i < n; i++)
        bad += count(vms[i].roots[0]) != (2L << GRAPH_DEPTH) - 1;
    /* drop one graph: destroy its heap */
    t0 = now_us();
    mmtk_destroy(vms[n / 2].heap);
    double t_drop = now_us() - t0;
    vms[n / 2].heap = NULL;
    size_t free_before = vmma_get_free_size(ctx);
    t0 = now_us();
    for (int i = 0; i < n; i++)
        if (vms[i].heap)
            mmtk_destroy(vms[i].heap);
    double t_destroy = now_us() - t0;
    int exact = vmma_get_free_size(ctx) == free0;
    (void)free_before;
    printf("\n%d heaps on one vmma context (64 KiB arenas), plans in turn\n", n);
    printf("  create all: %.1f us per heap; idle heap: %zu bytes taken from the context, "
           "%zu bytes used in its client, %.1f KiB resident\n",
           t_create / n, taken / (size_t)n, used / (size_t)n, (double)(rss1 - rss0) / n);
    printf("  threads: %ld before, %ld with %d idle heaps, %ld after a collection in each\n", threads0,
           threads1, n, threads2);
    printf("  a %ld-node graph and a collection in each: %.1f us per heap, resident +%.1f KiB per heap, "
           "graphs intact: %s\n",
           (2L << GRAPH_DEPTH) - 1, t_gc / n, (double)(rss2 - rss1) / n, bad ? "NO" : "yes");
    printf("  drop one graph = destroy its heap: %.1f us; destroy the rest: %.1f us per heap; "
           "context free size back exactly: %s\n",
           t_drop, t_destroy / (n - 1), exact ? "yes" : "NO");
    for (int p = 0; p < NPLANS; p++)
        mmtk_builder_free(bs[p]);
    free(vms);
    vmma_destroy_context(ctx);
}

/* ---------------------------------------------------------------- */
/* 4. Boehm GC: one global heap                                        */

#ifdef HAVE_BDWGC
typedef struct gnode {
    struct gnode *l, *r;
} gnode;

static gnode *gtree(int d)
{
    if (d < 0)
        return NULL;
    gnode *n = GC_MALLOC(sizeof *n);
    if (!n)
        die("GC_MALLOC");
    n->l = gtree(d - 1);
    n->r = gtree(d - 1);
    return n;
}

static long gcount(const gnode *n)
{
    return n ? 1 + gcount(n->l) + gcount(n->r) : 0;
}

static void bench_boehm(int n)
{
    long threads0 = status_field("Threads");
    double t0 = now_us();
    GC_INIT();
    double t_init = now_us() - t0;
    long threads1 = status_field("Threads");
    gnode **graphs = GC_MALLOC((size_t)n * sizeof *graphs);   /* the roots: one array in the heap */
    if (!graphs)
        die("GC_MALLOC");
    t0 = now_us();
    for (int i = 0; i < n; i++)
        graphs[i] = gtree(GRAPH_DEPTH);
    double t_build = now_us() - t0;
    GC_gcollect();
    long threads2 = status_field("Threads");
    size_t heap1 = GC_get_heap_size();
    graphs[n / 2] = NULL;   /* drop one graph: only a whole-process collection frees it */
    t0 = now_us();
    GC_gcollect();
    double t_drop = now_us() - t0;
    long bad = 0;
    for (int i = 0; i < n; i++)
        if (i != n / 2)
            bad += gcount(graphs[i]) != (2L << GRAPH_DEPTH) - 1;
    printf("\nBoehm GC %d.%d.%d: one global heap for the whole process\n", GC_VERSION_MAJOR,
           GC_VERSION_MINOR, GC_VERSION_MICRO);
    printf("  GC_INIT once: %.1f us; threads %ld before, %ld after GC_INIT, %ld after a collection\n", t_init,
           threads0, threads1, threads2);
    printf("  %d graphs of %ld nodes: %.1f us per graph; heap %zu KiB (%zu bytes per graph)\n", n,
           (2L << GRAPH_DEPTH) - 1, t_build / n, heap1 / 1024, heap1 / (size_t)n);
    printf("  drop one graph = GC_gcollect over all %d: %.1f us (traces every live graph); graphs intact: %s\n",
           n, t_drop, bad ? "NO" : "yes");
    printf("  cannot: create a second heap, destroy a heap, give a graph its own limit (GC_set_max_heap_size\n"
           "  is process-wide), collect one graph without tracing the others, or give memory back\n"
           "  per program (GC_INIT again is a no-op; GC_deinit ends the collector for everyone)\n");
}
#endif

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (n < 2)
        n = 2;
    bench_create_destroy();
    bench_many(n);
#ifdef HAVE_BDWGC
    bench_boehm(n);
#else
    printf("\nBoehm GC not found at configure time: no comparison\n");
#endif
    return 0;
}
