/*
 * verify.c — the whole-heap verifier (option verify=true): after a
 * collection, with mutators still stopped, walk everything reachable from
 * the roots and check that every reference is NULL or the start of an
 * allocated object of this heap that lies wholly in its chunk.
 * A failure names the object and the slot, goes to stderr and counts in
 * heap->verify_failures (mmtk_verify_failures); nothing aborts.
 * MARK bits serve as the visited set and are cleared again at the end.
 */
#include "mmtk_internal.h"
#include <string.h>

typedef struct verify_state {
    mmtk_visitor v;
    mmtk *heap;
    mmtk_object *stack;
    size_t n, cap;
    mmtk_object current;      /* object being scanned, NULL for roots */
    uint64_t failures;
    int out_of_memory;
} verify_state;

static void verify_fail(verify_state *st, mmtk_object *slot, mmtk_object target, const char *why)
{
    st->failures++;
    if (st->failures > 20)
        return;
    if (st->current)
        fprintf(stderr, "mmtk verify: object %p slot %p (offset %td) holds %p: %s\n",
                st->current, (void *)slot, (char *)slot - (char *)st->current, target, why);
    else
        fprintf(stderr, "mmtk verify: root slot %p holds %p: %s\n", (void *)slot, target, why);
}

/* The stack grows within the heap's quota; when it cannot, obj's
 * references go unchecked and the verifier says so. */
static int verify_push(verify_state *st, mmtk_object obj)
{
    if (st->n == st->cap) {
        size_t ncap = st->cap ? st->cap * 2 : 1024;
        mmtk_object *n = heap_mem_alloc_or_uncache(st->heap, ncap * sizeof *n, 16);
        if (!n) {
            st->out_of_memory = 1;
            return ENOMEM;
        }
        if (st->stack) {
            memcpy(n, st->stack, st->n * sizeof *n);
            heap_mem_free(st->heap, st->stack);
        }
        st->stack = n;
        st->cap = ncap;
    }
    st->stack[st->n++] = obj;
    return 0;
}

static void verify_slot(mmtk_visitor *v, mmtk_object *slot)
{
    verify_state *st = (verify_state *)v;
    mmtk *heap = st->heap;
    mmtk_object obj = *slot;
    if (!obj)
        return;
    space *s = gc_space_of(heap, obj);
    if (!s || !s->ops->is_object(s, obj)) {
        verify_fail(st, slot, obj, s ? "not the start of an allocated object"
                                      : "not an address of this heap");
        return;
    }
    int first;
    if (s == heap->los) {
        first = los_mark_once(s, obj);
    } else {
        if ((uintptr_t)obj + gc_object_size(heap, obj) > chunk_end(chunk_of(obj))) {
            verify_fail(st, slot, obj, "object runs past the end of its chunk");
            return;
        }
        first = meta_set_atomic(obj, META_MARK);
    }
    if (first)
        verify_push(st, obj);
}

static void verify_conservative(mmtk_visitor *v, void *word)
{
    (void)v;
    (void)word;
}

void verify_heap(mmtk *heap)
{
    verify_state st;
    memset(&st, 0, sizeof st);
    st.v.slot = verify_slot;
    st.v.conservative = verify_conservative;
    st.heap = heap;
    heap->in_gc = 1;   /* LOS lookups without the lock: the world is stopped */
    heap->binding.scan_roots(heap->vm, &st.v);
    refs_scan_roots(heap, &st.v);
    while (st.n) {
        st.current = st.stack[--st.n];
        heap->binding.scan_object(heap->vm, st.current, &st.v);
    }
    for (int i = 0; i < heap->nspaces; i++)
        heap->spaces[i]->ops->clear_marks(heap->spaces[i]);
    heap->in_gc = 0;
    if (st.stack)
        heap_mem_free(heap, st.stack);
    if (st.out_of_memory)
        fprintf(stderr, "mmtk verify: no room to check every object after collection %llu\n",
                (unsigned long long)heap->stats.collections + 1);
    if (st.failures) {
        fprintf(stderr, "mmtk verify: %llu bad reference%s after collection %llu\n",
                (unsigned long long)st.failures, st.failures == 1 ? "" : "s",
                (unsigned long long)heap->stats.collections + 1);
        __atomic_add_fetch(&heap->verify_failures, st.failures, __ATOMIC_RELAXED);
    }
}
