/*
 * gen_common.h — what the CUnit suites of libmmtk's plans share: suites
 * named after a plan (tv_plans) and run one after the other with gc_plan /
 * gc_info naming the running one, a heap-with-a-thread setup and its
 * checked teardown, and workloads that run under stress_factor + verify on
 * the test VM and assert that every object a root reaches is intact
 * afterwards (test_mmtk_plans.c and test_mmtk_threads.c run them on every
 * plan; gc_test_pinned_never_move is for the defragmenting and
 * generational suites).
 */
#ifndef GEN_COMMON_H
#define GEN_COMMON_H

#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testvm.h"

/* The plan of the running suite, and its documented properties. */
extern const char *gc_plan;
extern const tv_plan_info *gc_info;
static inline int gc_plan_is(const char *name) { return strcmp(gc_plan, name) == 0; }
static inline int gc_collects(void) { return gc_info->collects; }
/* The plan's default space moves objects in some collection. */
static inline int gc_moving(void) { return gc_info->moves != TV_MOVES_NEVER; }

/* A heap of `plan` with options, one thread bound; CUnit-fatal on failure. */
tv_thread *gc_setup(tv_vm *vm, const char *const *opts);
/* A ring of n two-field objects (refs[0] is the next), its head in a new
 * root slot whose index is returned. */
size_t gc_ring(tv_thread *t, int n);
/* Assert no bad scan and no verifier failure, then free the heap. */
void gc_finish(tv_vm *vm);
/* The heap's statistics now. */
mmtk_stats gc_stats(tv_vm *vm);
/* Allocate small garbage until a collection happens: 1 if it was a nursery
 * collection, 0 a full one, -1 when none came in 4M allocations. Each
 * allocation must succeed (CUnit-fatal). */
int gc_collect_by_allocation(tv_thread *t);
/* Fill the heap with 1 KiB objects, each in a new root slot, until
 * allocation fails (more than 1000 of them, CUnit-fatal otherwise), then
 * drop all but every tenth: a full heap whose every block keeps a
 * survivor. Returns the first slot's index; *n is how many were made. */
size_t gc_fill_and_thin(tv_thread *t, long *n);
/* n small objects (64 bytes) rooted from the returned index on, made old by
 * a full collection; then three of every four runs of 16 are dropped (weak
 * slots registered on all n first when weak != NULL). The next collections
 * see a fragmented heap: Immix defragments, MarkCompact slides, copying
 * plans copy. */
size_t gc_fragmented_survivors(tv_thread *t, int n, mmtk_object *weak);

/* Workloads (each a CUnit test body). */
void gc_test_trees_cycles_arrays(void);    /* stress+verify: trees, rings, arrays, large, medium */
void gc_test_random_graph(void);           /* seeded random mutation through the barrier */
void gc_test_threads(void);                /* two mutators, threads=2 workers */
void gc_test_pinned_never_move(void);      /* pinned objects stay through defragmentation */

/* A test program's main: one suite of `tests` (CU_TEST_INFO_NULL-ended)
 * per plan of `plans` (NULL-ended; NULL for every plan of tv_plans), run by
 * gc_run_suites. Returns the exit status. */
int gc_main(const char *const *plans, const CU_TestInfo *tests);
/* Run suites registered with CU_add_suite whose names are plan names; a plan
 * this build refuses (mmtk_init: ENOTSUP) is skipped with a note. */
int gc_run_suites(void);

#endif
