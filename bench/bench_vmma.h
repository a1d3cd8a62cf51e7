/*
 * bench_vmma.h — the workloads of the libvmma benchmark, written once as
 * macros so that every allocator runs the very same loop with its own
 * calls inlined (no function-pointer cost on anyone's fast path).
 *
 * Each peer that replaces malloc process-wide when linked (mimalloc,
 * jemalloc) gets its own binary; every binary prints its figures as
 *     RESULT <workload> <allocator> <nanoseconds>
 * lines, and bench_vmma collects them into one ratio table.
 *
 * Workloads:
 *  churn     random free+alloc of 16..512-byte blocks over a working set of
 *            BENCH_SLOTS live blocks; ns per (free + alloc) pair;
 *  teardown  drop BENCH_TEARDOWN live blocks at once; ns for the whole drop;
 *  lifecycle create + delete one empty heap/client; ns per pair.
 * Every figure is the best of BENCH_REPEAT runs (the machine is shared).
 */
#ifndef BENCH_VMMA_H
#define BENCH_VMMA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_SLOTS    100000
#define BENCH_OPS      2000000
#define BENCH_TEARDOWN 1000000
#define BENCH_LIFECYCLE 200000
#define BENCH_REPEAT   3

static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);   /* the machine is shared: count our CPU time only */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline uint64_t bench_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* 16..512 bytes, uniform */
static inline size_t bench_size(uint64_t *s) { return 16 + (size_t)(bench_rand(s) % 497); }

/* Where figures go: printed as RESULT lines, or to a hook that collects. */
static void (*bench_hook)(const char *workload, const char *allocator, double ns);

static inline void bench_result(const char *workload, const char *allocator, double ns)
{
    if (bench_hook) {
        bench_hook(workload, allocator, ns);
        return;
    }
    printf("RESULT %s %s %.1f\n", workload, allocator, ns);
    fflush(stdout);
}

/* Scaling for quick runs: BENCH_SCALE=10 runs a tenth of the loops. */
static inline unsigned long bench_scaled(unsigned long n)
{
    const char *s = getenv("BENCH_SCALE");
    unsigned long d = s ? strtoul(s, NULL, 10) : 1;
    return d > 1 ? n / d : n;
}

/* SETUP; then ALLOC(size) -> void *, FREE(ptr); then TEARDOWN. */
#define BENCH_CHURN(label, SETUP, ALLOC, FREE, TEARDOWN)                              \
    do {                                                                               \
        double best = 1e300;                                                           \
        unsigned long ops = bench_scaled(BENCH_OPS);                                   \
        void **slots = calloc(BENCH_SLOTS, sizeof *slots);                             \
        for (int rep = 0; rep < BENCH_REPEAT; rep++) {                                 \
            uint64_t rs = 0x1234567887654321ull;                                       \
            SETUP;                                                                     \
            for (size_t i = 0; i < BENCH_SLOTS; i++) {                                 \
                slots[i] = ALLOC(bench_size(&rs));                                     \
                *(volatile char *)slots[i] = 1;                                        \
            }                                                                          \
            double t0 = bench_now_ns();                                                \
            for (unsigned long op = 0; op < ops; op++) {                               \
                uint64_t r = bench_rand(&rs);                                          \
                size_t j = (size_t)(r % BENCH_SLOTS);                                  \
                FREE(slots[j]);                                                        \
                slots[j] = ALLOC(16 + (size_t)((r >> 32) % 497));                      \
                *(volatile char *)slots[j] = 1;                                        \
            }                                                                          \
            double t = (bench_now_ns() - t0) / (double)ops;                            \
            if (t < best)                                                              \
                best = t;                                                              \
            for (size_t i = 0; i < BENCH_SLOTS; i++)                                   \
                FREE(slots[i]);                                                        \
            TEARDOWN;                                                                  \
        }                                                                              \
        free(slots);                                                                   \
        bench_result("churn", label, best);                                            \
    } while (0)

/* SETUP; fill with ALLOC(size); time DROP (which may use slots/n). */
#define BENCH_TEARDOWN_RUN(label, SETUP, ALLOC, DROP)                                  \
    do {                                                                               \
        double best = 1e300;                                                           \
        size_t n = bench_scaled(BENCH_TEARDOWN);                                       \
        void **slots = calloc(n, sizeof *slots);                                       \
        for (int rep = 0; rep < BENCH_REPEAT; rep++) {                                 \
            uint64_t rs = 0x1234567887654321ull;                                       \
            SETUP;                                                                     \
            for (size_t i = 0; i < n; i++) {                                           \
                slots[i] = ALLOC(bench_size(&rs));                                     \
                *(volatile char *)slots[i] = 1;                                        \
            }                                                                          \
            double t0 = bench_now_ns();                                                \
            DROP;                                                                      \
            double t = bench_now_ns() - t0;                                            \
            if (t < best)                                                              \
                best = t;                                                              \
        }                                                                              \
        free(slots);                                                                   \
        bench_result("teardown", label, best);                                         \
    } while (0)

/* CREATE then DESTROY an empty heap, n times. */
#define BENCH_LIFECYCLE_RUN(label, n_, CREATE, DESTROY)                                \
    do {                                                                               \
        double best = 1e300;                                                           \
        unsigned long n = bench_scaled(n_);                                            \
        for (int rep = 0; rep < BENCH_REPEAT; rep++) {                                 \
            double t0 = bench_now_ns();                                                \
            for (unsigned long i = 0; i < n; i++) {                                    \
                CREATE;                                                                \
                DESTROY;                                                               \
            }                                                                          \
            double t = (bench_now_ns() - t0) / (double)n;                              \
            if (t < best)                                                              \
                best = t;                                                              \
        }                                                                              \
        bench_result("lifecycle", label, best);                                        \
    } while (0)

#endif /* BENCH_VMMA_H */
