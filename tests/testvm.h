/*
 * testvm.h — a small VM for libmmtk's tests and benchmarks.
 *
 * Objects: a 24-byte header then reference fields then raw payload:
 *   uint32 tag (TV_TAG), uint32 nrefs, uint32 bytes (whole object), uint32 kind,
 *   uint64 id (a serial number, checked after moves), mmtk_object refs[nrefs],
 *   payload (filled with a pattern derived from id, checked by tv_check).
 * Roots: each thread has a shadow stack of slots (tv_push/tv_pop) reported
 * by scan_roots; plus a few global slots. Every store of a reference into an
 * object goes through mmtk_object_reference_write.
 */
#ifndef TESTVM_H
#define TESTVM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <mmtk.h>

#define TV_TAG 0x7e57u
#define TV_MAX_THREADS 16
#define TV_GLOBALS 8

typedef struct tv_obj {
    uint32_t tag, nrefs, bytes, kind;
    uint64_t id;
    mmtk_object refs[];
} tv_obj;

typedef struct tv_vm tv_vm;

typedef struct tv_thread {
    tv_vm *vm;
    mmtk_mutator *m;
    mmtk_object *roots;
    size_t nroots, cap;
} tv_thread;

struct tv_vm {
    mmtk *heap;
    pthread_mutex_t lock;
    tv_thread *threads[TV_MAX_THREADS];
    mmtk_object globals[TV_GLOBALS];
    uint64_t next_id;
    /* counters the binding callbacks keep */
    uint64_t copies, gc_started, gc_finished, oom_calls, bad_scans;
    size_t oom_bytes;
    int use_stop_callbacks;   /* install stop_all/resume callbacks that count */
    int no_copy_count;        /* no post_copy callback (copies stays 0): benchmarks */
    uint64_t stops, resumes;
    int conservative_words;   /* scan_roots also reports these as conservative */
    void *cons[4];
};

/* Make a heap for `vm` (cleared, except use_stop_callbacks and no_copy_count) with plan and "name=value" options (NULL-terminated).
 * Returns NULL (errno) on failure. ctx may be NULL. */
mmtk *tv_heap_new(tv_vm *vm, vmma_context *ctx, const char *plan, const char *const *options);
void  tv_heap_free(tv_vm *vm);
mmtk_vm_binding tv_binding(int with_optional);

tv_thread *tv_thread_new(tv_vm *vm);   /* binds a mutator on the calling thread */
void tv_thread_free(tv_thread *t);

/* An object with nrefs reference fields and payload bytes of data. */
tv_obj *tv_alloc(tv_thread *t, uint32_t nrefs, uint32_t payload, int semantics);
void tv_set(tv_thread *t, tv_obj *o, uint32_t i, void *target);
int  tv_check(const tv_obj *o);        /* header and payload intact */

size_t tv_push(tv_thread *t, void *obj);   /* returns the root index */
void  *tv_root(tv_thread *t, size_t i);
void   tv_set_root(tv_thread *t, size_t i, void *obj);
void   tv_pop(tv_thread *t, size_t n);

/* A complete binary tree of depth d (2^(d+1)-1 nodes) kept in root slot. */
tv_obj *tv_tree(tv_thread *t, int depth, int semantics);
/* Nodes of a tree checked for shape and integrity, -1 when broken. */
long tv_tree_check(const tv_obj *root, int depth);

/* The plans libmmtk names (mmtk(3), option "plan"), in one place for every
 * suite that runs on all of them, with the properties mmtk(3) documents and
 * the tests' expectations depend on. */
enum tv_moves {
    TV_MOVES_NEVER,      /* default space never moves: objects pinned by nature */
    TV_MOVES_SOMETIMES,  /* defragmenting or compacting: moves what it chooses */
    TV_MOVES_ALWAYS      /* copying: a full collection copies every live unpinned default object */
};
typedef struct tv_plan_info {
    const char *name;
    int collects;        /* 0 for NoGC */
    int moves;           /* enum tv_moves */
    int generational;    /* nursery collections, an object-remembering barrier */
} tv_plan_info;
extern const tv_plan_info tv_plans[];
extern const int tv_nplans;
/* The entry of tv_plans named `name`, NULL when there is none. */
const tv_plan_info *tv_plan(const char *name);

/* Loop counts divided by VMMA_TEST_SCALE (>= 1). */
long tv_scaled(long n);
/* The seed for random tests: TV_SEED from the environment or time; printed. */
unsigned tv_seed(const char *test);

#endif
