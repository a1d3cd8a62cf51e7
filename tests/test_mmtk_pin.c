/*
 * test_mmtk_pin.c — pinning and conservative roots on every plan (one
 * CUnit suite per plan, named after it); weak slots and finalizers are in
 * test_mmtk_refs.c.
 *
 * What a VM relies on, asserted on each plan where it applies: pinned,
 * NON_MOVING and conservatively referenced objects never move, even when
 * their neighbours are evacuated, compacted or copied; pinned objects that
 * fill the heap end in ENOMEM, not an abort; conservative words that point
 * nowhere (NULL, stack garbage, metadata, freed memory, another heap's
 * objects) change nothing; bad pin arguments are refused, not crashed on.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "refs_common.h"

/* ---------------------------------------------------------------- */
/* Pinning                                                            */

static void test_pin_api(void)
{
    rvm r, other;
    mmtk *heap = rvm_new(&r, "8M", 1);
    mmtk *heap2 = rvm_new(&other, "8M", 1);
    tv_thread *t = rvm_thread(&r), *t2 = rvm_thread(&other);
    tv_obj *o = tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);
    tv_push(t, o);
    int was = mmtk_is_pinned(heap, o);
    CU_ASSERT_EQUAL(was, !gc_moving());   /* movable objects start unpinned */
    CU_ASSERT_EQUAL(mmtk_pin_object(heap, o), !was);
    CU_ASSERT_EQUAL(mmtk_pin_object(heap, o), 0);
    CU_ASSERT_EQUAL(mmtk_is_pinned(heap, o), 1);
    CU_ASSERT_EQUAL(mmtk_unpin_object(heap, o), !was);
    CU_ASSERT_EQUAL(mmtk_is_pinned(heap, o), was);
    CU_ASSERT_EQUAL(mmtk_unpin_object(heap, o), 0);
    /* never-moving semantics: pinned by nature, pin/unpin change nothing */
    static const int never[] = { MMTK_ALLOC_IMMORTAL, MMTK_ALLOC_LOS, MMTK_ALLOC_NON_MOVING,
                                 MMTK_ALLOC_CODE, MMTK_ALLOC_READ_ONLY };
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        tv_obj *n = tv_alloc(t, 0, never[i] == MMTK_ALLOC_LOS ? 20000 : 64, never[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        tv_push(t, n);
        CU_ASSERT_EQUAL(mmtk_is_pinned(heap, n), 1);
        CU_ASSERT_EQUAL(mmtk_pin_object(heap, n), 0);
        CU_ASSERT_EQUAL(mmtk_unpin_object(heap, n), 0);
        CU_ASSERT_EQUAL(mmtk_is_pinned(heap, n), 1);
    }
    /* bad arguments: no crash, nothing pinned */
    tv_obj *f = tv_alloc(t2, 0, 64, MMTK_ALLOC_DEFAULT);
    tv_push(t2, f);
    int local = 0;
    int fwas = mmtk_is_pinned(heap2, f);
    /* 0 with errno EINVAL: the result stays a yes/no */
#define BAD(call)                       \
    do {                                \
        errno = 0;                      \
        CU_ASSERT_EQUAL(call, 0);       \
        CU_ASSERT_EQUAL(errno, EINVAL); \
    } while (0)
    BAD(mmtk_pin_object(NULL, o));
    BAD(mmtk_pin_object(heap, NULL));
    BAD(mmtk_pin_object(heap, &local));
    BAD(mmtk_pin_object(heap, (char *)o + 16));   /* interior: not an object */
    BAD(mmtk_pin_object(heap, f));                /* another heap's */
    BAD(mmtk_is_pinned(heap, f));
    CU_ASSERT_EQUAL(mmtk_is_pinned(heap2, f), fwas);
    BAD(mmtk_unpin_object(NULL, o));
    BAD(mmtk_unpin_object(heap, &local));
    BAD(mmtk_is_pinned(NULL, o));
    BAD(mmtk_is_pinned(heap, &local));
#undef BAD
    CU_ASSERT_EQUAL(local, 0);
    rvm_free(&other);
    rvm_free(&r);
}

/* Survivors of a fragmented heap: one in ten pinned, plus non-moving
 * objects among them and words into others: none of those moves while
 * the rest is evacuated / slid / copied. Unpinned, they may move again. */
static void test_pinned_never_move(void)
{
    if (!gc_collects())
        return;
    rvm r;
    mmtk *heap = rvm_new(&r, "16M", 1);
    tv_thread *t = rvm_thread(&r);
    enum { N = 8192, NM = 64, CW = 160 };
    void **before = calloc(N, sizeof *before);
    int *pinned = calloc(N, sizeof *pinned);
    void **words = calloc(CW, sizeof *words);
    uint64_t *ids = calloc(N, sizeof *ids);
    CU_ASSERT_FATAL(before && pinned && words && ids);
    size_t nm_base = t->nroots;
    void *nm_at[NM];
    for (int i = 0; i < NM; i++) {
        tv_obj *n = tv_alloc(t, 1, 24, MMTK_ALLOC_NON_MOVING);
        tv_push(t, n);
        nm_at[i] = n;
    }
    size_t base = gc_fragmented_survivors(t, N, NULL);
    int ncons = 0;
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_root(t, base + (size_t)i);
        before[i] = o;
        if (o && i % 128 == 0) {   /* every other surviving run holds one */
            pinned[i] = 1;
            CU_ASSERT_EQUAL(mmtk_pin_object(heap, o), gc_moving());
        } else if (o && i % 128 == 5 && ncons < CW) {
            pinned[i] = 2;   /* kept in place by an interior word */
            words[ncons++] = (char *)o + 8 + (size_t)(i % 3) * 16;
        } else if (o && i % 128 == 7 && ncons < CW) {
            pinned[i] = 3;   /* kept only by a word into it */
            words[ncons++] = (char *)o + 40;
            ids[i] = o->id;
            tv_set_root(t, base + (size_t)i, NULL);
        }
    }
    r.range_start = words;
    r.range_end = words + CW;
    long moved = 0, bad = 0, stayed = 0, npinned = 0, word_only = 0;
    for (int k = 0; k < 3; k++) {
        rvm_full_gc(&r);
        for (int i = 0; i < N; i++) {
            tv_obj *o = tv_root(t, base + (size_t)i);
            if (pinned[i] == 3) {   /* alive where it was, intact */
                tv_obj *w = before[i];
                bad += !mmtk_is_mmtk_object(heap, w) || !tv_check(w) || w->id != ids[i];
                word_only++;
                continue;
            }
            if (!o)
                continue;
            bad += !tv_check(o);
            if (pinned[i]) {
                stayed += o == before[i];
                npinned++;
            } else {
                moved += o != before[i];
            }
            before[i] = o;
        }
        for (int i = 0; i < NM; i++)
            bad += tv_root(t, nm_base + (size_t)i) != nm_at[i] || !tv_check(nm_at[i]);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(stayed, npinned);
    CU_ASSERT(npinned > 0);
    CU_ASSERT(word_only > 0);
    if (gc_moving())
        CU_ASSERT(moved > 0);
    /* unpinned and unreferenced: free to move (SemiSpace copies every time) */
    r.range_start = NULL;
    long unpinned_moved = 0;
    for (int i = 0; i < N; i++)
        if (pinned[i] == 1)
            CU_ASSERT_EQUAL(mmtk_unpin_object(heap, before[i]), gc_moving());
    for (int i = 0; i < NM; i++)   /* non-moving by nature: unpin changes nothing */
        CU_ASSERT_EQUAL(mmtk_unpin_object(heap, nm_at[i]), 0);
    for (int k = 0; k < 2; k++)
        rvm_full_gc(&r);
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_root(t, base + (size_t)i);
        if (!before[i] || pinned[i] == 3)
            continue;   /* dropped, or kept by a word no longer reported */
        bad += !tv_check(o);
        unpinned_moved += pinned[i] && o != before[i];
    }
    for (int i = 0; i < NM; i++)
        bad += tv_root(t, nm_base + (size_t)i) != nm_at[i] || !tv_check(nm_at[i]);
    CU_ASSERT_EQUAL(bad, 0);
    if (gc_plan_is("SemiSpace"))
        CU_ASSERT(unpinned_moved > 0);
    free(before);
    free(pinned);
    free(words);
    free(ids);
    rvm_free(&r);
}

/* Young objects pinned before their first (nursery) collection stay. */
static void test_pinned_young(void)
{
    if (!gc_collects())
        return;
    rvm r;
    mmtk *heap = rvm_new(&r, "4M", 1);
    tv_thread *t = rvm_thread(&r);
    enum { N = 256 };
    void *at[N];
    size_t base = t->nroots;
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_alloc(t, 1, 40, i % 4 == 3 ? MMTK_ALLOC_NON_MOVING : MMTK_ALLOC_DEFAULT);
        tv_push(t, o);
        at[i] = o;
        if (i % 4 == 0)
            CU_ASSERT_EQUAL(mmtk_pin_object(heap, o), gc_moving());
        if (i)
            tv_set(t, o, 0, at[i - 1]);
    }
    long bad = 0, moved = 0;
    for (int k = 0; k < 2; k++) {
        CU_ASSERT_FATAL(gc_collect_by_allocation(t) >= 0);
        for (int i = 0; i < N; i++) {
            tv_obj *o = tv_root(t, base + (size_t)i);
            bad += !tv_check(o) || (i && o->refs[0] != tv_root(t, base + (size_t)i - 1));
            if (i % 4 == 0 || i % 4 == 3)
                bad += o != at[i];
            else
                moved += o != at[i];
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    if (gc_plan_is("SemiSpace") || gc_plan_is("GenCopy") || gc_plan_is("GenImmix"))
        CU_ASSERT(moved > 0);
    rvm_free(&r);
}

/* Pinned objects scattered over every chunk (never unpinned) while the
 * collector keeps copying: the heap fills up and says so (NULL/ENOMEM),
 * it does not abort for want of to-space; pinned objects stay put and
 * the client never holds more than heap_size + the stated margin. */
static void test_pinned_fill_the_heap(void)
{
    if (!gc_collects())
        return;
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=4M", "stress_factor=96K", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, gc_plan, opts));
    tv_thread *t = tv_thread_new(&vm);
    size_t base = t->nroots;
    enum { MAXP = 2048 };
    static void *at[MAXP];
    int np = 0, out = 0, err = 0;
    for (long r = 0; r < tv_scaled(1000) && !out && np < MAXP; r++) {
        for (int i = 0; i < 8 && !out; i++) {
            tv_obj *o = tv_alloc(t, 1, 40, MMTK_ALLOC_DEFAULT);
            if (!o) {
                out = 1;
                err = errno;
                break;
            }
            tv_push(t, o);
            if (i % 2 == 0 && np < MAXP) {
                mmtk_pin_object(vm.heap, o);
                at[np++] = o;
            }
        }
        for (int j = 0; j < 100 && !out; j++)
            if (!tv_alloc(t, 1, 64, MMTK_ALLOC_DEFAULT)) {
                out = 1;
                err = errno;
            }
    }
    printf("(%s after %d pinned objects) ", out ? "ENOMEM" : "no ENOMEM", np);
    if (out)
        CU_ASSERT_EQUAL(err, ENOMEM);
    long moved = 0, bad = 0;
    for (int k = 0, p = 0; base + (size_t)k < t->nroots; k++) {
        tv_obj *o = tv_root(t, base + (size_t)k);
        bad += !tv_check(o);
        if (k % 8 % 2 == 0 && p < np)
            moved += o != at[p++];
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(moved, 0);
    vmma_stats cs;
    CU_ASSERT_EQUAL(vmma_get_client_stats(mmtk_get_vmma_client(vm.heap), &cs), 0);
    CU_ASSERT(cs.used_size <= ((size_t)4 << 20) + ((size_t)4 << 20) / 16 + (size_t)256 * 1024);
    CU_ASSERT_EQUAL(vm.bad_scans, 0);
    tv_heap_free(&vm);
}

/* ---------------------------------------------------------------- */
/* Conservative roots                                                 */

/* Objects kept only by words into them (start, middle, last byte; small
 * and large; a single word and a range with ragged ends) survive with what
 * they reach and do not move in that collection. */
static void conservative_keeps(int by_allocation)
{
    if (!gc_collects())
        return;
    rvm r;
    mmtk *heap = rvm_new(&r, "4M", 1);
    tv_thread *t = rvm_thread(&r);
    enum { K = 7 };   /* o[5] large, o[6] non-moving, the others default */
    tv_obj *o[K];
    uint64_t id[K];
    for (int i = 0; i < K; i++) {
        int sem = i == 5 ? MMTK_ALLOC_LOS : i == 6 ? MMTK_ALLOC_NON_MOVING : MMTK_ALLOC_DEFAULT;
        o[i] = tv_alloc(t, 1, i == 5 ? 30000 : 64 + 32 * (uint32_t)i, sem);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o[i]);
        tv_push(t, o[i]);
        tv_set(t, o[i], 0, tv_alloc(t, 0, 100, MMTK_ALLOC_DEFAULT));
        id[i] = o[i]->id;
    }
    tv_pop(t, K);
    r.tv.cons[0] = o[0];                                  /* its start */
    r.tv.cons[1] = (char *)o[1] + o[1]->bytes - 1;        /* its last byte */
    r.tv.conservative_words = 2;
    /* a range: unaligned ends, garbage around the words */
    unsigned char *buf = calloc(1, 8 * sizeof(void *) + 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    void *w[4] = { (char *)o[2] + 30, (void *)(uintptr_t)0xdeadbeef, (char *)o[3] + 24,
                   (char *)o[5] + 20000 };
    memcpy(buf + 8, w, sizeof w);
    r.range_start = buf + 5;   /* rounded up to buf + 8 */
    r.range_end = buf + 8 + sizeof w + 3;
    /* and a real stack frame: a second range */
    volatile void *stackwords[3] = { (char *)o[4] + 40, &stackwords, (char *)o[6] + 24 };
    r.range2_start = (void *)stackwords;
    r.range2_end = (void *)(stackwords + 3);
    for (int k = 0; k < 2; k++) {
        if (by_allocation)
            CU_ASSERT_FATAL(gc_collect_by_allocation(t) >= 0)
        else
            rvm_full_gc(&r);
        for (int i = 0; i < K; i++) {
            CU_ASSERT(mmtk_is_mmtk_object(heap, o[i]));
            CU_ASSERT(tv_check(o[i]) && o[i]->id == id[i]);
            CU_ASSERT(tv_check(o[i]->refs[0]));
            if (gc_moving() && i < 5)
                CU_ASSERT_EQUAL(mmtk_is_pinned(heap, o[i]), 0);   /* pinned for that collection only */
        }
    }
    /* words gone: the objects die */
    r.tv.conservative_words = 0;
    r.range_start = r.range2_start = NULL;
    mmtk_object weak[K];
    for (int i = 0; i < K; i++) {
        weak[i] = o[i];
        CU_ASSERT_EQUAL(mmtk_add_weak_slot(heap, &weak[i]), 0);
    }
    rvm_full_gc(&r);
    for (int i = 0; i < K; i++) {
        CU_ASSERT_PTR_NULL(weak[i]);
        CU_ASSERT_EQUAL(mmtk_remove_weak_slot(heap, &weak[i]), 0);
    }
    free(buf);
    rvm_free(&r);
}

static void test_conservative_full(void)
{
    conservative_keeps(0);
}

static void test_conservative_nursery(void)
{
    conservative_keeps(1);
}

/* Words that point nowhere change nothing: the live bytes of a collection
 * with them equal those of one without, nothing is resurrected, another
 * heap's object is neither marked nor pinned. */
static void test_conservative_ignored(void)
{
    if (!gc_collects())
        return;
    rvm r, other;
    mmtk *heap = rvm_new(&r, "8M", 1);
    mmtk *heap2 = rvm_new(&other, "8M", 1);
    tv_thread *t = rvm_thread(&r), *t2 = rvm_thread(&other);
    size_t keep = tv_push(t, tv_tree(t, 5, MMTK_ALLOC_DEFAULT));
    size_t ib = tv_push(t2, tv_tree(t2, 3, MMTK_ALLOC_DEFAULT));
    tv_obj *foreign = tv_root(t2, ib);
    int fpinned = mmtk_is_pinned(heap2, foreign);
    /* freed memory: objects that died in the last collection */
    tv_obj *gone = tv_alloc(t, 1, 200, MMTK_ALLOC_DEFAULT);
    tv_obj *gone_large = tv_alloc(t, 0, 40000, MMTK_ALLOC_LOS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gone_large);
    rvm_full_gc(&r);
    CU_ASSERT(!mmtk_is_mmtk_object(heap, gone_large));
    uint64_t live = gc_stats(&r.tv).live_bytes_after_last_gc;
    CU_ASSERT(live > 0);
    int local = 42;
    tv_obj *tree = tv_root(t, keep);
    uintptr_t chunk_mask = ((uintptr_t)1 << MMTK_CHUNK_LOG_) - 1;
    void *w[] = {
        NULL, (void *)(uintptr_t)1, (void *)(uintptr_t)-1, &local, (void *)(uintptr_t)&test_conservative_ignored,
        (char *)gone + 40, (char *)gone_large + 100,
        (void *)(((uintptr_t)tree & ~chunk_mask) + 64),   /* the chunk's metadata page */
        foreign, (char *)foreign + 24,                     /* another heap's object */
        heap2, heap,                                       /* the heaps' own records */
    };
    r.range_start = w;
    r.range_end = w + sizeof w / sizeof w[0];
    for (int k = 0; k < 2; k++) {
        rvm_full_gc(&r);
        CU_ASSERT_EQUAL(gc_stats(&r.tv).live_bytes_after_last_gc, live);
        CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, keep), 5), 63);
    }
    CU_ASSERT(!mmtk_is_mmtk_object(heap, gone_large));
    CU_ASSERT_EQUAL(mmtk_is_pinned(heap2, foreign), fpinned);
    CU_ASSERT_EQUAL(local, 42);
    r.range_start = NULL;
    rvm_full_gc(&other);
    CU_ASSERT_EQUAL(tv_tree_check(tv_root(t2, ib), 3), 15);
    rvm_free(&other);
    rvm_free(&r);
}

int main(void)
{
    static const CU_TestInfo tests[] = {
        { "pinning: api and non-moving semantics", test_pin_api },
        { "pinning: pinned objects never move", test_pinned_never_move },
        { "pinning: young pinned objects stay", test_pinned_young },
        { "pinning: pinned objects filling the heap end in ENOMEM", test_pinned_fill_the_heap },
        { "conservative: words keep objects in place (full)", test_conservative_full },
        { "conservative: words keep objects in place (nursery)", test_conservative_nursery },
        { "conservative: words pointing nowhere are ignored", test_conservative_ignored },
        CU_TEST_INFO_NULL
    };
    return gc_main(NULL, tests);   /* a suite per plan of tv_plans */
}
