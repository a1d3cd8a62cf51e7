/*
 * cunit_main.h — the main() of a CUnit test program, for programs that list
 * their tests in CU_TestInfo tables (the welltype demo's suites, and the
 * plan suites through gc_main in gen_common.c).
 *
 * Invariant: a program's exit status is 0 only when the registry was built
 * whole and no assertion failed. Header-only (static inline), so a program
 * that uses it needs no extra source file in its build.
 */
#ifndef CUNIT_MAIN_H
#define CUNIT_MAIN_H

#include <CUnit/Basic.h>

/* A new suite `name` of `tests` (ended by CU_TEST_INFO_NULL) in the
 * initialised registry; NULL when CUnit could not register it. */
static inline CU_pSuite cu_add_suite_of(const char *name, const CU_TestInfo *tests)
{
    CU_pSuite s = CU_add_suite(name, NULL, NULL);
    for (const CU_TestInfo *ti = tests; s && ti->pName; ti++)
        if (!CU_add_test(s, ti->pName, ti->pTestFunc))
            return NULL;
    return s;
}

/* A whole main: one suite `name` of `tests`, run verbosely; returns the
 * exit status. */
static inline int cu_main(const char *name, const CU_TestInfo *tests)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    if (!cu_add_suite_of(name, tests)) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

#endif /* CUNIT_MAIN_H */
