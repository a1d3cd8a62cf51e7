/*
 * test_mmtk_markcompact.c — the MarkCompact plan on the test VM: object
 * graphs under stress_factor + verify (one and two GC workers), objects
 * that really slide (used bytes drop, roots, fields, weak slots and
 * finalizer entries follow, post_copy is called), a fragmented heap that a
 * compaction turns into room for a large object, pinned, aligned and
 * conservatively referenced objects that stay put, random graphs against a
 * model. What every plan does (out of memory, destroy, several mutator
 * threads, the shared workloads) is in test_mmtk_plans.c and
 * test_mmtk_threads.c.
 */
#include "gen_common.h"

#define PLAN "MarkCompact"
#define CHUNK ((size_t)256 * 1024)   /* libmmtk's chunk: the unit used bytes move by */

static void collect(tv_vm *vm)
{
    mmtk_handle_user_collection_request(vm->heap, NULL);
}

/* ---------------------------------------------------------------- */
/* Graphs under stress                                               */

static void graphs_under_stress(const char *threads)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=16M", "stress_factor=96K", "verify=true", threads, NULL };
    tv_thread *t = gc_setup(&vm, opts);
    unsigned seed = tv_seed("markcompact graphs");
    srand(seed);
    size_t keep = tv_push(t, tv_tree(t, 10, MMTK_ALLOC_DEFAULT));
    size_t ring = gc_ring(t, 400);   /* chords added below */
    /* an array of 300 references, refilled with fresh objects every round */
    size_t arr = tv_push(t, tv_alloc(t, 300, 0, MMTK_ALLOC_DEFAULT));
    /* a large object in the LOS and a non-moving one, both pointing into the space */
    size_t big = tv_push(t, tv_alloc(t, 8, 40000, MMTK_ALLOC_DEFAULT));
    size_t nm = tv_push(t, tv_alloc(t, 4, 16, MMTK_ALLOC_NON_MOVING));
    long rounds = tv_scaled(600);
    for (long r = 0; r < rounds; r++) {
        CU_ASSERT_PTR_NOT_NULL(tv_tree(t, 5, MMTK_ALLOC_DEFAULT));   /* garbage */
        tv_obj *e = tv_alloc(t, 1, (uint32_t)(rand() % 200), MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        tv_set(t, tv_root(t, arr), (uint32_t)(rand() % 300), e);
        tv_set(t, tv_root(t, big), (uint32_t)(r % 8), e);
        tv_set(t, tv_root(t, nm), (uint32_t)(r % 4), tv_root(t, arr));
        tv_obj *n = tv_root(t, ring);
        for (int k = rand() % 400; k > 0; k--)
            n = n->refs[0];
        tv_set(t, n, 1, tv_root(t, (size_t)rand() % 2 ? ring : arr));
        if (r % 50 == 49)   /* a large garbage object now and then */
            CU_ASSERT_PTR_NOT_NULL(tv_alloc(t, 0, 30000, MMTK_ALLOC_DEFAULT));
    }
    CU_ASSERT_EQUAL(tv_tree_check(tv_root(t, keep), 10), 2047);
    tv_obj *n = tv_root(t, ring);
    int count = 0;
    do {
        CU_ASSERT_FATAL(tv_check(n));
        CU_ASSERT_FATAL(n->refs[1] == NULL || tv_check(n->refs[1]));
        n = n->refs[0];
        count++;
    } while (n != tv_root(t, ring) && count < 1000);
    CU_ASSERT_EQUAL(count, 400);
    tv_obj *a = tv_root(t, arr);
    for (int i = 0; i < 300; i++)
        CU_ASSERT(a->refs[i] == NULL || (tv_check(a->refs[i]) && mmtk_is_mmtk_object(vm.heap, a->refs[i])));
    tv_obj *b = tv_root(t, big);
    CU_ASSERT(tv_check(b));
    for (int i = 0; i < 8; i++)
        CU_ASSERT(b->refs[i] == NULL || tv_check(b->refs[i]));
    CU_ASSERT_PTR_EQUAL(((tv_obj *)tv_root(t, nm))->refs[0], tv_root(t, arr));
    mmtk_stats st;
    CU_ASSERT_EQUAL(mmtk_get_stats(vm.heap, &st), 0);
    /* one collection per stress_factor bytes allocated (the first GC'd
     * allocation counts from the heap's start) */
    CU_ASSERT(st.collections >= 2 && st.collections + 1 >= st.bytes_allocated / (96 * 1024));
    CU_ASSERT(st.objects_copied > 0);   /* things did slide */
    CU_ASSERT_EQUAL(st.objects_copied, vm.copies);
    CU_ASSERT(vm.gc_started == st.collections && vm.gc_finished == st.collections);
    gc_finish(&vm);
}

static void test_graphs_one_worker(void)
{
    graphs_under_stress("threads=1");
}

static void test_graphs_two_workers(void)
{
    graphs_under_stress("threads=2");
}

/* ---------------------------------------------------------------- */
/* Objects move                                                       */

/* n objects of 144 bytes, one in six survives (chained, self-referencing);
 * a collection must slide them together and give chunks back. */
static void compaction_moves_and_shrinks(int N, const char *threads)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=64M", "verify=true", threads, NULL };
    tv_thread *t = gc_setup(&vm, opts);
    enum { EVERY = 6 };
    size_t first = t->nroots;
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_alloc(t, 2, 100, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        tv_push(t, o);
    }
    /* chain the survivors backwards, each also pointing to itself */
    size_t prev = 0;
    for (int i = 0; i < N; i += EVERY) {
        tv_obj *o = tv_root(t, first + (size_t)i);
        tv_set(t, o, 0, i ? tv_root(t, prev) : NULL);
        tv_set(t, o, 1, o);
        prev = first + (size_t)i;
    }
    uint64_t *ids = calloc((size_t)N / EVERY, sizeof *ids);
    void **old = calloc((size_t)N / EVERY, sizeof *old);
    CU_ASSERT_FATAL(ids && old);
    for (int i = 0; i < N; i++) {
        if (i % EVERY)
            tv_set_root(t, first + (size_t)i, NULL);
        else
            ids[i / EVERY] = ((tv_obj *)tv_root(t, first + (size_t)i))->id,
            old[i / EVERY] = tv_root(t, first + (size_t)i);
    }
    vm.globals[0] = tv_root(t, first + (N / EVERY - 1) * EVERY);
    /* a few pinned survivors among the first fifth (a chunk holding a
     * pinned object is never given back): their regions stay */
    for (int k = 7; k < N / EVERY / 5; k += 50)
        CU_ASSERT_EQUAL(mmtk_pin_object(vm.heap, old[k]), 1);
    size_t used_before = mmtk_used_bytes(vm.heap);
    collect(&vm);
    size_t used_after = mmtk_used_bytes(vm.heap);
    printf("\n    used bytes %zu -> %zu\n", used_before, used_after);
    /* 5/6 of the bytes are gone: at least half the chunks went back; in
     * one group, three quarters (the pinned chunks are filled first, so
     * they cost nothing extra) */
    CU_ASSERT(used_after + used_before / 2 <= used_before);
    if (strcmp(threads, "threads=1") == 0)
        CU_ASSERT(used_after * 4 <= used_before);
    int moved = 0;
    for (int k = 0; k < N / EVERY; k++) {
        tv_obj *o = tv_root(t, first + (size_t)k * EVERY);
        CU_ASSERT_FATAL(tv_check(o));
        CU_ASSERT_EQUAL(o->id, ids[k]);
        CU_ASSERT_PTR_EQUAL(o->refs[1], o);
        CU_ASSERT_PTR_EQUAL(o->refs[0], k ? tv_root(t, first + (size_t)(k - 1) * EVERY) : NULL);
        CU_ASSERT(mmtk_is_mmtk_object(vm.heap, o));
        moved += o != old[k];
        if (k % 50 == 7 && k < N / EVERY / 5)
            CU_ASSERT_PTR_EQUAL(o, old[k]);
    }
    CU_ASSERT(moved > N / EVERY / 2);
    CU_ASSERT_PTR_EQUAL(vm.globals[0], tv_root(t, first + (N / EVERY - 1) * EVERY));
    mmtk_stats st;
    mmtk_get_stats(vm.heap, &st);
    CU_ASSERT_EQUAL(st.objects_copied, (uint64_t)moved);
    CU_ASSERT_EQUAL(vm.copies, (uint64_t)moved);
    CU_ASSERT(st.live_bytes_after_last_gc >= (uint64_t)(N / EVERY) * 144);
    /* once compact (after one collection; two when the groups of the
     * first, parallel, compaction merge), a collection moves nothing */
    collect(&vm);
    mmtk_get_stats(vm.heap, &st);
    uint64_t copied = st.objects_copied;
    if (strcmp(threads, "threads=1") == 0)
        CU_ASSERT_EQUAL(copied, (uint64_t)moved);
    collect(&vm);
    mmtk_get_stats(vm.heap, &st);
    CU_ASSERT_EQUAL(st.objects_copied, copied);
    /* the freed room is allocated again, and everything stays intact */
    for (int i = 0; i < 5000; i++)
        CU_ASSERT_PTR_NOT_NULL(tv_alloc(t, 1, 64, MMTK_ALLOC_DEFAULT));
    collect(&vm);
    for (int k = 0; k < N / EVERY; k++)
        CU_ASSERT(tv_check(tv_root(t, first + (size_t)k * EVERY)));
    free(ids);
    free(old);
    gc_finish(&vm);
}

static void test_compaction_moves_and_shrinks(void)
{
    compaction_moves_and_shrinks(24000, "threads=1");   /* ~3.5 MB: one group */
}

/* ~14 MB over two workers: the chunks are forwarded and compacted in two
 * groups in parallel (policy/markcompactspace.c) */
static void test_compaction_in_parallel_groups(void)
{
    compaction_moves_and_shrinks(96000, "threads=2");
}


static void test_weak_and_finalizers_follow(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    for (int i = 0; i < 2000; i++)
        tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);   /* garbage below */
    tv_obj *kept = tv_alloc(t, 0, 32, MMTK_ALLOC_DEFAULT);
    tv_obj *dies = tv_alloc(t, 0, 32, MMTK_ALLOC_DEFAULT);
    tv_obj *fin_live = tv_alloc(t, 0, 32, MMTK_ALLOC_DEFAULT);
    tv_obj *fin_dead = tv_alloc(t, 1, 32, MMTK_ALLOC_DEFAULT);
    tv_obj *child = tv_alloc(t, 0, 48, MMTK_ALLOC_DEFAULT);
    tv_set(t, fin_dead, 0, child);
    uint64_t id_dead = fin_dead->id, id_child = child->id;
    size_t ik = tv_push(t, kept), ifl = tv_push(t, fin_live);
    static mmtk_object weak_kept, weak_dies;
    weak_kept = kept;
    weak_dies = dies;
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(vm.heap, &weak_kept), 0);
    CU_ASSERT_EQUAL(mmtk_add_weak_slot(vm.heap, &weak_dies), 0);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(vm.heap, fin_live), 0);
    CU_ASSERT_EQUAL(mmtk_add_finalizer(vm.heap, fin_dead), 0);
    collect(&vm);
    CU_ASSERT_PTR_NOT_EQUAL(tv_root(t, ik), kept);   /* slid over the garbage */
    CU_ASSERT_PTR_EQUAL(weak_kept, tv_root(t, ik));
    CU_ASSERT_PTR_NULL(weak_dies);
    tv_obj *f = mmtk_get_finalized_object(vm.heap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT(tv_check(f) && f->id == id_dead);
    CU_ASSERT(mmtk_is_mmtk_object(vm.heap, f));
    CU_ASSERT(tv_check(f->refs[0]) && ((tv_obj *)f->refs[0])->id == id_child);
    CU_ASSERT_PTR_NULL(mmtk_get_finalized_object(vm.heap));
    /* the live finalizable object's entry followed it: dropping it now
     * hands back its new address */
    void *fl = tv_root(t, ifl);
    tv_set_root(t, ifl, NULL);
    collect(&vm);
    f = mmtk_get_finalized_object(vm.heap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT(tv_check(f));
    CU_ASSERT(f == fl || mmtk_is_mmtk_object(vm.heap, f));
    mmtk_remove_weak_slot(vm.heap, &weak_kept);
    mmtk_remove_weak_slot(vm.heap, &weak_dies);
    gc_finish(&vm);
}

/* ---------------------------------------------------------------- */
/* Fragmentation                                                      */

/* Fill the heap with 256-byte objects, all kept, until allocation fails;
 * then drop every other one and ask for a large object of a third of the
 * heap. Returns whether that succeeded. */
static int fragmented_large_alloc(const char *plan)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=4M", NULL };
    CU_ASSERT_PTR_NOT_NULL_FATAL(tv_heap_new(&vm, NULL, plan, opts));
    tv_thread *t = tv_thread_new(&vm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    size_t first = t->nroots;
    long n = 0;
    tv_obj *o;
    while ((o = tv_alloc(t, 1, 224, MMTK_ALLOC_DEFAULT)) != NULL) {
        tv_push(t, o);
        n++;
    }
    CU_ASSERT(n > 5000);
    CU_ASSERT_PTR_NULL(tv_alloc(t, 0, (4u << 20) / 3, MMTK_ALLOC_LOS));   /* full */
    for (long i = 0; i < n; i += 2)
        tv_set_root(t, first + (size_t)i, NULL);
    tv_obj *big = tv_alloc(t, 0, (4u << 20) / 3, MMTK_ALLOC_LOS);
    int ok = big != NULL && tv_check(big);
    for (long i = 1; i < n; i += 2)
        CU_ASSERT(tv_check(tv_root(t, first + (size_t)i)));
    tv_heap_free(&vm);
    return ok;
}

static void test_fragmented_heap_compacts(void)
{
    CU_ASSERT(fragmented_large_alloc(PLAN));
    /* the same heap under a non-moving collector stays fragmented: the
     * scenario really needs compaction */
    CU_ASSERT(!fragmented_large_alloc("MarkSweep"));
}

/* ---------------------------------------------------------------- */
/* Objects that must not move                                         */

static void test_pinned_stay_put(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    for (int i = 0; i < 1500; i++)
        tv_alloc(t, 0, 100, MMTK_ALLOC_DEFAULT);   /* garbage before */
    tv_obj *p = tv_alloc(t, 1, 40, MMTK_ALLOC_DEFAULT);
    for (int i = 0; i < 1500; i++)
        tv_alloc(t, 0, 100, MMTK_ALLOC_DEFAULT);   /* garbage between */
    tv_obj *l = tv_alloc(t, 1, 40, MMTK_ALLOC_DEFAULT);
    tv_set(t, p, 0, l);
    tv_set(t, l, 0, p);
    size_t ip = tv_push(t, p), il = tv_push(t, l);
    CU_ASSERT_EQUAL(mmtk_pin_object(vm.heap, p), 1);
    CU_ASSERT_EQUAL(mmtk_pin_object(vm.heap, p), 0);
    CU_ASSERT(mmtk_is_pinned(vm.heap, p));
    CU_ASSERT(!mmtk_is_pinned(vm.heap, l));
    for (int round = 0; round < 3; round++) {
        collect(&vm);
        for (int i = 0; i < 500; i++)
            tv_alloc(t, 0, 100, MMTK_ALLOC_DEFAULT);
    }
    CU_ASSERT_PTR_EQUAL(tv_root(t, ip), p);
    CU_ASSERT(mmtk_is_pinned(vm.heap, p));
    CU_ASSERT(tv_check(p));
    tv_obj *l2 = tv_root(t, il);
    CU_ASSERT_PTR_NOT_EQUAL(l2, l);   /* its unpinned partner slid */
    CU_ASSERT(tv_check(l2));
    CU_ASSERT_PTR_EQUAL(p->refs[0], l2);
    CU_ASSERT_PTR_EQUAL(l2->refs[0], p);
    /* unpinned, it may move again: with garbage below it, it does */
    CU_ASSERT_EQUAL(mmtk_unpin_object(vm.heap, p), 1);
    CU_ASSERT(!mmtk_is_pinned(vm.heap, p));
    collect(&vm);
    tv_obj *p2 = tv_root(t, ip);
    CU_ASSERT_PTR_NOT_EQUAL(p2, p);
    CU_ASSERT(tv_check(p2));
    CU_ASSERT_PTR_EQUAL(((tv_obj *)tv_root(t, il))->refs[0], p2);
    CU_ASSERT(!mmtk_is_pinned(vm.heap, p2));
    gc_finish(&vm);
}

/* A pinned object at the very start of a chunk that later receives other
 * chunks' objects: the destination must skip it, not land on it. */
static void test_pinned_at_chunk_start(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", "threads=1", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    tv_obj *p = tv_alloc(t, 0, 1000, MMTK_ALLOC_DEFAULT);   /* first object of the first chunk */
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(((uintptr_t)p & (CHUNK - 1)), 16 * 1024);
    size_t ip = tv_push(t, p);
    CU_ASSERT_EQUAL(mmtk_pin_object(vm.heap, p), 1);
    size_t first = t->nroots;
    /* 1024-byte objects, 240 to a chunk: P, HALF and FULL fill three
     * chunks exactly, so the last two have no room and the first chunk's
     * survivors must slide down into their own chunk, past P */
    enum { HALF = 150, FULL = 3 * 240 - 1 - HALF };
    for (int i = 0; i < HALF + FULL; i++)
        tv_push(t, tv_alloc(t, 0, 1000, MMTK_ALLOC_DEFAULT));
    for (int i = 0; i < HALF; i += 2)
        tv_set_root(t, first + (size_t)i, NULL);   /* holes only in the first chunk */
    uint64_t idp = p->id;
    for (int round = 0; round < 2; round++) {
        collect(&vm);
        CU_ASSERT_PTR_EQUAL(tv_root(t, ip), p);
        CU_ASSERT(tv_check(p) && p->id == idp);
        for (int i = 0; i < HALF + FULL; i++) {
            tv_obj *o = tv_root(t, first + (size_t)i);
            if (o)
                CU_ASSERT(tv_check(o) && o->id == idp + 1 + (uint64_t)i);
        }
    }
    mmtk_stats st;
    mmtk_get_stats(vm.heap, &st);
    CU_ASSERT(st.objects_copied > 0);
    gc_finish(&vm);
}

static void test_aligned_objects_keep_alignment(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    enum { N = 200 };
    size_t first = t->nroots;
    for (int i = 0; i < N; i++) {
        tv_alloc(t, 0, 80, MMTK_ALLOC_DEFAULT);   /* garbage between */
        size_t align = i % 2 ? 64 : 256;
        ptrdiff_t off = i % 2 ? 0 : 16;
        tv_obj *o = mmtk_alloc(t->m, 48, align, off, MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        CU_ASSERT((((uintptr_t)o + (uintptr_t)off) & (align - 1)) == 0);
        o->tag = TV_TAG;
        o->bytes = 48;
        o->id = 1000000u + (unsigned)i;
        tv_push(t, o);
    }
    collect(&vm);
    for (int i = 0; i < 500; i++)
        tv_alloc(t, 0, 80, MMTK_ALLOC_DEFAULT);
    collect(&vm);
    for (int i = 0; i < N; i++) {
        tv_obj *o = tv_root(t, first + (size_t)i);
        size_t align = i % 2 ? 64 : 256;
        ptrdiff_t off = i % 2 ? 0 : 16;
        CU_ASSERT((((uintptr_t)o + (uintptr_t)off) & (align - 1)) == 0);
        CU_ASSERT(o->tag == TV_TAG && o->bytes == 48 && o->id == 1000000u + (unsigned)i);
    }
    gc_finish(&vm);
}

static void test_conservative_roots_keep_in_place(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=8M", "verify=true", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    for (int i = 0; i < 2000; i++)
        tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);
    tv_obj *c = tv_alloc(t, 1, 64, MMTK_ALLOC_DEFAULT);   /* only an interior word keeps it */
    tv_obj *child = tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);
    tv_set(t, c, 0, child);
    uint64_t idc = c->id, idk = child->id;
    vm.conservative_words = 1;
    vm.cons[0] = (char *)c + 40;
    for (int round = 0; round < 3; round++) {
        collect(&vm);
        for (int i = 0; i < 500; i++)
            tv_alloc(t, 0, 64, MMTK_ALLOC_DEFAULT);
    }
    CU_ASSERT(mmtk_is_mmtk_object(vm.heap, c));
    CU_ASSERT(tv_check(c) && c->id == idc);
    CU_ASSERT(tv_check(c->refs[0]) && ((tv_obj *)c->refs[0])->id == idk);
    /* its child was referenced precisely: it may move, and c follows it */
    CU_ASSERT(mmtk_is_mmtk_object(vm.heap, c->refs[0]));
    vm.conservative_words = 0;
    gc_finish(&vm);
}

/* ---------------------------------------------------------------- */
/* Random graphs against a model                                      */

#define RG_SLOTS 256
#define RG_REFS  4
#define RG_MAX   200000

typedef struct rg_state {
    tv_thread *t;
    size_t base;                    /* first of RG_SLOTS root slots */
    uint64_t (*model)[RG_REFS];     /* model[id]: ids of its fields (0 = NULL) */
    void *pinned_at[RG_SLOTS];      /* address when pinned through this slot */
    uint64_t *seen;                 /* id -> check round, to visit once */
    uint64_t round;
    long objects;
} rg_state;

/* An object with nrefs fields and no payload, 64-byte aligned. */
static tv_obj *rg_alloc_aligned(tv_thread *t, uint32_t nrefs, uint64_t *next_id)
{
    size_t bytes = sizeof(tv_obj) + nrefs * sizeof(mmtk_object);
    tv_obj *o = mmtk_alloc(t->m, bytes, 64, 0, MMTK_ALLOC_DEFAULT);
    if (!o)
        return NULL;
    o->tag = TV_TAG;
    o->nrefs = nrefs;
    o->bytes = (uint32_t)bytes;
    o->id = __atomic_add_fetch(next_id, 1, __ATOMIC_RELAXED);
    return o;
}

/* Every object reachable from the slots: intact, its fields as the model says. */
static long rg_check(rg_state *st, tv_obj *o)
{
    if (!o)
        return 0;
    if (!tv_check(o) || o->id >= RG_MAX)
        return -1000000;
    if (st->seen[o->id] == st->round)
        return 0;
    st->seen[o->id] = st->round;
    long bad = 0;
    for (uint32_t k = 0; k < o->nrefs && k < RG_REFS; k++) {
        tv_obj *f = o->refs[k];
        if ((f ? f->id : 0) != st->model[o->id][k])
            bad++;
        else
            bad += rg_check(st, f);
    }
    return bad;
}

static void rg_step(rg_state *st, tv_vm *vm)
{
    tv_thread *t = st->t;
    size_t i = st->base + (size_t)(rand() % RG_SLOTS), j = st->base + (size_t)(rand() % RG_SLOTS);
    int op = rand() % 100;
    tv_obj *o = tv_root(t, i);
    if (op < 45 && vm->next_id + 1 < RG_MAX) {
        if (o && st->pinned_at[i - st->base])
            return;   /* keep pinned objects rooted */
        uint32_t nrefs = (uint32_t)(rand() % (RG_REFS + 1));
        int kind = rand() % 50;
        tv_obj *n;
        if (kind == 0)
            n = tv_alloc(t, nrefs, 17000 + (uint32_t)(rand() % 20000), MMTK_ALLOC_DEFAULT);  /* LOS */
        else if (kind == 1)
            n = tv_alloc(t, nrefs, (uint32_t)(rand() % 64), MMTK_ALLOC_NON_MOVING);
        else if (kind == 2)
            n = rg_alloc_aligned(t, nrefs, &vm->next_id);
        else if (kind == 3)
            n = tv_alloc(t, nrefs, 8000 + (uint32_t)(rand() % 8000), MMTK_ALLOC_DEFAULT);   /* big, still moving */
        else
            n = tv_alloc(t, nrefs, (uint32_t)(rand() % 300), MMTK_ALLOC_DEFAULT);
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        CU_ASSERT_FATAL(n->id < RG_MAX);
        memset(st->model[n->id], 0, sizeof st->model[n->id]);
        tv_set_root(t, i, n);
        st->objects++;
    } else if (op < 85) {
        tv_obj *src = tv_root(t, i), *dst = tv_root(t, j);
        if (!src || !src->nrefs)
            return;
        /* walk a little from src so inner objects get written too */
        for (int hop = rand() % 3; hop > 0 && src->refs[0] && ((tv_obj *)src->refs[0])->nrefs; hop--)
            src = src->refs[0];
        uint32_t k = (uint32_t)rand() % src->nrefs;
        if (rand() % 8 == 0)
            dst = NULL;
        tv_set(t, src, k, dst);
        if (k < RG_REFS)
            st->model[src->id][k] = dst ? dst->id : 0;
    } else if (op < 90) {
        if (o && !st->pinned_at[i - st->base] && mmtk_pin_object(vm->heap, o) == 1)
            st->pinned_at[i - st->base] = o;
    } else if (op < 94) {
        if (o && st->pinned_at[i - st->base] && mmtk_unpin_object(vm->heap, o) == 1)
            st->pinned_at[i - st->base] = NULL;
    } else if (!st->pinned_at[i - st->base]) {
        tv_set_root(t, i, NULL);
    }
}

static void test_random_graphs_against_model(void)
{
    tv_vm vm = { .heap = NULL };
    const char *opts[] = { "heap_size=24M", "stress_factor=256K", "verify=true", "threads=2", NULL };
    tv_thread *t = gc_setup(&vm, opts);
    unsigned seed = tv_seed("markcompact random graphs");
    srand(seed);
    rg_state st = { .t = t };
    st.model = calloc(RG_MAX, sizeof *st.model);
    st.seen = calloc(RG_MAX, sizeof *st.seen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st.model);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st.seen);
    st.base = t->nroots;
    for (int i = 0; i < RG_SLOTS; i++)
        tv_push(t, NULL);
    long steps = tv_scaled(100000);
    for (long s = 1; s <= steps; s++) {
        rg_step(&st, &vm);
        if (s % (steps / 8 + 1) == 0 || s == steps) {
            st.round++;
            long bad = 0;
            for (int i = 0; i < RG_SLOTS; i++) {
                bad += rg_check(&st, tv_root(t, st.base + (size_t)i));
                if (st.pinned_at[i])
                    CU_ASSERT_PTR_EQUAL(tv_root(t, st.base + (size_t)i), st.pinned_at[i]);
            }
            CU_ASSERT_EQUAL(bad, 0);
        }
    }
    mmtk_stats ms;
    mmtk_get_stats(vm.heap, &ms);
    printf("\n    %ld objects, %llu collections, %llu moved\n", st.objects,
           (unsigned long long)ms.collections, (unsigned long long)ms.objects_copied);
    CU_ASSERT(ms.collections >= 2);
    CU_ASSERT(ms.objects_copied > 0);
    free(st.model);
    free(st.seen);
    gc_finish(&vm);
}

int main(void)
{
    static const char *const plans[] = { PLAN, NULL };
    static const CU_TestInfo tests[] = {
        { "graphs under stress+verify, 1 worker", test_graphs_one_worker },
        { "graphs under stress+verify, 2 workers", test_graphs_two_workers },
        { "compaction moves objects and shrinks the heap", test_compaction_moves_and_shrinks },
        { "compaction in parallel groups (two workers)", test_compaction_in_parallel_groups },
        { "weak slots and finalizers follow moves", test_weak_and_finalizers_follow },
        { "fragmented heap compacts for a large object", test_fragmented_heap_compacts },
        { "pinned objects stay put", test_pinned_stay_put },
        { "pinned object at a chunk's start", test_pinned_at_chunk_start },
        { "aligned objects keep their alignment", test_aligned_objects_keep_alignment },
        { "conservative roots keep objects in place", test_conservative_roots_keep_in_place },
        { "random graphs against a model (seeded)", test_random_graphs_against_model },
        CU_TEST_INFO_NULL
    };
    return gc_main(plans, tests);
}
