/*
 * parser.c — recursive-descent parser: tokens to a syntax tree.
 *
 * Grammar (README.md has the user's version):
 *   program  := item*
 *   item     := 'record' NAME '{' (NAME ':' type (','|';')?)* '}'
 *             | 'func' NAME '(' (NAME ':' type),* ')' (':' type)? block
 *             | stmt
 *   stmt     := 'var' NAME (':' type)? '=' expr ';' | 'if' expr block
 *               ('else' (block | if-stmt))? | 'while' expr block
 *             | 'return' expr? ';' | 'print' '(' expr,* ')' ';' | block
 *             | expr ('=' expr)? ';'
 *   type     := 'int' | 'bool' | 'string' | NAME | '[' type ']'
 * Expressions climb || && (== !=) (< <= > >=) (+ -) (* / %) unary postfix.
 *
 * Invariant: the tree's nodes carry the line:col of the token that starts
 * them (the operator's for binary nodes); the first syntax error longjmps
 * out with a file:line:col diagnostic, and nothing after it is parsed.
 */
#include "wt.h"

#include <setjmp.h>
#include <string.h>

typedef struct parser {
    wt_lexer lx;
    wt_token tok;            /* current token */
    wt_arena **arena;
    wt_diag *diag;
    int depth;               /* nesting of expressions, blocks and types */
    jmp_buf fail;
} parser;

/* deeper nesting is refused, so the recursive passes stay within the C stack */
#define WT_MAX_NESTING 1000

static void parse_fail(parser *p) { longjmp(p->fail, 1); }

static void next(parser *p)
{
    if (wt_lex_next(&p->lx, &p->tok) != 0)
        parse_fail(p);
}

static void describe(const wt_token *t, char *buf, size_t n)
{
    if (t->kind == TK_IDENT || t->kind == TK_INT)
        snprintf(buf, n, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->start);
    else if (t->kind == TK_STRING)
        snprintf(buf, n, "a string");
    else
        snprintf(buf, n, "%s", wt_tok_name(t->kind));
}

static void error_expected(parser *p, const char *what)
{
    char found[64];
    describe(&p->tok, found, sizeof found);
    wt_diag_set(p->diag, p->lx.file, p->tok.line, p->tok.col,
                "expected %s but found %s", what, found);
    parse_fail(p);
}

static void nest(parser *p)
{
    if (++p->depth > WT_MAX_NESTING) {
        wt_diag_set(p->diag, p->lx.file, p->tok.line, p->tok.col,
                    "nested too deeply (more than %d levels)", WT_MAX_NESTING);
        parse_fail(p);
    }
}

static void expect(parser *p, int kind)
{
    if (p->tok.kind != kind)
        error_expected(p, wt_tok_name(kind));
    next(p);
}

static int accept(parser *p, int kind)
{
    if (p->tok.kind != kind)
        return 0;
    next(p);
    return 1;
}

static wt_node *node(parser *p, int kind, int line, int col)
{
    wt_node *n = wt_arena_alloc(p->arena, sizeof *n);
    if (!n) {
        wt_diag_set(p->diag, p->lx.file, line, col, "out of memory");
        parse_fail(p);
    }
    n->kind = kind;
    n->line = line;
    n->col = col;
    return n;
}

static const char *copy_name(parser *p, const char *s, size_t n)
{
    char *c = wt_arena_alloc(p->arena, n + 1);
    if (!c) {
        wt_diag_set(p->diag, p->lx.file, p->tok.line, p->tok.col, "out of memory");
        parse_fail(p);
    }
    memcpy(c, s, n);
    return c;
}

static const char *expect_ident(parser *p, const char *what)
{
    if (p->tok.kind != TK_IDENT)
        error_expected(p, what);
    const char *name = copy_name(p, p->tok.start, p->tok.len);
    next(p);
    return name;
}

/* append to a singly linked list kept by its tail pointer */
#define LIST_ADD(tailp, n) do { *(tailp) = (n); (tailp) = &(n)->next; } while (0)

/* KEYWORD NAME as a node of `kind` placed at the keyword (var, record, func) */
static wt_node *parse_keyword_named(parser *p, int kind, const char *what)
{
    wt_node *n = node(p, kind, p->tok.line, p->tok.col);
    next(p);
    n->name = expect_ident(p, what);
    return n;
}

/* NAME ':' as a node of `kind` placed at the name; the caller parses what
 * follows (a type for fields and parameters, an expression for a field's
 * value in `new`) */
static wt_node *parse_named(parser *p, int kind, const char *what)
{
    wt_node *n = node(p, kind, p->tok.line, p->tok.col);
    n->name = expect_ident(p, what);
    expect(p, TK_COLON);
    return n;
}

static wt_node *parse_type(parser *p)
{
    wt_node *t;
    if (p->tok.kind == TK_LBRACK) {
        t = node(p, N_TARRAY, p->tok.line, p->tok.col);
        next(p);
        nest(p);
        t->a = parse_type(p);
        p->depth--;
        expect(p, TK_RBRACK);
        return t;
    }
    t = node(p, N_TNAME, p->tok.line, p->tok.col);
    t->name = expect_ident(p, "a type");
    return t;
}

/* ------------------------------------------------------------------ */
/* Expressions                                                         */
static wt_node *parse_expr(parser *p);

static wt_node *parse_string_lit(parser *p)
{
    wt_node *n = node(p, N_STR, p->tok.line, p->tok.col);
    const char *s = p->tok.start + 1, *end = p->tok.start + p->tok.len - 1;
    char *out = wt_arena_alloc(p->arena, (size_t)(end - s) + 1);
    if (!out) {
        wt_diag_set(p->diag, p->lx.file, n->line, n->col, "out of memory");
        parse_fail(p);
    }
    size_t k = 0;
    for (; s < end; s++) {
        char c = *s;
        if (c == '\\') {
            c = *++s;
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        }
        out[k++] = c;
    }
    n->name = out;
    n->len = k;
    next(p);
    return n;
}

static wt_node *parse_args(parser *p, int close)
{
    wt_node *head = NULL, **tail = &head;
    if (p->tok.kind != close) {
        do {
            wt_node *e = parse_expr(p);
            LIST_ADD(tail, e);
        } while (accept(p, TK_COMMA));
    }
    expect(p, close);
    return head;
}

static wt_node *parse_new(parser *p)
{
    wt_node *n;
    int line = p->tok.line, col = p->tok.col;
    next(p);
    if (p->tok.kind == TK_LBRACK) {          /* new [T](n) */
        n = node(p, N_NEW_ARRAY, line, col);
        n->type = parse_type(p);
        expect(p, TK_LPAREN);
        n->a = parse_expr(p);
        expect(p, TK_RPAREN);
        return n;
    }
    n = node(p, N_NEW_RECORD, line, col);    /* new R { f: e, ... } */
    n->name = expect_ident(p, "a record name or '['");
    expect(p, TK_LBRACE);
    wt_node **tail = &n->list;
    while (p->tok.kind != TK_RBRACE) {
        wt_node *f = parse_named(p, N_FIELD_INIT, "a field name");
        f->a = parse_expr(p);
        LIST_ADD(tail, f);
        if (!accept(p, TK_COMMA))
            break;
    }
    expect(p, TK_RBRACE);
    return n;
}

static wt_node *parse_primary(parser *p)
{
    wt_node *n;
    int line = p->tok.line, col = p->tok.col;
    switch (p->tok.kind) {
    case TK_INT:
        n = node(p, N_INT, line, col);
        n->ival = p->tok.ival;
        next(p);
        return n;
    case TK_STRING:
        return parse_string_lit(p);
    case TK_TRUE: case TK_FALSE: case TK_NULL:
        n = node(p, p->tok.kind == TK_TRUE ? N_TRUE :
                    p->tok.kind == TK_FALSE ? N_FALSE : N_NULL, line, col);
        next(p);
        return n;
    case TK_IDENT:
        n = node(p, N_NAME, line, col);
        n->name = expect_ident(p, "a name");
        return n;
    case TK_LPAREN:
        next(p);
        n = parse_expr(p);
        expect(p, TK_RPAREN);
        return n;
    case TK_LBRACK:
        n = node(p, N_ARRAY_LIT, line, col);
        next(p);
        n->list = parse_args(p, TK_RBRACK);
        return n;
    case TK_NEW:
        return parse_new(p);
    default:
        error_expected(p, "an expression");
        return NULL;
    }
}

static wt_node *parse_postfix(parser *p)
{
    wt_node *e = parse_primary(p);
    for (int chain = 0;; chain++) {
        if (chain)
            nest(p);             /* a.b.c... nests as deeply as brackets do */
        int line = p->tok.line, col = p->tok.col;
        wt_node *n;
        if (accept(p, TK_LPAREN)) {
            n = node(p, N_CALL, line, col);
            n->a = e;
            n->list = parse_args(p, TK_RPAREN);
        } else if (accept(p, TK_LBRACK)) {
            n = node(p, N_INDEX, line, col);
            n->a = e;
            n->b = parse_expr(p);
            expect(p, TK_RBRACK);
        } else if (accept(p, TK_DOT)) {
            n = node(p, N_FIELD, line, col);
            n->a = e;
            n->name = expect_ident(p, "a field name");
        } else {
            p->depth -= chain;
            return e;
        }
        e = n;
    }
}

static wt_node *parse_unary(parser *p)
{
    if (p->tok.kind == TK_MINUS || p->tok.kind == TK_NOT) {
        wt_node *n = node(p, N_UNARY, p->tok.line, p->tok.col);
        n->op = p->tok.kind;
        next(p);
        nest(p);
        n->a = parse_unary(p);
        p->depth--;
        return n;
    }
    return parse_postfix(p);
}

/* Binary operators' precedence levels, loosest first; 0: not a binary
 * operator. parse_binary climbs them with one loop. */
static const unsigned char binary_levels[TK_COUNT] = {
    [TK_OR] = 1,
    [TK_AND] = 2,
    [TK_EQ] = 3, [TK_NE] = 3,
    [TK_LT] = 4, [TK_LE] = 4, [TK_GT] = 4, [TK_GE] = 4,
    [TK_PLUS] = 5, [TK_MINUS] = 5,
    [TK_STAR] = 6, [TK_SLASH] = 6, [TK_PERCENT] = 6,
};

static wt_node *parse_binary(parser *p, int min_level)
{
    wt_node *left = parse_unary(p);
    for (int chain = 0;; chain++) {
        int level = binary_levels[p->tok.kind];   /* the lexer's kinds are < TK_COUNT */
        if (level == 0 || level < min_level) {
            p->depth -= chain;
            return left;
        }
        nest(p);                 /* a + b + c... is a left-deep tree */
        wt_node *n = node(p, N_BINARY, p->tok.line, p->tok.col);
        n->op = p->tok.kind;
        next(p);
        n->a = left;
        n->b = parse_binary(p, level + 1);   /* left associative */
        left = n;
    }
}

static wt_node *parse_expr(parser *p)
{
    nest(p);
    wt_node *e = parse_binary(p, 1);
    p->depth--;
    return e;
}

/* ------------------------------------------------------------------ */
/* Statements                                                          */
static wt_node *parse_stmt(parser *p);

static wt_node *parse_block(parser *p)
{
    wt_node *b = node(p, N_BLOCK, p->tok.line, p->tok.col);
    expect(p, TK_LBRACE);
    nest(p);
    wt_node **tail = &b->list;
    while (p->tok.kind != TK_RBRACE && p->tok.kind != TK_EOF) {
        wt_node *s = parse_stmt(p);
        LIST_ADD(tail, s);
    }
    p->depth--;
    expect(p, TK_RBRACE);
    return b;
}

static wt_node *parse_if(parser *p)
{
    wt_node *n = node(p, N_IF, p->tok.line, p->tok.col);
    next(p);
    n->a = parse_expr(p);
    n->b = parse_block(p);
    if (accept(p, TK_ELSE)) {
        nest(p);
        n->c = p->tok.kind == TK_IF ? parse_if(p) : parse_block(p);
        p->depth--;
    }
    return n;
}

static wt_node *parse_var(parser *p)
{
    wt_node *n = parse_keyword_named(p, N_VAR, "a variable name");
    if (accept(p, TK_COLON))
        n->type = parse_type(p);
    expect(p, TK_ASSIGN);
    n->a = parse_expr(p);
    expect(p, TK_SEMI);
    return n;
}

static wt_node *parse_stmt(parser *p)
{
    wt_node *n;
    int line = p->tok.line, col = p->tok.col;
    switch (p->tok.kind) {
    case TK_VAR:
        return parse_var(p);
    case TK_IF:
        return parse_if(p);
    case TK_WHILE:
        n = node(p, N_WHILE, line, col);
        next(p);
        n->a = parse_expr(p);
        n->b = parse_block(p);
        return n;
    case TK_RETURN:
        n = node(p, N_RETURN, line, col);
        next(p);
        if (p->tok.kind != TK_SEMI)
            n->a = parse_expr(p);
        expect(p, TK_SEMI);
        return n;
    case TK_PRINT:
        n = node(p, N_PRINT, line, col);
        next(p);
        expect(p, TK_LPAREN);
        n->list = parse_args(p, TK_RPAREN);
        expect(p, TK_SEMI);
        return n;
    case TK_LBRACE:
        return parse_block(p);
    case TK_FUNC: case TK_RECORD:
        wt_diag_set(p->diag, p->lx.file, line, col,
                    "%s is only allowed at the top level",
                    wt_tok_name(p->tok.kind));
        parse_fail(p);
        return NULL;
    default:
        break;
    }
    wt_node *e = parse_expr(p);
    if (p->tok.kind == TK_ASSIGN) {
        n = node(p, N_ASSIGN, p->tok.line, p->tok.col);
        next(p);
        n->a = e;
        n->b = parse_expr(p);
    } else {
        n = node(p, N_EXPR, line, col);
        n->a = e;
    }
    expect(p, TK_SEMI);
    return n;
}

/* ------------------------------------------------------------------ */
/* Top level                                                           */
static wt_node *parse_record(parser *p)
{
    wt_node *n = parse_keyword_named(p, N_RECORD, "a record name");
    expect(p, TK_LBRACE);
    wt_node **tail = &n->list;
    while (p->tok.kind != TK_RBRACE) {
        wt_node *f = parse_named(p, N_FIELD_DECL, "a field name");
        f->type = parse_type(p);
        LIST_ADD(tail, f);
        if (!accept(p, TK_COMMA) && !accept(p, TK_SEMI))
            break;
    }
    expect(p, TK_RBRACE);
    return n;
}

static wt_node *parse_func(parser *p)
{
    wt_node *n = parse_keyword_named(p, N_FUNC, "a function name");
    expect(p, TK_LPAREN);
    wt_node **tail = &n->list;
    if (p->tok.kind != TK_RPAREN) {
        do {
            wt_node *prm = parse_named(p, N_PARAM, "a parameter name");
            prm->type = parse_type(p);
            LIST_ADD(tail, prm);
        } while (accept(p, TK_COMMA));
    }
    expect(p, TK_RPAREN);
    if (accept(p, TK_COLON))
        n->type = parse_type(p);
    n->a = parse_block(p);
    return n;
}

wt_node *wt_parse(const char *file, const char *src, wt_arena **arena,
                  wt_diag *diag)
{
    parser *p = wt_arena_alloc(arena, sizeof *p);
    if (!p) {
        wt_diag_set(diag, file, 1, 1, "out of memory");
        return NULL;
    }
    wt_lex_init(&p->lx, file, src, diag);
    p->arena = arena;
    p->diag = diag;
    wt_node *head = NULL, **tail = &head;
    if (setjmp(p->fail))
        return NULL;
    next(p);
    while (p->tok.kind != TK_EOF) {
        wt_node *item;
        if (p->tok.kind == TK_RECORD)
            item = parse_record(p);
        else if (p->tok.kind == TK_FUNC)
            item = parse_func(p);
        else
            item = parse_stmt(p);
        LIST_ADD(tail, item);
    }
    if (!head) {
        /* an empty program is valid: one empty block */
        head = node(p, N_BLOCK, 1, 1);
    }
    return head;
}
