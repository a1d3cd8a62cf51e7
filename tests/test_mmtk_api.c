/*
 * test_mmtk_api.c — the builder and its options, environment, refused
 * plans and bindings, object queries, figures and harness, binding-driven
 * stop/resume, the verifier catching a bad reference, weak slots and
 * finalizers, idle-heap footprint and many heaps in one context.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testvm.h"

static void test_options(void)
{
    mmtk_builder *b = mmtk_builder_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    const char *good[][2] = {
        { "plan", "NoGC" }, { "plan", "MarkSweep" }, { "plan", "SemiSpace" }, { "plan", "Immix" },
        { "plan", "GenCopy" }, { "plan", "GenImmix" }, { "plan", "StickyImmix" }, { "plan", "MarkCompact" },
        { "heap_size", "64M" }, { "heap_size", "1G" }, { "heap_size", "512K" }, { "heap_size", "100000" },
        { "heap_size", "2m" }, { "gc_trigger", "FixedHeapSize" }, { "gc_trigger", "DynamicHeapSize" },
        { "threads", "1" }, { "threads", "2" }, { "threads", "64" }, { "nursery_size", "4M" },
        { "stress_factor", "0" }, { "stress_factor", "1M" }, { "verify", "true" }, { "verify", "false" },
        { "verbose", "true" }, { "verbose", "false" }, { "trace_packets", "0" }, { "trace_packets", "16" },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CU_ASSERT_EQUAL(mmtk_builder_set_option(b, good[i][0], good[i][1]), 0);
    const char *bad[][2] = {
        { "plan", "Foo" }, { "plan", "" }, { "plan", "marksweep" }, { "heap_size", "" }, { "heap_size", "12X" },
        { "heap_size", "M" }, { "heap_size", "-1" }, { "heap_size", "1.5M" }, { "heap_size", "1K" },
        { "heap_size", "99999999999999999999G" }, { "heap_size", "64MB" }, { "gc_trigger", "Fixed" },
        { "threads", "0" }, { "threads", "65" }, { "threads", "2K" }, { "threads", "x" },
        { "nursery_size", "abc" }, { "stress_factor", "-5" }, { "verify", "yes" }, { "verify", "" },
        { "verbose", "1x" }, { "verbose", "" }, { "trace_packets", "x" }, { "trace_packets", "-1" },
        { "trace_packets", "4K" }, { "no_such_option", "1" }, { "", "1" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(mmtk_builder_set_option(b, bad[i][0], bad[i][1]), EINVAL);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(NULL, "plan", "NoGC"), EINVAL);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, NULL, "NoGC"), EINVAL);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "plan", NULL), EINVAL);
    CU_ASSERT_EQUAL(mmtk_builder_set_heap_size(b, 1 << 20, 8 << 20), 0);
    CU_ASSERT_EQUAL(mmtk_builder_set_heap_size(b, 8 << 20, 1 << 20), EINVAL);
    CU_ASSERT_EQUAL(mmtk_builder_set_heap_size(b, 0, 100), EINVAL);
    CU_ASSERT_EQUAL(mmtk_builder_set_heap_size(NULL, 0, 8 << 20), EINVAL);
    CU_ASSERT_EQUAL(mmtk_builder_read_env(NULL), EINVAL);
    mmtk_builder_free(b);
    mmtk_builder_free(NULL);
}

static void test_default_and_refused_plans(void)
{
    mmtk_vm_binding binding = tv_binding(0);
    tv_vm vm = { .heap = NULL };
    memset(&vm, 0, sizeof vm);
    mmtk_builder *b = mmtk_builder_new();
    mmtk *heap = mmtk_init(b, &binding, &vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(heap);
    CU_ASSERT_STRING_EQUAL(mmtk_plan_name(heap), "GenImmix");   /* SPEC default */
    CU_ASSERT_EQUAL(mmtk_total_bytes(heap), (size_t)64 << 20);
    mmtk_destroy(heap);
    const char *later[] = { "Immix", "GenCopy", "GenImmix", "StickyImmix", "MarkCompact" };
    /* plans of later issues: either implemented by now, or refused with
     * ENOTSUP (never EINVAL, never another plan) */
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "plan", later[i]), 0);
        errno = 0;
        mmtk *h = mmtk_init(b, &binding, &vm);
        if (h) {
            CU_ASSERT_STRING_EQUAL(mmtk_plan_name(h), later[i]);
        } else {
            CU_ASSERT_EQUAL(errno, ENOTSUP);
        }
        mmtk_destroy(h);
    }
    mmtk_builder_set_option(b, "plan", "NoGC");
    errno = 0;
    CU_ASSERT_PTR_NULL(mmtk_init(b, NULL, &vm));
    CU_ASSERT_EQUAL(errno, EINVAL);
    mmtk_vm_binding partial = binding;
    partial.scan_roots = NULL;
    CU_ASSERT_PTR_NULL(mmtk_init(b, &partial, &vm));
    CU_ASSERT_PTR_NULL(mmtk_init(NULL, &binding, &vm));
    mmtk_builder_free(b);
    /* NULL heaps everywhere are refused quietly */
    mmtk_destroy(NULL);
    mmtk_initialize_collection(NULL, NULL);
    mmtk_handle_user_collection_request(NULL, NULL);
    CU_ASSERT_PTR_NULL(mmtk_bind_mutator(NULL, NULL));
    CU_ASSERT_PTR_NULL(mmtk_plan_name(NULL));
    CU_ASSERT_PTR_NULL(mmtk_get_vmma_client(NULL));
    CU_ASSERT_EQUAL(mmtk_get_stats(NULL, NULL), EINVAL);
    CU_ASSERT_EQUAL(mmtk_used_bytes(NULL), 0);
    CU_ASSERT_EQUAL(mmtk_trace_overflows(NULL), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(NULL, NULL), EINVAL);
    CU_ASSERT_PTR_NULL(mmtk_find_object(NULL, &vm));
    mmtk_safepoint(NULL);
    mmtk_enter_native(NULL);
    mmtk_leave_native(NULL);
    mmtk_destroy_mutator(NULL);
}

static void test_read_env(void)
{
    mmtk_vm_binding binding = tv_binding(0);
    tv_vm vm = { .heap = NULL };
    memset(&vm, 0, sizeof vm);
    setenv("MMTK_PLAN", "SemiSpace", 1);
    setenv("MMTK_HEAP_SIZE", "4M", 1);
    setenv("MMTK_THREADS", "1", 1);
    setenv("MMTK_VERIFY", "true", 1);
    mmtk_builder *b = mmtk_builder_new();
    CU_ASSERT_EQUAL(mmtk_builder_read_env(b), 0);
    mmtk *heap = mmtk_init(b, &binding, &vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(heap);
    CU_ASSERT_STRING_EQUAL(mmtk_plan_name(heap), "SemiSpace");
    CU_ASSERT_EQUAL(mmtk_total_bytes(heap), (size_t)4 << 20);
    mmtk_destroy(heap);
    setenv("MMTK_STRESS_FACTOR", "lots", 1);
    CU_ASSERT_EQUAL(mmtk_builder_read_env(b), EINVAL);
    unsetenv("MMTK_PLAN");
    unsetenv("MMTK_HEAP_SIZE");
    unsetenv("MMTK_THREADS");
    unsetenv("MMTK_VERIFY");
    unsetenv("MMTK_STRESS_FACTOR");
    mmtk_builder_free(b);
}

static int some_static;

static void test_queries(void)
{
    static const char *plans[] = { "NoGC", "MarkSweep", "SemiSpace" };
    for (int p = 0; p < 3; p++) {
        tv_vm vm = { .heap = NULL };
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, plans[p], NULL));
        tv_thread *t = tv_thread_new(&vm);
        tv_obj *o = tv_alloc(t, 2, 64, MMTK_ALLOC_DEFAULT);
        tv_obj *l = tv_alloc(t, 2, 64 * 1024, MMTK_ALLOC_LOS);
        int local;
        CU_ASSERT(mmtk_is_mmtk_object(vm.heap, o));
        CU_ASSERT(!mmtk_is_mmtk_object(vm.heap, (char *)o + 16));
        CU_ASSERT(!mmtk_is_mmtk_object(vm.heap, &local));
        CU_ASSERT(!mmtk_is_mmtk_object(vm.heap, &some_static));
        CU_ASSERT(!mmtk_is_mmtk_object(vm.heap, NULL));
        CU_ASSERT(mmtk_is_mmtk_object(vm.heap, l));
        CU_ASSERT(!mmtk_is_mmtk_object(vm.heap, (char *)l + 8));
        CU_ASSERT_PTR_EQUAL(mmtk_find_object(vm.heap, o), o);
        CU_ASSERT_PTR_EQUAL(mmtk_find_object(vm.heap, (char *)o + o->bytes - 1), o);
        CU_ASSERT_PTR_EQUAL(mmtk_find_object(vm.heap, (char *)l + 5000), l);
        CU_ASSERT_PTR_NULL(mmtk_find_object(vm.heap, &local));
        CU_ASSERT_PTR_NULL(mmtk_find_object(vm.heap, &some_static));
        CU_ASSERT(mmtk_is_live_object(vm.heap, o));
        CU_ASSERT(!mmtk_is_live_object(vm.heap, &local));
        CU_ASSERT_PTR_EQUAL(vmma_get_owner(NULL, o), NULL);
        tv_heap_free(&vm);
    }
}

static void test_figures_and_harness(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, "MarkSweep", opts));
    tv_thread *t = tv_thread_new(&vm);
    mmtk_harness_begin(vm.heap, t);
    for (int i = 0; i < 1000; i++)
        tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT);
    mmtk_stats st;
    CU_ASSERT_EQUAL(mmtk_get_stats(vm.heap, &st), 0);
    CU_ASSERT_EQUAL(st.objects_allocated, 1000);
    CU_ASSERT_EQUAL(st.bytes_allocated, 1000 * 32);
    CU_ASSERT_EQUAL(st.collections, 0);
    CU_ASSERT_EQUAL(mmtk_used_bytes(vm.heap) + mmtk_free_bytes(vm.heap), mmtk_total_bytes(vm.heap));
    CU_ASSERT(mmtk_used_bytes(vm.heap) >= 32000);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    CU_ASSERT_EQUAL(mmtk_get_stats(vm.heap, &st), 0);
    CU_ASSERT_EQUAL(st.collections, 2);
    CU_ASSERT(st.pause_ns_max > 0 && st.pause_ns_total >= st.pause_ns_max);
    CU_ASSERT_EQUAL(st.live_bytes_after_last_gc, 0);
    CU_ASSERT_EQUAL(vm.gc_started, 2);
    CU_ASSERT_EQUAL(vm.gc_finished, 2);
    mmtk_harness_end(vm.heap);
    mmtk_harness_begin(vm.heap, t);
    CU_ASSERT_EQUAL(mmtk_get_stats(vm.heap, &st), 0);
    CU_ASSERT_EQUAL(st.collections, 0);
    CU_ASSERT_EQUAL(st.objects_allocated, 0);
    tv_heap_free(&vm);
}

static void test_binding_stop_resume(void)
{
    tv_vm vm = { .heap = NULL };
    vm.use_stop_callbacks = 1;
    const char *opts[] = { "heap_size=4M", "stress_factor=64K", "verify=true", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, "SemiSpace", opts));
    tv_thread *t = tv_thread_new(&vm);
    size_t r = tv_push(t, tv_tree(t, 8, MMTK_ALLOC_DEFAULT));
    for (int i = 0; i < 20; i++)
        tv_tree(t, 6, MMTK_ALLOC_DEFAULT);
    mmtk_stats st;
    mmtk_get_stats(vm.heap, &st);
    CU_ASSERT(st.collections > 0);
    CU_ASSERT_EQUAL(vm.stops, st.collections);
    CU_ASSERT_EQUAL(vm.resumes, st.collections);
    CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, r), 8), 511);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    tv_heap_free(&vm);
}

static void test_verify_catches_bad_reference(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=4M", "verify=true", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, "MarkSweep", opts));
    tv_thread *t = tv_thread_new(&vm);
    tv_obj *o = tv_alloc(t, 2, 0, MMTK_ALLOC_DEFAULT);
    vm.globals[0] = o;
    mmtk_handle_user_collection_request(vm.heap, NULL);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    fprintf(stderr, "(a verify report about %p is expected next)\n", (void *)&some_static);
    tv_set(t, o, 1, &some_static);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 1);
    CU_ASSERT(tv_check(vm.globals[0]));
    tv_set(t, o, 1, NULL);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 1);
    tv_heap_free(&vm);
}

/* verbose=true: one line per collection on stderr, naming the plan, the
 * collection's number and kind, and what it copied. */
static void test_verbose_log(void)
{
    char path[] = "/tmp/mmtk-verbose-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    CU_ASSERT_FATAL(saved >= 0 && dup2(fd, 2) == 2);
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=4M", "verbose=true", NULL };
    mmtk *heap = tv_heap_new(&vm, NULL, "SemiSpace", opts);
    if (heap) {
        tv_thread *t = tv_thread_new(&vm);
        vm.globals[0] = tv_alloc(t, 2, 0, MMTK_ALLOC_DEFAULT);
        mmtk_handle_user_collection_request(heap, NULL);
        mmtk_handle_user_collection_request(heap, NULL);
        CU_ASSERT(tv_check(vm.globals[0]));
        tv_heap_free(&vm);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CU_ASSERT_PTR_NOT_NULL_FATAL(heap);
    char buf[1024] = { 0 };
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    CU_ASSERT(n > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "mmtk: SemiSpace collection 1 (full)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "mmtk: SemiSpace collection 2 (full)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "copied 1 objects"));
    CU_ASSERT_PTR_NULL(strstr(buf, "collection 3"));
    /* the visitor's doors refuse a NULL visitor or slot array */
    mmtk_object slots[2] = { NULL, NULL };
    mmtk_visit_slots(NULL, slots, 2);
    mmtk_visit_slot(NULL, slots);
}

static void test_weak_slots_and_finalizers(void)
{
    static const char *plans[] = { "MarkSweep", "SemiSpace" };
    for (int p = 0; p < 2; p++) {
        tv_vm vm = { .heap = NULL };
        const char *opts[] = { "heap_size=4M", "verify=true", NULL };
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, plans[p], opts));
        tv_thread *t = tv_thread_new(&vm);
        mmtk_object weak_dead, weak_live;
        weak_dead = tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT);
        size_t il = tv_push(t, tv_alloc(t, 1, 8, MMTK_ALLOC_DEFAULT));
        weak_live = tv_root(t, il);
        CU_ASSERT_EQUAL(mmtk_add_weak_slot(vm.heap, &weak_dead), 0);
        CU_ASSERT_EQUAL(mmtk_add_weak_slot(vm.heap, &weak_live), 0);
        tv_obj *fin = tv_alloc(t, 1, 8, MMTK_ALLOC_DEFAULT);
        tv_obj *kid = tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT);
        tv_set(t, fin, 0, kid);
        uint64_t fin_id = fin->id;
        CU_ASSERT_EQUAL(mmtk_add_finalizer(vm.heap, fin), 0);
        CU_ASSERT_EQUAL(mmtk_add_finalizer(vm.heap, &some_static), EINVAL);
        mmtk_handle_user_collection_request(vm.heap, NULL);
        CU_ASSERT_PTR_NULL(weak_dead);
        CU_ASSERT_PTR_EQUAL(weak_live, tv_root(t, il));
        tv_obj *got = mmtk_get_finalized_object(vm.heap);
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        CU_ASSERT_EQUAL(got->id, fin_id);
        CU_ASSERT(tv_check(got) && tv_check(got->refs[0]));
        CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(vm.heap));
        mmtk_handle_user_collection_request(vm.heap, NULL);
        CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(vm.heap));   /* exactly once */
        CU_ASSERT_EQUAL(mmtk_remove_weak_slot(vm.heap, &weak_live), 0);
        CU_ASSERT_EQUAL(mmtk_remove_weak_slot(vm.heap, &weak_live), EINVAL);
        tv_pop(t, 1);
        mmtk_handle_user_collection_request(vm.heap, NULL);
        CU_ASSERT_PTR_NOT_NULL(weak_live);   /* removed: left alone */
        CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
        tv_heap_free(&vm);
    }
}

static void test_idle_and_many_heaps(void)
{
    vmma_context *ctx;
    /* 64 KiB arenas: an idle heap holds one; chunks are runs of four */
    vmma_config cfg = { 0, 64 * 1024, VMMA_FEATURE_THREAD_SAFE | VMMA_FEATURE_LIMITS };
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, (size_t)256 << 20, &cfg), 0);
    size_t free0 = vmma_get_free_size(ctx);
    enum { N = 100 };
    static tv_vm vms[N];   /* static: zeroed */
    for (int i = 0; i < N; i++) {
        const char *opts[] = { "heap_size=1M", NULL };
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vms[i], ctx, i % 2 ? "SemiSpace" : "MarkSweep", opts));
        vmma_stats cs;
        vmma_get_client_stats(mmtk_get_vmma_client(vms[i].heap), &cs);
        CU_ASSERT(cs.used_size <= 64 * 1024);
        CU_ASSERT(cs.arena_count * 64 * 1024 <= 64 * 1024);
    }
    CU_ASSERT(free0 - vmma_get_free_size(ctx) <= (size_t)N * 64 * 1024);
    for (int i = 0; i < N; i += 10) {
        tv_thread *t = tv_thread_new(&vms[i]);
        size_t r = tv_push(t, tv_tree(t, 6, MMTK_ALLOC_DEFAULT));
        mmtk_handle_user_collection_request(vms[i].heap, NULL);
        CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, r), 6), 127);
    }
    for (int i = 0; i < N; i++)
        tv_heap_free(&vms[i]);
    CU_ASSERT_EQUAL(vmma_get_free_size(ctx), free0);
    vmma_destroy_context(ctx);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("mmtk api", NULL, NULL);
    CU_add_test(s, "options", test_options);
    CU_add_test(s, "default and refused plans, bad bindings", test_default_and_refused_plans);
    CU_add_test(s, "read_env", test_read_env);
    CU_add_test(s, "queries", test_queries);
    CU_add_test(s, "figures and harness", test_figures_and_harness);
    CU_add_test(s, "binding stop/resume", test_binding_stop_resume);
    CU_add_test(s, "verify catches a bad reference", test_verify_catches_bad_reference);
    CU_add_test(s, "verbose: a line per collection", test_verbose_log);
    CU_add_test(s, "weak slots and finalizers", test_weak_slots_and_finalizers);
    CU_add_test(s, "idle and many heaps", test_idle_and_many_heaps);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned f = CU_get_number_of_failures();
    CU_cleanup_registry();
    return f ? 1 : 0;
}
