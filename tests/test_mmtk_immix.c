/*
 * test_mmtk_immix.c — what the plans that allocate straight into an Immix
 * space (Immix, StickyImmix) have of their own: pinned objects under
 * defragmentation (gen_common.c), holes of recyclable blocks are reused
 * before the heap grows, medium objects take the overflow path, objects
 * from IMMIX_MAX_OBJECT_BYTES on go to the LOS, and find chunks again in a
 * heap fragmented by survivors (defragmentation empties chunks). What every
 * plan does is in test_mmtk_plans.c and test_mmtk_threads.c.
 */
#include "gen_common.h"

/* Drop three of every four runs of 16 small objects; the next
 * allocations fill those holes: the heap does not grow. */
static void test_holes_are_recycled(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=32M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    enum { N = 40000 };
    size_t base = t->nroots;
    for (int i = 0; i < N; i++)
        tv_push(t, tv_alloc(t, 1, 24, MMTK_ALLOC_DEFAULT));   /* 64 bytes each */
    for (int i = 0; i < N; i++)
        if ((i / 16) % 4 != 0)
            tv_set_root(t, base + (size_t)i, NULL);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    size_t used = mmtk_used_bytes(vm.heap);
    /* about half of what was freed */
    size_t fresh = tv_push(t, NULL);
    for (int i = 0; i < N / 3; i++) {
        tv_obj *o = tv_alloc(t, 1, 24, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        tv_set(t, o, 0, tv_root(t, fresh));
        tv_set_root(t, fresh, o);
    }
    CU_ASSERT_EQUAL(mmtk_used_bytes(vm.heap), used);
    long n = 0;
    for (tv_obj *o = tv_root(t, fresh); o; o = o->refs[0])
        n += tv_check(o);
    CU_ASSERT_EQUAL(n, N / 3);
    for (int i = 0; i < N; i += 64)
        CU_ASSERT(tv_check(tv_root(t, base + (size_t)i)));
    mmtk_handle_user_collection_request(vm.heap, NULL);
    gc_finish(&vm);
}

/* Medium objects (more than a line) mixed with small ones; sizes around
 * the LOS threshold land on the right side of it. */
static void test_medium_and_large(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=16M", "stress_factor=512K", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    unsigned seed = tv_seed("medium_and_large");
    srand(seed);
    size_t list = tv_push(t, NULL);
    long kept = 0, rounds = tv_scaled(3000);
    for (long r = 0; r < rounds; r++) {
        uint32_t payload = r % 3 ? (uint32_t)(rand() % 64) : (uint32_t)(300 + rand() % 12000);
        tv_obj *o = tv_alloc(t, 1, payload, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        if (r % 5 == 0) {
            tv_set(t, o, 0, tv_root(t, list));
            tv_set_root(t, list, o);
            kept++;
        }
    }
    long n = 0, bad = 0;
    for (tv_obj *o = tv_root(t, list); o; o = o->refs[0], n++)
        bad += !tv_check(o);
    CU_ASSERT_EQUAL(n, kept);
    CU_ASSERT_EQUAL(bad, 0);
    /* below the threshold: Immix (movable, not pinned); at it: LOS (pinned by nature) */
    tv_obj *below = tv_alloc(t, 0, 16 * 1024 - 64, MMTK_ALLOC_DEFAULT);
    tv_obj *above = tv_alloc(t, 0, 16 * 1024, MMTK_ALLOC_DEFAULT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(below);
    CU_ASSERT_PTR_NOT_NULL_FATAL(above);
    CU_ASSERT(!mmtk_is_pinned(vm.heap, below));
    CU_ASSERT(mmtk_is_pinned(vm.heap, above));
    tv_obj *nm = tv_alloc(t, 0, 100, MMTK_ALLOC_NON_MOVING);
    CU_ASSERT(mmtk_is_pinned(vm.heap, nm));
    gc_finish(&vm);
}

/* A full heap of 1 KiB objects, one in ten kept: every block keeps a
 * survivor, so no chunk is free. Large objects (whole chunks of their own)
 * fit again once defragmentation has emptied chunks. */
static void test_large_objects_in_fragmented_heap(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=4M", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    long n;
    size_t first = gc_fill_and_thin(t, &n);
    int got = 0;
    for (int i = 0; i < 20; i++)
        got += tv_alloc(t, 0, 100000, MMTK_ALLOC_LOS) != NULL;   /* garbage at once */
    CU_ASSERT_EQUAL(got, 20);
    for (long i = 0; i < n; i += 10)
        CU_ASSERT_FATAL(tv_check(tv_root(t, first + (size_t)i)));
    gc_finish(&vm);
}

int main(void)
{
    static const char *const plans[] = { "Immix", "StickyImmix", NULL };
    static const CU_TestInfo tests[] = {
        { "pinned objects never move under defragmentation", gc_test_pinned_never_move },
        { "holes of recyclable blocks are reused", test_holes_are_recycled },
        { "medium objects and the LOS threshold", test_medium_and_large },
        { "large objects fit a fragmented heap", test_large_objects_in_fragmented_heap },
        CU_TEST_INFO_NULL
    };
    return gc_main(plans, tests);
}
