/*
 * gen_common.c — what the plan suites share (gen_common.h): the suite
 * runner, setup/teardown and the common workloads. Every reference store
 * goes through tv_set (the barrier).
 */
#include "gen_common.h"
#include "cunit_main.h"
#include <pthread.h>

const char *gc_plan;
const tv_plan_info *gc_info;

tv_thread *gc_setup(tv_vm *vm, const char *const *opts)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(vm, NULL, gc_plan, opts));
    CU_ASSERT_STRING_EQUAL(mmtk_plan_name(vm->heap), gc_plan);
    tv_thread *t = tv_thread_new(vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    return t;
}

size_t gc_ring(tv_thread *t, int n)
{
    size_t ring = tv_push(t, tv_alloc(t, 2, 0, MMTK_ALLOC_DEFAULT));
    size_t prev = tv_push(t, tv_root(t, ring));
    for (int i = 1; i < n; i++) {
        tv_obj *o = tv_alloc(t, 2, (uint32_t)(rand() % 64), MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        tv_set(t, tv_root(t, prev), 0, o);
        tv_set_root(t, prev, o);
    }
    tv_set(t, tv_root(t, prev), 0, tv_root(t, ring));
    tv_pop(t, 1);
    return ring;
}

/* A stress_factor workload ends: at least one collection per two stress
 * periods allocated (nursery collections may come sooner), then gc_finish. */
static void gc_finish_stress(tv_vm *vm, uint64_t stress_bytes)
{
    mmtk_stats st;
    CU_ASSERT_EQUAL(mmtk_get_stats(vm->heap, &st), 0);
    printf("(%llu collections, %llu full) ", (unsigned long long)st.collections,
           (unsigned long long)st.full_collections);
    CU_ASSERT(st.collections >= 1 + st.bytes_allocated / (2 * stress_bytes));
    gc_finish(vm);
}

void gc_finish(tv_vm *vm)
{
    CU_ASSERT_EQUAL(vm->bad_scans, 0);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm->heap), 0);
    tv_heap_free(vm);
}

mmtk_stats gc_stats(tv_vm *vm)
{
    mmtk_stats st;
    mmtk_get_stats(vm->heap, &st);
    return st;
}

int gc_collect_by_allocation(tv_thread *t)
{
    mmtk_stats st0 = gc_stats(t->vm), st1;
    for (long i = 0; i < 4000000; i++) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_alloc(t, 2, 32, MMTK_ALLOC_DEFAULT));
        st1 = gc_stats(t->vm);
        if (st1.collections > st0.collections)
            return st1.full_collections == st0.full_collections;
    }
    return -1;
}

size_t gc_fill_and_thin(tv_thread *t, long *n)
{
    size_t first = t->nroots;
    long made = 0;
    for (tv_obj *o; (o = tv_alloc(t, 1, 1000, MMTK_ALLOC_DEFAULT)) != NULL; made++)
        tv_push(t, o);
    CU_ASSERT_FATAL(made > 1000);
    for (long i = 0; i < made; i++)
        if (i % 10)
            tv_set_root(t, first + (size_t)i, NULL);
    *n = made;
    return first;
}

size_t gc_fragmented_survivors(tv_thread *t, int n, mmtk_object *weak)
{
    mmtk *heap = t->vm->heap;
    size_t base = t->nroots;
    for (int i = 0; i < n; i++) {
        tv_obj *o = tv_alloc(t, 1, 24, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        tv_push(t, o);
    }
    mmtk_handle_user_collection_request(heap, NULL);
    for (int i = 0; i < n; i++) {
        if (weak) {
            weak[i] = tv_root(t, base + (size_t)i);
            CU_ASSERT_EQUAL(mmtk_add_weak_slot(heap, &weak[i]), 0);
        }
        if ((i / 16) % 4 != 0)
            tv_set_root(t, base + (size_t)i, NULL);
    }
    return base;
}

/* ---------------------------------------------------------------- */

static int ring_length(tv_obj *head)
{
    int n = 0;
    tv_obj *o = head;
    do {
        if (!tv_check(o))
            return -1;
        o = o->refs[0];
        n++;
    } while (o != head && n < 100000);
    return n;
}

/* Fields of o that hold something other than NULL or an intact object. */
static long bad_fields(const tv_obj *o)
{
    long bad = 0;
    for (uint32_t i = 0; i < o->nrefs; i++)
        bad += o->refs[i] && !tv_check(o->refs[i]);
    return bad;
}

void gc_test_trees_cycles_arrays(void)
{
    if (!gc_info->collects)
        return;   /* garbage beyond the heap: NoGC's out-of-memory is tested on its own */
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=16M", "stress_factor=64K", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    unsigned seed = tv_seed("trees_cycles_arrays");
    srand(seed);
    size_t keep = tv_push(t, tv_tree(t, 10, MMTK_ALLOC_DEFAULT));
    size_t ring = gc_ring(t, 300);
    /* an array of references (a medium object) and one in the LOS */
    enum { NARR = 500, NLARGE = 3000 };
    size_t arr = tv_push(t, tv_alloc(t, NARR, 0, MMTK_ALLOC_DEFAULT));
    size_t large = tv_push(t, tv_alloc(t, NLARGE, 0, MMTK_ALLOC_DEFAULT));
    size_t medium = tv_push(t, NULL);   /* a list of medium objects */
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_root(t, arr));
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_root(t, large));
    long rounds = tv_scaled(1500);
    for (long r = 0; r < rounds; r++) {
        CU_ASSERT_PTR_NOT_NULL(tv_tree(t, 5, MMTK_ALLOC_DEFAULT));   /* garbage */
        for (int k = 0; k < 8; k++) {
            tv_obj *o = tv_alloc(t, 1, (uint32_t)(rand() % 200), MMTK_ALLOC_DEFAULT);
            CU_ASSERT_PTR_NOT_NULL_FATAL(o);
            tv_set(t, tv_root(t, arr), (uint32_t)(rand() % NARR), o);
            o = tv_alloc(t, 0, (uint32_t)(rand() % 100), MMTK_ALLOC_DEFAULT);
            CU_ASSERT_PTR_NOT_NULL_FATAL(o);
            tv_set(t, tv_root(t, large), (uint32_t)(rand() % NLARGE), o);
        }
        tv_obj *m = tv_alloc(t, 1, (uint32_t)(300 + rand() % 4000), MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        if (r % 4 == 0) {   /* keep a quarter of them in a list */
            tv_set(t, m, 0, tv_root(t, medium));
            tv_set_root(t, medium, m);
        }
        tv_obj *n = tv_root(t, ring);
        for (int k = rand() % 300; k > 0; k--)
            n = n->refs[0];
        tv_set(t, n, 1, tv_root(t, ring));
        if (r % 200 == 199)
            mmtk_handle_user_collection_request(vm.heap, NULL);   /* full ones too */
    }
    CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, keep), 10), 2047);
    CU_ASSERT_EQUAL(ring_length(tv_root(t, ring)), 300);
    tv_obj *a = tv_root(t, arr), *l = tv_root(t, large);
    CU_ASSERT(tv_check(a) && tv_check(l));
    long bad = bad_fields(a) + bad_fields(l), meds = 0;
    for (tv_obj *m = tv_root(t, medium); m; m = m->refs[0], meds++)
        bad += !tv_check(m);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(meds, (rounds + 3) / 4);
    gc_finish_stress(&vm, 64 * 1024);
}

/* ---------------------------------------------------------------- */

typedef struct ptr_set {
    uintptr_t *s;
    size_t cap, n;
} ptr_set;

static int ptr_set_add(ptr_set *ps, const void *p)
{
    if ((ps->n + 1) * 2 > ps->cap) {
        ptr_set big = { calloc(ps->cap ? ps->cap * 2 : 1024, sizeof(uintptr_t)), ps->cap ? ps->cap * 2 : 1024, 0 };
        for (size_t i = 0; i < ps->cap; i++)
            if (ps->s[i])
                ptr_set_add(&big, (void *)ps->s[i]);
        free(ps->s);
        *ps = big;
    }
    size_t i = ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ULL >> 20 & (ps->cap - 1);
    while (ps->s[i]) {
        if (ps->s[i] == (uintptr_t)p)
            return 0;
        i = (i + 1) & (ps->cap - 1);
    }
    ps->s[i] = (uintptr_t)p;
    ps->n++;
    return 1;
}

/* Objects reachable from o that fail tv_check; counts what it reached. */
static long graph_check(tv_obj *root, long *reached)
{
    ptr_set seen = { NULL, 0, 0 };
    size_t cap = 1024, n = 0;
    tv_obj **stack = malloc(cap * sizeof *stack);
    long bad = 0;
    stack[n++] = root;
    ptr_set_add(&seen, root);
    while (n) {
        tv_obj *o = stack[--n];
        if (!tv_check(o)) {
            bad++;
            continue;
        }
        for (uint32_t i = 0; i < o->nrefs; i++) {
            tv_obj *c = o->refs[i];
            if (c && ptr_set_add(&seen, c)) {
                if (n == cap)
                    stack = realloc(stack, (cap *= 2) * sizeof *stack);
                stack[n++] = c;
            }
        }
    }
    *reached = (long)seen.n;
    free(stack);
    free(seen.s);
    return bad;
}

void gc_test_random_graph(void)
{
    if (!gc_info->collects)
        return;   /* as above */
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=16M", "stress_factor=128K", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    unsigned seed = tv_seed("random_graph");
    srand(seed);
    enum { TABLE = 1500 };
    size_t table = tv_push(t, tv_alloc(t, TABLE, 0, MMTK_ALLOC_DEFAULT));   /* a LOS object */
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_root(t, table));
    long ops = tv_scaled(400000);
    for (long i = 0; i < ops; i++) {
        tv_obj *tab = tv_root(t, table);
        tv_obj *x = tab->refs[rand() % TABLE];
        switch (rand() % 4) {
        case 0: {
            int sem = rand() % 50 == 0 ? MMTK_ALLOC_NON_MOVING : MMTK_ALLOC_DEFAULT;
            tv_obj *o = tv_alloc(t, 4, (uint32_t)(rand() % 48), sem);
            CU_ASSERT_PTR_NOT_NULL_FATAL(o);
            tv_set(t, tv_root(t, table), (uint32_t)(rand() % TABLE), o);
            break;
        }
        case 1:
            if (x)
                tv_set(t, x, (uint32_t)(rand() % 4), tab->refs[rand() % TABLE]);
            break;
        case 2:
            if (x) {
                size_t ix = tv_push(t, x);
                tv_obj *o = tv_alloc(t, 4, (uint32_t)(rand() % 48), MMTK_ALLOC_DEFAULT);
                CU_ASSERT_PTR_NOT_NULL_FATAL(o);
                tv_set(t, tv_root(t, ix), (uint32_t)(rand() % 4), o);
                tv_pop(t, 1);
            }
            break;
        default:
            tv_set(t, tab, (uint32_t)(rand() % TABLE), NULL);
            break;
        }
        if (i % 50000 == 49999)
            mmtk_handle_user_collection_request(vm.heap, NULL);   /* full ones too */
    }
    mmtk_handle_user_collection_request(vm.heap, NULL);
    long reached = 0;
    CU_ASSERT_EQUAL(graph_check(tv_root(t, table), &reached), 0);
    CU_ASSERT(reached > TABLE / 4);
    gc_finish_stress(&vm, 128 * 1024);
}

/* ---------------------------------------------------------------- */

typedef struct thread_arg {
    tv_vm *vm;
    unsigned seed;
    long ok;
} thread_arg;

static void *mutator_thread(void *p)
{
    thread_arg *arg = p;
    tv_thread *t = tv_thread_new(arg->vm);
    if (!t)
        return NULL;
    unsigned seed = arg->seed;
    size_t keep = tv_push(t, tv_tree(t, 8, MMTK_ALLOC_DEFAULT));
    size_t list = tv_push(t, NULL);
    long rounds = tv_scaled(400), kept = 0;
    for (long r = 0; r < rounds; r++) {
        tv_tree(t, 5, MMTK_ALLOC_DEFAULT);
        tv_obj *o = tv_alloc(t, 2, (uint32_t)(rand_r(&seed) % 300), MMTK_ALLOC_DEFAULT);
        if (!o)
            break;
        if (r % 3 == 0) {
            tv_set(t, o, 0, tv_root(t, list));
            tv_set(t, o, 1, tv_root(t, keep));
            tv_set_root(t, list, o);
            kept++;
        }
        mmtk_safepoint(t->m);
    }
    long n = 0;
    int good = tv_tree_check(tv_root(t, keep), 8) == 511;
    for (tv_obj *o = tv_root(t, list); o; o = o->refs[0], n++)
        good &= tv_check(o) && o->refs[1] == tv_root(t, keep);
    arg->ok = good && n == kept;
    tv_thread_free(t);
    return NULL;
}

void gc_test_threads(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=16M", "threads=2", gc_info->collects ? "stress_factor=256K" : "stress_factor=0",
                           "verify=true", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, gc_plan, opts));
    unsigned seed = tv_seed("threads");
    pthread_t th[2];
    thread_arg args[2];
    for (int i = 0; i < 2; i++) {
        args[i] = (thread_arg){ &vm, seed + (unsigned)i, 0 };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, mutator_thread, &args[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    CU_ASSERT(args[0].ok && args[1].ok);
    mmtk_stats st;
    mmtk_get_stats(vm.heap, &st);
    CU_ASSERT(gc_info->collects ? st.collections >= st.bytes_allocated / (2 * 256 * 1024) : st.collections == 0);
    gc_finish(&vm);
}

/* ---------------------------------------------------------------- */

/* Fragment the old generation (runs of 16 objects kept, 48 dropped), pin
 * one in ten survivors, collect twice: a collection defragments. */
void gc_test_pinned_never_move(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=32M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    enum { N = 24000 };
    static void *before[N];
    static uint64_t ids[N];
    static int pinned[N];
    size_t base = gc_fragmented_survivors(t, N, NULL);
    mmtk_handle_user_collection_request(vm.heap, NULL);   /* fragments */
    for (int i = 0; i < N; i++) {
        before[i] = tv_root(t, base + (size_t)i);
        ids[i] = before[i] ? ((tv_obj *)before[i])->id : 0;
        pinned[i] = before[i] && i % 10 == 0;
        if (pinned[i])
            CU_ASSERT_EQUAL(mmtk_pin_object(vm.heap, before[i]), 1);
    }
    mmtk_handle_user_collection_request(vm.heap, NULL);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    long moved = 0, stayed = 0, bad = 0;
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_root(t, base + (size_t)i);
        if (!before[i])
            continue;
        bad += !tv_check(o) || o->id != ids[i];
        if (pinned[i]) {
            stayed += o == before[i];
            bad += !mmtk_is_pinned(vm.heap, o);
        } else {
            moved += o != before[i];
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    long npinned = 0;
    for (int i = 0; i < N; i++)
        npinned += pinned[i];
    CU_ASSERT_EQUAL(stayed, npinned);
    CU_ASSERT(moved > 0);   /* defragmentation did evacuate */
    for (int i = 0; i < N; i++)
        if (pinned[i])
            mmtk_unpin_object(vm.heap, tv_root(t, base + (size_t)i));
    gc_finish(&vm);
}

/* ---------------------------------------------------------------- */

/* 0 when this build refuses the plan (ENOTSUP), 1 otherwise. */
static int gc_plan_available(const char *plan)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=1M", NULL };
    if (tv_heap_new(&vm, NULL, plan, opts)) {
        tv_heap_free(&vm);
        return 1;
    }
    pthread_mutex_destroy(&vm.lock);
    return errno != ENOTSUP;   /* other failures show in the tests */
}

int gc_main(const char *const *plans, const CU_TestInfo *tests)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    for (int i = 0; plans ? plans[i] != NULL : i < tv_nplans; i++) {
        if (!cu_add_suite_of(plans ? plans[i] : tv_plans[i].name, tests)) {
            CU_cleanup_registry();
            return 1;
        }
    }
    return gc_run_suites();
}

int gc_run_suites(void)
{
    CU_basic_set_mode(CU_BRM_VERBOSE);
    unsigned failures = 0;
    for (CU_pSuite s = CU_get_registry()->pSuite; s; s = s->pNext) {
        gc_plan = s->pName;   /* CUnit has no suite argument: the suite's name is the plan */
        gc_info = tv_plan(gc_plan);
        if (!gc_info) {
            printf("suite %s: not a plan of tv_plans\n", gc_plan);
            failures++;
            continue;
        }
        if (!gc_plan_available(gc_plan)) {
            printf("\nSuite %s: skipped, mmtk_init refuses the plan (ENOTSUP)\n", gc_plan);
            continue;
        }
        CU_basic_run_suite(s);
        failures += CU_get_number_of_failures();
    }
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
