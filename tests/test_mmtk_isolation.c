/*
 * test_mmtk_isolation.c — many isolated heaps in one process, on one vmma
 * context.
 *
 * What a runtime hosting many programs relies on: 1,000+ heaps (of every
 * plan) live at once, an idle one holding at most 64 KiB of the context and
 * no thread; collections in a sample of them leave every object of every
 * other heap byte-for-byte as it was and owned by its own heap's client,
 * and never read or write another heap's memory (its blocks are made
 * inaccessible while a neighbour collects); a mutator of one heap that
 * never reaches a safepoint keeps running while another heap collects; a
 * leaking heap ends in out_of_memory / NULL+ENOMEM within heap_size plus
 * the stated margin while its neighbours go on; destroying a heap gives
 * its every byte back (the context's free size is exactly as before); the
 * chunks a heap keeps for its copies yield to its live data; and a heap
 * whose context is full still collects without losing anything and
 * without taking more than its quota (mark-stack overflow, roots visited
 * twice, one worker, finalizers that wait, a full collection for want of
 * remembered-set room), even with its own client full.
 *
 * VMMA_TEST_SCALE divides the heap count (Valgrind runs).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"   /* _GNU_SOURCE: sigaction, mprotect */
#endif
#include <CUnit/Basic.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "testvm.h"

static const char *const plans[] = {
    "NoGC", "MarkSweep", "SemiSpace", "Immix", "GenCopy", "GenImmix", "StickyImmix", "MarkCompact",
};
#define NPLANS 8
#define ARENA_BYTES ((size_t)64 * 1024)
#define IDLE_MAX_BYTES ((size_t)64 * 1024)
/* mmtk(3): a heap's client may hold heap_size + heap_size/16 + 256 KiB. */
#define STATED_LIMIT(hs) ((hs) + (hs) / 16 + (size_t)256 * 1024)

static vmma_context *new_context(size_t bytes)
{
    vmma_context *ctx = NULL;
    vmma_config cfg = { 0, ARENA_BYTES, VMMA_FEATURE_THREAD_SAFE | VMMA_FEATURE_LIMITS };
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, bytes, &cfg), 0);
    return ctx;
}

static int thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

static vmma_stats client_stats(mmtk *heap)
{
    vmma_stats cs;
    memset(&cs, 0, sizeof cs);
    CU_ASSERT_EQUAL(vmma_get_client_stats(mmtk_get_vmma_client(heap), &cs), 0);
    return cs;
}

/* A heap of `plan` on ctx; without an out_of_memory callback when oom_cb is 0. */
static mmtk *heap_new(tv_vm *vm, vmma_context *ctx, const char *plan, const char *size, int oom_cb,
                      const mmtk_vm_binding *custom)
{
    memset(vm, 0, sizeof *vm);
    pthread_mutex_init(&vm->lock, NULL);
    mmtk_builder *b = mmtk_builder_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "plan", plan), 0);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "heap_size", size), 0);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "threads", "2"), 0);
    mmtk_builder_set_vmma_context(b, ctx);
    mmtk_vm_binding binding = custom ? *custom : tv_binding(1);
    if (!oom_cb)
        binding.out_of_memory = NULL;
    vm->heap = mmtk_init(b, &binding, vm);
    mmtk_builder_free(b);
    if (vm->heap)
        mmtk_initialize_collection(vm->heap, NULL);
    return vm->heap;
}

static int collects(const char *plan)
{
    return strcmp(plan, "NoGC") != 0;
}

/* FNV-1a over every byte of every object of a tree, and whether each is
 * owned by `client`. */
static uint64_t tree_hash(const tv_obj *o, uint64_t h, vmma_context *ctx, vmma_client *client, long *foreign)
{
    if (!o)
        return h;
    if (vmma_get_owner(ctx, o) != client)
        ++*foreign;
    const unsigned char *p = (const unsigned char *)o;
    for (uint32_t i = 0; i < o->bytes; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    for (uint32_t i = 0; i < o->nrefs; i++)
        h = tree_hash(o->refs[i], h, ctx, client, foreign);
    return h;
}

/* ---------------------------------------------------------------- */

typedef struct sample {
    tv_vm *vm;
    tv_thread *t;
    size_t root;
    uint64_t hash;
} sample;

static uint64_t sample_hash(sample *s, vmma_context *ctx, long *foreign)
{
    return tree_hash(tv_root(s->t, s->root), 0xcbf29ce484222325ULL, ctx, mmtk_get_vmma_client(s->vm->heap),
                     foreign);
}

/* 1,000+ heaps of every plan at once; collections in a sample of them. */
static void test_thousand_heaps(void)
{
    long n = tv_scaled(1200);
    if (n < 64)
        n = 64;
    vmma_context *ctx = new_context((size_t)2 << 30);
    size_t free0 = vmma_get_free_size(ctx);
    int threads0 = thread_count();
    tv_vm *vms = calloc((size_t)n, sizeof *vms);
    CU_ASSERT_PTR_NOT_NULL_FATAL(vms);
    long big_idle = 0, not_owned = 0;
    for (long i = 0; i < n; i++) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(heap_new(&vms[i], ctx, plans[i % NPLANS], "1M", 1, NULL));
        vmma_stats cs = client_stats(vms[i].heap);
        big_idle += cs.used_size > IDLE_MAX_BYTES || cs.arena_count * ARENA_BYTES > IDLE_MAX_BYTES;
        not_owned += vmma_get_owner(ctx, vms[i].heap) != mmtk_get_vmma_client(vms[i].heap);
    }
    CU_ASSERT_EQUAL(big_idle, 0);
    CU_ASSERT_EQUAL(not_owned, 0);
    CU_ASSERT(free0 - vmma_get_free_size(ctx) <= (size_t)n * IDLE_MAX_BYTES);
    CU_ASSERT_EQUAL(thread_count(), threads0);   /* no thread per heap */
    printf("\n  %ld heaps: %zu bytes of the context each, %d threads\n", n,
           (free0 - vmma_get_free_size(ctx)) / (size_t)n, thread_count());

    /* a sample with data: one heap in 50, every plan among them */
    enum { MAXS = 64 };
    sample s[MAXS];
    int ns = 0;
    for (long i = 0; i < n && ns < MAXS; i += n / 24 + 1) {
        s[ns].vm = &vms[i];
        s[ns].t = tv_thread_new(&vms[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s[ns].t);
        s[ns].root = tv_push(s[ns].t, tv_tree(s[ns].t, 7, MMTK_ALLOC_DEFAULT));
        ns++;
    }
    long foreign = 0, changed = 0, broken = 0;
    for (int k = 0; k < ns; k++)
        s[k].hash = sample_hash(&s[k], ctx, &foreign);
    int threads_gc = -1;
    for (int k = 0; k < ns; k++) {
        const char *plan = mmtk_plan_name(s[k].vm->heap);
        if (collects(plan)) {
            for (int j = 0; j < 200; j++)
                tv_alloc(s[k].t, 2, 200, MMTK_ALLOC_DEFAULT);   /* garbage */
            mmtk_handle_user_collection_request(s[k].vm->heap, NULL);
            for (int j = 0; j < 3000; j++)
                tv_alloc(s[k].t, 2, 200, MMTK_ALLOC_DEFAULT);   /* allocation-triggered ones */
            CU_ASSERT(s[k].vm->gc_finished >= 1);
        }
        broken += tv_tree_check(tv_root(s[k].t, s[k].root), 7) != 255;
        s[k].hash = sample_hash(&s[k], ctx, &foreign);   /* it may have moved: its new self */
        for (int j = 0; j < ns; j++)
            if (j != k)
                changed += sample_hash(&s[j], ctx, &foreign) != s[j].hash;
        if (threads_gc < 0 && collects(plan))
            threads_gc = thread_count();
    }
    CU_ASSERT_EQUAL(broken, 0);
    CU_ASSERT_EQUAL(changed, 0);
    CU_ASSERT_EQUAL(foreign, 0);
    /* the GC workers are the process's, not each heap's */
    CU_ASSERT_EQUAL(thread_count(), threads_gc);
    CU_ASSERT(thread_count() - threads0 <= 64);
    printf("  threads: %d before, %d after collections in %d heaps\n", threads0, thread_count(), ns);

    /* create, use, destroy beside them: the context's free size is exactly back */
    for (int p = 0; p < NPLANS; p++) {
        size_t before = vmma_get_free_size(ctx);
        tv_vm vm;
        CU_ASSERT_PTR_NOT_NULL_FATAL(heap_new(&vm, ctx, plans[p], "2M", 1, NULL));
        tv_thread *t = tv_thread_new(&vm);
        size_t r = tv_push(t, tv_tree(t, 8, MMTK_ALLOC_DEFAULT));
        tv_push(t, tv_alloc(t, 1, 50000, MMTK_ALLOC_LOS));
        if (collects(plans[p]))
            mmtk_handle_user_collection_request(vm.heap, NULL);
        CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, r), 8), 511);
        CU_ASSERT(vmma_get_free_size(ctx) < before);
        tv_heap_free(&vm);
        CU_ASSERT_EQUAL(vmma_get_free_size(ctx), before);
    }

    /* destroy in a seeded random order; each gives back exactly its arenas */
    unsigned seed = tv_seed("thousand_heaps");
    srand(seed);
    long *order = malloc((size_t)n * sizeof *order);
    CU_ASSERT_PTR_NOT_NULL_FATAL(order);
    for (long i = 0; i < n; i++)
        order[i] = i;
    for (long i = n - 1; i > 0; i--) {
        long j = rand() % (i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    long inexact = 0;
    for (long i = 0; i < n; i++) {
        tv_vm *vm = &vms[order[i]];
        size_t before = vmma_get_free_size(ctx);
        size_t held = client_stats(vm->heap).arena_count * ARENA_BYTES;
        tv_heap_free(vm);
        inexact += vmma_get_free_size(ctx) - before != held;
    }
    CU_ASSERT_EQUAL(inexact, 0);
    CU_ASSERT_EQUAL(vmma_get_free_size(ctx), free0);
    free(order);
    free(vms);
    vmma_destroy_context(ctx);
}

/* ---------------------------------------------------------------- */

/* A leaking heap of each plan beside a healthy heap of each plan. */
static void test_leaking_heaps(void)
{
    vmma_context *ctx = new_context((size_t)512 << 20);
    size_t free0 = vmma_get_free_size(ctx);
    static tv_vm healthy[NPLANS], leaky[NPLANS];
    tv_thread *ht[NPLANS], *lt[NPLANS];
    size_t hroot[NPLANS], lroot[NPLANS];
    const size_t leak_size = (size_t)1 << 20;
    int out[NPLANS] = { 0 }, err[NPLANS] = { 0 };
    for (int p = 0; p < NPLANS; p++) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(heap_new(&healthy[p], ctx, plans[p], "8M", 1, NULL));
        ht[p] = tv_thread_new(&healthy[p]);
        hroot[p] = tv_push(ht[p], tv_tree(ht[p], 6, MMTK_ALLOC_DEFAULT));
        CU_ASSERT_PTR_NOT_NULL_FATAL(heap_new(&leaky[p], ctx, plans[p], "1M", p % 2, NULL));
        lt[p] = tv_thread_new(&leaky[p]);
        lroot[p] = tv_push(lt[p], NULL);
    }
    long broken = 0;
    for (int round = 0, done = 0, idle = 0; (done < NPLANS || idle) && round < 100000; round++) {
        done = idle = 0;
        for (int p = 0; p < NPLANS; p++) {
            /* the leak: a growing list, small objects and now and then a large one */
            for (int j = 0; j < 200 && !out[p]; j++) {
                int large = j == 0 && round % 4 == 0;
                tv_obj *o = tv_alloc(lt[p], 1, large ? 20000 : 48, large ? MMTK_ALLOC_LOS : MMTK_ALLOC_DEFAULT);
                if (!o) {
                    out[p] = 1;
                    err[p] = errno;
                    break;
                }
                tv_set(lt[p], o, 0, tv_root(lt[p], lroot[p]));
                tv_set_root(lt[p], lroot[p], o);
            }
            done += out[p];
            /* the neighbours go on: garbage, and their trees intact */
            if (collects(plans[p])) {
                for (int j = 0; j < 200; j++)
                    tv_alloc(ht[p], 2, 64, MMTK_ALLOC_DEFAULT);
                idle += healthy[p].gc_finished < 2;   /* each collected twice at least */
            }
            if (round % 16 == 0)
                broken += tv_tree_check(tv_root(ht[p], hroot[p]), 6) != 127;
        }
    }
    long over = 0;
    for (int p = 0; p < NPLANS; p++) {
        CU_ASSERT(out[p]);
        CU_ASSERT_EQUAL(err[p], ENOMEM);
        CU_ASSERT_EQUAL(leaky[p].oom_calls > 0, p % 2);   /* the callback, where there is one */
        vmma_stats cs = client_stats(leaky[p].heap);
        over += cs.used_size > STATED_LIMIT(leak_size);
        long n = 0;
        for (tv_obj *o = tv_root(lt[p], lroot[p]); o && tv_check(o); o = o->refs[0])
            n++;
        CU_ASSERT(n > 100);   /* what it leaked is intact */
        if (collects(plans[p]))
            CU_ASSERT(healthy[p].gc_finished > 0);
    }
    CU_ASSERT_EQUAL(over, 0);
    /* the leaking heaps go; the memory is back; the neighbours go on */
    for (int p = 0; p < NPLANS; p++) {
        size_t before = vmma_get_free_size(ctx);
        size_t held = client_stats(leaky[p].heap).arena_count * ARENA_BYTES;
        CU_ASSERT(held >= leak_size / 2);
        tv_heap_free(&leaky[p]);
        CU_ASSERT_EQUAL(vmma_get_free_size(ctx) - before, held);
    }
    for (int p = 0; p < NPLANS; p++) {
        if (collects(plans[p]))
            mmtk_handle_user_collection_request(healthy[p].heap, NULL);
        for (int j = 0; j < 100; j++)
            CU_ASSERT_PTR_NOT_NULL(tv_alloc(ht[p], 2, 64, MMTK_ALLOC_DEFAULT));
        broken += tv_tree_check(tv_root(ht[p], hroot[p]), 6) != 127;
        CU_ASSERT(client_stats(healthy[p].heap).used_size <= STATED_LIMIT((size_t)8 << 20));
        tv_heap_free(&healthy[p]);
    }
    CU_ASSERT_EQUAL(broken, 0);
    CU_ASSERT_EQUAL(vmma_get_free_size(ctx), free0);
    vmma_destroy_context(ctx);
}

/* ---------------------------------------------------------------- */
/* A collection in heap A neither reads nor writes heap B's memory: B's
 * blocks are made inaccessible (PROT_NONE) while A collects, with A's
 * conservative words pointing into B's objects. */

static volatile sig_atomic_t protecting;

static void on_segv(int sig)
{
    (void)sig;
    static const char msg[] = "test_mmtk_isolation: a collection touched another heap's memory\n";
    if (protecting) {
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
    }
    _exit(3);
}

typedef struct prot_range {
    uintptr_t start, end;
} prot_range;

typedef struct prot_list {
    prot_range r[4096];
    int n;
} prot_list;

static int collect_block(void *block, size_t size, void *arg)
{
    prot_list *l = arg;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t s = ((uintptr_t)block + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t e = ((uintptr_t)block + size) & ~((uintptr_t)page - 1);
    if (e > s && l->n < 4096) {
        l->r[l->n].start = s;
        l->r[l->n].end = e;
        l->n++;
    }
    return 0;
}

static void protect(prot_list *l, int prot)
{
    for (int i = 0; i < l->n; i++)
        CU_ASSERT_EQUAL(mprotect((void *)l->r[i].start, l->r[i].end - l->r[i].start, prot), 0);
}

static void test_no_touching_neighbours(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, &old);
    vmma_context *ctx = new_context((size_t)512 << 20);
    static prot_list pl;
    for (int p = 1; p < NPLANS; p++) {
        tv_vm a, b;
        heap_new(&a, ctx, plans[p], "4M", 1, NULL);
        heap_new(&b, ctx, plans[(p + 3) % NPLANS], "4M", 1, NULL);
        tv_thread *ta = tv_thread_new(&a), *tb = tv_thread_new(&b);
        size_t ra = tv_push(ta, tv_tree(ta, 7, MMTK_ALLOC_DEFAULT));
        size_t rb = tv_push(tb, tv_tree(tb, 7, MMTK_ALLOC_DEFAULT));
        tv_obj *bl = tv_alloc(tb, 0, 30000, MMTK_ALLOC_LOS);
        tv_push(tb, bl);
        tv_obj *bt = tv_root(tb, rb);
        a.cons[0] = bt;
        a.cons[1] = (char *)bt + 20;
        a.cons[2] = (char *)bl + 1000;
        a.cons[3] = b.heap;
        a.conservative_words = 4;
        long foreign = 0;
        uint64_t hb = tree_hash(bt, 1, ctx, mmtk_get_vmma_client(b.heap), &foreign);
        pl.n = 0;
        vmma_walk(mmtk_get_vmma_client(b.heap), collect_block, &pl);
        CU_ASSERT(pl.n > 0);
        protecting = 1;
        protect(&pl, PROT_NONE);
        for (int k = 0; k < 3; k++) {
            mmtk_handle_user_collection_request(a.heap, NULL);
            for (int j = 0; j < 2000; j++)
                tv_alloc(ta, 2, 100, MMTK_ALLOC_DEFAULT);
        }
        protect(&pl, PROT_READ | PROT_WRITE);
        protecting = 0;
        CU_ASSERT_EQUAL(tv_tree_check(tv_root(ta, ra), 7), 255);
        CU_ASSERT_EQUAL(tree_hash(bt, 1, ctx, mmtk_get_vmma_client(b.heap), &foreign), hb);
        CU_ASSERT_EQUAL(foreign, 0);
        if (strcmp(mmtk_plan_name(b.heap), "NoGC"))
            mmtk_handle_user_collection_request(b.heap, NULL);
        CU_ASSERT_EQUAL(tv_tree_check(tv_root(tb, rb), 7), 255);
        CU_ASSERT(tv_check(bl));
        tv_heap_free(&a);
        tv_heap_free(&b);
    }
    vmma_destroy_context(ctx);
    sigaction(SIGSEGV, &old, NULL);
}

/* ---------------------------------------------------------------- */
/* A mutator of heap B that never reaches a safepoint runs on while heap
 * A collects: A's gc_started callback (inside A's collection) waits to
 * see B's thread make progress. */

static struct {
    tv_vm b;
    uint64_t progress;     /* atomic: B's loop iterations */
    int stop;              /* atomic */
    long broken_b;
    int waits_ok, waits;
    void (*tv_started)(void *vm);
} nb;

static void a_gc_started(void *vm)
{
    nb.tv_started(vm);
    uint64_t p0 = __atomic_load_n(&nb.progress, __ATOMIC_ACQUIRE);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    nb.waits++;
    for (;;) {
        if (__atomic_load_n(&nb.progress, __ATOMIC_ACQUIRE) >= p0 + 1000) {
            nb.waits_ok++;
            return;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 10)
            return;
        sched_yield();
    }
}

static void *b_main(void *arg)
{
    (void)arg;
    tv_thread *t = tv_thread_new(&nb.b);
    if (!t)
        return NULL;
    size_t r = tv_push(t, tv_tree(t, 6, MMTK_ALLOC_DEFAULT));
    tv_obj *root = tv_root(t, r);
    __atomic_store_n(&nb.progress, 1, __ATOMIC_RELEASE);
    /* no safepoint, no allocation: plain work on its own objects */
    uint64_t sum = 0;
    while (!__atomic_load_n(&nb.stop, __ATOMIC_ACQUIRE)) {
        for (uint32_t i = 0; i < 2; i++)
            sum += ((tv_obj *)root->refs[i])->id;
        /* yielding is no safepoint; it keeps Valgrind, which runs one
         * thread at a time, from giving this loop whole time slices */
        if (__atomic_add_fetch(&nb.progress, 1, __ATOMIC_RELEASE) % 64 == 0)
            sched_yield();
    }
    (void)sum;
    nb.broken_b = tv_tree_check(tv_root(t, r), 6) != 127;
    mmtk_handle_user_collection_request(nb.b.heap, NULL);
    nb.broken_b += tv_tree_check(tv_root(t, r), 6) != 127;
    tv_thread_free(t);
    return NULL;
}

static void test_mutators_not_stopped(void)
{
    vmma_context *ctx = new_context((size_t)256 << 20);
    memset(&nb, 0, sizeof nb);
    CU_ASSERT_PTR_NOT_NULL_FATAL(heap_new(&nb.b, ctx, "GenImmix", "4M", 1, NULL));
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, b_main, NULL), 0);
    while (!__atomic_load_n(&nb.progress, __ATOMIC_ACQUIRE))
        sched_yield();
    alarm(120);   /* a collection that waits for B's mutator would hang: fail instead */
    for (int p = 1; p < NPLANS; p++) {
        tv_vm a;
        mmtk_vm_binding binding = tv_binding(1);
        nb.tv_started = binding.gc_started;
        binding.gc_started = a_gc_started;
        CU_ASSERT_PTR_NOT_NULL_FATAL(heap_new(&a, ctx, plans[p], "4M", 1, &binding));
        tv_thread *t = tv_thread_new(&a);
        size_t r = tv_push(t, tv_tree(t, 6, MMTK_ALLOC_DEFAULT));
        mmtk_handle_user_collection_request(a.heap, NULL);
        for (int j = 0; j < 400000 && a.gc_finished < 3; j++)
            tv_alloc(t, 2, 100, MMTK_ALLOC_DEFAULT);
        CU_ASSERT(a.gc_finished >= 3);
        CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, r), 6), 127);
        tv_heap_free(&a);
    }
    alarm(0);
    __atomic_store_n(&nb.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    CU_ASSERT(nb.waits >= 14);
    CU_ASSERT_EQUAL(nb.waits_ok, nb.waits);
    CU_ASSERT_EQUAL(nb.broken_b, 0);
    tv_heap_free(&nb.b);
    vmma_destroy_context(ctx);
}

/* ---------------------------------------------------------------- */
/* Chunks a collection frees are kept for the next one's copies (heap/
 * chunk.c): that memory must never be missing to the program. After much
 * garbage, a heap fills as much memory with live objects as a fresh one,
 * and its client stays within the stated limit. */

/* Grow a live list of objects until the heap refuses; its length. */
static long fill_live(tv_thread *t, size_t root, uint32_t payload, int semantics)
{
    long n = 0;
    for (;;) {
        tv_obj *o = tv_alloc(t, 1, payload, semantics);
        if (!o)
            return n;
        tv_set(t, o, 0, tv_root(t, root));
        tv_set_root(t, root, o);
        n++;
    }
}

static void test_cached_chunks_yield(void)
{
    /* (not SemiSpace: how far a fresh one fills varies from run to run) */
    static const char *const moving[] = { "Immix", "GenCopy", "GenImmix", "StickyImmix" };
    vmma_context *ctx = new_context((size_t)128 << 20);
    for (int p = 0; p < 8; p++) {
        /* small objects, then large ones (the large object space takes
         * memory from the client beside the chunks) */
        uint32_t payload = p < 4 ? 48 : 20000;
        int sem = p < 4 ? MMTK_ALLOC_DEFAULT : MMTK_ALLOC_LOS;
        long reached[2];
        size_t used[2];
        for (int churn = 0; churn < 2; churn++) {
            tv_vm vm;
            CU_ASSERT_PTR_NOT_NULL_FATAL(heap_new(&vm, ctx, moving[p % 4], "4M", 0, NULL));
            tv_thread *t = tv_thread_new(&vm);
            size_t root = tv_push(t, NULL);
            if (churn) {
                for (long j = 0; j < 400000 && vm.gc_finished < 3; j++)
                    tv_alloc(t, 2, 64, MMTK_ALLOC_DEFAULT);
                CU_ASSERT(vm.gc_finished > 0);
            }
            reached[churn] = fill_live(t, root, payload, sem);
            used[churn] = mmtk_used_bytes(vm.heap);
            CU_ASSERT(client_stats(vm.heap).used_size <= STATED_LIMIT((size_t)4 << 20));
            long n = 0;
            for (tv_obj *o = tv_root(t, root); o && tv_check(o); o = o->refs[0])
                n++;
            CU_ASSERT_EQUAL(n, reached[churn]);
            tv_heap_free(&vm);
        }
        /* as much memory as a fresh heap, give or take a chunk (256 KiB);
         * the objects in it may differ a little more (generational plans
         * promote some garbage) */
        CU_ASSERT(used[1] + ((size_t)256 << 10) >= used[0]);
        CU_ASSERT(reached[1] * 100 >= reached[0] * 85);
        if (used[1] + ((size_t)256 << 10) < used[0] || reached[1] * 100 < reached[0] * 85)
            printf("\n  %s: %ld objects (%zu bytes) alive after churn, %ld (%zu) fresh\n", moving[p % 4], reached[1],
                   used[1], reached[0], used[0]);
    }
    vmma_destroy_context(ctx);
}

/* ---------------------------------------------------------------- */
/* A full context: what a heap may still do when no memory is left.    */

/* Another client takes every free byte of ctx. */
static vmma_client *fill_context(vmma_context *ctx)
{
    vmma_client *hog = vmma_create_client(ctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(hog);
    for (size_t size = (size_t)1 << 20; size >= 64;)
        if (!vmma_alloc(hog, size))
            size /= 2;
    return hog;
}

/* A full-context test's end: the other client, the heap, the context go. */
static void full_context_end(vmma_client *hog, tv_vm *vm, vmma_context *ctx)
{
    if (hog)
        vmma_delete_client(hog);
    tv_heap_free(vm);
    vmma_destroy_context(ctx);
}

/* A root: a large array of n small objects with nrefs fields each. */
static size_t push_array(tv_thread *t, uint32_t n, uint32_t nrefs)
{
    size_t arr = tv_push(t, tv_alloc(t, n, 0, MMTK_ALLOC_LOS));
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_root(t, arr));
    for (uint32_t i = 0; i < n; i++) {
        tv_obj *o = tv_alloc(t, nrefs, 16, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        tv_set(t, tv_root(t, arr), i, o);
    }
    return arr;
}

/* ---------------------------------------------------------------- */
/* A collection's mark stack never outgrows the heap's quota: with its
 * context full (another client took the rest), a heap whose collection
 * needs ~1 MiB of trace packets at once (an array of 100,000 references)
 * and a root list longer than it keeps (10,000 roots) collects all the
 * same, by rescanning what overflowed and visiting the roots twice, and
 * keeps every object (SemiSpace, finding no to-space, keeps them in place, pinned).
 * Not the generational plans: they collect while the array is built, and
 * the packets they free stay in the heap's client for the next one. */
static void test_mark_stack_in_a_full_context(void)
{
    static const char *const some[] = { "MarkSweep", "SemiSpace", "Immix", "MarkCompact" };
    for (int p = 0; p < 4; p++) {
        vmma_context *ctx = new_context((size_t)48 << 20);
        tv_vm vm;
        CU_ASSERT_PTR_NOT_NULL_FATAL(heap_new(&vm, ctx, some[p], "24M", 0, NULL));
        tv_thread *t = tv_thread_new(&vm);
        mmtk_handle_user_collection_request(vm.heap, NULL);   /* its workers' records exist from now on */
        const uint32_t n = 100000;
        size_t arr = push_array(t, n, 0);
        /* and 10,000 roots: more than a collection's root list keeps */
        size_t first_root = t->nroots;
        for (uint32_t i = 0; i < n; i += 10)
            tv_push(t, ((tv_obj *)tv_root(t, arr))->refs[i]);
        CU_ASSERT_EQUAL(vm.gc_finished, 1);
        /* another client takes every free byte of the context */
        vmma_client *hog = fill_context(ctx);
        mmtk_handle_user_collection_request(vm.heap, NULL);
        tv_obj *a = tv_root(t, arr);
        long bad = !tv_check(a);
        for (uint32_t i = 0; i < n && !bad; i++)
            bad += !a->refs[i] || !tv_check(a->refs[i]);
        for (uint32_t i = 0; i < n && !bad; i += 10)   /* the roots were updated like the fields */
            bad += tv_root(t, first_root + i / 10) != a->refs[i];
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT(mmtk_trace_overflows(vm.heap) > 0);
        if (getenv("TV_VERBOSE"))
            printf("\n  %s: %llu overflow rescans\n", some[p], (unsigned long long)mmtk_trace_overflows(vm.heap));
        CU_ASSERT_EQUAL(vm.bad_scans, 0);
        full_context_end(hog, &vm, ctx);
    }
}

/* A heap's first collection in a full context (no room for its 64
 * workers' records: it collects on one) with 20,000 finalizable objects just dead
 * (no room to list them all as ready: the rest wait a collection) loses
 * nothing: every object is finalized exactly once, the survivors intact. */
static void test_first_collection_in_a_full_context(void)
{
    static const char *const some[] = { "MarkSweep", "SemiSpace", "Immix", "MarkCompact" };
    for (int p = 0; p < 4; p++) {
        vmma_context *ctx = new_context((size_t)48 << 20);
        tv_vm vm = { .heap = NULL };
        const char *opts[] = { "heap_size=24M", "threads=64", NULL };   /* 64 workers' records: ~160 KiB */
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, ctx, some[p], opts));
        tv_thread *t = tv_thread_new(&vm);
        size_t keep = tv_push(t, tv_tree(t, 10, MMTK_ALLOC_DEFAULT));
        const int n = 20000;
        uint64_t first_id = 0;
        for (int i = 0; i < n; i++) {
            tv_obj *o = tv_alloc(t, 1, 32, MMTK_ALLOC_DEFAULT);
            CU_ASSERT_PTR_NOT_NULL_FATAL(o);
            if (i == 0)
                first_id = o->id;
            CU_ASSERT_EQUAL(o->id, first_id + (uint64_t)i);
            CU_ASSERT_EQUAL(mmtk_add_finalizer(vm.heap, o), 0);
        }
        char *seen = calloc((size_t)n, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
        CU_ASSERT_EQUAL(vm.gc_finished, 0);
        vmma_client *hog = fill_context(ctx);
        long finalized = 0, bad = 0;
        for (int gc = 0; gc < 4 && finalized < n; gc++) {
            if (gc == 2) {
                vmma_delete_client(hog);   /* room again */
                hog = NULL;
            }
            mmtk_handle_user_collection_request(vm.heap, NULL);
            for (tv_obj *o; (o = mmtk_get_finalized_object(vm.heap)) != NULL; finalized++) {
                uint64_t k = tv_check(o) ? o->id - first_id : (uint64_t)n;
                bad += k >= (uint64_t)n || seen[k]++;   /* each once */
            }
            bad += tv_tree_check(tv_root(t, keep), 10) != 2047;
        }
        if (getenv("TV_VERBOSE"))
            printf("\n  %s: %ld of %d finalized, %ld bad\n", some[p], finalized, n, bad);
        CU_ASSERT_EQUAL(finalized, n);
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT_EQUAL(vm.bad_scans, 0);
        free(seen);
        full_context_end(hog, &vm, ctx);
    }
}

/* A generational heap whose remembered set finds no room (its context
 * full) makes its next collection a full one instead: 100,000 old objects
 * made to point to one young object all point to it, wherever it went,
 * and the verifier (which may lack room to check everything) finds no bad
 * reference. */
static void test_remembered_set_in_a_full_context(void)
{
    static const char *const gens[] = { "GenCopy", "GenImmix", "StickyImmix" };
    for (int p = 0; p < 3; p++) {
        vmma_context *ctx = new_context((size_t)48 << 20);
        tv_vm vm = { .heap = NULL };
        const char *opts[] = { "heap_size=24M", "verify=true", NULL };
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, ctx, gens[p], opts));
        tv_thread *t = tv_thread_new(&vm);
        const uint32_t n = 100000;
        size_t arr = push_array(t, n, 1);
        mmtk_handle_user_collection_request(vm.heap, NULL);   /* all of it old now */
        size_t young = tv_push(t, tv_alloc(t, 0, 16, MMTK_ALLOC_DEFAULT));
        vmma_client *hog = fill_context(ctx);
        mmtk_stats st;
        mmtk_get_stats(vm.heap, &st);
        uint64_t full0 = st.full_collections, gcs0 = vm.gc_finished;
        for (uint32_t i = 0; i < n; i++)   /* old -> young, 100,000 times: ~800 KiB of remembered set */
            tv_set(t, ((tv_obj *)tv_root(t, arr))->refs[i], 0, tv_root(t, young));
        /* the next collection, caused by allocation, is a full one */
        for (long j = 0; j < 2000000 && vm.gc_finished == gcs0; j++)
            if (!tv_alloc(t, 0, 16, MMTK_ALLOC_DEFAULT))
                break;
        CU_ASSERT(vm.gc_finished > gcs0);
        mmtk_get_stats(vm.heap, &st);
        /* StickyImmix keeps no chunks for copies: its remembered set finds
         * no room for sure (the others may give their cached chunks) */
        if (!strcmp(gens[p], "StickyImmix"))
            CU_ASSERT(st.full_collections > full0);
        tv_obj *a = tv_root(t, arr), *y = tv_root(t, young);
        long bad = !tv_check(a) || !tv_check(y);
        for (uint32_t i = 0; i < n && !bad; i++)
            bad += !tv_check(a->refs[i]) || ((tv_obj *)a->refs[i])->refs[0] != y;
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
        if (getenv("TV_VERBOSE"))
            printf("\n  %s: %llu collections, %llu full, %ld bad\n", gens[p], (unsigned long long)st.collections,
                   (unsigned long long)st.full_collections, bad);
        full_context_end(hog, &vm, ctx);
    }
}

/* Its own client full too (the VM took the rest of the heap's quota for
 * its own data), a heap collects with no work space at all: one worker,
 * a mark stack that overflows at once, MarkCompact's update without
 * packets; every survivor keeps its place in the graph. */
static void test_collection_with_a_full_client(void)
{
    static const char *const some[] = { "MarkSweep", "Immix", "MarkCompact", "GenImmix" };
    for (int p = 0; p < 4; p++) {
        vmma_context *ctx = new_context((size_t)48 << 20);
        tv_vm vm;
        CU_ASSERT_PTR_NOT_NULL_FATAL(heap_new(&vm, ctx, some[p], "8M", 0, NULL));
        tv_thread *t = tv_thread_new(&vm);
        const uint32_t n = 20000;
        size_t arr = push_array(t, n, 0);
        for (uint32_t i = 0; i < n; i += 2)   /* garbage below survivors: MarkCompact moves them */
            tv_set(t, tv_root(t, arr), i, NULL);
        vmma_client *hog = fill_context(ctx);
        vmma_client *own = mmtk_get_vmma_client(vm.heap);
        long taken = 0;
        for (size_t size = (size_t)1 << 20; size >= 16;)
            if (vmma_alloc(own, size))
                taken++;
            else
                size /= 2;
        CU_ASSERT(taken > 0);
        mmtk_handle_user_collection_request(vm.heap, NULL);
        tv_obj *a = tv_root(t, arr);
        long bad = !tv_check(a);
        for (uint32_t i = 0; i < n && !bad; i++)
            bad += i % 2 ? !tv_check(a->refs[i]) : a->refs[i] != NULL;
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT_EQUAL(vm.bad_scans, 0);
        CU_ASSERT(vm.gc_finished > 0);
        if (getenv("TV_VERBOSE"))
            printf("\n  %s: %ld blocks taken, %llu overflow rescans, %ld bad\n", some[p], taken,
                   (unsigned long long)mmtk_trace_overflows(vm.heap), bad);
        full_context_end(hog, &vm, ctx);
    }
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("isolation", NULL, NULL);
    CU_add_test(s, "1,000+ heaps on one context", test_thousand_heaps);
    CU_add_test(s, "a leaking heap beside healthy ones", test_leaking_heaps);
    CU_add_test(s, "collections never touch a neighbour's memory", test_no_touching_neighbours);
    CU_add_test(s, "a neighbour's mutator is never stopped", test_mutators_not_stopped);
    CU_add_test(s, "chunks kept for copies yield to live data", test_cached_chunks_yield);
    CU_add_test(s, "a mark stack in a full context", test_mark_stack_in_a_full_context);
    CU_add_test(s, "a first collection in a full context", test_first_collection_in_a_full_context);
    CU_add_test(s, "a remembered set in a full context", test_remembered_set_in_a_full_context);
    CU_add_test(s, "a collection with a full client", test_collection_with_a_full_client);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned f = CU_get_number_of_failures();
    CU_cleanup_registry();
    return f ? 1 : 0;
}
