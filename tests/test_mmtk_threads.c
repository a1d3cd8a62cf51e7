/*
 * test_mmtk_threads.c — several mutator threads on one heap with the
 * library's default stop-the-world: threads allocating (stopped inside
 * mmtk_alloc), a thread polling mmtk_safepoint, a thread in a native region,
 * threads binding and unbinding while others collect, two mutators keeping
 * lists with two GC workers. Every plan of tv_plans; run it under
 * ThreadSanitizer too.
 */
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include "gen_common.h"

typedef struct worker_arg {
    tv_vm *vm;
    long rounds;
    int depth;
    long ok;
    int stop;          /* safepoint poller: stop when set (atomic) */
    int ready;         /* safepoint poller: bound and polling (atomic) */
    long polls;
} worker_arg;

static void *allocating_thread(void *p)
{
    worker_arg *a = p;
    tv_thread *t = tv_thread_new(a->vm);
    if (!t)
        return NULL;
    size_t keep = tv_push(t, tv_tree(t, a->depth, MMTK_ALLOC_DEFAULT));
    for (long r = 0; r < a->rounds; r++) {
        tv_tree(t, 5, MMTK_ALLOC_DEFAULT);    /* garbage */
        if (r % 16 == 0 && tv_tree_check(tv_root(t, keep), a->depth) == (1L << (a->depth + 1)) - 1)
            a->ok++;
        mmtk_safepoint(t->m);
    }
    if (tv_tree_check(tv_root(t, keep), a->depth) == (1L << (a->depth + 1)) - 1)
        a->ok++;
    tv_thread_free(t);
    return NULL;
}

static void *polling_thread(void *p)
{
    worker_arg *a = p;
    tv_thread *t = tv_thread_new(a->vm);
    if (!t)
        return NULL;
    size_t r = tv_push(t, tv_alloc(t, 1, 16, MMTK_ALLOC_DEFAULT));
    __atomic_store_n(&a->ready, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
        mmtk_safepoint(t->m);
        /* a yield now and then: under Valgrind, which runs one thread at a
         * time, a poller that never yields held the others (the collector
         * and its worker) off the CPU for whole time slices, and this
         * suite took minutes instead of seconds, some runs */
        if (++a->polls % 64 == 0)
            sched_yield();
    }
    a->ok = tv_check(tv_root(t, r));
    tv_thread_free(t);
    return NULL;
}

static mmtk *new_heap(tv_vm *vm, const char *stress)
{
    char sf[64];
    snprintf(sf, sizeof sf, "stress_factor=%s", stress);
    const char *opts[] = { "heap_size=16M", sf, "verify=true", "threads=2", NULL };
    return tv_heap_new(vm, NULL, gc_plan, opts);
}

static void test_two_allocating_threads(void)
{
    tv_vm vm = { .heap = NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(new_heap(&vm, gc_info->collects ? "64K" : "0"));
    worker_arg a[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        memset(&a[i], 0, sizeof a[i]);
        a[i].vm = &vm;
        a[i].rounds = tv_scaled(300);
        a[i].depth = 8 + i;
        pthread_create(&th[i], NULL, allocating_thread, &a[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++)
        CU_ASSERT_EQUAL(a[i].ok, (a[i].rounds + 15) / 16 + 1);
    mmtk_stats st;
    mmtk_get_stats(vm.heap, &st);
    if (gc_info->collects)
        CU_ASSERT(st.collections >= 1 && st.collections + 2 >= st.bytes_allocated / (64 * 1024));
    if (getenv("TV_VERBOSE"))
        printf("collections %llu bytes %llu\n", (unsigned long long)st.collections, (unsigned long long)st.bytes_allocated);
    CU_ASSERT_EQUAL(vm.bad_scans, 0);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    tv_heap_free(&vm);
}

static void test_safepoint_and_native(void)
{
    if (!gc_info->collects)
        return;
    tv_vm vm = { .heap = NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(new_heap(&vm, "0"));
    worker_arg poll = { .vm = &vm };
    pthread_t pt;
    pthread_create(&pt, NULL, polling_thread, &poll);
    while (!__atomic_load_n(&poll.ready, __ATOMIC_ACQUIRE))
        usleep(100);
    /* this thread: a mutator that collects, then sits in a native region
     * while another allocating thread collects */
    tv_thread *t = tv_thread_new(&vm);
    size_t r = tv_push(t, tv_tree(t, 7, MMTK_ALLOC_DEFAULT));
    for (int i = 0; i < 10; i++)
        mmtk_handle_user_collection_request(vm.heap, t);
    mmtk_enter_native(t->m);
    worker_arg alloc = { .vm = &vm, .rounds = tv_scaled(100), .depth = 6 };
    pthread_t at;
    pthread_create(&at, NULL, allocating_thread, &alloc);
    pthread_join(at, NULL);
    /* collections ran while this thread was in native code */
    mmtk_handle_user_collection_request(vm.heap, NULL);
    mmtk_leave_native(t->m);
    CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, r), 7), 255);
    __atomic_store_n(&poll.stop, 1, __ATOMIC_RELEASE);
    pthread_join(pt, NULL);
    CU_ASSERT_EQUAL(poll.ok, 1);
    CU_ASSERT(poll.polls > 0);
    CU_ASSERT(alloc.ok > 0);
    mmtk_stats st;
    mmtk_get_stats(vm.heap, &st);
    CU_ASSERT(st.collections >= 11);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    tv_heap_free(&vm);
}

static void *binding_thread(void *p)
{
    worker_arg *a = p;
    for (long i = 0; i < a->rounds; i++) {
        tv_thread *t = tv_thread_new(a->vm);
        if (!t)
            continue;
        tv_obj *o = tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);
        a->ok += tv_check(o);
        tv_thread_free(t);
    }
    return NULL;
}

static void test_bind_while_collecting(void)
{
    tv_vm vm = { .heap = NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(new_heap(&vm, gc_info->collects ? "128K" : "0"));
    worker_arg b = { .vm = &vm, .rounds = tv_scaled(200) };
    worker_arg a = { .vm = &vm, .rounds = tv_scaled(200), .depth = 6 };
    pthread_t bt, at;
    pthread_create(&bt, NULL, binding_thread, &b);
    pthread_create(&at, NULL, allocating_thread, &a);
    pthread_join(bt, NULL);
    pthread_join(at, NULL);
    CU_ASSERT_EQUAL(b.ok, b.rounds);
    CU_ASSERT_EQUAL(a.ok, (a.rounds + 15) / 16 + 1);
    tv_heap_free(&vm);
}

int main(void)
{
    static const CU_TestInfo tests[] = {
        { "two allocating threads", test_two_allocating_threads },
        { "safepoint poller and native region", test_safepoint_and_native },
        { "binding mutators while collecting", test_bind_while_collecting },
        { "two mutators keeping lists, two workers", gc_test_threads },
        CU_TEST_INFO_NULL
    };
    return gc_main(NULL, tests);
}
