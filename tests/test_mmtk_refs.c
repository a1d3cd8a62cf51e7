/*
 * test_mmtk_refs.c — weak slots, finalizers, pinning and conservative roots
 * on every plan (one CUnit suite per plan, named after it).
 *
 * What a VM relies on, asserted on each plan where it applies: a weak slot
 * is cleared when its target dies and follows it when it moves, in full
 * and in allocation-triggered (nursery) collections, and is left alone once
 * removed; a finalizable object found dead comes back exactly once, intact
 * with everything it reaches, and is gone for good when dead again; pinned,
 * NON_MOVING and conservatively referenced objects never move, even when
 * their neighbours are evacuated, compacted or copied; conservative words
 * that point nowhere (NULL, stack garbage, metadata, freed memory, another
 * heap's objects) change nothing; bad arguments are refused, not crashed on.
 *
 * The test VM (testvm.h) is used with one extra root: a range of words
 * reported through mmtk_visit_range_conservative (rvm below).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "gen_common.h"   /* the suites' runner: gc_plan is the running suite's plan */

static int plan_is(const char *name)
{
    return !strcmp(gc_plan, name);
}
static int collects(void)
{
    return !plan_is("NoGC");
}
/* Plans whose default space moves objects in some collection. */
static int moving(void)
{
    return collects() && !plan_is("MarkSweep");
}

/* ---------------------------------------------------------------- */
/* The test VM plus a conservatively scanned range of words.          */

typedef struct rvm {
    tv_vm tv;                 /* first: the test VM's callbacks see a tv_vm */
    void *range_start, *range_end;    /* reported with mmtk_visit_range_conservative */
    void *range2_start, *range2_end;
    void (*tv_scan_roots)(void *vm, mmtk_visitor *v);
} rvm;

static void rvm_scan_roots(void *vmp, mmtk_visitor *v)
{
    rvm *r = vmp;
    r->tv_scan_roots(vmp, v);
    if (r->range_start)
        mmtk_visit_range_conservative(v, r->range_start, r->range_end);
    if (r->range2_start)
        mmtk_visit_range_conservative(v, r->range2_start, r->range2_end);
}

static mmtk *rvm_new(rvm *r, vmma_context *ctx, const char *plan_name, const char *heap_size, int verify)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->tv.lock, NULL);
    mmtk_builder *b = mmtk_builder_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "plan", plan_name), 0);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "heap_size", heap_size), 0);
    CU_ASSERT_EQUAL(mmtk_builder_set_option(b, "verify", verify ? "true" : "false"), 0);
    if (ctx)
        mmtk_builder_set_vmma_context(b, ctx);
    mmtk_vm_binding binding = tv_binding(1);
    r->tv_scan_roots = binding.scan_roots;
    binding.scan_roots = rvm_scan_roots;
    r->tv.heap = mmtk_init(b, &binding, r);
    mmtk_builder_free(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->tv.heap);
    mmtk_initialize_collection(r->tv.heap, NULL);
    return r->tv.heap;
}

static tv_thread *rvm_thread(rvm *r)
{
    tv_thread *t = tv_thread_new(&r->tv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    return t;
}

static void rvm_free(rvm *r)
{
    CU_ASSERT_EQUAL(mmtk_verify_failures(r->tv.heap), 0);
    CU_ASSERT_EQUAL(r->tv.bad_scans, 0);
    tv_heap_free(&r->tv);
}

static mmtk_stats stats_of(mmtk *heap)
{
    mmtk_stats st;
    mmtk_get_stats(heap, &st);
    return st;
}

static void full_gc(rvm *r)
{
    mmtk_handle_user_collection_request(r->tv.heap, NULL);
}

/* Allocate garbage until a collection happens (a nursery one on the
 * generational plans); 1 if one happened. */
static int alloc_gc(tv_thread *t)
{
    uint64_t n0 = stats_of(t->vm->heap).collections;
    for (long i = 0; i < 4000000; i++) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(tv_alloc(t, 1, 32, MMTK_ALLOC_DEFAULT));
        if (stats_of(t->vm->heap).collections > n0)
            return 1;
    }
    return 0;
}

/* n small objects (64 bytes) rooted at base.., made old by a full
 * collection; then three of every four runs of 16 are dropped (weak slots
 * registered on all n first when weak != NULL). The next collections see a
 * fragmented heap: Immix defragments, MarkCompact slides, copying plans
 * copy. */
static size_t fragmented_survivors(rvm *r, tv_thread *t, int n, mmtk_object *weak)
{
    size_t base = t->nroots;
    for (int i = 0; i < n; i++) {
        tv_obj *o = tv_alloc(t, 1, 24, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        tv_push(t, o);
    }
    full_gc(r);
    for (int i = 0; i < n; i++) {
        if (weak) {
            weak[i] = tv_root(t, base + (size_t)i);
            CU_ASSERT_EQUAL(mmtk_add_weak_slot(r->tv.heap, &weak[i]), 0);
        }
        if ((i / 16) % 4 != 0)
            tv_set_root(t, base + (size_t)i, NULL);
    }
    return base;
}

/* ---------------------------------------------------------------- */
/* Weak slots                                                         */

/* Full collections: slots of dropped objects cleared, slots of survivors
 * follow them through two more collections (where the survivors move). */
static void test_weak_full(void)
{
    rvm r;
    rvm_new(&r, NULL, gc_plan, "16M", 1);
    tv_thread *t = rvm_thread(&r);
    enum { N = 4096 };
    mmtk_object *weak = calloc(N, sizeof *weak);   /* outside the heap, never moving */
    void **before = calloc(N, sizeof *before);
    CU_ASSERT_PTR_NOT_NULL_FATAL(weak);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    /* a large, an immortal and a non-moving object: dead, immortal, dead */
    mmtk_object wlarge = tv_alloc(t, 0, 40000, MMTK_ALLOC_LOS);
    mmtk_object wimm = tv_alloc(t, 0, 8, MMTK_ALLOC_IMMORTAL);
    mmtk_object wimm_large = tv_alloc(t, 0, 40000, MMTK_ALLOC_IMMORTAL);
    mmtk_object wnm = tv_alloc(t, 0, 8, MMTK_ALLOC_NON_MOVING);
    mmtk_object wnull = NULL;
    int local;
    mmtk_object wforeign = &local;   /* not the heap's: left alone */
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &wlarge), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &wimm), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &wimm_large), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &wnm), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &wnull), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &wforeign), 0);
    void *imm = wimm, *imm_large = wimm_large;
    size_t base = fragmented_survivors(&r, t, N, weak);
    long cleared = 0, dropped = 0, bad = 0, moved = 0;
    for (int i = 0; i < N; i++)
        before[i] = tv_root(t, base + (size_t)i);
    for (int k = 0; k < 3; k++) {
        full_gc(&r);
        for (int i = 0; i < N; i++) {
            mmtk_object root = tv_root(t, base + (size_t)i);
            if (!root) {
                dropped += k == 0;
                cleared += k == 0 && weak[i] == NULL;
                continue;
            }
            bad += weak[i] != root || !tv_check(root);
            moved += root != before[i];
            before[i] = root;
        }
    }
    if (collects()) {
        CU_ASSERT_EQUAL(cleared, dropped);
        CU_ASSERT(dropped > N / 2);
        CU_ASSERT_PTR_NULL(wlarge);
        CU_ASSERT_PTR_NULL(wnm);
    } else {
        CU_ASSERT_EQUAL(cleared, 0);
        CU_ASSERT_PTR_NOT_NULL(wlarge);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(moving() ? moved > 0 : moved == 0);   /* the slots did have to follow */
    CU_ASSERT_PTR_EQUAL(wimm_large, imm_large);
    CU_ASSERT_PTR_EQUAL(wimm, imm);
    CU_ASSERT_PTR_NULL(wnull);
    CU_ASSERT_PTR_EQUAL(wforeign, &local);
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(mmtk_remove_weak_slot(r.tv.heap, &weak[i]), 0);
    free(weak);
    free(before);
    rvm_free(&r);
}

/* Allocation-triggered collections (nursery ones on generational plans):
 * young dead objects' slots cleared, young survivors followed, old ones
 * kept. */
static void test_weak_nursery(void)
{
    if (!collects())
        return;
    rvm r;
    rvm_new(&r, NULL, gc_plan, "4M", 1);
    tv_thread *t = rvm_thread(&r);
    enum { N = 512 };
    static mmtk_object live[N], dead[N], old[N];
    size_t old_base = t->nroots;
    for (int i = 0; i < N; i++)
        tv_push(t, tv_alloc(t, 1, 16, MMTK_ALLOC_DEFAULT));
    full_gc(&r);   /* old now */
    for (int i = 0; i < N; i++) {
        old[i] = tv_root(t, old_base + (size_t)i);
        CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &old[i]), 0);
    }
    size_t base = t->nroots;
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_alloc(t, 1, 16, MMTK_ALLOC_DEFAULT);
        tv_push(t, o);
        live[i] = o;
        dead[i] = tv_alloc(t, 1, 16, MMTK_ALLOC_DEFAULT);
        tv_set(t, o, 0, old[i]);   /* young to old */
        CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &live[i]), 0);
        CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &dead[i]), 0);
    }
    void *first = live[0];
    uint64_t full0 = stats_of(r.tv.heap).full_collections;
    CU_ASSERT_FATAL(alloc_gc(t));
    int nursery = stats_of(r.tv.heap).full_collections == full0;
    if (plan_is("GenCopy") || plan_is("GenImmix") || plan_is("StickyImmix"))
        CU_ASSERT(nursery);
    long bad = 0, cleared = 0;
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_root(t, base + (size_t)i);
        bad += live[i] != o || !tv_check(o);
        bad += old[i] != tv_root(t, old_base + (size_t)i) || o->refs[0] != old[i] || !tv_check(old[i]);
        cleared += dead[i] == NULL;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(cleared, N);
    if (plan_is("SemiSpace") || plan_is("GenCopy") || plan_is("GenImmix"))
        CU_ASSERT_PTR_NOT_EQUAL(live[0], first);   /* young survivors were copied */
    /* old objects dropped: cleared at the latest by a full collection */
    for (int i = 0; i < N; i++)
        tv_set_root(t, old_base + (size_t)i, NULL);
    for (int i = 0; i < N; i++)
        tv_set(t, tv_root(t, base + (size_t)i), 0, NULL);
    full_gc(&r);
    for (int i = 0; i < N; i++) {
        cleared += old[i] == NULL;
        bad += live[i] != tv_root(t, base + (size_t)i);
    }
    CU_ASSERT_EQUAL(cleared, 2 * N);
    CU_ASSERT_EQUAL(bad, 0);
    rvm_free(&r);
}

/* A removed slot is left alone: not cleared, not updated. */
static void test_weak_remove(void)
{
    rvm r;
    rvm_new(&r, NULL, gc_plan, "8M", 1);
    tv_thread *t = rvm_thread(&r);
    mmtk_object dead = tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT), dead0 = dead;
    size_t il = tv_push(t, tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT));
    mmtk_object live = tv_root(t, il), live0 = live;
    mmtk_object kept = tv_alloc(t, 0, 8, MMTK_ALLOC_DEFAULT);   /* registered twice, removed once */
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &dead), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &live), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &kept), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(r.tv.heap, &kept), 0);
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(r.tv.heap, &dead), 0);
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(r.tv.heap, &live), 0);
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(r.tv.heap, &live), EINVAL);
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(r.tv.heap, &kept), 0);
    mmtk_object never;
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(r.tv.heap, &never), EINVAL);
    full_gc(&r);
    full_gc(&r);
    CU_ASSERT_PTR_EQUAL(dead, dead0);
    CU_ASSERT_PTR_EQUAL(live, live0);
    if (plan_is("SemiSpace"))
        CU_ASSERT_PTR_NOT_EQUAL(tv_root(t, il), live0);   /* it moved; the removed slot did not follow */
    if (collects())
        CU_ASSERT_PTR_NULL(kept);   /* still registered once */
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(r.tv.heap, &kept), 0);
    rvm_free(&r);
}

/* ---------------------------------------------------------------- */
/* Finalizers                                                         */

/* A finalizable object with a chain of two children, so "everything it
 * reaches" is more than one hop. */
static tv_obj *fin_graph(tv_thread *t, uint64_t *id)
{
    size_t b = tv_push(t, tv_alloc(t, 2, 40, MMTK_ALLOC_DEFAULT));
    tv_obj *kid = tv_alloc(t, 1, 300, MMTK_ALLOC_DEFAULT);
    tv_set(t, tv_root(t, b), 0, kid);
    tv_set(t, kid, 0, tv_alloc(t, 0, 5000, MMTK_ALLOC_DEFAULT));
    tv_set(t, tv_root(t, b), 1, tv_alloc(t, 0, 20000, MMTK_ALLOC_LOS));
    tv_obj *f = tv_root(t, b);
    tv_pop(t, 1);
    *id = f->id;
    return f;
}

static int fin_graph_ok(const tv_obj *f)
{
    return tv_check(f) && tv_check(f->refs[0]) && tv_check(((tv_obj *)f->refs[0])->refs[0]) &&
           tv_check(f->refs[1]);
}

static void finalizers(int by_allocation)
{
    if (!collects() && by_allocation)
        return;
    rvm r;
    mmtk *heap = rvm_new(&r, NULL, gc_plan, "4M", 1);
    tv_thread *t = rvm_thread(&r);
    uint64_t id_dead, id_live, id_a, id_b;
    mmtk_object weak_dead = fin_graph(t, &id_dead);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(heap, weak_dead), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(heap, &weak_dead), 0);
    size_t il = tv_push(t, fin_graph(t, &id_live));
    CU_ASSERT_EQUAL(mmtk_add_finalizer(heap, tv_root(t, il)), 0);
    /* a → b, both finalizable, both unreachable: both come back */
    size_t ia = tv_push(t, fin_graph(t, &id_a));
    tv_obj *b = fin_graph(t, &id_b);
    tv_set(t, tv_root(t, ia), 1, b);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(heap, b), 0);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(heap, tv_root(t, ia)), 0);
    tv_set_root(t, ia, NULL);
    if (!collects()) {
        CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(heap));
        rvm_free(&r);
        return;
    }
    if (by_allocation)
        CU_ASSERT_FATAL(alloc_gc(t))
    else
        full_gc(&r);
    CU_ASSERT_PTR_NULL(weak_dead);   /* mmtk(3): weak slots are cleared before finalizable objects revive */
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(heap, &weak_dead), 0);
    int seen_dead = 0, seen_a = 0, seen_b = 0, others = 0;
    size_t keep = tv_push(t, NULL);
    for (tv_obj *o; (o = mmtk_get_finalized_object(heap)) != NULL;) {
        CU_ASSERT(mmtk_is_mmtk_object(heap, o));
        if (o->id == id_dead) {
            seen_dead++;
            CU_ASSERT(fin_graph_ok(o));
            tv_set_root(t, keep, o);   /* the VM keeps it while it finalises */
        } else if (o->id == id_a) {
            seen_a++;
            CU_ASSERT(tv_check(o) && tv_check(o->refs[0]));   /* refs[1] is b, replaced below */
        } else if (o->id == id_b) {
            seen_b++;
            CU_ASSERT(fin_graph_ok(o));
        } else {
            others++;
        }
    }
    CU_ASSERT_EQUAL(seen_dead, 1);
    CU_ASSERT_EQUAL(seen_a, 1);
    CU_ASSERT_EQUAL(seen_b, 1);
    CU_ASSERT_EQUAL(others, 0);
    /* kept by the VM through collections: intact, never handed back again */
    for (int k = 0; k < 2; k++) {
        if (by_allocation)
            CU_ASSERT(alloc_gc(t))
        else
            full_gc(&r);
        CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(heap));
        CU_ASSERT(fin_graph_ok(tv_root(t, keep)));
        CU_ASSERT(fin_graph_ok(tv_root(t, il)));
    }
    /* dropped again: collected for good (a weak slot proves it) */
    mmtk_object w = tv_root(t, keep), wkid = ((tv_obj *)w)->refs[0];
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(heap, &w), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(heap, &wkid), 0);
    tv_set_root(t, keep, NULL);
    full_gc(&r);
    CU_ASSERT_PTR_NULL(w);
    CU_ASSERT_PTR_NULL(wkid);
    CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(heap));
    /* the still-reachable one: handed back once it is dropped */
    tv_set_root(t, il, NULL);
    full_gc(&r);
    tv_obj *o = mmtk_get_finalized_object(heap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT(o->id == id_live && fin_graph_ok(o));
    CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(heap));
    full_gc(&r);
    CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(heap));
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(heap, &w), 0);
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(heap, &wkid), 0);
    rvm_free(&r);
}

static void test_finalizers_full(void)
{
    finalizers(0);
}

static void test_finalizers_nursery(void)
{
    finalizers(1);
}

/* ---------------------------------------------------------------- */
/* Pinning                                                            */

static void test_pin_api(void)
{
    rvm r, other;
    mmtk *heap = rvm_new(&r, NULL, gc_plan, "8M", 1);
    mmtk *heap2 = rvm_new(&other, NULL, gc_plan, "8M", 1);
    tv_thread *t = rvm_thread(&r), *t2 = rvm_thread(&other);
    tv_obj *o = tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);
    tv_push(t, o);
    int was = mmtk_is_pinned(heap, o);
    CU_ASSERT_EQUAL(was, !moving());   /* movable objects start unpinned */
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
    if (!collects())
        return;
    rvm r;
    mmtk *heap = rvm_new(&r, NULL, gc_plan, "16M", 1);
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
    size_t base = fragmented_survivors(&r, t, N, NULL);
    int ncons = 0;
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_root(t, base + (size_t)i);
        before[i] = o;
        if (o && i % 128 == 0) {   /* every other surviving run holds one */
            pinned[i] = 1;
            CU_ASSERT_EQUAL(mmtk_pin_object(heap, o), moving());
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
        full_gc(&r);
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
    if (moving())
        CU_ASSERT(moved > 0);
    /* unpinned and unreferenced: free to move (SemiSpace copies every time) */
    r.range_start = NULL;
    long unpinned_moved = 0;
    for (int i = 0; i < N; i++)
        if (pinned[i] == 1)
            CU_ASSERT_EQUAL(mmtk_unpin_object(heap, before[i]), moving());
    for (int i = 0; i < NM; i++)   /* non-moving by nature: unpin changes nothing */
        CU_ASSERT_EQUAL(mmtk_unpin_object(heap, nm_at[i]), 0);
    for (int k = 0; k < 2; k++)
        full_gc(&r);
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
    if (plan_is("SemiSpace"))
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
    if (!collects())
        return;
    rvm r;
    mmtk *heap = rvm_new(&r, NULL, gc_plan, "4M", 1);
    tv_thread *t = rvm_thread(&r);
    enum { N = 256 };
    void *at[N];
    size_t base = t->nroots;
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_alloc(t, 1, 40, i % 4 == 3 ? MMTK_ALLOC_NON_MOVING : MMTK_ALLOC_DEFAULT);
        tv_push(t, o);
        at[i] = o;
        if (i % 4 == 0)
            CU_ASSERT_EQUAL(mmtk_pin_object(heap, o), moving());
        if (i)
            tv_set(t, o, 0, at[i - 1]);
    }
    long bad = 0, moved = 0;
    for (int k = 0; k < 2; k++) {
        CU_ASSERT_FATAL(alloc_gc(t));
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
    if (plan_is("SemiSpace") || plan_is("GenCopy") || plan_is("GenImmix"))
        CU_ASSERT(moved > 0);
    rvm_free(&r);
}

/* Pinned objects scattered over every chunk (never unpinned) while the
 * collector keeps copying: the heap fills up and says so (NULL/ENOMEM),
 * it does not abort for want of to-space; pinned objects stay put and
 * the client never holds more than heap_size + the stated margin. */
static void test_pinned_fill_the_heap(void)
{
    if (!collects())
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
    if (!collects())
        return;
    rvm r;
    mmtk *heap = rvm_new(&r, NULL, gc_plan, "4M", 1);
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
            CU_ASSERT_FATAL(alloc_gc(t))
        else
            full_gc(&r);
        for (int i = 0; i < K; i++) {
            CU_ASSERT(mmtk_is_mmtk_object(heap, o[i]));
            CU_ASSERT(tv_check(o[i]) && o[i]->id == id[i]);
            CU_ASSERT(tv_check(o[i]->refs[0]));
            if (moving() && i < 5)
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
    full_gc(&r);
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
    if (!collects())
        return;
    rvm r, other;
    mmtk *heap = rvm_new(&r, NULL, gc_plan, "8M", 1);
    mmtk *heap2 = rvm_new(&other, NULL, gc_plan, "8M", 1);
    tv_thread *t = rvm_thread(&r), *t2 = rvm_thread(&other);
    size_t keep = tv_push(t, tv_tree(t, 5, MMTK_ALLOC_DEFAULT));
    size_t ib = tv_push(t2, tv_tree(t2, 3, MMTK_ALLOC_DEFAULT));
    tv_obj *foreign = tv_root(t2, ib);
    int fpinned = mmtk_is_pinned(heap2, foreign);
    /* freed memory: objects that died in the last collection */
    tv_obj *gone = tv_alloc(t, 1, 200, MMTK_ALLOC_DEFAULT);
    tv_obj *gone_large = tv_alloc(t, 0, 40000, MMTK_ALLOC_LOS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gone_large);
    full_gc(&r);
    CU_ASSERT(!mmtk_is_mmtk_object(heap, gone_large));
    uint64_t live = stats_of(heap).live_bytes_after_last_gc;
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
        full_gc(&r);
        CU_ASSERT_EQUAL(stats_of(heap).live_bytes_after_last_gc, live);
        CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, keep), 5), 63);
    }
    CU_ASSERT(!mmtk_is_mmtk_object(heap, gone_large));
    CU_ASSERT_EQUAL(mmtk_is_pinned(heap2, foreign), fpinned);
    CU_ASSERT_EQUAL(local, 42);
    r.range_start = NULL;
    full_gc(&other);
    CU_ASSERT_EQUAL(tv_tree_check(tv_root(t2, ib), 3), 15);
    rvm_free(&other);
    rvm_free(&r);
}

/* ---------------------------------------------------------------- */
/* Two mutator threads registering weak slots, finalizers and pins on
 * their own objects while either one's allocation triggers collections
 * (stress_factor): every dead finalizable object comes back exactly once,
 * to whichever thread asks; live ones never; pins and weak slots hold. */

enum { MT_K = 16, MT_IDS = 1 << 17 };
typedef struct mt_arg {
    tv_vm *vm;
    long rounds;
    mmtk_object *weak;        /* rounds * MT_K slots, never moving */
    long bad, returned;
} mt_arg;
static unsigned char mt_count[MT_IDS];   /* per object id: times handed back */
static unsigned char mt_dead[MT_IDS];    /* per object id: dropped by its thread */

static void mt_drain(mt_arg *a)
{
    for (tv_obj *o; (o = mmtk_get_finalized_object(a->vm->heap)) != NULL;) {
        a->returned++;
        if (!tv_check(o) || o->id >= MT_IDS || !mt_dead[o->id]) {
            a->bad++;
            continue;
        }
        __atomic_add_fetch(&mt_count[o->id], 1, __ATOMIC_RELAXED);
    }
}

static void *mt_main(void *arg)
{
    mt_arg *a = arg;
    tv_thread *t = tv_thread_new(a->vm);
    if (!t) {
        a->bad++;
        return NULL;
    }
    size_t base = t->nroots;
    void *pinned_at[MT_K];
    for (long r = 0; r < a->rounds; r++) {
        size_t rb = t->nroots;
        for (int i = 0; i < MT_K; i++) {
            tv_obj *o = tv_alloc(t, 1, 40, MMTK_ALLOC_DEFAULT);
            if (!o || o->id >= MT_IDS) {
                a->bad++;
                break;
            }
            mmtk_object *w = &a->weak[r * MT_K + i];
            *w = o;
            a->bad += mmtk_add_weak_slot(a->vm->heap, w) != 0;
            a->bad += mmtk_add_finalizer(a->vm->heap, o) != 0;
            if (i % 2) {
                mt_dead[o->id] = 1;   /* before any collection can find it dead */
            } else {
                tv_push(t, o);
                pinned_at[i] = (i % 4 == 0 && mmtk_pin_object(a->vm->heap, o) >= 0) ? o : NULL;
            }
        }
        for (int j = 0; j < 300; j++)
            tv_alloc(t, 1, 64, MMTK_ALLOC_DEFAULT);   /* garbage: collections */
        for (int i = 0; i < MT_K; i += 2) {
            tv_obj *o = tv_root(t, rb + (size_t)(i / 2));
            a->bad += a->weak[r * MT_K + i] != o || !tv_check(o);
            a->bad += pinned_at[i] && o != pinned_at[i];
            if (pinned_at[i])   /* pinned for a round, as around a native call */
                a->bad += mmtk_unpin_object(a->vm->heap, o) != moving();
        }
        mt_drain(a);
    }
    for (size_t i = base; i < t->nroots; i++)   /* the live ones are still where their slots say */
        a->bad += !tv_check(tv_root(t, i));
    mmtk_enter_native(t->m);   /* the roots stay reported while the other thread goes on */
    return t;
}

static void test_threads(void)
{
    if (!collects())
        return;
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "threads=2", "stress_factor=96K", "verify=true", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, gc_plan, opts));
    memset(mt_count, 0, sizeof mt_count);
    memset(mt_dead, 0, sizeof mt_dead);
    mt_arg a[2];
    pthread_t th[2];
    tv_thread *ts[2];
    for (int i = 0; i < 2; i++) {
#ifdef VMMA_TSAN
        a[i] = (mt_arg){ .vm = &vm, .rounds = tv_scaled(40) };   /* ThreadSanitizer: slower, as telling */
#else
        a[i] = (mt_arg){ .vm = &vm, .rounds = tv_scaled(160) };
#endif
        a[i].weak = calloc((size_t)a[i].rounds * MT_K, sizeof *a[i].weak);
        CU_ASSERT_PTR_NOT_NULL_FATAL(a[i].weak);
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, mt_main, &a[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], (void **)&ts[i]);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    mt_drain(&a[0]);
    mmtk_handle_user_collection_request(vm.heap, NULL);
    mt_drain(&a[0]);
    long dead = 0, once = 0, live_back = 0, weak_bad = 0;
    for (size_t id = 0; id < MT_IDS; id++) {
        dead += mt_dead[id];
        once += mt_dead[id] && mt_count[id] == 1;
        live_back += !mt_dead[id] && mt_count[id];
    }
    for (int i = 0; i < 2; i++)
        for (long r = 0; r < a[i].rounds; r++)
            for (int k = 1; k < MT_K; k += 2)
                weak_bad += a[i].weak[r * MT_K + k] != NULL;
    CU_ASSERT_EQUAL(a[0].bad + a[1].bad, 0);
    CU_ASSERT(dead > 0);
    CU_ASSERT_EQUAL(once, dead);
    CU_ASSERT_EQUAL(live_back, 0);
    CU_ASSERT_EQUAL(weak_bad, 0);
    CU_ASSERT(vm.gc_finished > 4);
    CU_ASSERT_EQUAL(mmtk_verify_failures(vm.heap), 0);
    CU_ASSERT_EQUAL(vm.bad_scans, 0);
    for (int i = 0; i < 2; i++) {
        if (ts[i])
            mmtk_leave_native(ts[i]->m);
        free(a[i].weak);
    }
    tv_heap_free(&vm);
}

/* ---------------------------------------------------------------- */
/* Bad arguments                                                      */

static void test_bad_arguments(void)
{
    rvm r, other;
    mmtk *heap = rvm_new(&r, NULL, gc_plan, "8M", 0);
    mmtk *heap2 = rvm_new(&other, NULL, gc_plan, "8M", 0);
    tv_thread *t = rvm_thread(&r), *t2 = rvm_thread(&other);
    tv_obj *o = tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);
    tv_push(t, o);
    tv_obj *f = tv_alloc(t2, 0, 64, MMTK_ALLOC_DEFAULT);
    tv_push(t2, f);
    mmtk_object slot = o;
    int local;
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(NULL, &slot), EINVAL);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(heap, NULL), EINVAL);
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(NULL, &slot), EINVAL);
    CU_ASSERT_EQUAL(mmtk_remove_weak_slot(heap, NULL), EINVAL);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(NULL, o), EINVAL);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(heap, NULL), EINVAL);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(heap, &local), EINVAL);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(heap, (char *)o + 16), EINVAL);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(heap, f), EINVAL);   /* another heap's */
    errno = 0;
    CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(NULL));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(heap));
    CU_ASSERT(!mmtk_is_mmtk_object(heap, f));
    CU_ASSERT_PTR_NULL(mmtk_find_object(heap, (char *)f + 8));
    CU_ASSERT_PTR_EQUAL(mmtk_find_object(heap, (char *)o + 8), o);
    CU_ASSERT(!mmtk_is_live_object(heap, f));
    CU_ASSERT(!mmtk_is_live_object(NULL, o));
    /* visitors: NULL visitor and empty or reversed ranges do nothing */
    mmtk_visit_slot(NULL, &slot);
    mmtk_visit_conservative(NULL, o);
    mmtk_visit_range_conservative(NULL, &slot, &slot + 1);
    /* a destroyed heap's weak slot is not touched by another heap */
    mmtk_object wf = f;
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(heap2, &wf), 0);
    rvm_free(&other);
    if (collects())
        full_gc(&r);
    CU_ASSERT_PTR_EQUAL(wf, f);
    CU_ASSERT(tv_check(tv_root(t, 0)));
    rvm_free(&r);
}

int main(void)
{
    static const CU_TestInfo tests[] = {
        { "weak slots: full collections", test_weak_full },
        { "weak slots: nursery collections", test_weak_nursery },
        { "weak slots: removed ones left alone", test_weak_remove },
        { "finalizers: full collections", test_finalizers_full },
        { "finalizers: nursery collections", test_finalizers_nursery },
        { "pinning: api and non-moving semantics", test_pin_api },
        { "pinning: pinned objects never move", test_pinned_never_move },
        { "pinning: young pinned objects stay", test_pinned_young },
        { "pinning: pinned objects filling the heap end in ENOMEM", test_pinned_fill_the_heap },
        { "conservative: words keep objects in place (full)", test_conservative_full },
        { "conservative: words keep objects in place (nursery)", test_conservative_nursery },
        { "conservative: words pointing nowhere are ignored", test_conservative_ignored },
        { "threads: weak slots, finalizers and pins from two mutators", test_threads },
        { "bad arguments", test_bad_arguments },
        CU_TEST_INFO_NULL
    };
    return gc_main(NULL, tests);   /* a suite per plan of tv_plans */
}
