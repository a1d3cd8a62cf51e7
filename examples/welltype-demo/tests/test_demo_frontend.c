/*
 * test_demo_frontend.c — the welltype front end: every syntax and type error
 * a user can hit is reported as file:line:col: message, and nothing is
 * compiled for that program; correct programs (the shipped ones included)
 * compile.
 */
#include "../wt.h"

#include "../../../tests/cunit_main.h"   /* CUnit, and main() from a table */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef WT_DEMO_DIR
#define WT_DEMO_DIR "examples/welltype-demo"
#endif

typedef struct bad_case {
    const char *src;
    const char *message;      /* the whole diagnostic, file "t.wt" */
} bad_case;

static void check_bad(const bad_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        wt_diag d;
        memset(&d, 0, sizeof d);
        wt_program *p = wt_compile("t.wt", cases[i].src, &d);
        CU_ASSERT_PTR_NULL(p);
        CU_ASSERT_TRUE(d.failed);
        if (strcmp(d.text, cases[i].message) != 0) {
            fprintf(stderr, "\n  source:   %s\n  expected: %s\n  got:      %s\n",
                    cases[i].src, cases[i].message, d.text);
            CU_FAIL("wrong diagnostic");
        }
        wt_program_free(p);
    }
}

static void test_syntax_errors(void)
{
    static const bad_case cases[] = {
        {"var x = ;", "t.wt:1:9: expected an expression but found ';'"},
        {"var x = 1;\nvar y = x +;\nprint(y);", "t.wt:2:12: expected an expression but found ';'"},
        {"print(1)", "t.wt:1:9: expected ';' but found end of file"},
        {"var x = 1 @ 2;", "t.wt:1:11: unexpected character '@'"},
        {"var s = \"abc;", "t.wt:1:9: unterminated string"},
        {"var s = \"a\\q\";", "t.wt:1:11: unknown escape sequence '\\q'"},
        {"func f() {\n  func g() {}\n}", "t.wt:2:3: 'func' is only allowed at the top level"},
        {"var x = 99999999999999999999;", "t.wt:1:9: integer literal too large"},
        {"if true { print(1);", "t.wt:1:20: expected '}' but found end of file"},
        {"record P { x int }", "t.wt:1:14: expected ':' but found 'int'"},
        {"var x = 0;\nwhile x < 3 print(x);", "t.wt:2:13: expected '{' but found 'print'"},
        {"var 3 = 4;", "t.wt:1:5: expected a variable name but found '3'"},
        {"// comment\nvar a = [1, 2;", "t.wt:2:14: expected ']' but found ';'"},
        {"var x = 12ab;", "t.wt:1:11: unexpected character 'a' after a number"},
        {"func f(a int) {}", "t.wt:1:10: expected ':' but found 'int'"},
        {"var r = new 5;", "t.wt:1:13: expected a record name or '[' but found '5'"},
    };
    check_bad(cases, sizeof cases / sizeof cases[0]);
}

static void test_type_errors(void)
{
    static const bad_case cases[] = {
        {"var x: int = true;",
         "t.wt:1:14: type mismatch in initializer of 'x': expected int but found bool"},
        {"print(y);", "t.wt:1:7: undefined variable 'y'"},
        {"var a = 1 + \"s\";", "t.wt:1:11: operator '+' cannot be applied to int and string"},
        {"if 1 { }", "t.wt:1:4: type mismatch in condition: expected bool but found int"},
        {"func f(a: int): int { return a; }\nprint(f(1, 2));",
         "t.wt:2:8: function 'f' expects 1 argument but got 2"},
        {"record P { x: int }\nvar p = new P { x: 1 };\nprint(p.y);",
         "t.wt:3:8: record 'P' has no field 'y'"},
        {"func f(): int {\n  if true { return 1; }\n}",
         "t.wt:1:1: function 'f' may end without returning a value"},
        {"return 1;", "t.wt:1:1: return outside a function"},
        {"var x = 1;\nvar x = 2;", "t.wt:2:1: 'x' is already declared in this scope"},
        {"var s = \"ab\";\ns[0] = 1;", "t.wt:2:2: strings are immutable"},
        {"var x = null;", "t.wt:1:1: cannot infer the type of 'x' from null; declare it"},
        {"var a: [int] = new [int](3);\na[0] = \"s\";",
         "t.wt:2:8: type mismatch in array element assignment: expected int but found string"},
        {"var t: Foo = null;", "t.wt:1:8: unknown type 'Foo'"},
        {"func f() { return 1; }", "t.wt:1:19: function 'f' returns no value"},
        {"var b = 1 == true;", "t.wt:1:11: cannot compare int with bool"},
        {"var n = len(5);", "t.wt:1:13: 'len' needs a string or an array, not int"},
        {"x();", "t.wt:1:1: undefined function 'x'"},
        {"func f() {}\nvar v = f();",
         "t.wt:2:1: cannot infer the type of 'v' from a void call; declare it"},
        {"print(-true);", "t.wt:1:7: operator '-' cannot be applied to bool"},
        {"record P { x: int }\nvar p: P = new P { x: 1, x: 2 };",
         "t.wt:2:26: field 'x' is given twice"},
        {"func g(a: [int]): int { return a[0]; }\nprint(g([true]));",
         "t.wt:2:9: type mismatch in argument 1 of 'g': expected [int] but found [bool]"},
        {"var i = 3;\nprint(i.x);", "t.wt:2:8: cannot access field 'x' of int"},
        {"var i = 3;\nprint(i[0]);", "t.wt:2:8: cannot index a value of type int"},
        {"func len(a: int) {}", "t.wt:1:1: 'len' is a built-in function"},
        {"func f() {}\nfunc f() {}", "t.wt:2:1: function 'f' is already defined"},
        {"var w = true && 3;",
         "t.wt:1:17: type mismatch in operand of '&&': expected bool but found int"},
        {"func f(): string { return 1; }",
         "t.wt:1:27: type mismatch in return value of 'f': expected string but found int"},
        {"func f(x: int) { var x = 2; }",
         "t.wt:1:18: 'x' is already declared in this scope"},
    };
    check_bad(cases, sizeof cases / sizeof cases[0]);
}

static void test_good_programs_compile(void)
{
    static const char *const good[] = {
        "",
        "// nothing but a comment\n",
        "record Node { left: Node, right: Node; value: int }\n"
        "func depth(n: Node): int {\n"
        "  if n == null { return 0; }\n"
        "  var l = depth(n.left); var r = depth(n.right);\n"
        "  if l > r { return l + 1; } else { return r + 1; }\n"
        "}\n"
        "var t = new Node { left: new Node {}, value: 3 };\n"
        "print(depth(t), t.value, \"ok\", true);\n",
        "var a: [[string]] = new [[string]](2);\n"
        "a[0] = [\"x\", \"y\"]; a[1] = a[0];\n"
        "var s = a[1][0] + str(len(a)) + chr(65) + str(!false);\n"
        "while len(s) < 10 { s = s + \".\"; }\n"
        "print(s, s[0], s == \"x\", -5 % 3, 7 / -2);\n",
        "func even(n: int): bool { if n == 0 { return true; } return odd(n - 1); }\n"
        "func odd(n: int): bool { if n == 0 { return false; } return even(n - 1); }\n"
        "print(even(10) || odd(3) && !even(1));\n",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        wt_diag d;
        memset(&d, 0, sizeof d);
        wt_program *p = wt_compile("good.wt", good[i], &d);
        if (!p)
            fprintf(stderr, "\n  unexpected error: %s\n", d.text);
        CU_ASSERT_PTR_NOT_NULL(p);
        CU_ASSERT_FALSE(d.failed);
        wt_program_free(p);
    }
}

static void test_shipped_programs_compile(void)
{
    static const char *const names[] = {"binary-trees", "strings", "inventory", "fib", "leak", "forever"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/programs/%s.wt", WT_DEMO_DIR, names[i]);
        wt_diag d;
        memset(&d, 0, sizeof d);
        wt_program *p = wt_compile_file(path, &d);
        if (!p)
            fprintf(stderr, "\n  %s\n", d.text);
        CU_ASSERT_PTR_NOT_NULL(p);
        wt_program_free(p);
    }
}

/* deep nesting is refused with a message, not a crash; moderate nesting works */
static void test_nesting_limit(void)
{
    static const struct { const char *open, *mid, *close; int ok; } shapes[] = {
        {"(", "1", ")", 1}, {"-", "1", "", 1}, {"", "1", "+1", 1},
        {"[", "1", "]", 1}, {"", "\"s\"", ".x", 0},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        for (int depth = 200; depth <= 100000; depth *= 500) {
            size_t cap = (size_t)depth * 8 + 64;
            char *src = malloc(cap);
            CU_ASSERT_PTR_NOT_NULL_FATAL(src);
            size_t n = (size_t)sprintf(src, "var x = ");
            for (int i = 0; i < depth; i++)
                n += (size_t)sprintf(src + n, "%s", shapes[k].open);
            n += (size_t)sprintf(src + n, "%s", shapes[k].mid);
            for (int i = 0; i < depth; i++)
                n += (size_t)sprintf(src + n, "%s", shapes[k].close);
            sprintf(src + n, ";");
            wt_diag d;
            memset(&d, 0, sizeof d);
            wt_program *p = wt_compile("t.wt", src, &d);
            if (depth > 1000) {
                CU_ASSERT_PTR_NULL(p);
                CU_ASSERT_PTR_NOT_NULL(strstr(d.text, "nested too deeply"));
            } else if (shapes[k].ok) {
                CU_ASSERT_PTR_NOT_NULL(p);
            } else {
                CU_ASSERT_PTR_NOT_NULL(strstr(d.text, "cannot access field 'x' of string"));
            }
            wt_program_free(p);
            free(src);
        }
    }
}

/* seeded random damage to valid programs: every outcome is either a program
   or one file:line:col diagnostic; replay with WT_FUZZ_SEED */
static void test_fuzz_front_end(void)
{
    unsigned seed = (unsigned)time(NULL);
    const char *env = getenv("WT_FUZZ_SEED");
    if (env)
        seed = (unsigned)strtoul(env, NULL, 10);
    int rounds = 3000;
    const char *scale = getenv("VMMA_TEST_SCALE");
    if (scale && atoi(scale) > 1)
        rounds /= atoi(scale);
    fprintf(stderr, "\n  fuzz seed %u (WT_FUZZ_SEED=%u replays it)\n", seed, seed);
    srand(seed);
    static const char alphabet[] = "(){}[];:,.=+-*/%<>!&|\"\\ \nabcxyz019_";
    char path[512];
    snprintf(path, sizeof path, "%s/programs/inventory.wt", WT_DEMO_DIR);
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char base[1 << 16], src[(1 << 16) + 64];
    size_t len = fread(base, 1, sizeof base - 1, f);
    fclose(f);
    int compiled = 0;
    for (int r = 0; r < rounds; r++) {
        memcpy(src, base, len);
        size_t n = len;
        int edits = 1 + rand() % 4;
        for (int e = 0; e < edits && n > 2; e++) {
            size_t at = (size_t)rand() % n;
            int what = rand() % 3;
            if (what == 0) {                       /* replace */
                src[at] = alphabet[rand() % (int)(sizeof alphabet - 1)];
            } else if (what == 1) {                /* delete */
                memmove(src + at, src + at + 1, n - at - 1);
                n--;
            } else {                               /* insert */
                memmove(src + at + 1, src + at, n - at);
                src[at] = alphabet[rand() % (int)(sizeof alphabet - 1)];
                n++;
            }
        }
        src[n] = '\0';
        wt_diag d;
        memset(&d, 0, sizeof d);
        wt_program *p = wt_compile("t.wt", src, &d);
        int line = 0, col = 0;
        if (p) {
            compiled++;
            CU_ASSERT_FALSE(d.failed);
        } else {
            CU_ASSERT_TRUE(d.failed);
            CU_ASSERT_EQUAL(sscanf(d.text, "t.wt:%d:%d: ", &line, &col), 2);
            CU_ASSERT_TRUE(line >= 1 && col >= 1);
        }
        wt_program_free(p);
    }
    CU_ASSERT_TRUE(compiled < rounds);     /* the damage is seen */
}

static void test_missing_file(void)
{
    wt_diag d;
    memset(&d, 0, sizeof d);
    CU_ASSERT_PTR_NULL(wt_compile_file(WT_DEMO_DIR "/no-such-file.wt", &d));
    CU_ASSERT_TRUE(d.failed);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.text, "cannot open"));
}

int main(void)
{
    static const CU_TestInfo tests[] = {
        { "syntax errors", test_syntax_errors },
        { "type errors", test_type_errors },
        { "good programs compile", test_good_programs_compile },
        { "shipped programs compile", test_shipped_programs_compile },
        { "nesting limit", test_nesting_limit },
        { "fuzzed sources", test_fuzz_front_end },
        { "missing file", test_missing_file },
        CU_TEST_INFO_NULL
    };
    return cu_main("welltype front end", tests);
}
