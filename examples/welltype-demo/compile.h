/*
 * compile.h — state shared by the checker/code generator's two files
 * (compile.c: declarations, statements, driver; compile_expr.c: expressions).
 */
#ifndef WT_COMPILE_H
#define WT_COMPILE_H

#include "wt.h"

#include <setjmp.h>

typedef struct comp_type {
    int kind;                 /* T_* */
    int arg;                  /* T_ARRAY: element type id; T_RECORD: record index */
} comp_type;

typedef struct comp_record {
    const char *name;
    wt_node *decl;
    int nfields;
    const char **fnames;
    int *ftypes;
    int type_id;
} comp_record;

typedef struct comp_func {
    const char *name;
    wt_node *decl;
    int nparams;
    int *ptypes;
    int ret;                  /* type id */
    uint32_t entry, nlocals;
} comp_func;

typedef struct comp_var {
    const char *name;
    int type;
    int slot;
    int global;
    int depth;
} comp_var;

typedef struct comp {
    const char *file;
    wt_diag *diag;
    jmp_buf fail;
    wt_arena *arena;          /* the tree, and small tables */
    comp_type *types;  size_t ntypes, captypes;
    comp_record *recs; size_t nrecs;
    comp_func *fns;    size_t nfns;
    comp_var *vars;    size_t nvars, capvars;
    int depth;                /* block nesting; 0 = top level */
    int cur_fn;               /* function being compiled, -1 = top level */
    uint32_t nlocals, maxlocals;   /* of the code being compiled */
    uint32_t main_locals;     /* top-level code's locals (blocks inside it) */
    int32_t *code, *lines; size_t ncode, capcode;
    int64_t *consts; size_t nconsts, capconsts;
    char **strs; size_t *strlens; size_t nstrs, capstrs;
    size_t nglobals;
} comp;

/* well-known type ids, interned first by comp_init_types */
enum { TY_ERROR, TY_VOID, TY_INT, TY_BOOL, TY_STRING, TY_NULL };

void comp_error(comp *c, const wt_node *at, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4), noreturn))
#endif
    ;
void *comp_grow(comp *c, void *array, size_t *cap, size_t need, size_t elem);
int  comp_type_intern(comp *c, int kind, int arg);
void comp_type_text(const comp *c, int type, char *buf, size_t n);
int  comp_is_ref_type(const comp *c, int type);
int  comp_assignable(const comp *c, int to, int from);
void comp_expect_type(comp *c, const wt_node *at, int want, int got, const char *what);

size_t comp_emit(comp *c, int32_t word, int line);
void   comp_patch(comp *c, size_t at, size_t target);
size_t comp_const(comp *c, int64_t v);
size_t comp_str(comp *c, const char *s, size_t len);

const comp_var *comp_lookup_var(const comp *c, const char *name);
int comp_find_func(const comp *c, const char *name);
int comp_find_record(const comp *c, const char *name);
int comp_record_field(const comp_record *r, const char *name);

int comp_expr(comp *c, wt_node *n);          /* check + emit, returns its type */
int comp_field_of(comp *c, wt_node *n, int *field);  /* emits the record */
int comp_resolve_type(comp *c, wt_node *t);

#endif /* WT_COMPILE_H */
