/*
 * wt.h — the welltype demo VM's internal interface.
 *
 * A program goes source -> tokens (lexer.c) -> syntax tree (parser.c) ->
 * checked bytecode (compile.c, compile_expr.c) -> run (vm.c) on its own
 * libmmtk heap (heap.c), many programs at once (runner.c, main.c).
 *
 * Values are machine words (wt_val, a void *): an integer or boolean i is
 * stored as (i << 1) | 1, a reference to a heap object is the object's
 * address (8-byte aligned, low bit 0) or NULL. The low bit alone therefore
 * tells the collector which slots hold references: roots and object fields are
 * scanned precisely, never conservatively.
 */
#ifndef WT_H
#define WT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------ */
/* Values                                                              */
typedef void *wt_val;

static inline wt_val wt_int(int64_t i)
{
    return (wt_val)(uintptr_t)(((uint64_t)i << 1) | 1u);
}
static inline int64_t wt_to_int(wt_val v)
{
    return (int64_t)(intptr_t)v >> 1;   /* arithmetic shift: gcc and clang */
}
static inline int wt_is_ref(wt_val v) { return ((uintptr_t)v & 1u) == 0; }

/* ------------------------------------------------------------------ */
/* Diagnostics: the first error of a compilation, as file:line:col: msg */
#define WT_ERR_MAX 256
typedef struct wt_diag {
    int failed;
    char text[WT_ERR_MAX];
} wt_diag;
void wt_diag_set(wt_diag *d, const char *file, int line, int col,
                 const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* ------------------------------------------------------------------ */
/* Tokens                                                              */
enum wt_tok {
    TK_EOF, TK_INT, TK_STRING, TK_IDENT,
    /* keywords */
    TK_VAR, TK_FUNC, TK_RECORD, TK_IF, TK_ELSE, TK_WHILE, TK_RETURN,
    TK_PRINT, TK_TRUE, TK_FALSE, TK_NULL, TK_NEW,
    /* punctuation */
    TK_LPAREN, TK_RPAREN, TK_LBRACE, TK_RBRACE, TK_LBRACK, TK_RBRACK,
    TK_COMMA, TK_SEMI, TK_COLON, TK_DOT, TK_ASSIGN,
    TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT,
    TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_AND, TK_OR, TK_NOT,
    TK_COUNT
};
const char *wt_tok_name(int tok);

typedef struct wt_token {
    int kind;
    int line, col;
    const char *start;      /* into the source */
    size_t len;
    int64_t ival;           /* TK_INT */
} wt_token;

typedef struct wt_lexer {
    const char *file, *src, *p;
    int line, col;
    wt_diag *diag;
} wt_lexer;
void wt_lex_init(wt_lexer *lx, const char *file, const char *src, wt_diag *diag);
int  wt_lex_next(wt_lexer *lx, wt_token *out);   /* 0 ok, -1 error (diag set) */

/* ------------------------------------------------------------------ */
/* Syntax tree                                                         */
enum wt_node_kind {
    /* type syntax */
    N_TNAME, N_TARRAY,
    /* expressions */
    N_INT, N_STR, N_TRUE, N_FALSE, N_NULL, N_NAME, N_BINARY, N_UNARY,
    N_CALL, N_INDEX, N_FIELD, N_NEW_ARRAY, N_NEW_RECORD, N_ARRAY_LIT,
    /* statements */
    N_VAR, N_ASSIGN, N_IF, N_WHILE, N_RETURN, N_PRINT, N_EXPR, N_BLOCK,
    /* top level */
    N_FUNC, N_RECORD, N_PARAM, N_FIELD_DECL, N_FIELD_INIT
};

typedef struct wt_node wt_node;
struct wt_node {
    int kind;
    int line, col;
    int op;                 /* N_BINARY/N_UNARY: a TK_ operator */
    wt_node *a, *b, *c;     /* children, by kind (see parser.c) */
    wt_node *list;          /* arguments, statements, params, fields */
    wt_node *next;          /* sibling in a list */
    wt_node *type;          /* declared type syntax (N_VAR, N_PARAM, N_FUNC...) */
    const char *name;       /* identifiers, interned into the arena */
    size_t len;             /* N_STR: bytes in name (escapes resolved) */
    int64_t ival;           /* N_INT */
};

/* Arena for the tree: freed as a whole after compilation. */
typedef struct wt_arena wt_arena;
void *wt_arena_alloc(wt_arena **arena, size_t size);   /* zeroed; NULL on ENOMEM */
void  wt_arena_free(wt_arena *arena);

/* parse a whole program: the list of top-level items, NULL + diag on error */
wt_node *wt_parse(const char *file, const char *src, wt_arena **arena,
                  wt_diag *diag);

/* ------------------------------------------------------------------ */
/* Types (interned: equal types have equal ids)                        */
enum wt_type_kind { T_ERROR, T_VOID, T_INT, T_BOOL, T_STRING, T_NULL,
                    T_ARRAY, T_RECORD };

/* ------------------------------------------------------------------ */
/* Bytecode                                                            */
enum wt_op {
    OP_CONST,        /* k: push consts[k] (tagged int) */
    OP_STR,          /* k: push the string constant k */
    OP_NULL, OP_POP,
    OP_LOAD_LOCAL, OP_STORE_LOCAL,     /* i */
    OP_LOAD_GLOBAL, OP_STORE_GLOBAL,   /* i */
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_NEG, OP_NOT,
    OP_LT, OP_LE, OP_GT, OP_GE,
    OP_EQ, OP_NE,                      /* words (ints, bools, references) */
    OP_STR_EQ, OP_STR_NE,              /* string contents */
    OP_CONCAT,
    OP_JMP,          /* target */
    OP_LOOP,         /* target: backward jump, a safepoint */
    OP_JMP_FALSE,    /* target: pops */
    OP_AND_JMP,      /* target: if top is false jump (keep it), else pop */
    OP_OR_JMP,       /* target: if top is true jump (keep it), else pop */
    OP_CALL,         /* function index */
    OP_RET, OP_RET_VOID,
    OP_NEW_ARRAY,    /* refs(0/1): pops length */
    OP_ARRAY_LIT,    /* n: pops n elements */
    OP_NEW_RECORD,   /* record index: pops its fields */
    OP_INDEX, OP_STORE_INDEX,          /* array element */
    OP_STR_INDEX,                      /* byte of a string */
    OP_FIELD, OP_STORE_FIELD,          /* i */
    OP_LEN_ARRAY, OP_LEN_STR,
    OP_INT_STR, OP_BOOL_STR, OP_CHR,
    OP_PRINT,        /* n, then n type kinds: pops n values */
    OP_MISSING_RETURN,
    OP_HALT,
    OP_COUNT
};

typedef struct wt_func {
    const char *name;
    uint32_t entry;          /* first instruction */
    uint32_t nparams;
    uint32_t nlocals;        /* including params */
} wt_func;

typedef struct wt_program {
    char *file;
    int32_t *code;           /* opcodes and operands */
    int32_t *lines;          /* source line of each code word */
    size_t ncode;
    int64_t *consts;         /* integer constants */
    size_t nconsts;
    char **strs;             /* string constants (bytes) */
    size_t *strlens;
    size_t nstrs;
    wt_func *funcs;
    size_t nfuncs;
    uint32_t *rec_nfields;   /* per record type: field count */
    size_t nrecs;
    size_t nglobals;
    uint32_t main_func;      /* index of the top-level code's function */
} wt_program;

/* compile (parse + check + generate); NULL + diag on any error */
wt_program *wt_compile(const char *file, const char *src, wt_diag *diag);
wt_program *wt_compile_file(const char *path, wt_diag *diag);
void wt_program_free(wt_program *prog);

#endif /* WT_H */
