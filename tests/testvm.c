/*
 * testvm.c — the test VM's binding and helpers (see testvm.h). The binding
 * callbacks check every object they see (tag, size) and count what the
 * collector asks of them, so tests can assert on it.
 */
#include "testvm.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t tv_object_size(void *vmp, mmtk_object obj)
{
    tv_vm *vm = vmp;
    tv_obj *o = obj;
    if (o->tag != TV_TAG)
        __atomic_add_fetch(&vm->bad_scans, 1, __ATOMIC_RELAXED);
    return o->bytes;
}

static void tv_scan_object(void *vmp, mmtk_object obj, mmtk_visitor *v)
{
    tv_vm *vm = vmp;
    tv_obj *o = obj;
    if (o->tag != TV_TAG) {
        __atomic_add_fetch(&vm->bad_scans, 1, __ATOMIC_RELAXED);
        return;
    }
    /* odd ids report their fields one by one, even ids all at once: both
     * doors of the visitor are exercised on every plan */
    if (o->id & 1) {
        for (uint32_t i = 0; i < o->nrefs; i++)
            mmtk_visit_slot(v, &o->refs[i]);
    } else {
        mmtk_visit_slots(v, (mmtk_object *)o->refs, o->nrefs);
    }
}

static void tv_scan_roots(void *vmp, mmtk_visitor *v)
{
    tv_vm *vm = vmp;
    for (int i = 0; i < TV_MAX_THREADS; i++) {
        tv_thread *t = vm->threads[i];
        if (!t)
            continue;
        for (size_t j = 0; j < t->nroots; j++)
            mmtk_visit_slot(v, &t->roots[j]);
    }
    for (int i = 0; i < TV_GLOBALS; i++)
        mmtk_visit_slot(v, &vm->globals[i]);
    for (int i = 0; i < vm->conservative_words && i < 4; i++)
        mmtk_visit_conservative(v, vm->cons[i]);
}

static void tv_post_copy(void *vmp, mmtk_object from, mmtk_object to)
{
    tv_vm *vm = vmp;
    (void)from;
    (void)to;
    __atomic_add_fetch(&vm->copies, 1, __ATOMIC_RELAXED);
}

static void tv_oom(void *vmp, void *tls, size_t bytes)
{
    tv_vm *vm = vmp;
    (void)tls;
    __atomic_add_fetch(&vm->oom_calls, 1, __ATOMIC_RELAXED);
    vm->oom_bytes = bytes;
}

static void tv_started(void *vmp)
{
    ((tv_vm *)vmp)->gc_started++;
}

static void tv_finished(void *vmp)
{
    ((tv_vm *)vmp)->gc_finished++;
}

/* Binding-driven stop: the test's mutators only stop at safepoints the
 * library runs, so "stopping" here is counting; the tests that use it are
 * single-threaded. */
static void tv_stop(void *vmp, void *tls)
{
    (void)tls;
    ((tv_vm *)vmp)->stops++;
}

static void tv_resume(void *vmp, void *tls)
{
    (void)tls;
    ((tv_vm *)vmp)->resumes++;
}

mmtk_vm_binding tv_binding(int with_optional)
{
    mmtk_vm_binding b;
    memset(&b, 0, sizeof b);
    b.object_size = tv_object_size;
    b.scan_object = tv_scan_object;
    b.scan_roots = tv_scan_roots;
    if (with_optional) {
        b.post_copy = tv_post_copy;
        b.out_of_memory = tv_oom;
        b.gc_started = tv_started;
        b.gc_finished = tv_finished;
    }
    return b;
}

mmtk *tv_heap_new(tv_vm *vm, vmma_context *ctx, const char *plan, const char *const *options)
{
    int stop_callbacks = vm->use_stop_callbacks, no_copy_count = vm->no_copy_count;
    memset(vm, 0, sizeof *vm);
    vm->use_stop_callbacks = stop_callbacks;
    vm->no_copy_count = no_copy_count;
    pthread_mutex_init(&vm->lock, NULL);
    mmtk_builder *b = mmtk_builder_new();
    if (!b)
        return NULL;
    /* MMTK_* variables first (MMTK_VERBOSE=1 logs every collection of a
     * test or benchmark); the plan and options given here win */
    (void)mmtk_builder_read_env(b);
    int e = plan ? mmtk_builder_set_option(b, "plan", plan) : 0;
    for (int i = 0; !e && options && options[i]; i++) {
        char name[64];
        const char *eq = strchr(options[i], '=');
        if (!eq || (size_t)(eq - options[i]) >= sizeof name) {
            e = EINVAL;
            break;
        }
        memcpy(name, options[i], (size_t)(eq - options[i]));
        name[eq - options[i]] = '\0';
        e = mmtk_builder_set_option(b, name, eq + 1);
    }
    if (e) {
        mmtk_builder_free(b);
        errno = e;
        return NULL;
    }
    if (ctx)
        mmtk_builder_set_vmma_context(b, ctx);
    mmtk_vm_binding binding = tv_binding(1);
    if (vm->no_copy_count)
        binding.post_copy = NULL;
    if (vm->use_stop_callbacks) {
        binding.stop_all_mutators = tv_stop;
        binding.resume_mutators = tv_resume;
    }
    vm->heap = mmtk_init(b, &binding, vm);
    e = errno;
    mmtk_builder_free(b);
    if (vm->heap)
        mmtk_initialize_collection(vm->heap, NULL);
    errno = e;
    return vm->heap;
}

void tv_heap_free(tv_vm *vm)
{
    for (int i = 0; i < TV_MAX_THREADS; i++)
        if (vm->threads[i])
            tv_thread_free(vm->threads[i]);
    mmtk_destroy(vm->heap);
    vm->heap = NULL;
    pthread_mutex_destroy(&vm->lock);
}

tv_thread *tv_thread_new(tv_vm *vm)
{
    tv_thread *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->vm = vm;
    t->cap = 1024;
    t->roots = calloc(t->cap, sizeof *t->roots);
    t->m = mmtk_bind_mutator(vm->heap, t);
    if (!t->roots || !t->m) {
        free(t->roots);
        free(t);
        return NULL;
    }
    /* Registered while bound and running: no collection can read the table
     * concurrently because this thread counts as running until it blocks. */
    pthread_mutex_lock(&vm->lock);
    for (int i = 0; i < TV_MAX_THREADS; i++) {
        if (!vm->threads[i]) {
            vm->threads[i] = t;
            break;
        }
    }
    pthread_mutex_unlock(&vm->lock);
    return t;
}

void tv_thread_free(tv_thread *t)
{
    if (!t)
        return;
    tv_vm *vm = t->vm;
    pthread_mutex_lock(&vm->lock);
    for (int i = 0; i < TV_MAX_THREADS; i++)
        if (vm->threads[i] == t)
            vm->threads[i] = NULL;
    pthread_mutex_unlock(&vm->lock);
    mmtk_destroy_mutator(t->m);
    free(t->roots);
    free(t);
}

static uint8_t tv_pattern(uint64_t id, uint32_t i)
{
    return (uint8_t)(id * 31u + i * 7u + 1u);
}

tv_obj *tv_alloc(tv_thread *t, uint32_t nrefs, uint32_t payload, int semantics)
{
    size_t bytes = sizeof(tv_obj) + (size_t)nrefs * sizeof(mmtk_object) + payload;
    tv_obj *o = mmtk_alloc(t->m, bytes, 8, 0, semantics);
    if (!o)
        return NULL;
    for (size_t i = 0; i < bytes; i++) {
        if (((unsigned char *)o)[i] != 0) {   /* the contract: zero-filled */
            __atomic_add_fetch(&t->vm->bad_scans, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    o->tag = TV_TAG;
    o->nrefs = nrefs;
    o->bytes = (uint32_t)bytes;
    o->kind = (uint32_t)semantics;
    o->id = __atomic_add_fetch(&t->vm->next_id, 1, __ATOMIC_RELAXED);
    uint8_t *data = (uint8_t *)&o->refs[nrefs];
    for (uint32_t i = 0; i < payload; i++)
        data[i] = tv_pattern(o->id, i);
    mmtk_post_alloc(t->m, o, bytes, semantics);
    return o;
}

int tv_check(const tv_obj *o)
{
    if (!o || o->tag != TV_TAG)
        return 0;
    size_t payload = o->bytes - sizeof(tv_obj) - (size_t)o->nrefs * sizeof(mmtk_object);
    const uint8_t *data = (const uint8_t *)&o->refs[o->nrefs];
    for (size_t i = 0; i < payload; i++)
        if (data[i] != tv_pattern(o->id, (uint32_t)i))
            return 0;
    return 1;
}

void tv_set(tv_thread *t, tv_obj *o, uint32_t i, void *target)
{
    mmtk_object_reference_write(t->m, o, &o->refs[i], target);
}

size_t tv_push(tv_thread *t, void *obj)
{
    if (t->nroots == t->cap) {
        /* Growing the shadow stack moves it: do it where no collection can
         * read it (this thread is running, so none can). */
        size_t ncap = t->cap * 2;
        mmtk_object *n = calloc(ncap, sizeof *n);
        if (!n)
            abort();
        memcpy(n, t->roots, t->nroots * sizeof *n);
        free(t->roots);
        t->roots = n;
        t->cap = ncap;
    }
    t->roots[t->nroots] = obj;
    return t->nroots++;
}

void *tv_root(tv_thread *t, size_t i)
{
    return t->roots[i];
}

void tv_set_root(tv_thread *t, size_t i, void *obj)
{
    t->roots[i] = obj;
}

void tv_pop(tv_thread *t, size_t n)
{
    while (n-- && t->nroots)
        t->roots[--t->nroots] = NULL;
}

/* Bottom-up so a moving collection in the middle is harmless: every
 * object made so far is reachable from the shadow stack. */
tv_obj *tv_tree(tv_thread *t, int depth, int semantics)
{
    if (depth < 0)
        return NULL;
    size_t base = t->nroots;
    tv_obj *l = tv_tree(t, depth - 1, semantics);
    tv_push(t, l);
    tv_obj *r = tv_tree(t, depth - 1, semantics);
    tv_push(t, r);
    tv_obj *n = tv_alloc(t, 2, 8, semantics);
    if (n) {
        tv_set(t, n, 0, tv_root(t, base));
        tv_set(t, n, 1, tv_root(t, base + 1));
    }
    tv_pop(t, 2);
    return n;
}

long tv_tree_check(const tv_obj *o, int depth)
{
    if (depth < 0)
        return o == NULL ? 0 : -1;
    if (!tv_check(o) || o->nrefs != 2)
        return -1;
    long l = tv_tree_check(o->refs[0], depth - 1);
    long r = tv_tree_check(o->refs[1], depth - 1);
    if (l < 0 || r < 0)
        return -1;
    return l + r + 1;
}

const tv_plan_info tv_plans[] = {
    { "NoGC",        0, TV_MOVES_NEVER,     0 },
    { "MarkSweep",   1, TV_MOVES_NEVER,     0 },
    { "SemiSpace",   1, TV_MOVES_ALWAYS,    0 },
    { "Immix",       1, TV_MOVES_SOMETIMES, 0 },
    { "GenCopy",     1, TV_MOVES_ALWAYS,    1 },
    { "GenImmix",    1, TV_MOVES_ALWAYS,    1 },   /* young objects are copied out of the nursery */
    { "StickyImmix", 1, TV_MOVES_SOMETIMES, 1 },   /* promotes in place, defragments */
    { "MarkCompact", 1, TV_MOVES_SOMETIMES, 0 },
};
const int tv_nplans = (int)(sizeof tv_plans / sizeof tv_plans[0]);

const tv_plan_info *tv_plan(const char *name)
{
    for (int i = 0; name && i < tv_nplans; i++)
        if (!strcmp(tv_plans[i].name, name))
            return &tv_plans[i];
    return NULL;
}

long tv_scaled(long n)
{
    const char *s = getenv("VMMA_TEST_SCALE");
    long k = s ? atol(s) : 1;
    if (k < 1)
        k = 1;
    n /= k;
    return n < 1 ? 1 : n;
}

unsigned tv_seed(const char *test)
{
    const char *s = getenv("TV_SEED");
    unsigned seed = s ? (unsigned)strtoul(s, NULL, 0) : (unsigned)time(NULL);
    printf("%s: seed %u (replay with TV_SEED=%u)\n", test, seed, seed);
    return seed;
}
