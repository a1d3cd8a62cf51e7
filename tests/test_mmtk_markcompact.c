/*
 * test_mmtk_markcompact.c — the MarkCompact plan on the test VM: object
 * graphs under stress_factor + verify (one and two GC workers), objects
 * that really slide (used bytes drop, roots, fields, weak slots and
 * finalizer entries follow, post_copy is called), a fragmented heap that a
 * compaction turns into room for a large object, pinned, aligned and
 * conservatively referenced objects that stay put, out of memory, and
 * destroy giving every byte back.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testvm.h"

#define PLAN "MarkCompact"
#define CHUNK ((size_t)256 * 1024)   /* libmmtk's chunk: the unit used bytes move by */

static void collect(tv_vm *vm)
{
    mmtk_handle_user_collection_request(vm->heap, NULL);
}

static tv_thread *start(tv_vm *vm, const char *const *opts)
{
    mmtk *h = tv_heap_new(vm, NULL, PLAN, opts);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_STRING_EQUAL(mmtk_plan_name(h), PLAN);
    tv_thread *t = tv_thread_new(vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    return t;
}

static void finish(tv_vm *vm)
{
    CU_ASSERT_EQUAL(vm->bad_scans, 0);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm->heap), 0);
    tv_heap_free(vm);
}

/* ---------------------------------------------------------------- */
/* Graphs under stress                                               */

static void graphs_under_stress(const char *threads)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=16M", "stress_factor=96K", "verify=true", threads, NULL };
    tv_thread *t = start(&vm, opts);
    unsigned seed = tv_seed("markcompact graphs");
    srand(seed);
    size_t keep = tv_push(t, tv_tree(t, 10, MMTK_ALLOC_DEFAULT));
    /* a ring of 400 nodes with random chords */
    size_t ring = tv_push(t, tv_alloc(t, 2, 0, MMTK_ALLOC_DEFAULT));
    size_t prev = tv_push(t, tv_root(t, ring));
    for (int i = 1; i < 400; i++) {
        tv_obj *n = tv_alloc(t, 2, (uint32_t)(rand() % 64), MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        tv_set(t, tv_root(t, prev), 0, n);
        tv_set_root(t, prev, n);
    }
    tv_set(t, tv_root(t, prev), 0, tv_root(t, ring));
    /* an array of 300 references, refilled with fresh objects every round */
    size_t arr = tv_push(t, tv_alloc(t, 300, 0, MMTK_ALLOC_DEFAULT));
    /* a large object in the LOS and a non-moving one, both pointing into the space */
    size_t big = tv_push(t, tv_alloc(t, 8, 40000, MMTK_ALLOC_DEFAULT));
    size_t nm = tv_push(t, tv_alloc(t, 4, 16, MMTK_ALLOC_NON_MOVING));
    long rounds = tv_scaled(600);
    for (long r = 0; r < rounds; r++) {
        CU_ASSERT_PTR_NOT_NULL(tv_tree(t, 5, MMTK_ALLOC_DEFAULT));   /* garbage */
        tv_obj *e = tv_alloc(t, 1, (uint32_t)(rand() % 200), MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        tv_set(t, tv_root(t, arr), (uint32_t)(rand() % 300), e);
        tv_set(t, tv_root(t, big), (uint32_t)(r % 8), e);
        tv_set(t, tv_root(t, nm), (uint32_t)(r % 4), tv_root(t, arr));
        tv_obj *n = tv_root(t, ring);
        for (int k = rand() % 400; k > 0; k--)
            n = n->refs[0];
        tv_set(t, n, 1, tv_root(t, (size_t)rand() % 2 ? ring : arr));
        if (r % 50 == 49)   /* a large garbage object now and then */
            CU_ASSERT_PTR_NOT_NULL(tv_alloc(t, 0, 30000, MMTK_ALLOC_DEFAULT));
    }
    CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, keep), 10), 2047);
    tv_obj *n = tv_root(t, ring);
    int count = 0;
    do {
        CU_ASSERT_FATAL(tv_check(n));
        CU_ASSERT_FATAL(n->refs[1] == NULL || tv_check(n->refs[1]));
        n = n->refs[0];
        count++;
    } while (n != tv_root(t, ring) && count < 1000);
    CU_ASSERT_EQUAL(count, 400);
    tv_obj *a = tv_root(t, arr);
    for (int i = 0; i < 300; i++)
        CU_ASSERT(a->refs[i] == NULL || (tv_check(a->refs[i]) && mmtk_is_mmtk_object(vm.heap, a->refs[i])));
    tv_obj *b = tv_root(t, big);
    CU_ASSERT(tv_check(b));
    for (int i = 0; i < 8; i++)
        CU_ASSERT(b->refs[i] == NULL || tv_check(b->refs[i]));
    CU_ASSERT_PTR_EQUAL(((tv_obj *)tv_root(t, nm))->refs[0], tv_root(t, arr));
    mmtk_stats st;
    CU_ASSERT_EQUAL(mmtk_get_stats(vm.heap, &st), 0);
    /* one collection per stress_factor bytes allocated (the first GC'd
     * allocation counts from the heap's start) */
    CU_ASSERT(st.collections >= 2 && st.collections + 1 >= st.bytes_allocated / (96 * 1024));
    CU_ASSERT(st.objects_copied > 0);   /* things did slide */
    CU_ASSERT_EQUAL(st.objects_copied, vm.copies);
    CU_ASSERT(vm.gc_started == st.collections && vm.gc_finished == st.collections);
    finish(&vm);
}

static void test_graphs_one_worker(void)
{
    graphs_under_stress("threads=1");
}

static void test_graphs_two_workers(void)
{
    graphs_under_stress("threads=2");
}

/* ---------------------------------------------------------------- */
/* Objects move                                                       */

static void test_compaction_moves_and_shrinks(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=32M", "verify=true", "threads=1", NULL };
    tv_thread *t = start(&vm, opts);
    enum { N = 24000, EVERY = 6 };   /* ~3.6 MB, one object in six survives */
    size_t first = t->nroots;
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_alloc(t, 2, 100, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        tv_push(t, o);
    }
    /* chain the survivors backwards, each also pointing to itself */
    size_t prev = 0;
    for (int i = 0; i < N; i += EVERY) {
        tv_obj *o = tv_root(t, first + (size_t)i);
        tv_set(t, o, 0, i ? tv_root(t, prev) : NULL);
        tv_set(t, o, 1, o);
        prev = first + (size_t)i;
    }
    uint64_t ids[N / EVERY];
    void *old[N / EVERY];
    for (int i = 0; i < N; i++) {
        if (i % EVERY)
            tv_set_root(t, first + (size_t)i, NULL);
        else
            ids[i / EVERY] = ((tv_obj *)tv_root(t, first + (size_t)i))->id,
            old[i / EVERY] = tv_root(t, first + (size_t)i);
    }
    vm.globals[0] = tv_root(t, first + (N / EVERY - 1) * EVERY);
    size_t used_before = mmtk_used_bytes(vm.heap);
    collect(&vm);
    size_t used_after = mmtk_used_bytes(vm.heap);
    printf("\n    used bytes %zu -> %zu\n", used_before, used_after);
    /* 5/6 of ~3.6 MB is gone: at least half the chunks went back */
    CU_ASSERT(used_after + used_before / 2 <= used_before);
    int moved = 0;
    for (int k = 0; k < N / EVERY; k++) {
        tv_obj *o = tv_root(t, first + (size_t)k * EVERY);
        CU_ASSERT_FATAL(tv_check(o));
        CU_ASSERT_EQUAL(o->id, ids[k]);
        CU_ASSERT_PTR_EQUAL(o->refs[1], o);
        CU_ASSERT_PTR_EQUAL(o->refs[0], k ? tv_root(t, first + (size_t)(k - 1) * EVERY) : NULL);
        CU_ASSERT(mmtk_is_mmtk_object(vm.heap, o));
        moved += o != old[k];
    }
    CU_ASSERT(moved > N / EVERY / 2);
    CU_ASSERT_PTR_EQUAL(vm.globals[0], tv_root(t, first + (N / EVERY - 1) * EVERY));
    mmtk_stats st;
    mmtk_get_stats(vm.heap, &st);
    CU_ASSERT_EQUAL(st.objects_copied, (uint64_t)moved);
    CU_ASSERT_EQUAL(vm.copies, (uint64_t)moved);
    CU_ASSERT(st.live_bytes_after_last_gc >= (uint64_t)(N / EVERY) * 144);
    /* a second collection with nothing to gain moves nothing */
    collect(&vm);
    mmtk_get_stats(vm.heap, &st);
    CU_ASSERT_EQUAL(st.objects_copied, (uint64_t)moved);
    /* the freed room is allocated again, and everything stays intact */
    for (int i = 0; i < 5000; i++)
        CU_ASSERT_PTR_NOT_NULL(tv_alloc(t, 1, 64, MMTK_ALLOC_DEFAULT));
    collect(&vm);
    for (int k = 0; k < N / EVERY; k++)
        CU_ASSERT(tv_check(tv_root(t, first + (size_t)k * EVERY)));
    finish(&vm);
}

static void test_weak_and_finalizers_follow(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    tv_thread *t = start(&vm, opts);
    for (int i = 0; i < 2000; i++)
        tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);   /* garbage below */
    tv_obj *kept = tv_alloc(t, 0, 32, MMTK_ALLOC_DEFAULT);
    tv_obj *dies = tv_alloc(t, 0, 32, MMTK_ALLOC_DEFAULT);
    tv_obj *fin_live = tv_alloc(t, 0, 32, MMTK_ALLOC_DEFAULT);
    tv_obj *fin_dead = tv_alloc(t, 1, 32, MMTK_ALLOC_DEFAULT);
    tv_obj *child = tv_alloc(t, 0, 48, MMTK_ALLOC_DEFAULT);
    tv_set(t, fin_dead, 0, child);
    uint64_t id_dead = fin_dead->id, id_child = child->id;
    size_t ik = tv_push(t, kept), ifl = tv_push(t, fin_live);
    static mmtk_object weak_kept, weak_dies;
    weak_kept = kept;
    weak_dies = dies;
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(vm.heap, &weak_kept), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(vm.heap, &weak_dies), 0);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(vm.heap, fin_live), 0);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(vm.heap, fin_dead), 0);
    collect(&vm);
    CU_ASSERT_PTR_NOT_EQUAL(tv_root(t, ik), kept);   /* slid over the garbage */
    CU_ASSERT_PTR_EQUAL(weak_kept, tv_root(t, ik));
    CU_ASSERT_PTR_NULL(weak_dies);
    tv_obj *f = mmtk_get_finalized_object(vm.heap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT(tv_check(f) && f->id == id_dead);
    CU_ASSERT(mmtk_is_mmtk_object(vm.heap, f));
    CU_ASSERT(tv_check(f->refs[0]) && ((tv_obj *)f->refs[0])->id == id_child);
    CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(vm.heap));
    /* the live finalizable object's entry followed it: dropping it now
     * hands back its new address */
    void *fl = tv_root(t, ifl);
    tv_set_root(t, ifl, NULL);
    collect(&vm);
    f = mmtk_get_finalized_object(vm.heap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT(tv_check(f));
    CU_ASSERT(f == fl || mmtk_is_mmtk_object(vm.heap, f));
    mmtk_remove_weak_slot(vm.heap, &weak_kept);
    mmtk_remove_weak_slot(vm.heap, &weak_dies);
    finish(&vm);
}

/* ---------------------------------------------------------------- */
/* Fragmentation                                                      */

/* Fill the heap with 256-byte objects, all kept, until allocation fails;
 * then drop every other one and ask for a large object of a third of the
 * heap. Returns whether that succeeded. */
static int fragmented_large_alloc(const char *plan)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=4M", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, plan, opts));
    tv_thread *t = tv_thread_new(&vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    size_t first = t->nroots;
    long n = 0;
    tv_obj *o;
    while ((o = tv_alloc(t, 1, 224, MMTK_ALLOC_DEFAULT)) != NULL) {
        tv_push(t, o);
        n++;
    }
    CU_ASSERT(n > 5000);
    CU_ASSERT_PTR_NULL(tv_alloc(t, 0, (4u << 20) / 3, MMTK_ALLOC_LOS));   /* full */
    for (long i = 0; i < n; i += 2)
        tv_set_root(t, first + (size_t)i, NULL);
    tv_obj *big = tv_alloc(t, 0, (4u << 20) / 3, MMTK_ALLOC_LOS);
    int ok = big != NULL && tv_check(big);
    for (long i = 1; i < n; i += 2)
        CU_ASSERT(tv_check(tv_root(t, first + (size_t)i)));
    tv_heap_free(&vm);
    return ok;
}

static void test_fragmented_heap_compacts(void)
{
    CU_ASSERT(fragmented_large_alloc(PLAN));
    /* the same heap under a non-moving collector stays fragmented: the
     * scenario really needs compaction */
    CU_ASSERT(!fragmented_large_alloc("MarkSweep"));
}

/* ---------------------------------------------------------------- */
/* Objects that must not move                                         */

static void test_pinned_stay_put(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    tv_thread *t = start(&vm, opts);
    for (int i = 0; i < 1500; i++)
        tv_alloc(t, 0, 100, MMTK_ALLOC_DEFAULT);   /* garbage before */
    tv_obj *p = tv_alloc(t, 1, 40, MMTK_ALLOC_DEFAULT);
    for (int i = 0; i < 1500; i++)
        tv_alloc(t, 0, 100, MMTK_ALLOC_DEFAULT);   /* garbage between */
    tv_obj *l = tv_alloc(t, 1, 40, MMTK_ALLOC_DEFAULT);
    tv_set(t, p, 0, l);
    tv_set(t, l, 0, p);
    size_t ip = tv_push(t, p), il = tv_push(t, l);
    CU_ASSERT_EQUAL(mmtk_pin_object(vm.heap, p), 1);
    CU_ASSERT_EQUAL(mmtk_pin_object(vm.heap, p), 0);
    CU_ASSERT(mmtk_is_pinned(vm.heap, p));
    CU_ASSERT(!mmtk_is_pinned(vm.heap, l));
    for (int round = 0; round < 3; round++) {
        collect(&vm);
        for (int i = 0; i < 500; i++)
            tv_alloc(t, 0, 100, MMTK_ALLOC_DEFAULT);
    }
    CU_ASSERT_PTR_EQUAL(tv_root(t, ip), p);
    CU_ASSERT(mmtk_is_pinned(vm.heap, p));
    CU_ASSERT(tv_check(p));
    tv_obj *l2 = tv_root(t, il);
    CU_ASSERT_PTR_NOT_EQUAL(l2, l);   /* its unpinned partner slid */
    CU_ASSERT(tv_check(l2));
    CU_ASSERT_PTR_EQUAL(p->refs[0], l2);
    CU_ASSERT_PTR_EQUAL(l2->refs[0], p);
    /* unpinned, it may move again: with garbage below it, it does */
    CU_ASSERT_EQUAL(mmtk_unpin_object(vm.heap, p), 1);
    CU_ASSERT(!mmtk_is_pinned(vm.heap, p));
    collect(&vm);
    tv_obj *p2 = tv_root(t, ip);
    CU_ASSERT_PTR_NOT_EQUAL(p2, p);
    CU_ASSERT(tv_check(p2));
    CU_ASSERT_PTR_EQUAL(((tv_obj *)tv_root(t, il))->refs[0], p2);
    CU_ASSERT(!mmtk_is_pinned(vm.heap, p2));
    finish(&vm);
}

static void test_aligned_objects_keep_alignment(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    tv_thread *t = start(&vm, opts);
    enum { N = 200 };
    size_t first = t->nroots;
    for (int i = 0; i < N; i++) {
        tv_alloc(t, 0, 80, MMTK_ALLOC_DEFAULT);   /* garbage between */
        size_t align = i % 2 ? 64 : 256;
        ptrdiff_t off = i % 2 ? 0 : 16;
        tv_obj *o = mmtk_alloc(t->m, 48, align, off, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        CU_ASSERT((((uintptr_t)o + (uintptr_t)off) & (align - 1)) == 0);
        o->tag = TV_TAG;
        o->bytes = 48;
        o->id = 1000000u + (unsigned)i;
        tv_push(t, o);
    }
    collect(&vm);
    for (int i = 0; i < 500; i++)
        tv_alloc(t, 0, 80, MMTK_ALLOC_DEFAULT);
    collect(&vm);
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_root(t, first + (size_t)i);
        size_t align = i % 2 ? 64 : 256;
        ptrdiff_t off = i % 2 ? 0 : 16;
        CU_ASSERT((((uintptr_t)o + (uintptr_t)off) & (align - 1)) == 0);
        CU_ASSERT(o->tag == TV_TAG && o->bytes == 48 && o->id == 1000000u + (unsigned)i);
    }
    finish(&vm);
}

static void test_conservative_roots_keep_in_place(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    tv_thread *t = start(&vm, opts);
    for (int i = 0; i < 2000; i++)
        tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);
    tv_obj *c = tv_alloc(t, 1, 64, MMTK_ALLOC_DEFAULT);   /* only an interior word keeps it */
    tv_obj *child = tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);
    tv_set(t, c, 0, child);
    uint64_t idc = c->id, idk = child->id;
    vm.conservative_words = 1;
    vm.cons[0] = (char *)c + 40;
    for (int round = 0; round < 3; round++) {
        collect(&vm);
        for (int i = 0; i < 500; i++)
            tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);
    }
    CU_ASSERT(mmtk_is_mmtk_object(vm.heap, c));
    CU_ASSERT(tv_check(c) && c->id == idc);
    CU_ASSERT(tv_check(c->refs[0]) && ((tv_obj *)c->refs[0])->id == idk);
    /* its child was referenced precisely: it may move, and c follows it */
    CU_ASSERT(mmtk_is_mmtk_object(vm.heap, c->refs[0]));
    vm.conservative_words = 0;
    finish(&vm);
}

/* ---------------------------------------------------------------- */
/* Limits                                                             */

static void out_of_memory(int with_callback)
{
    tv_vm vm = { .heap = NULL };
    mmtk *heap;
    if (with_callback) {
        const char *opts[] = { "heap_size=2M", NULL };
        heap = tv_heap_new(&vm, NULL, PLAN, opts);
    } else {
        memset(&vm, 0, sizeof vm);
        pthread_mutex_init(&vm.lock, NULL);
        mmtk_builder *b = mmtk_builder_new();
        mmtk_builder_set_option(b, "plan", PLAN);
        mmtk_builder_set_option(b, "heap_size", "2M");
        mmtk_vm_binding binding = tv_binding(0);
        heap = vm.heap = mmtk_init(b, &binding, &vm);
        mmtk_builder_free(b);
        mmtk_initialize_collection(heap, NULL);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(heap);
    tv_thread *t = tv_thread_new(&vm);
    size_t first = t->nroots;
    long n = 0;
    tv_obj *o;
    errno = 0;
    while ((o = tv_alloc(t, 1, 1000, MMTK_ALLOC_DEFAULT)) != NULL) {
        tv_push(t, o);
        n++;
    }
    CU_ASSERT_EQUAL(errno, ENOMEM);
    CU_ASSERT(n > 1000);   /* compaction leaves little waste: ~1.8 MB of 1040-byte objects */
    CU_ASSERT(n * 1040 <= 2 * 1024 * 1024);
    CU_ASSERT_EQUAL(vm.oom_calls, with_callback ? 1u : 0u);
    for (long i = 0; i < n; i += 97)
        CU_ASSERT(tv_check(tv_root(t, first + (size_t)i)));
    vmma_stats cs;
    CU_ASSERT_EQUAL(vmma_get_client_stats(mmtk_get_vmma_client(heap), &cs), 0);
    CU_ASSERT(cs.used_size <= 2 * 1024 * 1024 + 2 * 1024 * 1024 / 16 + 256 * 1024);
    CU_ASSERT_PTR_NULL(tv_alloc(t, 0, 1 << 20, MMTK_ALLOC_LOS));
    /* drop all but every tenth: compaction makes the heap usable again */
    for (long i = 0; i < n; i++)
        if (i % 10)
            tv_set_root(t, first + (size_t)i, NULL);
    long again = 0;
    while (tv_alloc(t, 1, 1000, MMTK_ALLOC_DEFAULT) != NULL && again < 10 * n)
        again++;
    CU_ASSERT(again > n / 2);
    for (long i = 0; i < n; i += 10)
        CU_ASSERT(tv_check(tv_root(t, first + (size_t)i)));
    tv_heap_free(&vm);
}

static void test_oom_callback(void)
{
    out_of_memory(1);
}

static void test_oom_enomem(void)
{
    out_of_memory(0);
}

static void test_destroy_returns_every_byte(void)
{
    vmma_context *ctx;
    vmma_config cfg = { 0, 0, VMMA_FEATURE_THREAD_SAFE | VMMA_FEATURE_LIMITS };
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, (size_t)64 << 20, &cfg), 0);
    size_t free0 = vmma_get_free_size(ctx);
    for (int round = 0; round < 3; round++) {
        tv_vm vm = { .heap = NULL };
        const char *opts[] = { "heap_size=8M", "stress_factor=256K", NULL };
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, ctx, PLAN, opts));
        tv_thread *t = tv_thread_new(&vm);
        tv_push(t, tv_tree(t, 9, MMTK_ALLOC_DEFAULT));
        for (int i = 0; i < 200; i++)
            tv_tree(t, 4, MMTK_ALLOC_DEFAULT);
        tv_push(t, tv_alloc(t, 0, 100000, MMTK_ALLOC_LOS));
        tv_push(t, tv_alloc(t, 0, 100, MMTK_ALLOC_IMMORTAL));
        tv_push(t, tv_alloc(t, 0, 100, MMTK_ALLOC_NON_MOVING));
        collect(&vm);
        CU_ASSERT(vmma_get_free_size(ctx) < free0);
        CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, 0), 9), 1023);
        CU_ASSERT_PTR_EQUAL(vmma_get_owner(ctx, tv_root(t, 0)), mmtk_get_vmma_client(vm.heap));
        tv_heap_free(&vm);
        CU_ASSERT_EQUAL(vmma_get_free_size(ctx), free0);
    }
    vmma_destroy_context(ctx);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite(PLAN, NULL, NULL);
    CU_add_test(s, "graphs under stress+verify, 1 worker", test_graphs_one_worker);
    CU_add_test(s, "graphs under stress+verify, 2 workers", test_graphs_two_workers);
    CU_add_test(s, "compaction moves objects and shrinks the heap", test_compaction_moves_and_shrinks);
    CU_add_test(s, "weak slots and finalizers follow moves", test_weak_and_finalizers_follow);
    CU_add_test(s, "fragmented heap compacts for a large object", test_fragmented_heap_compacts);
    CU_add_test(s, "pinned objects stay put", test_pinned_stay_put);
    CU_add_test(s, "aligned objects keep their alignment", test_aligned_objects_keep_alignment);
    CU_add_test(s, "conservative roots keep objects in place", test_conservative_roots_keep_in_place);
    CU_add_test(s, "out of memory: callback", test_oom_callback);
    CU_add_test(s, "out of memory: NULL/ENOMEM", test_oom_enomem);
    CU_add_test(s, "destroy returns every byte", test_destroy_returns_every_byte);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
