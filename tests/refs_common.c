/*
 * refs_common.c — the test VM with conservatively scanned ranges (rvm),
 * shared by test_mmtk_refs.c and test_mmtk_pin.c (refs_common.h). The
 * ranges are reported after the test VM's own roots, in every collection,
 * while their start is not NULL.
 */
#include "refs_common.h"

static void rvm_scan_roots(void *vmp, mmtk_visitor *v)
{
    rvm *r = vmp;
    r->tv_scan_roots(vmp, v);
    if (r->range_start)
        mmtk_visit_range_conservative(v, r->range_start, r->range_end);
    if (r->range2_start)
        mmtk_visit_range_conservative(v, r->range2_start, r->range2_end);
}

mmtk *rvm_new(rvm *r, const char *heap_size, int verify)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->tv.lock, NULL);
    mmtk_builder *b = mmtk_builder_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "plan", gc_plan), 0);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "heap_size", heap_size), 0);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "verify", verify ? "true" : "false"), 0);
    mmtk_vm_binding binding = tv_binding(1);
    r->tv_scan_roots = binding.scan_roots;
    binding.scan_roots = rvm_scan_roots;
    r->tv.heap = mmtk_init(b, &binding, r);
    mmtk_builder_free(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->tv.heap);
    mmtk_initialize_collection(r->tv.heap, NULL);
    return r->tv.heap;
}

tv_thread *rvm_thread(rvm *r)
{
    tv_thread *t = tv_thread_new(&r->tv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    return t;
}

void rvm_free(rvm *r)
{
    gc_finish(&r->tv);
}

void rvm_full_gc(rvm *r)
{
    mmtk_handle_user_collection_request(r->tv.heap, NULL);
}
