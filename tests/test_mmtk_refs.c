/*
 * test_mmtk_refs.c — weak slots and finalizers on every plan (one CUnit
 * suite per plan, named after it); pinning and conservative roots are in
 * test_mmtk_pin.c.
 *
 * What a VM relies on, asserted on each plan where it applies: a weak slot
 * is cleared when its target dies and follows it when it moves, in full
 * and in allocation-triggered (nursery) collections, and is left alone once
 * removed; a finalizable object found dead comes back exactly once, intact
 * with everything it reaches, and is gone for good when dead again; all of
 * that with two mutator threads registering weak slots, finalizers and pins
 * while either one's allocation collects; bad arguments are refused, not
 * crashed on.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "refs_common.h"

/* ---------------------------------------------------------------- */
/* Weak slots                                                         */

/* Full collections: slots of dropped objects cleared, slots of survivors
 * follow them through two more collections (where the survivors move). */
static void test_weak_full(void)
{
    rvm r;
    rvm_new(&r, "16M", 1);
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
    size_t base = gc_fragmented_survivors(t, N, weak);
    long cleared = 0, dropped = 0, bad = 0, moved = 0;
    for (int i = 0; i < N; i++)
        before[i] = tv_root(t, base + (size_t)i);
    for (int k = 0; k < 3; k++) {
        rvm_full_gc(&r);
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
    if (gc_collects()) {
        CU_ASSERT_EQUAL(cleared, dropped);
        CU_ASSERT(dropped > N / 2);
        CU_ASSERT_PTR_NULL(wlarge);
        CU_ASSERT_PTR_NULL(wnm);
    } else {
        CU_ASSERT_EQUAL(cleared, 0);
        CU_ASSERT_PTR_NOT_NULL(wlarge);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(gc_moving() ? moved > 0 : moved == 0);   /* the slots did have to follow */
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
    if (!gc_collects())
        return;
    rvm r;
    rvm_new(&r, "4M", 1);
    tv_thread *t = rvm_thread(&r);
    enum { N = 512 };
    static mmtk_object live[N], dead[N], old[N];
    size_t old_base = t->nroots;
    for (int i = 0; i < N; i++)
        tv_push(t, tv_alloc(t, 1, 16, MMTK_ALLOC_DEFAULT));
    rvm_full_gc(&r);   /* old now */
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
    int nursery = gc_collect_by_allocation(t);
    CU_ASSERT_FATAL(nursery >= 0);
    if (gc_plan_is("GenCopy") || gc_plan_is("GenImmix") || gc_plan_is("StickyImmix"))
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
    if (gc_plan_is("SemiSpace") || gc_plan_is("GenCopy") || gc_plan_is("GenImmix"))
        CU_ASSERT_PTR_NOT_EQUAL(live[0], first);   /* young survivors were copied */
    /* old objects dropped: cleared at the latest by a full collection */
    for (int i = 0; i < N; i++)
        tv_set_root(t, old_base + (size_t)i, NULL);
    for (int i = 0; i < N; i++)
        tv_set(t, tv_root(t, base + (size_t)i), 0, NULL);
    rvm_full_gc(&r);
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
    rvm_new(&r, "8M", 1);
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
    rvm_full_gc(&r);
    rvm_full_gc(&r);
    CU_ASSERT_PTR_EQUAL(dead, dead0);
    CU_ASSERT_PTR_EQUAL(live, live0);
    if (gc_plan_is("SemiSpace"))
        CU_ASSERT_PTR_NOT_EQUAL(tv_root(t, il), live0);   /* it moved; the removed slot did not follow */
    if (gc_collects())
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
    if (!gc_collects() && by_allocation)
        return;
    rvm r;
    mmtk *heap = rvm_new(&r, "4M", 1);
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
    if (!gc_collects()) {
        CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(heap));
        rvm_free(&r);
        return;
    }
    if (by_allocation)
        CU_ASSERT_FATAL(gc_collect_by_allocation(t) >= 0)
    else
        rvm_full_gc(&r);
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
            CU_ASSERT(gc_collect_by_allocation(t) >= 0)
        else
            rvm_full_gc(&r);
        CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(heap));
        CU_ASSERT(fin_graph_ok(tv_root(t, keep)));
        CU_ASSERT(fin_graph_ok(tv_root(t, il)));
    }
    /* dropped again: collected for good (a weak slot proves it) */
    mmtk_object w = tv_root(t, keep), wkid = ((tv_obj *)w)->refs[0];
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(heap, &w), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(heap, &wkid), 0);
    tv_set_root(t, keep, NULL);
    rvm_full_gc(&r);
    CU_ASSERT_PTR_NULL(w);
    CU_ASSERT_PTR_NULL(wkid);
    CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(heap));
    /* the still-reachable one: handed back once it is dropped */
    tv_set_root(t, il, NULL);
    rvm_full_gc(&r);
    tv_obj *o = mmtk_get_finalized_object(heap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT(o->id == id_live && fin_graph_ok(o));
    CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(heap));
    rvm_full_gc(&r);
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
                a->bad += mmtk_unpin_object(a->vm->heap, o) != gc_moving();
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
    if (!gc_collects())
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
    mmtk *heap = rvm_new(&r, "8M", 0);
    mmtk *heap2 = rvm_new(&other, "8M", 0);
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
    if (gc_collects())
        rvm_full_gc(&r);
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
        { "threads: weak slots, finalizers and pins from two mutators", test_threads },
        { "bad arguments", test_bad_arguments },
        CU_TEST_INFO_NULL
    };
    return gc_main(NULL, tests);   /* a suite per plan of tv_plans */
}
