/*
 * compile.c — the checker and code generator: declarations, statements, and
 * the driver that turns a source into a wt_program.
 *
 * One pass over the tree checks and emits at once, after a pre-pass that
 * declares every record and function signature (so functions may call each
 * other in any order and records may refer to each other). Global variables
 * are visible from where they are declared on.
 *
 * Invariant: a wt_program exists only for a source with no syntax or type
 * error; the first error longjmps out of the pass with its file:line:col
 * diagnostic and everything built so far is freed.
 */
#include "compile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void comp_error(comp *c, const wt_node *at, const char *fmt, ...)
{
    char msg[WT_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wt_diag_set(c->diag, c->file, at ? at->line : 1, at ? at->col : 1, "%s", msg);
    longjmp(c->fail, 1);
}

void *comp_grow(comp *c, void *array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return array;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(array, n * elem);
    if (!p)
        comp_error(c, NULL, "out of memory");
    *cap = n;
    return p;
}

/* ------------------------------------------------------------------ */
/* Types                                                               */
int comp_type_intern(comp *c, int kind, int arg)
{
    for (size_t i = 0; i < c->ntypes; i++)
        if (c->types[i].kind == kind && c->types[i].arg == arg)
            return (int)i;
    c->types = comp_grow(c, c->types, &c->captypes, c->ntypes + 1, sizeof *c->types);
    c->types[c->ntypes] = (comp_type){kind, arg};
    return (int)c->ntypes++;
}

static void comp_init_types(comp *c)
{
    static const int kinds[] = {T_ERROR, T_VOID, T_INT, T_BOOL, T_STRING, T_NULL};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        comp_type_intern(c, kinds[i], 0);
}

void comp_type_text(const comp *c, int type, char *buf, size_t n)
{
    static const char *const names[] = {"<error>", "void", "int", "bool", "string", "null"};
    const comp_type *t = &c->types[type];
    if (t->kind == T_ARRAY) {
        char inner[64];
        comp_type_text(c, t->arg, inner, sizeof inner);
        snprintf(buf, n, "[%s]", inner);
    } else if (t->kind == T_RECORD) {
        snprintf(buf, n, "%s", c->recs[t->arg].name);
    } else {
        snprintf(buf, n, "%s", names[t->kind]);
    }
}

int comp_is_ref_type(const comp *c, int type)
{
    int k = c->types[type].kind;
    return k == T_STRING || k == T_ARRAY || k == T_RECORD || k == T_NULL;
}

int comp_assignable(const comp *c, int to, int from)
{
    if (to == from)
        return 1;
    int k = c->types[to].kind;
    return from == TY_NULL && (k == T_ARRAY || k == T_RECORD);
}

void comp_expect_type(comp *c, const wt_node *at, int want, int got, const char *what)
{
    if (comp_assignable(c, want, got))
        return;
    char a[64], b[64];
    comp_type_text(c, want, a, sizeof a);
    comp_type_text(c, got, b, sizeof b);
    comp_error(c, at, "type mismatch in %s expected %s but found %s", what, a, b);
}

int comp_resolve_type(comp *c, wt_node *t)
{
    if (t->kind == N_TARRAY)
        return comp_type_intern(c, T_ARRAY, comp_resolve_type(c, t->a));
    if (!strcmp(t->name, "int"))
        return TY_INT;
    if (!strcmp(t->name, "bool"))
        return TY_BOOL;
    if (!strcmp(t->name, "string"))
        return TY_STRING;
    int r = comp_find_record(c, t->name);
    if (r < 0)
        comp_error(c, t, "unknown type '%s'", t->name);
    return c->recs[r].type_id;
}

/* ------------------------------------------------------------------ */
/* Code and constants                                                  */
size_t comp_emit(comp *c, int32_t word, int line)
{
    size_t cap = c->capcode;
    c->code = comp_grow(c, c->code, &c->capcode, c->ncode + 1, sizeof *c->code);
    c->lines = comp_grow(c, c->lines, &cap, c->ncode + 1, sizeof *c->lines);
    c->code[c->ncode] = word;
    c->lines[c->ncode] = line;
    return c->ncode++;
}

void comp_patch(comp *c, size_t at, size_t target)
{
    c->code[at] = (int32_t)target;
}

size_t comp_const(comp *c, int64_t v)
{
    for (size_t i = 0; i < c->nconsts; i++)
        if (c->consts[i] == v)
            return i;
    c->consts = comp_grow(c, c->consts, &c->capconsts, c->nconsts + 1, sizeof *c->consts);
    c->consts[c->nconsts] = v;
    return c->nconsts++;
}

size_t comp_str(comp *c, const char *s, size_t len)
{
    size_t cap = c->capstrs;
    c->strs = comp_grow(c, c->strs, &c->capstrs, c->nstrs + 1, sizeof *c->strs);
    c->strlens = comp_grow(c, c->strlens, &cap, c->nstrs + 1, sizeof *c->strlens);
    char *copy = malloc(len + 1);
    if (!copy)
        comp_error(c, NULL, "out of memory");
    memcpy(copy, s, len);
    copy[len] = '\0';
    c->strs[c->nstrs] = copy;
    c->strlens[c->nstrs] = len;
    return c->nstrs++;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
const comp_var *comp_lookup_var(const comp *c, const char *name)
{
    for (size_t i = c->nvars; i-- > 0;)
        if (strcmp(c->vars[i].name, name) == 0)
            return &c->vars[i];
    return NULL;
}

int comp_find_func(const comp *c, const char *name)
{
    for (size_t i = 0; i < c->nfns; i++)
        if (c->fns[i].name && strcmp(c->fns[i].name, name) == 0)
            return (int)i;
    return -1;
}

int comp_find_record(const comp *c, const char *name)
{
    for (size_t i = 0; i < c->nrecs; i++)
        if (strcmp(c->recs[i].name, name) == 0)
            return (int)i;
    return -1;
}

int comp_record_field(const comp_record *r, const char *name)
{
    for (int i = 0; i < r->nfields; i++)
        if (strcmp(r->fnames[i], name) == 0)
            return i;
    return -1;
}

static void declare_var(comp *c, const wt_node *at, const char *name, int type)
{
    for (size_t i = c->nvars; i-- > 0 && c->vars[i].depth == c->depth;)
        if (strcmp(c->vars[i].name, name) == 0)
            comp_error(c, at, "'%s' is already declared in this scope", name);
    c->vars = comp_grow(c, c->vars, &c->capvars, c->nvars + 1, sizeof *c->vars);
    comp_var *v = &c->vars[c->nvars++];
    v->name = name;
    v->type = type;
    v->depth = c->depth;
    v->global = c->depth == 0 && c->cur_fn < 0;
    if (v->global) {
        v->slot = (int)c->nglobals++;
    } else {
        v->slot = (int)c->nlocals++;
        if (c->nlocals > c->maxlocals)
            c->maxlocals = c->nlocals;
    }
}

static void emit_store(comp *c, const comp_var *v, int line)
{
    comp_emit(c, v->global ? OP_STORE_GLOBAL : OP_STORE_LOCAL, line);
    comp_emit(c, v->slot, line);
}

/* ------------------------------------------------------------------ */
/* Statements                                                          */
static void comp_stmt(comp *c, wt_node *s);

static void comp_block_list(comp *c, wt_node *list)
{
    for (wt_node *s = list; s; s = s->next)
        comp_stmt(c, s);
}

static void comp_block(comp *c, wt_node *b)
{
    size_t nvars = c->nvars;
    uint32_t nlocals = c->nlocals;
    c->depth++;
    comp_block_list(c, b->list);
    c->depth--;
    c->nvars = nvars;
    c->nlocals = nlocals;            /* slots of the block's variables are reused */
}

static void stmt_var(comp *c, wt_node *s)
{
    int t = comp_expr(c, s->a);
    if (s->type) {
        int want = comp_resolve_type(c, s->type);
        char what[80];
        snprintf(what, sizeof what, "initializer of '%s':", s->name);
        comp_expect_type(c, s->a, want, t, what);
        t = want;
    } else if (t == TY_NULL || t == TY_VOID) {
        comp_error(c, s, "cannot infer the type of '%s' from %s; declare it",
                   s->name, t == TY_NULL ? "null" : "a void call");
    }
    declare_var(c, s, s->name, t);
    emit_store(c, comp_lookup_var(c, s->name), s->line);
}

static void stmt_assign(comp *c, wt_node *s)
{
    wt_node *lhs = s->a;
    if (lhs->kind == N_NAME) {
        const comp_var *v = comp_lookup_var(c, lhs->name);
        if (!v)
            comp_error(c, lhs, "undefined variable '%s'", lhs->name);
        char what[80];
        snprintf(what, sizeof what, "assignment to '%s':", lhs->name);
        comp_expect_type(c, s->b, v->type, comp_expr(c, s->b), what);
        emit_store(c, v, s->line);
    } else if (lhs->kind == N_INDEX) {
        int t = comp_expr(c, lhs->a);
        if (t == TY_STRING)
            comp_error(c, lhs, "strings are immutable");
        if (c->types[t].kind != T_ARRAY) {
            char a[64];
            comp_type_text(c, t, a, sizeof a);
            comp_error(c, lhs, "cannot index a value of type %s", a);
        }
        comp_expect_type(c, lhs->b, TY_INT, comp_expr(c, lhs->b), "index:");
        comp_expect_type(c, s->b, c->types[t].arg, comp_expr(c, s->b),
                         "array element assignment:");
        comp_emit(c, OP_STORE_INDEX, s->line);
    } else if (lhs->kind == N_FIELD) {
        int field;
        int t = comp_field_of(c, lhs, &field);
        char what[80];
        snprintf(what, sizeof what, "assignment to field '%s':", lhs->name);
        comp_expect_type(c, s->b, t, comp_expr(c, s->b), what);
        comp_emit(c, OP_STORE_FIELD, s->line);
        comp_emit(c, field, s->line);
    } else {
        comp_error(c, s, "cannot assign to this expression");
    }
}

static void stmt_if(comp *c, wt_node *s)
{
    comp_expect_type(c, s->a, TY_BOOL, comp_expr(c, s->a), "condition:");
    comp_emit(c, OP_JMP_FALSE, s->line);
    size_t to_else = comp_emit(c, 0, s->line);
    comp_block(c, s->b);
    if (s->c) {
        comp_emit(c, OP_JMP, s->line);
        size_t to_end = comp_emit(c, 0, s->line);
        comp_patch(c, to_else, c->ncode);
        if (s->c->kind == N_IF)
            stmt_if(c, s->c);
        else
            comp_block(c, s->c);
        comp_patch(c, to_end, c->ncode);
    } else {
        comp_patch(c, to_else, c->ncode);
    }
}

static void stmt_while(comp *c, wt_node *s)
{
    size_t top = c->ncode;
    comp_expect_type(c, s->a, TY_BOOL, comp_expr(c, s->a), "condition:");
    comp_emit(c, OP_JMP_FALSE, s->line);
    size_t to_end = comp_emit(c, 0, s->line);
    comp_block(c, s->b);
    comp_emit(c, OP_LOOP, s->line);
    comp_emit(c, (int32_t)top, s->line);
    comp_patch(c, to_end, c->ncode);
}

static void stmt_return(comp *c, wt_node *s)
{
    if (c->cur_fn < 0)
        comp_error(c, s, "return outside a function");
    const comp_func *fn = &c->fns[c->cur_fn];
    if (!s->a) {
        if (fn->ret != TY_VOID)
            comp_error(c, s, "function '%s' must return a value", fn->name);
        comp_emit(c, OP_RET_VOID, s->line);
        return;
    }
    if (fn->ret == TY_VOID)
        comp_error(c, s->a, "function '%s' returns no value", fn->name);
    char what[80];
    snprintf(what, sizeof what, "return value of '%s':", fn->name);
    comp_expect_type(c, s->a, fn->ret, comp_expr(c, s->a), what);
    comp_emit(c, OP_RET, s->line);
}

static void stmt_print(comp *c, wt_node *s)
{
    int kinds[64], n = 0;
    for (wt_node *a = s->list; a; a = a->next) {
        if (n == 64)
            comp_error(c, a, "too many arguments to print");
        int t = comp_expr(c, a);
        if (t == TY_VOID)
            comp_error(c, a, "cannot print a void call");
        kinds[n++] = c->types[t].kind;
    }
    comp_emit(c, OP_PRINT, s->line);
    comp_emit(c, n, s->line);
    for (int i = 0; i < n; i++)
        comp_emit(c, kinds[i], s->line);
}

static void comp_stmt(comp *c, wt_node *s)
{
    switch (s->kind) {
    case N_VAR: stmt_var(c, s); break;
    case N_ASSIGN: stmt_assign(c, s); break;
    case N_IF: stmt_if(c, s); break;
    case N_WHILE: stmt_while(c, s); break;
    case N_RETURN: stmt_return(c, s); break;
    case N_PRINT: stmt_print(c, s); break;
    case N_BLOCK: comp_block(c, s); break;
    case N_EXPR:
        if (comp_expr(c, s->a) != TY_VOID)
            comp_emit(c, OP_POP, s->line);
        break;
    default:
        comp_error(c, s, "not a statement");
    }
}

/* ------------------------------------------------------------------ */
/* Declarations                                                        */
static int stmt_returns(const wt_node *s)
{
    switch (s->kind) {
    case N_RETURN:
        return 1;
    case N_BLOCK:
        for (const wt_node *t = s->list; t; t = t->next)
            if (stmt_returns(t))
                return 1;
        return 0;
    case N_IF:
        return s->c && stmt_returns(s->b) && stmt_returns(s->c);
    default:
        return 0;
    }
}

static int is_builtin_name(const char *name)
{
    return !strcmp(name, "len") || !strcmp(name, "str") || !strcmp(name, "chr");
}

static int is_type_name(const char *name)
{
    return !strcmp(name, "int") || !strcmp(name, "bool") || !strcmp(name, "string");
}

static void declare_records(comp *c, wt_node *prog)
{
    for (wt_node *n = prog; n; n = n->next) {
        if (n->kind != N_RECORD)
            continue;
        if (is_type_name(n->name) || comp_find_record(c, n->name) >= 0)
            comp_error(c, n, "type '%s' is already defined", n->name);
        comp_record *r = &c->recs[c->nrecs];
        r->name = n->name;
        r->decl = n;
        r->type_id = comp_type_intern(c, T_RECORD, (int)c->nrecs);
        c->nrecs++;
    }
    for (size_t i = 0; i < c->nrecs; i++) {
        comp_record *r = &c->recs[i];
        int k = 0;
        for (wt_node *f = r->decl->list; f; f = f->next)
            k++;
        r->fnames = wt_arena_alloc(&c->arena, sizeof *r->fnames * (size_t)(k + 1));
        r->ftypes = wt_arena_alloc(&c->arena, sizeof *r->ftypes * (size_t)(k + 1));
        if (!r->fnames || !r->ftypes)
            comp_error(c, r->decl, "out of memory");
        for (wt_node *f = r->decl->list; f; f = f->next) {
            if (comp_record_field(r, f->name) >= 0)
                comp_error(c, f, "field '%s' is declared twice", f->name);
            r->fnames[r->nfields] = f->name;
            r->ftypes[r->nfields++] = comp_resolve_type(c, f->type);
        }
    }
}

static void declare_funcs(comp *c, wt_node *prog)
{
    for (wt_node *n = prog; n; n = n->next) {
        if (n->kind != N_FUNC)
            continue;
        if (is_builtin_name(n->name))
            comp_error(c, n, "'%s' is a built-in function", n->name);
        if (comp_find_func(c, n->name) >= 0)
            comp_error(c, n, "function '%s' is already defined", n->name);
        comp_func *f = &c->fns[c->nfns++];
        f->name = n->name;
        f->decl = n;
        for (wt_node *p = n->list; p; p = p->next)
            f->nparams++;
        f->ptypes = wt_arena_alloc(&c->arena, sizeof *f->ptypes * (size_t)(f->nparams + 1));
        if (!f->ptypes)
            comp_error(c, n, "out of memory");
        int i = 0;
        for (wt_node *p = n->list; p; p = p->next)
            f->ptypes[i++] = comp_resolve_type(c, p->type);
        f->ret = n->type ? comp_resolve_type(c, n->type) : TY_VOID;
    }
}

static void comp_func_body(comp *c, wt_node *n)
{
    int f = comp_find_func(c, n->name);
    comp_func *fn = &c->fns[f];
    comp_emit(c, OP_JMP, n->line);               /* top-level code skips it */
    size_t over = comp_emit(c, 0, n->line);
    uint32_t saved_nlocals = c->nlocals, saved_max = c->maxlocals;
    size_t saved_nvars = c->nvars;
    c->nlocals = c->maxlocals = 0;
    c->cur_fn = f;
    c->depth = 1;
    fn->entry = (uint32_t)c->ncode;
    int i = 0;
    for (wt_node *p = n->list; p; p = p->next)
        declare_var(c, p, p->name, fn->ptypes[i++]);
    comp_block_list(c, n->a->list);
    if (fn->ret == TY_VOID) {
        comp_emit(c, OP_RET_VOID, n->a->line);
    } else {
        if (!stmt_returns(n->a))
            comp_error(c, n, "function '%s' may end without returning a value",
                       n->name);
        comp_emit(c, OP_MISSING_RETURN, n->line);
    }
    fn->nlocals = c->maxlocals;
    c->nlocals = saved_nlocals;
    c->maxlocals = saved_max;
    c->nvars = saved_nvars;
    c->cur_fn = -1;
    c->depth = 0;
    comp_patch(c, over, c->ncode);
}

/* ------------------------------------------------------------------ */
/* Driver                                                              */
static void comp_free(comp *c)
{
    for (size_t i = 0; i < c->nstrs; i++)
        free(c->strs[i]);
    free(c->strs);
    free(c->strlens);
    free(c->types);
    free(c->vars);
    free(c->code);
    free(c->lines);
    free(c->consts);
    wt_arena_free(c->arena);
}

static void comp_program(comp *c, wt_node *prog)
{
    size_t items = 0;
    for (wt_node *n = prog; n; n = n->next)
        items++;
    c->recs = wt_arena_alloc(&c->arena, sizeof *c->recs * (items + 1));
    c->fns = wt_arena_alloc(&c->arena, sizeof *c->fns * (items + 1));
    if (!c->recs || !c->fns)
        comp_error(c, NULL, "out of memory");
    comp_init_types(c);
    declare_records(c, prog);
    declare_funcs(c, prog);
    for (wt_node *n = prog; n; n = n->next) {
        if (n->kind == N_FUNC)
            comp_func_body(c, n);
        else if (n->kind != N_RECORD)
            comp_stmt(c, n);
    }
    comp_emit(c, OP_HALT, 0);
}

/* move what the VM needs out of the compiler into a program */
static wt_program *comp_finish(comp *c)
{
    wt_program *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->file = strdup(c->file);
    p->funcs = calloc(c->nfns + 1, sizeof *p->funcs);
    p->rec_nfields = calloc(c->nrecs + 1, sizeof *p->rec_nfields);
    if (!p->file || !p->funcs || !p->rec_nfields) {
        wt_program_free(p);
        return NULL;
    }
    for (size_t i = 0; i < c->nfns; i++) {
        p->funcs[i].name = NULL;
        p->funcs[i].entry = c->fns[i].entry;
        p->funcs[i].nparams = (uint32_t)c->fns[i].nparams;
        p->funcs[i].nlocals = c->fns[i].nlocals;
    }
    p->main_func = (uint32_t)c->nfns;
    p->funcs[c->nfns].entry = 0;
    p->funcs[c->nfns].nlocals = c->maxlocals;
    p->nfuncs = c->nfns + 1;
    for (size_t i = 0; i < c->nrecs; i++)
        p->rec_nfields[i] = (uint32_t)c->recs[i].nfields;
    p->nrecs = c->nrecs;
    p->code = c->code;   c->code = NULL;
    p->lines = c->lines; c->lines = NULL;
    p->ncode = c->ncode;
    p->consts = c->consts; c->consts = NULL;
    p->nconsts = c->nconsts;
    p->strs = c->strs;   c->strs = NULL;
    p->strlens = c->strlens; c->strlens = NULL;
    p->nstrs = c->nstrs; c->nstrs = 0;
    p->nglobals = c->nglobals;
    return p;
}

/* the pass, under the longjmp target of comp_error */
static wt_program *comp_protected(comp *c, const char *src)
{
    if (setjmp(c->fail) != 0)
        return NULL;
    wt_node *prog = wt_parse(c->file, src, &c->arena, c->diag);
    if (!prog)
        return NULL;
    comp_program(c, prog);
    wt_program *p = comp_finish(c);
    if (!p)
        wt_diag_set(c->diag, c->file, 1, 1, "out of memory");
    return p;
}

wt_program *wt_compile(const char *file, const char *src, wt_diag *diag)
{
    comp *c = calloc(1, sizeof *c);
    if (!c || !file || !src || !diag) {
        free(c);
        errno = c ? EINVAL : ENOMEM;
        return NULL;
    }
    c->file = file;
    c->diag = diag;
    c->cur_fn = -1;
    wt_program *p = comp_protected(c, src);
    comp_free(c);
    free(c);
    if (!p)
        errno = EINVAL;
    return p;
}

wt_program *wt_compile_file(const char *path, wt_diag *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (!diag->failed)
            snprintf(diag->text, sizeof diag->text, "%s: cannot open: %s", path,
                     strerror(errno));
        diag->failed = 1;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *b = realloc(buf, cap *= 2);
        if (!b) {
            free(buf);
            buf = NULL;
        } else {
            buf = b;
        }
    }
    fclose(f);
    if (!buf) {
        wt_diag_set(diag, path, 1, 1, "out of memory");
        return NULL;
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        wt_diag_set(diag, path, 1, 1, "the file contains a NUL byte");
        return NULL;
    }
    wt_program *p = wt_compile(path, buf, diag);
    free(buf);
    return p;
}

void wt_program_free(wt_program *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nstrs; i++)
        free(p->strs[i]);
    free(p->strs);
    free(p->strlens);
    free(p->code);
    free(p->lines);
    free(p->consts);
    free(p->funcs);
    free(p->rec_nfields);
    free(p->file);
    free(p);
}
