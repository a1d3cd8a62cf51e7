/*
 * heap.c — the demo's libmmtk binding: object layout, roots, allocation, and
 * one program's heap from mmtk_init to mmtk_destroy.
 *
 * Invariants:
 *  - every object starts with a header word (kind | count << 8) written
 *    before any collection can see it; object_size and scan_object read only
 *    that word and the fields it describes;
 *  - a field or root slot holds a reference exactly when its low bit is 0
 *    (NULL included), so scanning is precise;
 *  - the roots are the VM's live stack [0, sp), its globals and its string
 *    constants; the interpreter syncs sp before every call that may collect.
 */
#include "vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WT_STACK_SLOTS  (256u * 1024u)
#define WT_MAX_FRAMES   (64u * 1024u)

/* ------------------------------------------------------------------ */
/* Binding callbacks                                                   */
static size_t wt_payload_bytes(int kind, size_t count)
{
    if (kind == WT_OBJ_STRING)
        return (count + 7) & ~(size_t)7;
    return count * sizeof(wt_val);
}

static size_t wt_object_size(void *vmp, mmtk_object o)
{
    (void)vmp;
    return WT_HDR_BYTES + wt_payload_bytes(wt_obj_kind(o), wt_obj_count(o));
}

static void wt_scan_object(void *vmp, mmtk_object o, mmtk_visitor *v)
{
    (void)vmp;
    if (wt_obj_kind(o) == WT_OBJ_STRING)
        return;
    wt_val *f = wt_obj_fields(o);
    size_t n = wt_obj_count(o);
    for (size_t i = 0; i < n; i++)
        if (wt_is_ref(f[i]) && f[i])
            mmtk_visit_slot(v, (mmtk_object *)&f[i]);
}

static void wt_visit_range(mmtk_visitor *v, wt_val *slots, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (wt_is_ref(slots[i]) && slots[i])
            mmtk_visit_slot(v, (mmtk_object *)&slots[i]);
}

static void wt_scan_roots(void *vmp, mmtk_visitor *v)
{
    wt_vm *vm = vmp;
    wt_visit_range(v, vm->stack, vm->sp);
    wt_visit_range(v, vm->globals, vm->prog->nglobals);
    wt_visit_range(v, vm->strconsts, vm->nstrconsts);
}

static void wt_gc_started(void *vmp)
{
    wt_vm *vm = vmp;
    /* the heap is at its fullest just before a collection */
    wt_heap_sample(vm);
}

const mmtk_vm_binding wt_binding = {
    .object_size = wt_object_size,
    .scan_object = wt_scan_object,
    .scan_roots = wt_scan_roots,
    .gc_started = wt_gc_started,
};

void wt_heap_sample(wt_vm *vm)
{
    size_t used = mmtk_used_bytes(vm->heap);
    if (used > vm->job->peak_used)
        vm->job->peak_used = used;
}

/* ------------------------------------------------------------------ */
/* Allocation                                                          */
mmtk_object wt_alloc_object(wt_vm *vm, int kind, size_t count)
{
    wt_job *job = vm->job;
    size_t bytes = 0;
    if (count < (SIZE_MAX - WT_HDR_BYTES) / sizeof(wt_val) &&
        count < ((size_t)1 << 55))
        bytes = WT_HDR_BYTES + wt_payload_bytes(kind, count);
    mmtk_object o = NULL;
    if (bytes && bytes <= job->heap_bytes)
        o = mmtk_alloc(vm->mut, bytes, sizeof(wt_val), 0, MMTK_ALLOC_DEFAULT);
    if (!o) {
        char size[32];
        job->status = WT_OUT_OF_MEMORY;
        snprintf(job->message, sizeof job->message, "out of memory in its %s heap",
                 wt_size_text(size, sizeof size, job->heap_bytes));
        return NULL;
    }
    *(uint64_t *)o = (uint64_t)kind | (uint64_t)count << 8;
    mmtk_post_alloc(vm->mut, o, bytes, MMTK_ALLOC_DEFAULT);
    return o;
}

/* the program's string constants become heap strings, kept as roots */
static int wt_make_constants(wt_vm *vm)
{
    const wt_program *p = vm->prog;
    for (size_t i = 0; i < p->nstrs; i++) {
        mmtk_object s = wt_alloc_object(vm, WT_OBJ_STRING, p->strlens[i]);
        if (!s)
            return -1;
        memcpy(wt_obj_bytes(s), p->strs[i], p->strlens[i]);
        vm->strconsts[i] = s;
        vm->nstrconsts = i + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* One program's heap                                                  */
static mmtk *wt_make_heap(wt_job *job, vmma_context *ctx, wt_vm *vm)
{
    mmtk_builder *b = mmtk_builder_new();
    if (!b)
        return NULL;
    int rc = mmtk_builder_read_env(b);
    if (!rc && job->plan[0])
        rc = mmtk_builder_set_option(b, "plan", job->plan);
    if (!rc)
        rc = mmtk_builder_set_heap_size(b, job->heap_bytes, job->heap_bytes);
    for (int i = 0; !rc && i < job->nopts; i++)
        rc = mmtk_builder_set_option(b, job->opt_names[i], job->opt_values[i]);
    if (ctx)
        mmtk_builder_set_vmma_context(b, ctx);
    mmtk *heap = NULL;
    if (!rc)
        heap = mmtk_init(b, &wt_binding, vm);
    else
        errno = rc;
    int saved = errno;
    mmtk_builder_free(b);
    errno = saved;
    return heap;
}

static int wt_vm_alloc_tables(wt_vm *vm)
{
    const wt_program *p = vm->prog;
    vm->stack_cap = WT_STACK_SLOTS;
    vm->frames_cap = WT_MAX_FRAMES;
    vm->stack = calloc(vm->stack_cap, sizeof *vm->stack);
    vm->globals = calloc(p->nglobals + 1, sizeof *vm->globals);
    vm->strconsts = calloc(p->nstrs + 1, sizeof *vm->strconsts);
    vm->frames = calloc(vm->frames_cap, sizeof *vm->frames);
    return vm->stack && vm->globals && vm->strconsts && vm->frames ? 0 : ENOMEM;
}

static void wt_vm_free_tables(wt_vm *vm)
{
    free(vm->stack);
    free(vm->globals);
    free(vm->strconsts);
    free(vm->frames);
}

/* bytes the heap's vmma client holds in arenas: what deleting it gives back */
static size_t wt_client_bytes(mmtk *heap)
{
    vmma_stats st;
    vmma_client *cl = mmtk_get_vmma_client(heap);
    if (!cl || vmma_get_client_stats(cl, &st) != 0)
        return 0;
    /* total_size: the client's arenas; a client's figures give it directly */
    return st.total_size ? st.total_size : st.used_size + st.free_size;
}

static void wt_heap_finish(wt_vm *vm)
{
    wt_job *job = vm->job;
    mmtk_stats st;
    if (mmtk_get_stats(vm->heap, &st) == 0) {
        job->collections = st.collections;
        job->pause_max_ns = st.pause_ns_max;
        job->bytes_allocated = st.bytes_allocated;
    }
    job->instructions = vm->icount;
    mmtk_destroy_mutator(vm->mut);
    job->bytes_returned = wt_client_bytes(vm->heap);
    mmtk_destroy(vm->heap);
}

int wt_vm_run(wt_job *job, vmma_context *ctx)
{
    wt_vm vm;
    memset(&vm, 0, sizeof vm);
    vm.prog = job->prog;
    vm.job = job;
    job->status = WT_NOT_RUN;
    if (wt_vm_alloc_tables(&vm) != 0) {
        job->status = WT_HEAP_ERROR;
        snprintf(job->message, sizeof job->message, "cannot start: %s", strerror(ENOMEM));
        wt_vm_free_tables(&vm);
        return job->status;
    }
    vm.heap = wt_make_heap(job, ctx, &vm);
    if (!vm.heap) {
        int err = errno;
        job->status = WT_HEAP_ERROR;
        snprintf(job->message, sizeof job->message, "no heap for plan %s: %s",
                 job->plan[0] ? job->plan : "(default)",
                 err == ENOTSUP ? "plan not supported by this libmmtk" : strerror(err));
        wt_vm_free_tables(&vm);
        return job->status;
    }
    snprintf(job->plan_used, sizeof job->plan_used, "%s", mmtk_plan_name(vm.heap));
    vm.mut = mmtk_bind_mutator(vm.heap, &vm);
    if (!vm.mut) {
        job->status = WT_HEAP_ERROR;
        snprintf(job->message, sizeof job->message, "cannot bind a mutator: %s",
                 strerror(errno));
        mmtk_destroy(vm.heap);
        wt_vm_free_tables(&vm);
        return job->status;
    }
    mmtk_initialize_collection(vm.heap, &vm);
    if (wt_make_constants(&vm) == 0)
        wt_interpret(&vm);
    wt_heap_sample(&vm);
    wt_heap_finish(&vm);
    wt_vm_free_tables(&vm);
    return job->status;
}

int wt_plan_available(const char *plan)
{
    wt_job job;
    wt_job_init(&job, "probe");
    snprintf(job.plan, sizeof job.plan, "%s", plan);
    job.heap_bytes = (size_t)4 << 20;
    wt_vm vm;
    memset(&vm, 0, sizeof vm);
    vm.job = &job;
    mmtk *heap = wt_make_heap(&job, NULL, &vm);
    if (!heap)
        return 0;
    mmtk_destroy(heap);
    return 1;
}
