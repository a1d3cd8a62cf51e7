/*
 * refs_common.h — what test_mmtk_refs.c and test_mmtk_pin.c share: the test
 * VM (testvm.h) with up to two ranges of words reported through
 * mmtk_visit_range_conservative (rvm).
 * The suites run on every plan through gc_main (gen_common.h); gc_plan is
 * the running suite's plan.
 */
#ifndef REFS_COMMON_H
#define REFS_COMMON_H

#include "gen_common.h"

/* The test VM plus conservatively scanned ranges of words: a range is
 * reported while its start is not NULL. */
typedef struct rvm {
    tv_vm tv;                 /* first: the test VM's callbacks see a tv_vm */
    void *range_start, *range_end;
    void *range2_start, *range2_end;
    void (*tv_scan_roots)(void *vm, mmtk_visitor *v);
} rvm;

/* A heap of gc_plan with heap_size and verify on or off, collections
 * initialised; CUnit-fatal on failure. Returns r->tv.heap. */
mmtk *rvm_new(rvm *r, const char *heap_size, int verify);
/* A thread bound to r's heap; CUnit-fatal on failure. */
tv_thread *rvm_thread(rvm *r);
/* Assert no verifier failure and no bad scan, then free the heap. */
void rvm_free(rvm *r);
/* A full collection, as a user request. */
void rvm_full_gc(rvm *r);

#endif
