/*
 * bench_vmma_jemalloc.c — the bench_vmma workloads on jemalloc: churn with
 * malloc/free (jemalloc's thread cache), teardown and lifecycle with an
 * arena of its own (arenas.create / arena.<i>.destroy). A binary of its
 * own: linking jemalloc replaces malloc for the whole process. Run by
 * bench_vmma; prints RESULT lines (bench_vmma.h).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "bench_vmma.h"

#include <jemalloc/jemalloc.h>

static unsigned arena_create(void)
{
    unsigned a = 0;
    size_t sz = sizeof a;
    if (mallctl("arenas.create", &a, &sz, NULL, 0)) {
        fprintf(stderr, "bench_vmma_jemalloc: arenas.create failed\n");
        exit(1);
    }
    return a;
}

static void arena_destroy(unsigned a)
{
    char name[64];
    snprintf(name, sizeof name, "arena.%u.destroy", a);
    mallctl(name, NULL, NULL, NULL, 0);
}

int main(void)
{
    unsigned arena = 0;
#define J_ALLOC(sz) malloc(sz)
#define J_FREE(p) free(p)
#define JA_ALLOC(sz) mallocx((sz), MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE)
    BENCH_CHURN("jemalloc", (void)0, J_ALLOC, J_FREE, (void)0);
    BENCH_TEARDOWN_RUN("jemalloc", arena = arena_create(), JA_ALLOC, arena_destroy(arena));
    BENCH_LIFECYCLE_RUN("jemalloc", BENCH_LIFECYCLE / 100, arena = arena_create(),
                        arena_destroy(arena));
    return 0;
}
