/*
 * compile_expr.c — type checking and code generation of expressions.
 *
 * Invariant: comp_expr leaves exactly one value on the VM stack for an
 * expression of non-void type and none for a void call, and returns the
 * expression's type id; any type error longjmps out with its diagnostic.
 */
#include "compile.h"

#include <string.h>

static const char *op_text(int tok)
{
    const char *s = wt_tok_name(tok);   /* "'+'" */
    return s;
}

static int binary_arith(comp *c, wt_node *n, int lt, int rt)
{
    char a[64], b[64];
    if (n->op == TK_PLUS && lt == TY_STRING && rt == TY_STRING) {
        comp_emit(c, OP_CONCAT, n->line);
        return TY_STRING;
    }
    if (lt != TY_INT || rt != TY_INT) {
        comp_type_text(c, lt, a, sizeof a);
        comp_type_text(c, rt, b, sizeof b);
        comp_error(c, n, "operator %s cannot be applied to %s and %s",
                   op_text(n->op), a, b);
    }
    static const struct { int tok, op, result; } table[] = {
        {TK_PLUS, OP_ADD, TY_INT}, {TK_MINUS, OP_SUB, TY_INT},
        {TK_STAR, OP_MUL, TY_INT}, {TK_SLASH, OP_DIV, TY_INT},
        {TK_PERCENT, OP_MOD, TY_INT}, {TK_LT, OP_LT, TY_BOOL},
        {TK_LE, OP_LE, TY_BOOL}, {TK_GT, OP_GT, TY_BOOL},
        {TK_GE, OP_GE, TY_BOOL},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].tok == n->op) {
            comp_emit(c, table[i].op, n->line);
            return table[i].result;
        }
    comp_error(c, n, "unknown operator");
}

static int binary_equality(comp *c, wt_node *n, int lt, int rt)
{
    char a[64], b[64];
    if (!comp_assignable(c, lt, rt) && !comp_assignable(c, rt, lt)) {
        comp_type_text(c, lt, a, sizeof a);
        comp_type_text(c, rt, b, sizeof b);
        comp_error(c, n, "cannot compare %s with %s", a, b);
    }
    int eq = n->op == TK_EQ;
    if (lt == TY_STRING)
        comp_emit(c, eq ? OP_STR_EQ : OP_STR_NE, n->line);
    else
        comp_emit(c, eq ? OP_EQ : OP_NE, n->line);
    return TY_BOOL;
}

static int expr_logical(comp *c, wt_node *n)
{
    char what[32];
    snprintf(what, sizeof what, "operand of %s:", op_text(n->op));
    comp_expect_type(c, n->a, TY_BOOL, comp_expr(c, n->a), what);
    comp_emit(c, n->op == TK_AND ? OP_AND_JMP : OP_OR_JMP, n->line);
    size_t hole = comp_emit(c, 0, n->line);
    comp_expect_type(c, n->b, TY_BOOL, comp_expr(c, n->b), what);
    comp_patch(c, hole, c->ncode);
    return TY_BOOL;
}

static int expr_binary(comp *c, wt_node *n)
{
    if (n->op == TK_AND || n->op == TK_OR)
        return expr_logical(c, n);
    int lt = comp_expr(c, n->a);
    int rt = comp_expr(c, n->b);
    if (lt == TY_VOID || rt == TY_VOID)
        comp_error(c, n, "a void call has no value to use with %s", op_text(n->op));
    if (n->op == TK_EQ || n->op == TK_NE)
        return binary_equality(c, n, lt, rt);
    return binary_arith(c, n, lt, rt);
}

static int expr_unary(comp *c, wt_node *n)
{
    int t = comp_expr(c, n->a);
    int want = n->op == TK_MINUS ? TY_INT : TY_BOOL;
    if (t != want) {
        char a[64];
        comp_type_text(c, t, a, sizeof a);
        comp_error(c, n, "operator %s cannot be applied to %s", op_text(n->op), a);
    }
    comp_emit(c, n->op == TK_MINUS ? OP_NEG : OP_NOT, n->line);
    return t;
}

static int expr_name(comp *c, wt_node *n)
{
    const comp_var *v = comp_lookup_var(c, n->name);
    if (!v) {
        if (comp_find_func(c, n->name) >= 0)
            comp_error(c, n, "function '%s' is not a value (call it)", n->name);
        comp_error(c, n, "undefined variable '%s'", n->name);
    }
    comp_emit(c, v->global ? OP_LOAD_GLOBAL : OP_LOAD_LOCAL, n->line);
    comp_emit(c, v->slot, n->line);
    return v->type;
}

static int count_list(const wt_node *n)
{
    int k = 0;
    for (; n; n = n->next)
        k++;
    return k;
}

/* len, str, chr */
static int expr_builtin(comp *c, wt_node *n, const char *name)
{
    int nargs = count_list(n->list);
    if (nargs != 1)
        comp_error(c, n, "'%s' expects 1 argument but got %d", name, nargs);
    int t = comp_expr(c, n->list);
    char a[64];
    comp_type_text(c, t, a, sizeof a);
    if (strcmp(name, "len") == 0) {
        if (t == TY_STRING)
            comp_emit(c, OP_LEN_STR, n->line);
        else if (c->types[t].kind == T_ARRAY)
            comp_emit(c, OP_LEN_ARRAY, n->line);
        else
            comp_error(c, n->list, "'len' needs a string or an array, not %s", a);
        return TY_INT;
    }
    if (strcmp(name, "str") == 0) {
        if (t != TY_INT && t != TY_BOOL)
            comp_error(c, n->list, "'str' needs an int or a bool, not %s", a);
        comp_emit(c, t == TY_INT ? OP_INT_STR : OP_BOOL_STR, n->line);
        return TY_STRING;
    }
    comp_expect_type(c, n->list, TY_INT, t, "argument of 'chr':");
    comp_emit(c, OP_CHR, n->line);
    return TY_STRING;
}

static int expr_call(comp *c, wt_node *n)
{
    if (n->a->kind != N_NAME)
        comp_error(c, n, "only functions can be called");
    const char *name = n->a->name;
    int f = comp_find_func(c, name);
    if (f < 0) {
        if (!strcmp(name, "len") || !strcmp(name, "str") || !strcmp(name, "chr"))
            return expr_builtin(c, n, name);
        if (comp_lookup_var(c, name))
            comp_error(c, n->a, "'%s' is not a function", name);
        comp_error(c, n->a, "undefined function '%s'", name);
    }
    const comp_func *fn = &c->fns[f];
    int nargs = count_list(n->list);
    if (nargs != fn->nparams)
        comp_error(c, n, "function '%s' expects %d argument%s but got %d",
                   name, fn->nparams, fn->nparams == 1 ? "" : "s", nargs);
    int i = 0;
    for (wt_node *arg = n->list; arg; arg = arg->next, i++) {
        char what[80];
        snprintf(what, sizeof what, "argument %d of '%s':", i + 1, name);
        comp_expect_type(c, arg, fn->ptypes[i], comp_expr(c, arg), what);
    }
    comp_emit(c, OP_CALL, n->line);
    comp_emit(c, f, n->line);
    return fn->ret;
}

static int expr_index(comp *c, wt_node *n)
{
    int t = comp_expr(c, n->a);
    char a[64];
    comp_type_text(c, t, a, sizeof a);
    int elem;
    if (t == TY_STRING)
        elem = TY_INT;
    else if (c->types[t].kind == T_ARRAY)
        elem = c->types[t].arg;
    else
        comp_error(c, n, "cannot index a value of type %s", a);
    comp_expect_type(c, n->b, TY_INT, comp_expr(c, n->b), "index:");
    comp_emit(c, t == TY_STRING ? OP_STR_INDEX : OP_INDEX, n->line);
    return elem;
}

/* the record and field index of a field access; emits the record */
int comp_field_of(comp *c, wt_node *n, int *field)
{
    int t = comp_expr(c, n->a);
    if (c->types[t].kind != T_RECORD) {
        char a[64];
        comp_type_text(c, t, a, sizeof a);
        comp_error(c, n, "cannot access field '%s' of %s", n->name, a);
    }
    const comp_record *r = &c->recs[c->types[t].arg];
    *field = comp_record_field(r, n->name);
    if (*field < 0)
        comp_error(c, n, "record '%s' has no field '%s'", r->name, n->name);
    return r->ftypes[*field];
}

static int expr_field(comp *c, wt_node *n)
{
    int field;
    int t = comp_field_of(c, n, &field);
    comp_emit(c, OP_FIELD, n->line);
    comp_emit(c, field, n->line);
    return t;
}

static int expr_new_array(comp *c, wt_node *n)
{
    int t = comp_resolve_type(c, n->type);
    comp_expect_type(c, n->a, TY_INT, comp_expr(c, n->a), "array length:");
    comp_emit(c, OP_NEW_ARRAY, n->line);
    comp_emit(c, comp_is_ref_type(c, c->types[t].arg), n->line);
    return t;
}

static int expr_new_record(comp *c, wt_node *n)
{
    int ri = comp_find_record(c, n->name);
    if (ri < 0)
        comp_error(c, n, "unknown record type '%s'", n->name);
    const comp_record *r = &c->recs[ri];
    for (wt_node *f = n->list; f; f = f->next) {
        if (comp_record_field(r, f->name) < 0)
            comp_error(c, f, "record '%s' has no field '%s'", r->name, f->name);
        for (wt_node *g = n->list; g != f; g = g->next)
            if (strcmp(g->name, f->name) == 0)
                comp_error(c, f, "field '%s' is given twice", f->name);
    }
    /* fields are evaluated in declaration order; missing ones get defaults */
    for (int i = 0; i < r->nfields; i++) {
        wt_node *init = n->list;
        while (init && strcmp(init->name, r->fnames[i]) != 0)
            init = init->next;
        if (init) {
            char what[80];
            snprintf(what, sizeof what, "field '%s':", r->fnames[i]);
            comp_expect_type(c, init->a, r->ftypes[i], comp_expr(c, init->a), what);
        } else if (comp_is_ref_type(c, r->ftypes[i])) {
            comp_emit(c, OP_NULL, n->line);
        } else {
            comp_emit(c, OP_CONST, n->line);
            comp_emit(c, (int32_t)comp_const(c, 0), n->line);
        }
    }
    comp_emit(c, OP_NEW_RECORD, n->line);
    comp_emit(c, ri, n->line);
    return r->type_id;
}

static int expr_array_lit(comp *c, wt_node *n)
{
    if (!n->list)
        comp_error(c, n, "empty array literal: use new [T](0)");
    int elem = comp_expr(c, n->list);
    if (elem == TY_NULL || elem == TY_VOID)
        comp_error(c, n->list, "cannot infer the element type of this array literal");
    int k = 1;
    for (wt_node *e = n->list->next; e; e = e->next, k++)
        comp_expect_type(c, e, elem, comp_expr(c, e), "array element:");
    comp_emit(c, OP_ARRAY_LIT, n->line);
    comp_emit(c, k, n->line);
    return comp_type_intern(c, T_ARRAY, elem);
}

int comp_expr(comp *c, wt_node *n)
{
    switch (n->kind) {
    case N_INT:
        comp_emit(c, OP_CONST, n->line);
        comp_emit(c, (int32_t)comp_const(c, n->ival), n->line);
        return TY_INT;
    case N_TRUE: case N_FALSE:
        comp_emit(c, OP_CONST, n->line);
        comp_emit(c, (int32_t)comp_const(c, n->kind == N_TRUE), n->line);
        return TY_BOOL;
    case N_STR:
        comp_emit(c, OP_STR, n->line);
        comp_emit(c, (int32_t)comp_str(c, n->name, n->len), n->line);
        return TY_STRING;
    case N_NULL:
        comp_emit(c, OP_NULL, n->line);
        return TY_NULL;
    case N_NAME: return expr_name(c, n);
    case N_BINARY: return expr_binary(c, n);
    case N_UNARY: return expr_unary(c, n);
    case N_CALL: return expr_call(c, n);
    case N_INDEX: return expr_index(c, n);
    case N_FIELD: return expr_field(c, n);
    case N_NEW_ARRAY: return expr_new_array(c, n);
    case N_NEW_RECORD: return expr_new_record(c, n);
    case N_ARRAY_LIT: return expr_array_lit(c, n);
    default:
        comp_error(c, n, "not an expression");
    }
}
