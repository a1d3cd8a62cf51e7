/*
 * bench_vmma_mimalloc.c — the bench_vmma workloads on mimalloc heaps
 * (mi_heap_new / mi_heap_destroy). A binary of its own: linking mimalloc
 * replaces malloc for the whole process. Run by bench_vmma; prints RESULT
 * lines (bench_vmma.h).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "bench_vmma.h"

#include <mimalloc.h>

int main(void)
{
    mi_heap_t *heap = NULL;
#define M_ALLOC(sz) mi_heap_malloc(heap, (sz))
#define M_FREE(p) mi_free(p)
    BENCH_CHURN("mimalloc", heap = mi_heap_new(), M_ALLOC, M_FREE, mi_heap_delete(heap));
    BENCH_TEARDOWN_RUN("mimalloc", heap = mi_heap_new(), M_ALLOC, mi_heap_destroy(heap));
    BENCH_LIFECYCLE_RUN("mimalloc", BENCH_LIFECYCLE, heap = mi_heap_new(), mi_heap_delete(heap));
    return 0;
}
