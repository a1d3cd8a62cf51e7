/*
 * lexer.c — tokens of a welltype source, diagnostics and the tree arena.
 *
 * Invariant: every token carries the 1-based line and column of its first
 * character, and a lexical error stops the lexer with a file:line:col
 * diagnostic (the first error of a compilation is the one reported).
 */
#include "wt.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void wt_diag_set(wt_diag *d, const char *file, int line, int col,
                 const char *fmt, ...)
{
    if (d->failed)
        return;                          /* keep the first error */
    int n = snprintf(d->text, sizeof d->text, "%s:%d:%d: ", file, line, col);
    if (n < 0 || (size_t)n >= sizeof d->text)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->text + n, sizeof d->text - (size_t)n, fmt, ap);
    va_end(ap);
    d->failed = 1;
}

/* ------------------------------------------------------------------ */
/* Arena: chunks of tree nodes and names, freed together.              */
struct wt_arena {
    struct wt_arena *prev;
    size_t used, cap;
    max_align_t data[];
};

#define WT_ARENA_CHUNK_BYTES 16384

void *wt_arena_alloc(wt_arena **arena, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    wt_arena *a = *arena;
    if (!a || a->cap - a->used < size) {
        size_t cap = size > WT_ARENA_CHUNK_BYTES ? size : WT_ARENA_CHUNK_BYTES;
        wt_arena *n = malloc(sizeof *n + cap);
        if (!n)
            return NULL;
        n->prev = a;
        n->used = 0;
        n->cap = cap;
        *arena = a = n;
    }
    void *p = (char *)a->data + a->used;
    a->used += size;
    memset(p, 0, size);
    return p;
}

void wt_arena_free(wt_arena *arena)
{
    while (arena) {
        wt_arena *prev = arena->prev;
        free(arena);
        arena = prev;
    }
}

/* ------------------------------------------------------------------ */
/* Tokens                                                              */
static const char *const wt_tok_names[TK_COUNT] = {
    [TK_EOF] = "end of file", [TK_INT] = "integer", [TK_STRING] = "string",
    [TK_IDENT] = "identifier",
    [TK_VAR] = "'var'", [TK_FUNC] = "'func'", [TK_RECORD] = "'record'",
    [TK_IF] = "'if'", [TK_ELSE] = "'else'", [TK_WHILE] = "'while'",
    [TK_RETURN] = "'return'", [TK_PRINT] = "'print'", [TK_TRUE] = "'true'",
    [TK_FALSE] = "'false'", [TK_NULL] = "'null'", [TK_NEW] = "'new'",
    [TK_LPAREN] = "'('", [TK_RPAREN] = "')'", [TK_LBRACE] = "'{'",
    [TK_RBRACE] = "'}'", [TK_LBRACK] = "'['", [TK_RBRACK] = "']'",
    [TK_COMMA] = "','", [TK_SEMI] = "';'", [TK_COLON] = "':'",
    [TK_DOT] = "'.'", [TK_ASSIGN] = "'='", [TK_PLUS] = "'+'",
    [TK_MINUS] = "'-'", [TK_STAR] = "'*'", [TK_SLASH] = "'/'",
    [TK_PERCENT] = "'%'", [TK_EQ] = "'=='", [TK_NE] = "'!='",
    [TK_LT] = "'<'", [TK_LE] = "'<='", [TK_GT] = "'>'", [TK_GE] = "'>='",
    [TK_AND] = "'&&'", [TK_OR] = "'||'", [TK_NOT] = "'!'",
};

const char *wt_tok_name(int tok)
{
    return tok >= 0 && tok < TK_COUNT ? wt_tok_names[tok] : "?";
}

static const struct { const char *word; int tok; } wt_keywords[] = {
    {"var", TK_VAR}, {"func", TK_FUNC}, {"record", TK_RECORD},
    {"if", TK_IF}, {"else", TK_ELSE}, {"while", TK_WHILE},
    {"return", TK_RETURN}, {"print", TK_PRINT}, {"true", TK_TRUE},
    {"false", TK_FALSE}, {"null", TK_NULL}, {"new", TK_NEW},
};

void wt_lex_init(wt_lexer *lx, const char *file, const char *src, wt_diag *diag)
{
    lx->file = file;
    lx->src = lx->p = src;
    lx->line = lx->col = 1;
    lx->diag = diag;
}

static void lex_advance(wt_lexer *lx)
{
    if (*lx->p == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->p++;
}

static void lex_skip_space(wt_lexer *lx)
{
    for (;;) {
        char c = *lx->p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            lex_advance(lx);
        } else if (c == '/' && lx->p[1] == '/') {
            while (*lx->p && *lx->p != '\n')
                lex_advance(lx);
        } else {
            return;
        }
    }
}

static int lex_number(wt_lexer *lx, wt_token *t)
{
    /* integers are 63-bit: the top bit of a word is the tag's */
    const int64_t max = INT64_MAX >> 1;
    int64_t v = 0;
    while (isdigit((unsigned char)*lx->p)) {
        int d = *lx->p - '0';
        if (v > (max - d) / 10) {
            wt_diag_set(lx->diag, lx->file, t->line, t->col,
                        "integer literal too large");
            return -1;
        }
        v = v * 10 + d;
        lex_advance(lx);
    }
    if (isalpha((unsigned char)*lx->p) || *lx->p == '_') {
        wt_diag_set(lx->diag, lx->file, lx->line, lx->col,
                    "unexpected character '%c' after a number", *lx->p);
        return -1;
    }
    t->kind = TK_INT;
    t->ival = v;
    return 0;
}

static int lex_string(wt_lexer *lx, wt_token *t)
{
    lex_advance(lx);                     /* opening quote */
    for (;;) {
        char c = *lx->p;
        if (c == '\0' || c == '\n') {
            wt_diag_set(lx->diag, lx->file, t->line, t->col,
                        "unterminated string");
            return -1;
        }
        if (c == '"')
            break;
        if (c == '\\') {
            char e = lx->p[1];
            if (e != 'n' && e != 't' && e != '"' && e != '\\') {
                wt_diag_set(lx->diag, lx->file, lx->line, lx->col,
                            "unknown escape sequence '\\%c'", e ? e : ' ');
                return -1;
            }
            lex_advance(lx);
        }
        lex_advance(lx);
    }
    lex_advance(lx);                     /* closing quote */
    t->kind = TK_STRING;
    return 0;
}

static int lex_word(wt_lexer *lx, wt_token *t)
{
    while (isalnum((unsigned char)*lx->p) || *lx->p == '_')
        lex_advance(lx);
    size_t n = (size_t)(lx->p - t->start);
    t->kind = TK_IDENT;
    for (size_t i = 0; i < sizeof wt_keywords / sizeof wt_keywords[0]; i++)
        if (strlen(wt_keywords[i].word) == n &&
            memcmp(wt_keywords[i].word, t->start, n) == 0)
            t->kind = wt_keywords[i].tok;
    return 0;
}

/* one or two character operators */
static int lex_punct(wt_lexer *lx, wt_token *t)
{
    static const char singles[] = "(){}[],;:.=+-*/%<>!";
    static const int single_toks[] = {
        TK_LPAREN, TK_RPAREN, TK_LBRACE, TK_RBRACE, TK_LBRACK, TK_RBRACK,
        TK_COMMA, TK_SEMI, TK_COLON, TK_DOT, TK_ASSIGN, TK_PLUS, TK_MINUS,
        TK_STAR, TK_SLASH, TK_PERCENT, TK_LT, TK_GT, TK_NOT};
    char c = *lx->p, d = lx->p[1];
    int two = -1;
    if (d == '=' && (c == '=' || c == '!' || c == '<' || c == '>'))
        two = c == '=' ? TK_EQ : c == '!' ? TK_NE : c == '<' ? TK_LE : TK_GE;
    else if (c == '&' && d == '&')
        two = TK_AND;
    else if (c == '|' && d == '|')
        two = TK_OR;
    if (two >= 0) {
        lex_advance(lx);
        lex_advance(lx);
        t->kind = two;
        return 0;
    }
    const char *s = c ? strchr(singles, c) : NULL;
    if (!s) {
        if (isprint((unsigned char)c))
            wt_diag_set(lx->diag, lx->file, t->line, t->col,
                        "unexpected character '%c'", c);
        else
            wt_diag_set(lx->diag, lx->file, t->line, t->col,
                        "unexpected byte 0x%02x", (unsigned char)c);
        return -1;
    }
    lex_advance(lx);
    t->kind = single_toks[s - singles];
    return 0;
}

int wt_lex_next(wt_lexer *lx, wt_token *t)
{
    lex_skip_space(lx);
    memset(t, 0, sizeof *t);
    t->line = lx->line;
    t->col = lx->col;
    t->start = lx->p;
    char c = *lx->p;
    int rc;
    if (c == '\0') {
        t->kind = TK_EOF;
        rc = 0;
    } else if (isdigit((unsigned char)c)) {
        rc = lex_number(lx, t);
    } else if (c == '"') {
        rc = lex_string(lx, t);
    } else if (isalpha((unsigned char)c) || c == '_') {
        rc = lex_word(lx, t);
    } else {
        rc = lex_punct(lx, t);
    }
    t->len = (size_t)(lx->p - t->start);
    return rc;
}
