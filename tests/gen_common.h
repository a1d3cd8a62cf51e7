/*
 * gen_common.h — workloads the Immix and generational suites share
 * (tests/test_mmtk_immix.c, tests/test_mmtk_gen.c): each runs one plan,
 * named by the suite, under stress_factor + verify on the test VM, and
 * asserts that every object a root reaches is intact afterwards.
 */
#ifndef GEN_COMMON_H
#define GEN_COMMON_H

#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testvm.h"

/* The plan of the running suite. */
extern const char *gc_plan;

/* A heap of `plan` with options, one thread bound; CUnit-fatal on failure. */
tv_thread *gc_setup(tv_vm *vm, const char *const *opts);

/* Workloads (each a CUnit test body). */
void gc_test_trees_cycles_arrays(void);    /* stress+verify: trees, rings, arrays, large, medium */
void gc_test_random_graph(void);           /* seeded random mutation through the barrier */
void gc_test_threads(void);                /* two mutators, threads=2 workers */
void gc_test_pinned_never_move(void);      /* pinned objects stay through defragmentation */

/* Run suites registered with CU_add_suite whose names are plan names. */
int gc_run_suites(void);

#endif
