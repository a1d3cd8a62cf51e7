/*
 * test_mmtk_gen.c — the generational plans GenCopy, GenImmix and
 * StickyImmix: what depends on generations and the write barrier (what
 * every plan does is in test_mmtk_plans.c and test_mmtk_threads.c): old
 * objects (promoted ones, large, immortal and non-moving objects) made to
 * point to young objects after they became old keep them alive through
 * nursery collections; a store
 * that bypasses the barrier is caught by the verifier; nursery collections
 * follow nursery_size and full ones happen when the old generation fills;
 * a full heap fragmented by survivors is reused before ENOMEM.
 */
#include "gen_common.h"

static void test_old_to_young_after_promotion(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=32M", "nursery_size=1M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    int sems[4] = { MMTK_ALLOC_DEFAULT, MMTK_ALLOC_LOS, MMTK_ALLOC_IMMORTAL, MMTK_ALLOC_NON_MOVING };
    size_t olds[4];
    for (int k = 0; k < 4; k++)
        olds[k] = tv_push(t, tv_alloc(t, 4, 16, sems[k]));
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);   /* the default one is promoted */
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    uint64_t ids[4][4];
    for (long round = 0; round < 3; round++) {
        for (int k = 0; k < 4; k++) {
            for (uint32_t f = 0; f < 4; f++) {
                tv_obj *young = tv_alloc(t, 0, 40, MMTK_ALLOC_DEFAULT);   /* no root but the old object */
                CU_ASSERT_PTR_NOT_NULL_FATAL(young);
                ids[k][f] = young->id;
                tv_obj *o = tv_root(t, olds[k]);
                if (f % 2)   /* the inline barrier of mmtk.h must remember it too */
                    mmtk_object_reference_write_inline(t->m, o, &o->refs[f], young);
                else
                    tv_set(t, o, f, young);
            }
        }
        CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
        CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);   /* and once more, now both old */
        for (int k = 0; k < 4; k++) {
            tv_obj *o = tv_root(t, olds[k]);
            CU_ASSERT_FATAL(tv_check(o));
            for (int f = 0; f < 4; f++) {
                tv_obj *y = o->refs[f];
                CU_ASSERT_FATAL(tv_check(y));
                CU_ASSERT_EQUAL(y->id, ids[k][f]);
                CU_ASSERT(mmtk_is_mmtk_object(vm.heap, y));
            }
        }
    }
    mmtk_stats st = gc_stats(&vm);
    CU_ASSERT(st.collections >= 8);
    CU_ASSERT_EQUAL(st.full_collections, 0);
    gc_finish(&vm);
}

/* Stores whose source is not a heap object (a caller's mistake) are
 * done and cause no harm, through both barrier paths. */
static void test_barrier_bad_sources(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=16M", "nursery_size=1M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    mmtk_object slot = NULL, o = tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT);
    mmtk_object_reference_write(t->m, NULL, &slot, o);
    CU_ASSERT_PTR_EQUAL(slot, o);
    mmtk_object_reference_write_inline(t->m, NULL, &slot, NULL);
    CU_ASSERT_PTR_NULL(slot);
    mmtk_object_reference_write_inline(t->m, &slot, &slot, o);   /* not in the heap */
    CU_ASSERT_PTR_EQUAL(slot, o);
    mmtk_object_reference_write(t->m, o, NULL, o);   /* no slot: nothing */
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    gc_finish(&vm);
}

/* A program that keeps storing young objects into a large object's slots
 * without allocating: the remembered set stays bounded (the barrier
 * collects), the heap within its client's limit, every object intact. */
static void test_remembered_set_is_bounded(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "nursery_size=4M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    enum { N = 4096, YOUNG = 64 };
    size_t big = tv_push(t, tv_alloc(t, N, 0, MMTK_ALLOC_LOS));
    size_t young = tv_push(t, tv_alloc(t, YOUNG, 0, MMTK_ALLOC_DEFAULT));
    for (uint32_t i = 0; i < YOUNG; i++)
        tv_set(t, tv_root(t, young), i, tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT));
    mmtk_stats st0 = gc_stats(&vm);
    long stores = tv_scaled(3000000);
    for (long i = 0; i < stores; i++) {
        tv_obj *y = tv_root(t, young), *l = tv_root(t, big);
        /* always a young object while no collection runs */
        tv_set(t, l, (uint32_t)(i % N), y->refs[(i / N) % YOUNG]);
    }
    vmma_stats cs;
    CU_ASSERT_EQUAL(vmma_get_client_stats(mmtk_get_vmma_client(vm.heap), &cs), 0);
    CU_ASSERT(cs.used_size <= 8u * 1024 * 1024 + 8u * 1024 * 1024 / 16 + 256 * 1024);
    if (stores >= 3000000)
        CU_ASSERT(gc_stats(&vm).collections > st0.collections);   /* the barrier collected */
    tv_obj *l = tv_root(t, big);
    long bad = 0;
    for (uint32_t i = 0; i < N; i++)
        bad += l->refs[i] && !tv_check(l->refs[i]);
    CU_ASSERT_EQUAL(bad, 0);
    gc_finish(&vm);
}

static void test_missing_barrier_is_caught(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=32M", "nursery_size=1M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    size_t old = tv_push(t, tv_alloc(t, 1, 16, MMTK_ALLOC_DEFAULT));
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    tv_obj *o = tv_root(t, old);
    o->refs[0] = tv_alloc(t, 0, 40, MMTK_ALLOC_DEFAULT);   /* no barrier, no other root */
    printf("(a verifier report of one bad reference is expected) ");
    fflush(stdout);
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    CU_ASSERT(mmtk_verify_failures(vm.heap) >= 1);
    ((tv_obj *)tv_root(t, old))->refs[0] = NULL;   /* the dangling slot must not be traced again */
    tv_heap_free(&vm);
}

static void test_nursery_size_and_full_collections(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "nursery_size=512K", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    /* 16 MiB of garbage: about 32 nursery collections, no full one needed */
    mmtk_stats st0 = gc_stats(&vm);
    long n = (16L << 20) / 64;
    for (long i = 0; i < n; i++)
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_alloc(t, 1, 24, MMTK_ALLOC_DEFAULT));
    mmtk_stats st1 = gc_stats(&vm);
    uint64_t gcs = st1.collections - st0.collections;
    CU_ASSERT(gcs >= 16 && gcs <= 64);
    CU_ASSERT_EQUAL(st1.full_collections, st0.full_collections);
    /* now keep a growing list: the old generation fills, full collections
     * come, and nothing kept is lost */
    size_t list = tv_push(t, NULL);
    long kept = 0;
    for (long i = 0; i < 60000; i++) {   /* not scaled: the old generation must fill */
        tv_obj *o = tv_alloc(t, 1, 24, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        if (i % 2 == 0) {
            tv_set(t, o, 0, tv_root(t, list));
            tv_set_root(t, list, o);
            kept++;
        }
        if (i % 20000 == 19999) {   /* drop the list now and then */
            tv_set_root(t, list, NULL);
            kept = 0;
        }
    }
    long seen = 0;
    for (tv_obj *o = tv_root(t, list); o; o = o->refs[0])
        seen += tv_check(o);
    CU_ASSERT_EQUAL(seen, kept);
    mmtk_stats st2 = gc_stats(&vm);
    CU_ASSERT(st2.collections > st1.collections);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    CU_ASSERT_EQUAL(gc_stats(&vm).full_collections, st2.full_collections + 1);
    gc_finish(&vm);
}

/* Weak slots across nursery collections: a dead young object's slot is
 * cleared, a surviving one's follows it, an old object's stays until a
 * full collection finds it dead. Finalizers of young objects run. */
static void test_weak_and_finalizers_in_nursery(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=32M", "nursery_size=1M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    mmtk_object old_dead = tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT);
    size_t iold = tv_push(t, old_dead);
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    old_dead = tv_root(t, iold);   /* promoted: old, then unreachable */
    uint64_t old_id = ((tv_obj *)old_dead)->id;
    tv_set_root(t, iold, NULL);
    mmtk_object young_dead = tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT);
    size_t ilive = tv_push(t, tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT));
    mmtk_object young_live = tv_root(t, ilive);
    tv_obj *fin = tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT);
    uint64_t fin_id = fin->id;
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(vm.heap, &old_dead), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(vm.heap, &young_dead), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(vm.heap, &young_live), 0);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(vm.heap, fin), 0);
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    CU_ASSERT_PTR_NULL(young_dead);
    CU_ASSERT_PTR_EQUAL(young_live, tv_root(t, ilive));
    CU_ASSERT(tv_check(young_live));
    CU_ASSERT_PTR_NOT_NULL_FATAL(old_dead);   /* old: not collected by a nursery collection */
    CU_ASSERT_EQUAL(((tv_obj *)old_dead)->id, old_id);
    tv_obj *f = mmtk_get_finalized_object(vm.heap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT(tv_check(f) && f->id == fin_id);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    CU_ASSERT_PTR_NULL(old_dead);
    CU_ASSERT_PTR_EQUAL(young_live, tv_root(t, ilive));
    mmtk_remove_weak_slot(vm.heap, &old_dead);
    mmtk_remove_weak_slot(vm.heap, &young_dead);
    mmtk_remove_weak_slot(vm.heap, &young_live);
    gc_finish(&vm);
}

/* A full heap whose every block keeps a survivor: GenImmix's nursery gets
 * no chunk, yet the free lines must be used (young objects go to the
 * mature space until a full collection), with collections still coming
 * and the barrier invariant kept (verify) while new objects are linked to
 * each other and stored into the old survivors. Once the survivors go,
 * nursery collections are back. */
static void test_fragmented_full_heap_is_refilled(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=4M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    size_t chain = tv_push(t, NULL);   /* the newest refilled object; each points to the one before */
    long n;
    size_t first = gc_fill_and_thin(t, &n);
    mmtk_stats st0 = gc_stats(&vm);
    long again = 0;
    for (tv_obj *o; (o = tv_alloc(t, 1, 1000, MMTK_ALLOC_DEFAULT)) != NULL; again++) {
        tv_set(t, o, 0, tv_root(t, chain));
        tv_set_root(t, chain, o);
        tv_obj *old = tv_root(t, first + (size_t)(again % (n / 10)) * 10);
        tv_set(t, old, 0, o);   /* old to young, through the barrier */
    }
    CU_ASSERT(again > n / 2);
    mmtk_stats st1 = gc_stats(&vm);
    CU_ASSERT(st1.collections >= st0.collections + 2);
    CU_ASSERT(st1.full_collections > st0.full_collections);
    long seen = 0;
    for (tv_obj *o = tv_root(t, chain); o && seen <= again; o = o->refs[0])
        seen += tv_check(o);
    CU_ASSERT_EQUAL(seen, again);
    for (long i = 0; i < n; i += 10) {
        tv_obj *old = tv_root(t, first + (size_t)i);
        CU_ASSERT_FATAL(tv_check(old));
        CU_ASSERT(old->refs[0] == NULL || tv_check(old->refs[0]));
    }
    /* everything goes: the heap works generationally again */
    for (long i = 0; i < n; i++)
        tv_set_root(t, first + (size_t)i, NULL);
    tv_set_root(t, chain, NULL);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    if (getenv("TV_VERBOSE"))
        printf("(%ld objects, %ld after dropping, %llu collections, %llu full) ", n, again,
               (unsigned long long)(st1.collections - st0.collections),
               (unsigned long long)(st1.full_collections - st0.full_collections));
    gc_finish(&vm);
}

/* The same full heap, one survivor in ten, then only garbage: full
 * collections empty the sparsest chunks (GenImmix defragments by chunk)
 * until the nursery has chunks again and nursery collections come back,
 * the survivors intact. */
static void test_fragmented_heap_becomes_generational_again(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=4M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    long n;
    size_t first = gc_fill_and_thin(t, &n);
    for (long i = 0; i < 2 * n; i++)
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_alloc(t, 1, 1000, MMTK_ALLOC_DEFAULT));
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    for (long i = 0; i < n; i += 10)
        CU_ASSERT_FATAL(tv_check(tv_root(t, first + (size_t)i)));
    gc_finish(&vm);
}

/* A large object allocated since the last collection is young: a nursery
 * collection scans it (its young referents survive); once old it is
 * scanned no more, and what it points to stays alive through the
 * remembered set. */
static void test_young_and_old_large_objects(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=32M", "nursery_size=1M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    size_t big = tv_push(t, tv_alloc(t, 2000, 0, MMTK_ALLOC_LOS));
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_root(t, big));
    uint64_t ids[2000];
    for (uint32_t i = 0; i < 2000; i++) {
        tv_obj *young = tv_alloc(t, 0, 16, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(young);
        ids[i] = young->id;
        tv_set(t, tv_root(t, big), i, young);
    }
    for (int round = 0; round < 3; round++) {
        CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
        tv_obj *b = tv_root(t, big);
        CU_ASSERT_FATAL(tv_check(b));
        for (uint32_t i = 0; i < 2000; i++) {
            tv_obj *y = b->refs[i];
            CU_ASSERT_FATAL(tv_check(y));
            CU_ASSERT_EQUAL(y->id, ids[i]);
        }
        for (uint32_t i = round; i < 2000; i += 7) {   /* old now: new young referents */
            tv_obj *young = tv_alloc(t, 0, 16, MMTK_ALLOC_DEFAULT);
            CU_ASSERT_PTR_NOT_NULL_FATAL(young);
            ids[i] = young->id;
            tv_set(t, tv_root(t, big), i, young);
        }
    }
    CU_ASSERT_EQUAL(gc_stats(&vm).full_collections, 0);
    gc_finish(&vm);
}

/* Thousands of old objects each made to point to a young one: the
 * remembered set gives the nursery collection more root slots than one
 * packet's worth, and with two workers they are traced in slices by
 * whichever worker takes them; every young object survives, once, intact. */
static void test_many_remembered_roots_two_workers(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=32M", "nursery_size=2M", "threads=2", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    enum { OLD = 6000 };
    size_t list = tv_push(t, tv_alloc(t, OLD, 0, MMTK_ALLOC_DEFAULT));
    for (uint32_t i = 0; i < OLD; i++) {
        tv_obj *o = tv_alloc(t, 2, 0, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        tv_set(t, tv_root(t, list), i, o);
    }
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);   /* all promoted */
    CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
    static uint64_t ids[OLD];
    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < OLD; i++) {
            tv_obj *young = tv_alloc(t, 1, 200, MMTK_ALLOC_DEFAULT);   /* > 1 MiB in all: the next nursery collection traces on both workers */
            CU_ASSERT_PTR_NOT_NULL_FATAL(young);
            ids[i] = young->id;
            tv_obj *old = ((tv_obj *)tv_root(t, list))->refs[i];
            tv_set(t, old, (uint32_t)round, young);
        }
        CU_ASSERT_EQUAL(gc_collect_by_allocation(t), 1);
        tv_obj *l = tv_root(t, list);
        CU_ASSERT_FATAL(tv_check(l));
        for (uint32_t i = 0; i < OLD; i++) {
            tv_obj *old = l->refs[i];
            CU_ASSERT_FATAL(tv_check(old));
            tv_obj *young = old->refs[round];
            CU_ASSERT_FATAL(tv_check(young));
            CU_ASSERT_EQUAL(young->id, ids[i]);
        }
    }
    CU_ASSERT_EQUAL(gc_stats(&vm).full_collections, 0);
    gc_finish(&vm);
}

int main(void)
{
    static const char *const plans[] = { "GenCopy", "GenImmix", "StickyImmix", NULL };
    static const CU_TestInfo tests[] = {
        { "old objects pointing to young ones after promotion", test_old_to_young_after_promotion },
        { "a store without the barrier is caught by verify", test_missing_barrier_is_caught },
        { "barrier with sources outside the heap", test_barrier_bad_sources },
        { "remembered set stays bounded", test_remembered_set_is_bounded },
        { "many remembered roots, two workers", test_many_remembered_roots_two_workers },
        { "young and old large objects", test_young_and_old_large_objects },
        { "nursery size and full collections", test_nursery_size_and_full_collections },
        { "weak slots and finalizers in nursery collections", test_weak_and_finalizers_in_nursery },
        { "pinned objects never move", gc_test_pinned_never_move },
        { "a full, fragmented heap is refilled", test_fragmented_full_heap_is_refilled },
        { "a fragmented heap becomes generational again", test_fragmented_heap_becomes_generational_again },
        CU_TEST_INFO_NULL
    };
    return gc_main(plans, tests);
}
