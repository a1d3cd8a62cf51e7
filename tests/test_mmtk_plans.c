/*
 * test_mmtk_plans.c — every plan of tv_plans on the test VM, one suite per
 * plan: allocation of every semantics, trees, cycles, arrays and random
 * graphs under stress_factor + verify, collections updating roots and
 * fields, large and immortal objects, pinning and conservative roots, a
 * growing heap, out-of-memory behaviour and destroy giving every byte back.
 * Where a plan's behaviour legitimately differs, the expectation follows
 * the plan's documented properties (gc_info: collects, moves,
 * generational), never its name.
 */
#include "gen_common.h"

static void test_every_semantics(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, gc_plan, opts));
    CU_ASSERT_STRING_EQUAL(mmtk_plan_name(vm.heap), gc_plan);
    tv_thread *t = tv_thread_new(&vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    int sems[] = { MMTK_ALLOC_DEFAULT, MMTK_ALLOC_IMMORTAL, MMTK_ALLOC_LOS,
                   MMTK_ALLOC_NON_MOVING, MMTK_ALLOC_CODE, MMTK_ALLOC_READ_ONLY };
    size_t idx[6];
    for (int i = 0; i < 6; i++) {
        tv_obj *o = tv_alloc(t, 3, 40, sems[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        CU_ASSERT(((uintptr_t)o & 7) == 0);
        CU_ASSERT(mmtk_is_mmtk_object(vm.heap, o));
        CU_ASSERT(mmtk_is_live_object(vm.heap, o));
        CU_ASSERT_PTR_EQUAL(mmtk_find_object(vm.heap, (char *)o + 30), o);
        /* pinned by nature exactly when its space never moves (mmtk(3)) */
        CU_ASSERT_EQUAL(mmtk_is_pinned(vm.heap, o), sems[i] != MMTK_ALLOC_DEFAULT || gc_info->moves == TV_MOVES_NEVER);
        idx[i] = tv_push(t, o);
    }
    /* each refers to the next: a ring across spaces */
    for (int i = 0; i < 6; i++)
        tv_set(t, tv_root(t, idx[i]), 0, tv_root(t, idx[(i + 1) % 6]));
    /* objects with alignment and offset demands */
    void *a = mmtk_alloc(t->m, 64, 64, 0, MMTK_ALLOC_DEFAULT);
    CU_ASSERT(a && ((uintptr_t)a & 63) == 0);
    void *b = mmtk_alloc(t->m, 64, 256, 16, MMTK_ALLOC_DEFAULT);
    CU_ASSERT(b && (((uintptr_t)b + 16) & 255) == 0);
    errno = 0;
    CU_ASSERT_PTR_NULL(mmtk_alloc(t->m, 16, 3, 0, MMTK_ALLOC_DEFAULT));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NULL(mmtk_alloc(t->m, 16, 8, 0, 99));
    CU_ASSERT_PTR_NULL(mmtk_alloc(NULL, 16, 8, 0, MMTK_ALLOC_DEFAULT));
    mmtk_handle_user_collection_request(vm.heap, t);
    mmtk_handle_user_collection_request(vm.heap, t);
    for (int i = 0; i < 6; i++) {
        tv_obj *o = tv_root(t, idx[i]);
        CU_ASSERT(tv_check(o));
        CU_ASSERT_EQUAL(o->kind, (uint32_t)sems[i]);
        CU_ASSERT_PTR_EQUAL(o->refs[0], tv_root(t, idx[(i + 1) % 6]));
        CU_ASSERT(mmtk_is_mmtk_object(vm.heap, o));
        if (sems[i] != MMTK_ALLOC_DEFAULT)
            CU_ASSERT(mmtk_is_pinned(vm.heap, o));   /* never moves */
    }
    CU_ASSERT_EQUAL(vm.bad_scans, 0);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    tv_heap_free(&vm);
}

/* The inline fast paths of mmtk.h make the same objects as mmtk_alloc. */
static void test_inline_fast_paths(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, gc_plan, opts));
    tv_thread *t = tv_thread_new(&vm);
    mmtk_stats st0, st1;
    mmtk_get_stats(vm.heap, &st0);
    size_t head = tv_push(t, NULL);
    long n = tv_scaled(20000), bad = 0;
    for (long i = 0; i < n; i++) {
        size_t bytes = sizeof(tv_obj) + sizeof(mmtk_object) + (size_t)(i % 5) * 8;
        tv_obj *o = mmtk_alloc_inline(t->m, bytes);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        for (size_t k = 0; k < bytes; k++)
            bad += ((unsigned char *)o)[k] != 0;
        o->tag = TV_TAG;
        o->nrefs = 1;
        o->bytes = (uint32_t)bytes;
        o->id = (uint64_t)i;
        mmtk_post_alloc(t->m, o, bytes, MMTK_ALLOC_DEFAULT);
        if (!mmtk_is_mmtk_object(vm.heap, o) || mmtk_find_object(vm.heap, (char *)o + bytes - 1) != o)
            bad++;
        mmtk_object_reference_write_inline(t->m, o, &o->refs[0], tv_root(t, head));
        tv_set_root(t, head, o);
    }
    CU_ASSERT_EQUAL(bad, 0);
    mmtk_get_stats(vm.heap, &st1);
    CU_ASSERT_EQUAL(st1.objects_allocated - st0.objects_allocated, (uint64_t)n);
    if (gc_info->collects)
        mmtk_handle_user_collection_request(vm.heap, NULL);
    long count = 0;
    for (tv_obj *o = tv_root(t, head); o; o = o->refs[0], count++)
        if (o->tag != TV_TAG || o->id != (uint64_t)(n - 1 - count))
            break;
    CU_ASSERT_EQUAL(count, n);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    tv_heap_free(&vm);
}

/* Every object reachable from the test thread's roots: intact and known to
 * the heap. Returns the number of broken objects; *count the reached. */
static long check_reachable(tv_vm *vm, tv_thread *t, long *count)
{
    size_t cap = 1 << 16;
    void **set = calloc(cap, sizeof *set), **stack = malloc(cap * sizeof *stack);
    size_t n = 0;
    long bad = 0;
    *count = 0;
    for (size_t r = 0; r < t->nroots; r++)
        if (t->roots[r])
            stack[n++] = t->roots[r];
    while (n) {
        tv_obj *o = stack[--n];
        size_t h = ((uintptr_t)o >> 4) * 2654435761u & (cap - 1);
        while (set[h] && set[h] != o)
            h = (h + 1) & (cap - 1);
        if (set[h])
            continue;
        set[h] = o;
        if (++*count > (long)cap / 2 || !tv_check(o) || !mmtk_is_mmtk_object(vm->heap, o)) {
            bad++;
            continue;
        }
        for (uint32_t f = 0; f < o->nrefs && n < cap; f++)
            if (o->refs[f])
                stack[n++] = o->refs[f];
    }
    free(set);
    free(stack);
    return bad;
}

/* Random graph surgery under stress+verify: every semantics, large
 * objects, fields rewired at random; every object reachable at the end is
 * intact, and a model of the root objects' identities matches. */
/* A seeded random graph of every allocation semantics under stress and
 * verify; `packets`: the trace_packets option (the mark stack's bound). */
static void random_graph(const char *packets)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=16M", "stress_factor=128K", "verify=true", packets, NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, gc_plan, opts));
    tv_thread *t = tv_thread_new(&vm);
    unsigned seed = tv_seed("random_graph");
    srand(seed);
    enum { SLOTS = 64 };
    uint64_t ids[SLOTS] = { 0 };
    size_t base = t->nroots;
    for (int i = 0; i < SLOTS; i++)
        tv_push(t, NULL);
    static const int sems[] = { MMTK_ALLOC_DEFAULT, MMTK_ALLOC_DEFAULT, MMTK_ALLOC_DEFAULT,
                                MMTK_ALLOC_NON_MOVING, MMTK_ALLOC_CODE, MMTK_ALLOC_LOS };
    long steps = tv_scaled(20000);
    for (long k = 0; k < steps; k++) {
        int op = rand() % 10, i = rand() % SLOTS, j = rand() % SLOTS;
        tv_obj *a = tv_root(t, base + (size_t)i), *b = tv_root(t, base + (size_t)j);
        if (op < 3 || !a) {
            uint32_t payload = rand() % 50 == 0 ? 20000u : (uint32_t)(rand() % 200);
            int sem = gc_info->collects || rand() % 8 ? sems[rand() % 6] : MMTK_ALLOC_IMMORTAL;
            tv_obj *o = tv_alloc(t, (uint32_t)(rand() % 5), payload, sem);
            if (!o) {
                CU_FAIL("allocation failed");
                break;
            }
            if (o->nrefs)   /* chain onto what the slot held: graphs grow */
                tv_set(t, o, 0, tv_root(t, base + (size_t)i));
            tv_set_root(t, base + (size_t)i, o);
            ids[i] = o->id;
        } else if (op < 8 && a->nrefs) {
            tv_set(t, a, (uint32_t)(rand() % (int)a->nrefs), b);   /* may be NULL */
        } else if (op == 8 && a->nrefs && a->refs[0]) {
            tv_set_root(t, base + (size_t)j, a->refs[0]);           /* follow an edge */
            ids[j] = ((tv_obj *)a->refs[0])->id;
        } else {
            if (rand() % 4 == 0) {
                tv_set_root(t, base + (size_t)i, NULL);
                ids[i] = 0;
            }
        }
        if (k % 2000 == 1999) {
            long reached;
            CU_ASSERT_EQUAL(check_reachable(&vm, t, &reached), 0);
        }
    }
    if (gc_info->collects)
        mmtk_handle_user_collection_request(vm.heap, NULL);
    long checked = 0, bad = check_reachable(&vm, t, &checked);
    for (int i = 0; i < SLOTS; i++) {
        tv_obj *o = tv_root(t, base + (size_t)i);
        bad += o ? o->id != ids[i] : ids[i] != 0;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    CU_ASSERT_EQUAL(vm.bad_scans, 0);
    if (getenv("TV_VERBOSE"))
        printf("random_graph: %ld objects reached, %llu overflow rescans\n", checked,
               (unsigned long long)mmtk_trace_overflows(vm.heap));
    /* one packet (339 objects) cannot hold this graph's mark stack */
    if (packets && gc_info->collects)
        CU_ASSERT(mmtk_trace_overflows(vm.heap) > 0);
    tv_heap_free(&vm);
}

static void test_random_graph(void)
{
    random_graph(NULL);
}

/* Every collection runs out of mark stack: what it reached is scanned
 * again (gc.c, mark-stack overflow), and nothing is lost. */
static void test_random_graph_one_packet(void)
{
    random_graph("trace_packets=1");
}

static void test_moving_updates_roots_and_fields(void)
{
    if (!gc_info->collects)
        return;
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, gc_plan, opts));
    tv_thread *t = tv_thread_new(&vm);
    tv_obj *a = tv_alloc(t, 2, 100, MMTK_ALLOC_DEFAULT);
    tv_obj *b = tv_alloc(t, 1, 50, MMTK_ALLOC_DEFAULT);
    tv_set(t, a, 0, b);
    tv_set(t, a, 1, a);     /* self-reference */
    tv_set(t, b, 0, a);     /* cycle */
    size_t ia = tv_push(t, a);
    vm.globals[0] = b;
    uint64_t ida = a->id, idb = b->id;
    mmtk_handle_user_collection_request(vm.heap, NULL);
    tv_obj *a2 = tv_root(t, ia), *b2 = vm.globals[0];
    int moved = (a2 != a) + (b2 != b);
    if (gc_info->moves == TV_MOVES_ALWAYS) {
        CU_ASSERT_EQUAL(moved, 2);
        CU_ASSERT(!mmtk_is_mmtk_object(vm.heap, a));
    } else if (gc_info->moves == TV_MOVES_NEVER) {
        CU_ASSERT_EQUAL(moved, 0);
    }   /* TV_MOVES_SOMETIMES: the plan chooses; what it did must be counted */
    CU_ASSERT_EQUAL(vm.copies, (uint64_t)moved);
    CU_ASSERT(tv_check(a2) && tv_check(b2));
    CU_ASSERT_EQUAL(a2->id, ida);
    CU_ASSERT_EQUAL(b2->id, idb);
    CU_ASSERT_PTR_EQUAL(a2->refs[0], b2);
    CU_ASSERT_PTR_EQUAL(a2->refs[1], a2);
    CU_ASSERT_PTR_EQUAL(b2->refs[0], a2);
    mmtk_stats st;
    mmtk_get_stats(vm.heap, &st);
    CU_ASSERT_EQUAL(st.objects_copied, (uint64_t)moved);
    CU_ASSERT(st.live_bytes_after_last_gc >= a2->bytes + b2->bytes);
    /* a NON_MOVING object does not move even in a moving plan */
    tv_obj *nm = tv_alloc(t, 1, 8, MMTK_ALLOC_NON_MOVING);
    tv_set(t, nm, 0, tv_root(t, ia));
    size_t inm = tv_push(t, nm);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    CU_ASSERT_PTR_EQUAL(tv_root(t, inm), nm);
    CU_ASSERT_PTR_EQUAL(nm->refs[0], tv_root(t, ia));
    CU_ASSERT(tv_check(tv_root(t, ia)));
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    tv_heap_free(&vm);
}

static void test_large_objects(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=16M", "verify=true", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, gc_plan, opts));
    tv_thread *t = tv_thread_new(&vm);
    tv_obj *big = tv_alloc(t, 4, 100000, MMTK_ALLOC_DEFAULT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    tv_obj *small = tv_alloc(t, 0, 16, MMTK_ALLOC_DEFAULT);
    tv_set(t, big, 3, small);
    size_t ib = tv_push(t, big);
    CU_ASSERT_PTR_EQUAL(mmtk_find_object(vm.heap, (char *)big + 99999), big);
    CU_ASSERT(mmtk_is_pinned(vm.heap, big));
    size_t before = mmtk_used_bytes(vm.heap);
    for (int i = 0; i < 20; i++)
        CU_ASSERT_PTR_NOT_NULL(tv_alloc(t, 0, 200000, MMTK_ALLOC_LOS));   /* garbage */
    CU_ASSERT(mmtk_used_bytes(vm.heap) >= before + 20 * 200000);
    if (gc_info->collects) {
        mmtk_handle_user_collection_request(vm.heap, NULL);
        CU_ASSERT_PTR_EQUAL(tv_root(t, ib), big);   /* never moved */
        CU_ASSERT(tv_check(big));
        CU_ASSERT(tv_check(big->refs[3]));
        CU_ASSERT(mmtk_used_bytes(vm.heap) <= before + 256 * 1024);
        /* dropping it frees it */
        tv_pop(t, 1);
        mmtk_handle_user_collection_request(vm.heap, NULL);
        CU_ASSERT(!mmtk_is_mmtk_object(vm.heap, big));
    }
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    tv_heap_free(&vm);
}

static void test_immortal_never_collected(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "stress_factor=32K", "verify=true", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, gc_plan, opts));
    tv_thread *t = tv_thread_new(&vm);
    tv_obj *imm[50];
    for (int i = 0; i < 50; i++) {
        imm[i] = tv_alloc(t, 1, 32, i % 2 ? MMTK_ALLOC_IMMORTAL : MMTK_ALLOC_READ_ONLY);
        CU_ASSERT_PTR_NOT_NULL_FATAL(imm[i]);
    }
    /* one immortal object is a root of this default object */
    size_t i0 = tv_push(t, imm[0]);
    tv_obj *child = tv_alloc(t, 0, 24, MMTK_ALLOC_DEFAULT);
    tv_set(t, tv_root(t, i0), 0, child);
    tv_pop(t, 1);
    vm.globals[1] = imm[0];   /* immortal objects are not roots by themselves */
    for (long r = 0; r < tv_scaled(100); r++)
        tv_tree(t, 5, MMTK_ALLOC_DEFAULT);
    if (gc_info->collects)
        mmtk_handle_user_collection_request(vm.heap, NULL);
    for (int i = 0; i < 50; i++) {
        CU_ASSERT(mmtk_is_mmtk_object(vm.heap, imm[i]));
        CU_ASSERT(tv_check(imm[i]));
    }
    CU_ASSERT(tv_check(imm[0]->refs[0]));
    CU_ASSERT(mmtk_is_mmtk_object(vm.heap, imm[0]->refs[0]));
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    tv_heap_free(&vm);
}

static void test_pinning_and_conservative_roots(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, gc_plan, opts));
    tv_thread *t = tv_thread_new(&vm);
    int moving = gc_info->moves != TV_MOVES_NEVER;
    /* explicitly pinned */
    tv_obj *a = tv_alloc(t, 1, 40, MMTK_ALLOC_DEFAULT);
    tv_set(t, a, 0, tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT));
    size_t ia = tv_push(t, a);
    CU_ASSERT_EQUAL(mmtk_pin_object(vm.heap, a), moving ? 1 : 0);
    CU_ASSERT_EQUAL(mmtk_pin_object(vm.heap, a), 0);
    CU_ASSERT(mmtk_is_pinned(vm.heap, a));
    /* kept only by a conservative word into its middle */
    tv_obj *b = tv_alloc(t, 1, 64, MMTK_ALLOC_DEFAULT);
    tv_set(t, b, 0, tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT));
    uint64_t idb = b->id;
    int local;
    vm.cons[0] = (char *)b + 20;
    vm.cons[1] = &local;                 /* points nowhere in the heap: ignored */
    vm.cons[2] = (void *)(uintptr_t)1;   /* nor does this */
    tv_obj *big = tv_alloc(t, 1, 30000, MMTK_ALLOC_LOS);   /* kept by an interior word */
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    tv_set(t, big, 0, tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT));
    vm.cons[3] = (char *)big + 12345;
    vm.conservative_words = 4;
    if (gc_info->collects) {
        for (int i = 0; i < 3; i++) {
            tv_tree(t, 6, MMTK_ALLOC_DEFAULT);
            mmtk_handle_user_collection_request(vm.heap, NULL);
        }
        CU_ASSERT_PTR_EQUAL(tv_root(t, ia), a);
        CU_ASSERT(tv_check(a) && tv_check(a->refs[0]));
        CU_ASSERT(mmtk_is_mmtk_object(vm.heap, a->refs[0]));
        CU_ASSERT(mmtk_is_mmtk_object(vm.heap, b));
        CU_ASSERT(!moving || !mmtk_is_pinned(vm.heap, b));   /* pinned for each collection only */
        CU_ASSERT(tv_check(b) && b->id == idb && tv_check(b->refs[0]));
        CU_ASSERT(mmtk_is_mmtk_object(vm.heap, big) && tv_check(big) && tv_check(big->refs[0]));
        /* unpinned: it may move again; unreferenced: it dies */
        CU_ASSERT_EQUAL(mmtk_unpin_object(vm.heap, a), moving ? 1 : 0);
        vm.conservative_words = 0;
        /* its space is evacuated in one of the next two collections */
        mmtk_handle_user_collection_request(vm.heap, NULL);
        mmtk_handle_user_collection_request(vm.heap, NULL);
        tv_obj *a2 = tv_root(t, ia);
        if (gc_info->moves == TV_MOVES_ALWAYS)
            CU_ASSERT_PTR_NOT_EQUAL(a2, a);
        if (!moving)
            CU_ASSERT_PTR_EQUAL(a2, a);
        CU_ASSERT(tv_check(a2) && tv_check(a2->refs[0]));
        CU_ASSERT(!mmtk_is_mmtk_object(vm.heap, b));
        CU_ASSERT(!mmtk_is_mmtk_object(vm.heap, big));
        mmtk_handle_user_collection_request(vm.heap, NULL);
    }
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    CU_ASSERT_EQUAL(vm.bad_scans, 0);
    tv_heap_free(&vm);
}

static void test_dynamic_heap_size(void)
{
    if (!gc_info->collects)
        return;
    tv_vm vm = { .heap = NULL };
    pthread_mutex_init(&vm.lock, NULL);
    mmtk_builder *b = mmtk_builder_new();
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "plan", gc_plan), 0);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "gc_trigger", "DynamicHeapSize"), 0);
    CU_ASSERT_EQUAL(mmtk_builder_set_heap_size(b, 1 << 20, 16 << 20), 0);
    mmtk_vm_binding binding = tv_binding(1);
    vm.heap = mmtk_init(b, &binding, &vm);
    mmtk_builder_free(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm.heap);
    mmtk_initialize_collection(vm.heap, NULL);
    CU_ASSERT_EQUAL(mmtk_total_bytes(vm.heap), 1 << 20);
    tv_thread *t = tv_thread_new(&vm);
    /* 3 MiB of live data: more than the starting size, less than the maximum */
    for (int i = 0; i < 3000; i++) {
        tv_obj *o = tv_alloc(t, 0, 1000, MMTK_ALLOC_DEFAULT);
        if (!o)
            CU_FAIL_FATAL("allocation failed below the maximum heap size");
        tv_push(t, o);
    }
    for (int i = 0; i < 3000; i += 101)
        CU_ASSERT(tv_check(tv_root(t, (size_t)i)));
    mmtk_stats st;
    mmtk_get_stats(vm.heap, &st);
    CU_ASSERT(st.collections > 0);
    CU_ASSERT(mmtk_total_bytes(vm.heap) > (size_t)3 << 20);
    CU_ASSERT(mmtk_total_bytes(vm.heap) <= (size_t)16 << 20);
    CU_ASSERT_EQUAL(vm.oom_calls, 0);
    tv_heap_free(&vm);
}

static void fill_until_null(tv_thread *t, size_t *first, long *count)
{
    *first = t->nroots;
    *count = 0;
    for (;;) {
        tv_obj *o = tv_alloc(t, 1, 1000, MMTK_ALLOC_DEFAULT);
        if (!o)
            break;
        tv_push(t, o);
        (*count)++;
    }
}

static void out_of_memory(int with_callback)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=2M", NULL };
    mmtk *heap;
    if (with_callback) {
        heap = tv_heap_new(&vm, NULL, gc_plan, opts);
    } else {
        memset(&vm, 0, sizeof vm);
        pthread_mutex_init(&vm.lock, NULL);
        mmtk_builder *b = mmtk_builder_new();
        mmtk_builder_set_option(b, "plan", gc_plan);
        mmtk_builder_set_option(b, "heap_size", "2M");
        mmtk_vm_binding binding = tv_binding(0);
        heap = vm.heap = mmtk_init(b, &binding, &vm);
        mmtk_builder_free(b);
        mmtk_initialize_collection(heap, NULL);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(heap);
    tv_thread *t = tv_thread_new(&vm);
    size_t first;
    long n;
    errno = 0;
    fill_until_null(t, &first, &n);
    CU_ASSERT_EQUAL(errno, ENOMEM);
    CU_ASSERT(n > 100);
    CU_ASSERT(n * 1040 <= 2 * 1024 * 1024);
    CU_ASSERT_EQUAL(vm.oom_calls, with_callback ? 1u : 0u);
    /* what was allocated is intact, and nothing passed the client's limit */
    for (long i = 0; i < n; i += 97)
        CU_ASSERT(tv_check(tv_root(t, first + (size_t)i)));
    vmma_stats cs;
    CU_ASSERT_EQUAL(vmma_get_client_stats(mmtk_get_vmma_client(heap), &cs), 0);
    CU_ASSERT(cs.used_size <= 2 * 1024 * 1024 + 2 * 1024 * 1024 / 16 + 256 * 1024);
    /* LOS too */
    CU_ASSERT_PTR_NULL(tv_alloc(t, 0, 1 << 20, MMTK_ALLOC_LOS));
    /* drop all but every tenth: the room is usable again (a copying plan
     * evacuates the survivors, a compacting one slides them, the others
     * reuse the holes between them), and the survivors stay intact */
    for (long i = 0; i < n; i++)
        if (i % 10)
            tv_set_root(t, first + (size_t)i, NULL);
    if (gc_info->collects) {
        size_t again_first;
        long again;
        fill_until_null(t, &again_first, &again);
        if (getenv("TV_VERBOSE"))
            printf("(%ld objects, %ld after dropping) ", n, again);
        CU_ASSERT(again > n / 2);
        for (long i = 0; i < n; i += 10)
            CU_ASSERT(tv_check(tv_root(t, first + (size_t)i)));
        tv_pop(t, (size_t)again);
        CU_ASSERT_PTR_NOT_NULL(tv_alloc(t, 1, 1000, MMTK_ALLOC_DEFAULT));
    }
    if (!gc_info->collects)
        CU_ASSERT_PTR_NULL(tv_alloc(t, 1, 1000, MMTK_ALLOC_DEFAULT));   /* NoGC frees nothing */
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
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, ctx, gc_plan, opts));
        tv_thread *t = tv_thread_new(&vm);
        tv_push(t, tv_tree(t, 9, MMTK_ALLOC_DEFAULT));
        for (int i = 0; i < 200; i++)
            tv_tree(t, 4, MMTK_ALLOC_DEFAULT);   /* garbage: 1.2 MB */
        tv_push(t, tv_alloc(t, 0, 100000, MMTK_ALLOC_LOS));
        tv_push(t, tv_alloc(t, 0, 100, MMTK_ALLOC_IMMORTAL));
        tv_push(t, tv_alloc(t, 0, 100, MMTK_ALLOC_NON_MOVING));
        if (gc_info->collects)
            mmtk_handle_user_collection_request(vm.heap, NULL);
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
    static const CU_TestInfo tests[] = {
        { "every semantics", test_every_semantics },
        { "inline fast paths", test_inline_fast_paths },
        { "trees, cycles, arrays, large under stress+verify", gc_test_trees_cycles_arrays },
        { "random graph under stress+verify", test_random_graph },
        { "random graph, a mark stack of one packet", test_random_graph_one_packet },
        { "random graph through the barrier", gc_test_random_graph },
        { "collections update roots and fields", test_moving_updates_roots_and_fields },
        { "large objects", test_large_objects },
        { "immortal never collected", test_immortal_never_collected },
        { "pinning and conservative roots", test_pinning_and_conservative_roots },
        { "DynamicHeapSize grows the heap", test_dynamic_heap_size },
        { "out of memory: callback", test_oom_callback },
        { "out of memory: NULL/ENOMEM", test_oom_enomem },
        { "destroy returns every byte", test_destroy_returns_every_byte },
        CU_TEST_INFO_NULL
    };
    return gc_main(NULL, tests);
}
