/*
 * vmma_test.h — helpers shared by the libvmma CUnit suites: loop scaling
 * (VMMA_TEST_SCALE), seeds (VMMA_TEST_SEED), an error handler that records
 * what libvmma reported, and a main() runner.
 */
#ifndef VMMA_TEST_H
#define VMMA_TEST_H

#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <CUnit/Basic.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvmma.h"
#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#endif
#ifdef VMMA_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* Make n bytes at p accessible to the test although libvmma told the tools
 * they are not (to commit a deliberate use after free). */
static inline void vt_unprotect(void *p, size_t n)
{
    (void)p; (void)n;
#ifdef HAVE_VALGRIND_MEMCHECK_H
    VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
#ifdef VMMA_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
}

/* Whether a memory tool watches this run, and whether it sees byte p as
 * inaccessible: 1 inaccessible, 0 accessible, -1 no tool. */
static inline int vt_tool_inaccessible(const void *p)
{
    (void)p;
#ifdef VMMA_ASAN
    return __asan_address_is_poisoned(p) ? 1 : 0;
#endif
#ifdef HAVE_VALGRIND_MEMCHECK_H
    if (RUNNING_ON_VALGRIND) {
        unsigned char bits;
        return VALGRIND_GET_VBITS(p, &bits, 1) == 3 ? 1 : 0;
    }
#endif
    return -1;
}

/* Loop counts are divided by VMMA_TEST_SCALE (Valgrind runs use 16). */
static inline unsigned long vt_scaled(unsigned long n)
{
    const char *s = getenv("VMMA_TEST_SCALE");
    unsigned long d = s ? strtoul(s, NULL, 10) : 1;
    if (d < 1)
        d = 1;
#ifdef VMMA_TSAN
    d *= 8;                     /* ThreadSanitizer runs 5-15 times slower */
#endif
    return n / d ? n / d : 1;
}

/* A seed: VMMA_TEST_SEED if set, else the clock; printed either way. */
static inline unsigned long vt_seed(const char *what)
{
    const char *s = getenv("VMMA_TEST_SEED");
    unsigned long seed = s ? strtoul(s, NULL, 0) : (unsigned long)time(NULL) ^ (unsigned long)clock();
    printf("\n%s: seed %lu (replay with VMMA_TEST_SEED=%lu)\n", what, seed, seed);
    return seed;
}

/* xorshift64*: deterministic and independent of libc's rand(). */
static inline uint64_t vt_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* What the error handler saw. */
struct vt_errors {
    int count;
    int last_err;
    char last_msg[512];
};

static inline void vt_error_handler(const vmma_context *ctx, int err, const char *msg, void *arg)
{
    struct vt_errors *e = arg;
    (void)ctx;
    e->count++;
    e->last_err = err;
    snprintf(e->last_msg, sizeof e->last_msg, "%s", msg);
}

/* Run the given suites; exit status 0 only when every test passed. */
struct vt_suite {
    const char *name;
    CU_TestInfo *tests;
};

static inline int vt_run(struct vt_suite *suites)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    for (struct vt_suite *s = suites; s->name; s++) {
        CU_pSuite suite = CU_add_suite(s->name, NULL, NULL);
        if (!suite)
            return 2;
        for (CU_TestInfo *t = s->tests; t->pName; t++)
            if (!CU_add_test(suite, t->pName, t->pTestFunc))
                return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

#endif /* VMMA_TEST_H */
