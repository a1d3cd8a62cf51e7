/*
 * vm.h — one running program (wt_vm), its heap binding, and the jobs the
 * runner runs concurrently, each on its own libmmtk heap over one shared
 * vmma context.
 */
#ifndef WT_VM_H
#define WT_VM_H

#include "wt.h"

#include <libvmma.h>
#include <mmtk.h>

/* How a program ended. */
enum wt_status {
    WT_NOT_RUN,          /* not started (compile error, or not reached) */
    WT_OK,               /* ran to its end */
    WT_COMPILE_ERROR,    /* syntax or type error: diag holds file:line:col */
    WT_RUNTIME_ERROR,    /* message holds file:line: what */
    WT_OUT_OF_MEMORY,    /* its heap is exhausted */
    WT_BUDGET,           /* instruction budget exceeded */
    WT_HEAP_ERROR        /* the heap could not be made (e.g. plan not supported) */
};

/* Heap objects: one header word, then the payload.
 *   header = kind | count << 8
 *   string: count bytes (padded to a word); array/record: count value words */
enum wt_obj_kind { WT_OBJ_STRING = 1, WT_OBJ_ARRAY = 2, WT_OBJ_RECORD = 3 };
#define WT_HDR_BYTES 8u

static inline uint64_t wt_obj_header(mmtk_object o) { return *(uint64_t *)o; }
static inline int wt_obj_kind(mmtk_object o) { return (int)(wt_obj_header(o) & 0xff); }
static inline size_t wt_obj_count(mmtk_object o) { return (size_t)(wt_obj_header(o) >> 8); }
static inline wt_val *wt_obj_fields(mmtk_object o)
{
    return (wt_val *)((char *)o + WT_HDR_BYTES);
}
static inline char *wt_obj_bytes(mmtk_object o) { return (char *)o + WT_HDR_BYTES; }

/* Everything a caller sets before running a program, and what comes back. */
#define WT_MAX_OPTIONS 8
typedef struct wt_job {
    /* in */
    const char *path;
    char name[64];               /* basename without .wt */
    char plan[32];
    size_t heap_bytes;
    uint64_t budget;             /* instructions; 0 = unlimited */
    const char *opt_names[WT_MAX_OPTIONS];    /* extra mmtk options */
    const char *opt_values[WT_MAX_OPTIONS];
    int nopts;
    /* out */
    int status;
    wt_diag diag;                /* WT_COMPILE_ERROR */
    char message[WT_ERR_MAX];    /* other stops */
    char *output;                /* what the program printed (malloc'ed) */
    size_t output_len;
    char plan_used[32];
    uint64_t collections, pause_max_ns, instructions;
    uint64_t bytes_allocated;    /* by the program, over its whole run */
    size_t peak_used;            /* bytes, the largest used figure sampled */
    size_t bytes_returned;       /* arena bytes its client gave back */
    wt_program *prog;
} wt_job;

/* A running program: the interpreter's state. The value stack, the globals
 * and the string constants are the heap's roots (scan_roots visits every
 * reference slot among them); only [0, sp) of the stack is live. */
typedef struct wt_frame {
    uint32_t ret_pc, base, func;
} wt_frame;

typedef struct wt_vm {
    const wt_program *prog;
    wt_job *job;
    mmtk *heap;
    mmtk_mutator *mut;
    wt_val *stack;
    size_t sp, stack_cap;        /* sp: synced before every allocation/safepoint */
    wt_val *globals;
    wt_val *strconsts;           /* heap strings of the program's constants */
    size_t nstrconsts;           /* how many are made so far */
    wt_frame *frames;
    size_t nframes, frames_cap;
    uint64_t icount;
    size_t out_cap;
} wt_vm;

/* heap.c: the binding, and allocation of the VM's objects. A NULL return
 * means the heap is exhausted (the job's status is set). */
extern const mmtk_vm_binding wt_binding;
mmtk_object wt_alloc_object(wt_vm *vm, int kind, size_t count);
void wt_heap_sample(wt_vm *vm);          /* update the peak-use figure */

/* write a value into a field of a heap object: references go through the
 * plan's write barrier, integers are stored as they are */
static inline void wt_store_field(wt_vm *vm, mmtk_object obj, wt_val *slot, wt_val v)
{
    if (wt_is_ref(v))
        mmtk_object_reference_write(vm->mut, obj, (mmtk_object *)slot, v);
    else
        *slot = v;
}

/* vm.c: run the program's top-level code to its end or a stop */
int wt_interpret(wt_vm *vm);

/* Run one compiled program to its end on a new heap in ctx (NULL = a private
 * context). Fills the job's out fields; returns its status. */
int wt_vm_run(wt_job *job, vmma_context *ctx);

/* 1 when libmmtk accepts `plan` (mmtk_init does not fail with ENOTSUP). */
int wt_plan_available(const char *plan);

/* Compile every job, then run them on `threads` threads at most over one
 * new THREAD_SAFE|LIMITS vmma context; reports its free size before and after.
 * Returns 0, or an errno value when the context cannot be made. */
int wt_run_jobs(wt_job *jobs, size_t n, int threads,
                size_t *free_before, size_t *free_after);

void wt_job_init(wt_job *job, const char *path);
void wt_job_clear(wt_job *job);          /* frees output and program */
const char *wt_status_text(const wt_job *job, char *buf, size_t n);

/* "8M" / "512K" / "1G" / "123" -> bytes; 0 on a malformed value */
size_t wt_parse_size(const char *s);
/* bytes as "8 MiB", "1.5 MiB" or "512 KiB" */
const char *wt_size_text(char *buf, size_t n, size_t bytes);

#endif /* WT_VM_H */
