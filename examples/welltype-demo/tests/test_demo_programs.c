/*
 * test_demo_programs.c — the welltype VM on real libmmtk heaps.
 *
 * What a user relies on:
 *  - each shipped program prints its expected output under every plan this
 *    libmmtk accepts (plans that mmtk_init refuses with ENOTSUP are skipped
 *    and named, so new plans are tested as soon as they land), also with
 *    stress_factor + verify;
 *  - runtime errors stop a program with file:line: message;
 *  - an instruction budget stops a program;
 *  - the leaking program is stopped out of memory while the others finish,
 *    on one shared context whose free size is the same before and after;
 *  - a program with a compile error does not run, the others do;
 *  - the welltype-demo command prints the table (when it is built).
 * VMMA_TEST_SCALE > 1 (Valgrind) tests fewer plans under stress.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#include "../vm.h"

#include "../../../tests/cunit_main.h"   /* CUnit, and main() from a table */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef WT_DEMO_DIR
#define WT_DEMO_DIR "examples/welltype-demo"
#endif

static const char *const all_plans[] = {
    "MarkSweep", "SemiSpace", "Immix", "GenCopy", "GenImmix", "StickyImmix",
    "MarkCompact", "NoGC",
};
#define NPLANS (sizeof all_plans / sizeof all_plans[0])
static int plan_ok[NPLANS];
static int test_scale = 1;

static const char *const shipped[] = {"binary-trees", "strings", "inventory", "fib"};
#define NSHIPPED (sizeof shipped / sizeof shipped[0])

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static void program_path(char *buf, size_t n, const char *name, const char *ext)
{
    snprintf(buf, n, "%s/programs/%s.%s", WT_DEMO_DIR, name, ext);
}

/* run one shipped program alone and compare its output with the expected */
static void run_shipped(const char *name, const char *plan, size_t heap,
                        const char *stress)
{
    char path[512], out_path[512];
    program_path(path, sizeof path, name, "wt");
    program_path(out_path, sizeof out_path, name, "out");
    wt_job job;
    wt_job_init(&job, path);
    snprintf(job.plan, sizeof job.plan, "%s", plan);
    job.heap_bytes = heap;
    if (stress) {
        job.opt_names[0] = "stress_factor";
        job.opt_values[0] = stress;
        job.opt_names[1] = "verify";
        job.opt_values[1] = "true";
        job.nopts = 2;
    }
    job.prog = wt_compile_file(path, &job.diag);
    CU_ASSERT_PTR_NOT_NULL_FATAL(job.prog);
    int st = wt_vm_run(&job, NULL);
    char *want = read_text(out_path);
    CU_ASSERT_PTR_NOT_NULL(want);
    int same = want && job.output && strcmp(want, job.output) == 0;
    if (st != WT_OK || !same) {
        char r[512];
        fprintf(stderr, "\n  %s under %s%s: %s\n  output:\n%s", name, plan,
                stress ? " (stress+verify)" : "", wt_status_text(&job, r, sizeof r),
                job.output ? job.output : "(none)\n");
    }
    CU_ASSERT_EQUAL(st, WT_OK);
    CU_ASSERT_TRUE(same);
    CU_ASSERT_STRING_EQUAL(job.plan_used, plan);
    if (stress && st == WT_OK && strcmp(plan, "NoGC") != 0) {
        /* stress is in effect: about one collection per stress_factor bytes */
        uint64_t expect = job.bytes_allocated / wt_parse_size(stress) / 2;
        if (job.collections < expect)
            fprintf(stderr, "\n  %s: %" PRIu64 " collections for %" PRIu64 " bytes\n",
                    name, job.collections, job.bytes_allocated);
        CU_ASSERT_TRUE(job.collections >= expect);
    }
    free(want);
    wt_job_clear(&job);
}

static void test_plans_available(void)
{
    int any = 0;
    fprintf(stderr, "\n  plans:");
    for (size_t i = 0; i < NPLANS; i++) {
        plan_ok[i] = wt_plan_available(all_plans[i]);
        fprintf(stderr, " %s%s", all_plans[i], plan_ok[i] ? "" : "(not yet)");
        any |= plan_ok[i] && strcmp(all_plans[i], "NoGC") != 0;
    }
    fprintf(stderr, "\n");
    CU_ASSERT_TRUE(any);                 /* at least one collecting plan */
    CU_ASSERT_FALSE(wt_plan_available("NoSuchPlan"));
}

static void test_every_plan(void)
{
    int tested = 0;
    for (size_t p = 0; p < NPLANS; p++) {
        if (!plan_ok[p])
            continue;
        /* NoGC never collects: it gets room for everything the programs allocate */
        size_t heap = strcmp(all_plans[p], "NoGC") ? (size_t)4 << 20 : (size_t)256 << 20;
        for (size_t i = 0; i < NSHIPPED; i++) {
            /* Valgrind: the heaviest program on two plans only */
            if (test_scale > 1 && tested >= 2 && !strcmp(shipped[i], "binary-trees"))
                continue;
            run_shipped(shipped[i], all_plans[p], heap, NULL);
        }
        tested++;
    }
}

static void test_stress_verify(void)
{
    int done = 0;
    for (size_t p = 0; p < NPLANS; p++) {
        if (!plan_ok[p] || !strcmp(all_plans[p], "NoGC"))
            continue;
        if (test_scale > 1 && done == 2)
            break;                       /* Valgrind: two plans are enough */
        for (size_t i = 0; i < NSHIPPED; i++)
            run_shipped(shipped[i], all_plans[p], (size_t)16 << 20,
                        test_scale > 1 ? "1M" : "64K");
        done++;
    }
}

/* the environment is read too: MMTK_STRESS_FACTOR / MMTK_VERIFY */
static void test_stress_from_env(void)
{
    size_t p = 0;
    while (p < NPLANS && (!plan_ok[p] || !strcmp(all_plans[p], "NoGC")))
        p++;
    if (p == NPLANS)
        return;
    setenv("MMTK_STRESS_FACTOR", "128K", 1);
    setenv("MMTK_VERIFY", "true", 1);
    char path[512];
    program_path(path, sizeof path, "binary-trees", "wt");
    wt_job job;
    wt_job_init(&job, path);
    snprintf(job.plan, sizeof job.plan, "%s", all_plans[p]);
    job.prog = wt_compile_file(path, &job.diag);
    CU_ASSERT_EQUAL(wt_vm_run(&job, NULL), WT_OK);
    CU_ASSERT_TRUE(job.collections > 10);     /* ~20 MB allocated, one per 128K */
    wt_job_clear(&job);
    unsetenv("MMTK_STRESS_FACTOR");
    unsetenv("MMTK_VERIFY");
}

/* first collecting plan that works, and a moving one if there is one */
static const char *some_plan(int want_moving)
{
    const char *found = NULL;
    for (size_t p = 0; p < NPLANS; p++) {
        if (!plan_ok[p] || !strcmp(all_plans[p], "NoGC"))
            continue;
        int moving = !strcmp(all_plans[p], "SemiSpace") || !strcmp(all_plans[p], "GenCopy");
        if (!found || (want_moving && moving))
            found = all_plans[p];
        if (want_moving && moving)
            break;
    }
    return found ? found : "MarkSweep";
}

/* compile a source and run it alone; the job keeps the results */
static int run_source(wt_job *job, const char *src, size_t heap, uint64_t budget)
{
    wt_job_init(job, "t.wt");
    snprintf(job->plan, sizeof job->plan, "%s", some_plan(1));
    job->heap_bytes = heap;
    job->budget = budget;
    job->prog = wt_compile("t.wt", src, &job->diag);
    CU_ASSERT_PTR_NOT_NULL_FATAL(job->prog);
    return wt_vm_run(job, NULL);
}

static void test_runtime_errors(void)
{
    static const struct { const char *src, *message, *output; } cases[] = {
        {"print(1);\nvar z = 0;\nprint(7 / z);", "t.wt:3: division by zero", "1\n"},
        {"var z = 0;\nprint(7 % z);", "t.wt:2: division by zero", ""},
        {"var a = [1, 2, 3];\nprint(a[2]);\na[5] = 1;",
         "t.wt:3: index 5 out of range for array of length 3", "3\n"},
        {"var a = new [string](2);\nprint(a[-1]);",
         "t.wt:2: index -1 out of range for array of length 2", ""},
        {"record P { x: int }\nvar p: P = null;\nprint(p.x);", "t.wt:3: null record", ""},
        {"record P { x: int }\nfunc f(p: P) {\n  p.x = 1;\n}\nf(null);",
         "t.wt:3: null record", ""},
        {"var a: [int] = null;\nprint(len(a));", "t.wt:2: null array", ""},
        {"var n = 0 - 3;\nvar a = new [int](n);", "t.wt:2: negative array length -3", ""},
        {"func f(n: int): int {\n  return f(n + 1);\n}\nprint(f(0));",
         "t.wt:2: stack overflow (recursion too deep)", ""},
        {"print(\"abc\"[3]);", "t.wt:1: index 3 out of range for string of length 3", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wt_job job;
        int st = run_source(&job, cases[i].src, (size_t)8 << 20, 0);
        CU_ASSERT_EQUAL(st, WT_RUNTIME_ERROR);
        if (strcmp(job.message, cases[i].message) != 0)
            fprintf(stderr, "\n  expected: %s\n  got:      %s\n", cases[i].message, job.message);
        CU_ASSERT_STRING_EQUAL(job.message, cases[i].message);
        CU_ASSERT_STRING_EQUAL(job.output ? job.output : "", cases[i].output);
        wt_job_clear(&job);
    }
}

/* what the language means: operators, short-circuit, scopes, aliasing,
   defaults, 63-bit wrap-around (README.md) */
static void test_semantics(void)
{
    static const char src[] =
        "record P { name: string, age: int, next: P, tags: [string] }\n"
        "var g = 10;\n"
        "func bump(n: int): int { g = g + n; return g; }\n"
        "func side(b: bool, msg: string): bool { print(\"side\", msg); return b; }\n"
        "func classify(n: int): string {\n"
        "    if n < 0 { return \"neg\"; } else if n == 0 { return \"zero\"; } else if n < 10 { return \"small\"; }\n"
        "    return \"big\";\n"
        "}\n"
        "print(7 / 2, -7 / 2, 7 % 3, -7 % 3, 7 % -3, 2 * 3 + 4, 2 * (3 + 4), 10 - 3 - 2);\n"
        "print(1 < 2, 2 <= 2, 3 > 4, 4 >= 5, 1 == 1, 1 != 1, !true, -(-5));\n"
        "print(false && side(true, \"and\"), true || side(false, \"or\"), true && side(true, \"and2\"));\n"
        "print(classify(-3), classify(0), classify(5), classify(50));\n"
        "print(bump(5), bump(1), g);\n"
        "var p = new P { name: \"ann\", age: 30 };\n"
        "p.next = new P { name: \"bob\", age: 25, next: p };\n"
        "print(p.next.next.name, p.next.next == p, p.next.tags == null, p.tags == null == true, \"a\" + \"b\" == \"ab\", \"ab\" != \"abc\");\n"
        "var xs = [3, 1, 2];\n"
        "var ys = xs;\n"
        "ys[0] = 9;\n"
        "print(xs[0], len(xs), len(\"\"), len(\"h\xc3\xa9llo\"), \"abc\"[0], chr(97) + chr(98), str(-12) + str(false));\n"
        "var grid = new [[int]](3);\n"
        "var i = 0;\n"
        "while i < 3 { grid[i] = new [int](i + 1); grid[i][i] = i * i; i = i + 1; }\n"
        "print(grid[2][2], len(grid[1]), grid[0] == grid[1], new [bool](2)[1], new [string](1)[0] == \"\");\n"
        "{ var g = 1; print(g); }\n"
        "print(g);\n"
        "print(4611686018427387903 + 1, -4611686018427387903 - 1);\n";
    static const char want[] =
        "3 -3 1 -1 1 10 14 5\n"
        "true true false false true false false 5\n"
        "side and2\n"
        "false true true\n"
        "neg zero small big\n"
        "15 16 16\n"
        "ann true true true true true\n"
        "9 3 0 6 97 ab -12false\n"
        "4 2 false false true\n"
        "1\n"
        "16\n"
        "-4611686018427387904 -4611686018427387904\n";
    wt_job job;
    CU_ASSERT_EQUAL(run_source(&job, src, (size_t)4 << 20, 0), WT_OK);
    CU_ASSERT_STRING_EQUAL(job.output ? job.output : "", want);
    wt_job_clear(&job);
}

static void test_budget(void)
{
    wt_job job;
    int st = run_source(&job, "var i = 0;\nwhile true { i = i + 1; }", (size_t)4 << 20, 100000);
    CU_ASSERT_EQUAL(st, WT_BUDGET);
    CU_ASSERT_STRING_EQUAL(job.message, "instruction budget of 100000 exceeded");
    CU_ASSERT_TRUE(job.instructions > 100000 && job.instructions < 100100);
    wt_job_clear(&job);
    /* a program within its budget is not stopped */
    st = run_source(&job, "var i = 0;\nwhile i < 100 { i = i + 1; }\nprint(i);",
                    (size_t)4 << 20, 100000);
    CU_ASSERT_EQUAL(st, WT_OK);
    CU_ASSERT_STRING_EQUAL(job.output, "100\n");
    wt_job_clear(&job);
}

/* run a source under every collecting plan with stress on; compare output */
static void run_every_plan(const char *src, const char *stress, const char *want)
{
    int tested = 0;
    for (size_t p = 0; p < NPLANS; p++) {
        if (!plan_ok[p] || !strcmp(all_plans[p], "NoGC"))
            continue;
        if (test_scale > 1 && tested++ == 3)
            break;                       /* Valgrind: three plans are enough */
        wt_job job;
        wt_job_init(&job, "t.wt");
        snprintf(job.plan, sizeof job.plan, "%s", all_plans[p]);
        job.heap_bytes = (size_t)8 << 20;
        job.opt_names[0] = "stress_factor";
        job.opt_values[0] = stress;
        job.opt_names[1] = "verify";
        job.opt_values[1] = "true";
        job.nopts = 2;
        job.prog = wt_compile("t.wt", src, &job.diag);
        CU_ASSERT_PTR_NOT_NULL_FATAL(job.prog);
        int st = wt_vm_run(&job, NULL);
        if (st != WT_OK || !job.output || strcmp(job.output, want) != 0) {
            char r[512];
            fprintf(stderr, "\n  under %s: %s, output: %s", all_plans[p],
                    wt_status_text(&job, r, sizeof r), job.output ? job.output : "(none)\n");
        }
        CU_ASSERT_EQUAL(st, WT_OK);
        CU_ASSERT_STRING_EQUAL(job.output ? job.output : "", want);
        CU_ASSERT_TRUE(job.collections > 0);
        wt_job_clear(&job);
    }
}

/* values survive collections, in every plan: strings, arrays of records,
   globals and deep stacks, with stress on */
static void test_values_survive_collections(void)
{
    static const char src[] =
        "record P { s: string, next: P, xs: [int] }\n"
        "var keep: P = null;\n"
        "func build(n: int): P {\n"
        "  var p: P = null;\n"
        "  while n > 0 { p = new P { s: \"n\" + str(n), next: p, xs: [n, n * 2] }; n = n - 1; }\n"
        "  return p;\n"
        "}\n"
        "func sum(p: P): int { if p == null { return 0; } return p.xs[1] + sum(p.next); }\n"
        "var round = 0;\n"
        "while round < 30 { keep = build(200); var junk = build(100); round = round + 1; }\n"
        "print(sum(keep), keep.s, keep.next.next.s, len(keep.xs));\n";
    run_every_plan(src, "64K", "40200 n1 n3 2\n");
}

/* large arrays (the plans' large object spaces) holding young records: the
   write barrier must keep old-to-young references alive in generational plans */
static void test_large_arrays(void)
{
    static const char src[] =
        "record P { v: int }\n"
        "var big = new [P](50000);\n"
        "var i = 0;\n"
        "while i < len(big) { big[i] = new P { v: i }; i = i + 1; }\n"
        "var round = 0;\n"
        "var words = new [string](2000);\n"
        "while round < 20 {\n"
        "  var tmp = new [int](30000); tmp[29999] = round;\n"
        "  big[round * 7] = new P { v: round * 7 };\n"
        "  words[round] = \"w\" + str(round) + \"-\" + str(tmp[29999]);\n"
        "  round = round + 1;\n"
        "}\n"
        "var s = 0; i = 0;\n"
        "while i < len(big) { s = s + big[i].v; i = i + 1; }\n"
        "print(s, words[19], len(words[0]), words[20] == \"\");\n";
    run_every_plan(src, "256K", "1249975000 w19-19 4 true\n");
}

/* the shipped leak next to the others, all on one context, two at a time */
static void test_leak_contained(void)
{
    wt_job jobs[NSHIPPED + 1];
    char paths[NSHIPPED + 1][512];
    for (size_t i = 0; i <= NSHIPPED; i++) {
        program_path(paths[i], sizeof paths[i], i < NSHIPPED ? shipped[i] : "leak", "wt");
        wt_job_init(&jobs[i], paths[i]);
        snprintf(jobs[i].plan, sizeof jobs[i].plan, "%s", some_plan(i % 2));
        jobs[i].heap_bytes = (size_t)16 << 20;
    }
    jobs[NSHIPPED].heap_bytes = (size_t)4 << 20;
    size_t before = 0, after = 1;
    CU_ASSERT_EQUAL_FATAL(wt_run_jobs(jobs, NSHIPPED + 1, 2, &before, &after), 0);
    CU_ASSERT_EQUAL(before, after);
    CU_ASSERT_TRUE(before > 0);
    for (size_t i = 0; i < NSHIPPED; i++) {
        char out_path[512];
        program_path(out_path, sizeof out_path, shipped[i], "out");
        char *want = read_text(out_path);
        CU_ASSERT_EQUAL(jobs[i].status, WT_OK);
        CU_ASSERT_TRUE(want && jobs[i].output && !strcmp(want, jobs[i].output));
        free(want);
    }
    wt_job *leak = &jobs[NSHIPPED];
    CU_ASSERT_EQUAL(leak->status, WT_OUT_OF_MEMORY);
    CU_ASSERT_STRING_EQUAL(leak->message, "out of memory in its 4 MiB heap");
    CU_ASSERT_TRUE(leak->bytes_returned > 0);
    /* its client never held more than the heap plus libmmtk's stated margin
       (mmtk(3): heap/16 + 256 KiB), rounded up to whole 256 KiB arenas */
    CU_ASSERT_TRUE(leak->bytes_returned <= leak->heap_bytes + leak->heap_bytes / 16 +
                                           ((size_t)512 << 10));
    /* it ran long enough to fill most of its heap */
    CU_ASSERT_TRUE(leak->output && strstr(leak->output, "cells: 5000\n"));
    CU_ASSERT_TRUE(leak->peak_used >= ((size_t)2 << 20));
    for (size_t i = 0; i <= NSHIPPED; i++)
        wt_job_clear(&jobs[i]);
}

/* A program doing seeded random graph surgery (records, arrays, strings,
   cycles, garbage) and printing a checksum of what is reachable. Its output
   under NoGC (nothing is ever collected or moved) is the reference; every
   collecting plan under stress + verify must print the same. */
static const char graph_src[] =
    "record N { id: int, kids: [N], next: N, label: string }\n"
    "var seed = %u;\n"
    "func rand(n: int): int {\n"
    "  seed = (seed * 1103515245 + 12345) %% 2147483648; return seed %% n;\n"
    "}\n"
    "var pool = new [N](64);\n"
    "var ids = 0;\n"
    "func fresh(): N {\n"
    "  ids = ids + 1;\n"
    "  return new N { id: ids, kids: new [N](rand(4)), label: \"n\" + str(ids) };\n"
    "}\n"
    "func checksum(n: N, depth: int): int {\n"
    "  if n == null || depth == 0 { return 0; }\n"
    "  var s = n.id * 31 + len(n.label) + n.label[len(n.label) - 1];\n"
    "  var i = 0;\n"
    "  while i < len(n.kids) {\n"
    "    s = (s * 7 + checksum(n.kids[i], depth - 1)) %% 1000000007; i = i + 1;\n"
    "  }\n"
    "  return (s + checksum(n.next, depth - 1)) %% 1000000007;\n"
    "}\n"
    "var step = 0;\n"
    "while step < %d {\n"
    "  var a = rand(64);\n"
    "  var op = rand(7);\n"
    "  var n = pool[a];\n"
    "  if op == 0 || n == null { pool[a] = fresh(); }\n"
    "  else if op == 1 { if len(n.kids) > 0 { n.kids[rand(len(n.kids))] = pool[rand(64)]; } }\n"
    "  else if op == 2 { n.next = fresh(); }\n"
    "  else if op == 3 { n.label = n.label + chr(97 + rand(26)); }\n"
    "  else if op == 4 { var junk = new [int](1 + rand(300)); junk[0] = step; }\n"
    "  else if op == 5 { n.kids = new [N](rand(5)); }\n"
    "  else { pool[a] = null; }\n"
    "  step = step + 1;\n"
    "}\n"
    "var total = 0;\n"
    "var j = 0;\n"
    "while j < 64 { total = (total + checksum(pool[j], 6)) %% 1000000007; j = j + 1; }\n"
    "print(total, ids);\n";

static int graph_run(wt_job *job, const char *src, const char *plan, size_t heap, int stress)
{
    wt_job_init(job, "graph.wt");
    snprintf(job->plan, sizeof job->plan, "%s", plan);
    job->heap_bytes = heap;
    if (stress) {
        job->opt_names[0] = "stress_factor";
        job->opt_values[0] = "64K";
        job->opt_names[1] = "verify";
        job->opt_values[1] = "true";
        job->nopts = 2;
    }
    job->prog = wt_compile("graph.wt", src, &job->diag);
    if (!job->prog)
        fprintf(stderr, "\n  %s\n", job->diag.text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(job->prog);
    return wt_vm_run(job, NULL);
}

static void test_random_graphs(void)
{
    unsigned seed = (unsigned)time(NULL) % 100000u;
    const char *env = getenv("WT_GRAPH_SEED");
    if (env)
        seed = (unsigned)strtoul(env, NULL, 10);
    int nog = 0;
    while (nog < (int)NPLANS && strcmp(all_plans[nog], "NoGC"))
        nog++;
    if (nog == (int)NPLANS || !plan_ok[nog])
        return;                          /* no reference without NoGC */
    int rounds = test_scale > 1 ? 1 : 3;
    for (int r = 0; r < rounds; r++, seed++) {
        fprintf(stderr, "\n  graph seed %u (WT_GRAPH_SEED=%u replays it)", seed, seed);
        static char src[sizeof graph_src + 64];
        snprintf(src, sizeof src, graph_src, seed, 20000 / test_scale);
        wt_job ref;
        CU_ASSERT_EQUAL_FATAL(graph_run(&ref, src, "NoGC", (size_t)256 << 20, 0), WT_OK);
        for (size_t p = 0; p < NPLANS; p++) {
            if (!plan_ok[p] || (int)p == nog)
                continue;
            wt_job job;
            int st = graph_run(&job, src, all_plans[p], (size_t)4 << 20, 1);
            int same = job.output && ref.output && !strcmp(job.output, ref.output);
            if (st != WT_OK || !same) {
                char t[512];
                fprintf(stderr, "\n  %s: %s, printed %s  NoGC printed %s", all_plans[p],
                        wt_status_text(&job, t, sizeof t), job.output ? job.output : "nothing\n",
                        ref.output);
            }
            CU_ASSERT_EQUAL(st, WT_OK);
            CU_ASSERT_TRUE(same);
            CU_ASSERT_TRUE(job.collections > 0);
            wt_job_clear(&job);
        }
        wt_job_clear(&ref);
    }
    fprintf(stderr, "\n");
}

/* every plan at once: one heap per (plan, program), plus a leak per plan, all on
   one context and the one GC worker pool; each result as if it ran alone */
static void test_every_plan_at_once(void)
{
    enum { MAXJOBS = NPLANS * (NSHIPPED + 1) };
    static wt_job jobs[MAXJOBS];
    static char paths[MAXJOBS][512];
    size_t n = 0;
    for (size_t p = 0; p < NPLANS; p++) {
        if (!plan_ok[p] || !strcmp(all_plans[p], "NoGC"))
            continue;
        for (size_t i = 0; i <= NSHIPPED; i++) {
            if (test_scale > 1 && i == 0)
                continue;                /* Valgrind: without binary-trees */
            program_path(paths[n], sizeof paths[n], i < NSHIPPED ? shipped[i] : "leak", "wt");
            wt_job_init(&jobs[n], paths[n]);
            snprintf(jobs[n].plan, sizeof jobs[n].plan, "%s", all_plans[p]);
            jobs[n].heap_bytes = (size_t)(i < NSHIPPED ? 4 : 2) << 20;
            n++;
        }
    }
    size_t before = 0, after = 1;
    CU_ASSERT_EQUAL_FATAL(wt_run_jobs(jobs, n, 2, &before, &after), 0);
    CU_ASSERT_EQUAL(before, after);
    for (size_t j = 0; j < n; j++) {
        if (strstr(jobs[j].path, "leak.wt")) {
            CU_ASSERT_EQUAL(jobs[j].status, WT_OUT_OF_MEMORY);
            CU_ASSERT_STRING_EQUAL(jobs[j].message, "out of memory in its 2 MiB heap");
        } else {
            char out_path[512];
            snprintf(out_path, sizeof out_path, "%.*s.out",
                     (int)(strlen(jobs[j].path) - 3), jobs[j].path);
            char *want = read_text(out_path);
            int same = want && jobs[j].output && !strcmp(want, jobs[j].output);
            if (jobs[j].status != WT_OK || !same)
                fprintf(stderr, "\n  %s under %s: status %d\n", jobs[j].name, jobs[j].plan,
                        jobs[j].status);
            CU_ASSERT_EQUAL(jobs[j].status, WT_OK);
            CU_ASSERT_TRUE(same);
            free(want);
        }
        CU_ASSERT_STRING_EQUAL(jobs[j].plan_used, jobs[j].plan);
        wt_job_clear(&jobs[j]);
    }
}

/* a program with a type error does not run; the one next to it does */
static void test_compile_error_isolated(void)
{
    char bad[] = "/tmp/wt-bad-XXXXXX.wt";
    int fd = mkstemps(bad, 3);
    CU_ASSERT_FATAL(fd >= 0);
    static const char text[] = "var x: int = 1;\nx = \"one\";\n";
    CU_ASSERT_EQUAL(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char good[512];
    program_path(good, sizeof good, "fib", "wt");
    wt_job jobs[2];
    wt_job_init(&jobs[0], bad);
    wt_job_init(&jobs[1], good);
    for (int i = 0; i < 2; i++)
        snprintf(jobs[i].plan, sizeof jobs[i].plan, "%s", some_plan(0));
    size_t before, after;
    CU_ASSERT_EQUAL_FATAL(wt_run_jobs(jobs, 2, 2, &before, &after), 0);
    CU_ASSERT_EQUAL(before, after);
    CU_ASSERT_EQUAL(jobs[0].status, WT_COMPILE_ERROR);
    char want[600];
    snprintf(want, sizeof want,
             "%s:2:5: type mismatch in assignment to 'x': expected int but found string", bad);
    CU_ASSERT_STRING_EQUAL(jobs[0].diag.text, want);
    CU_ASSERT_PTR_NULL(jobs[0].output);
    CU_ASSERT_EQUAL(jobs[1].status, WT_OK);
    unlink(bad);
    for (int i = 0; i < 2; i++)
        wt_job_clear(&jobs[i]);
}

#ifdef WT_DEMO_BIN
/* Runs the welltype-demo command with the arguments `fmt` formats; its
 * output and errors go to out (NUL-terminated). Returns pclose's status. */
static int run_demo(char *out, size_t size, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int run_demo(char *out, size_t size, const char *fmt, ...)
{
    char args[1536], cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", WT_DEMO_BIN, args);
    FILE *f = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    return pclose(f);
}
#endif

/* the command itself: profile, concurrency, the table */
static void test_command(void)
{
#ifdef WT_DEMO_BIN
    if (access(WT_DEMO_BIN, X_OK) != 0)
        return;
    static char out[1 << 16];
    int rc = run_demo(out, sizeof out,
                      "--profile %s/demo.profile --heap 8M %s/programs/fib.wt "
                      "%s/programs/leak.wt %s/programs/strings.wt",
                      WT_DEMO_DIR, WT_DEMO_DIR, WT_DEMO_DIR, WT_DEMO_DIR);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "== fib\nfib(0) = 0\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "stopped: out of memory in its 8 MiB heap; "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "bytes returned to the context"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "alpha beta gamma delta\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "equal, every heap gave all its memory back"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "program          plan"));
    if (rc != 0 || !strstr(out, "equal, every"))
        fprintf(stderr, "\n%s\n", out);

    /* the shipped endless program is stopped by its budget in the profile */
    rc = run_demo(out, sizeof out, "--profile %s/demo.profile %s/programs/forever.wt",
                  WT_DEMO_DIR, WT_DEMO_DIR);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "no odd perfect number up to 20001\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "stopped: instruction budget of 20000000 exceeded"));
    CU_ASSERT_PTR_NULL(strstr(out, "odd perfect number:"));

    /* a budget from the command line stops the program; that is not a failure */
    rc = run_demo(out, sizeof out, "--plan %s --budget 5000 %s/programs/fib.wt",
                  some_plan(0), WT_DEMO_DIR);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "stopped: instruction budget of 5000 exceeded"));

    /* a bad profile line is named, and nothing runs */
    char prof[] = "/tmp/wt-profile-XXXXXX";
    int fd = mkstemp(prof);
    CU_ASSERT_FATAL(fd >= 0);
    static const char text[] = "# settings\nfib heap=lots\n";
    CU_ASSERT_EQUAL(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    rc = run_demo(out, sizeof out, "--profile %s %s/programs/fib.wt", prof, WT_DEMO_DIR);
    CU_ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
    char want[128];
    snprintf(want, sizeof want, "%s:2: bad setting 'heap'", prof);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
    CU_ASSERT_PTR_NULL(strstr(out, "fib(0)"));
    unlink(prof);

    /* a missing program file is reported; the others run; exit status 1 */
    rc = run_demo(out, sizeof out, "--plan %s /nonexistent/x.wt %s/programs/fib.wt",
                  some_plan(0), WT_DEMO_DIR);
    CU_ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "/nonexistent/x.wt: cannot open: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "fib(24) = 46368"));
#endif
}

int main(void)
{
    const char *s = getenv("VMMA_TEST_SCALE");
    if (s && atoi(s) > 1)
        test_scale = atoi(s);
#ifdef VMMA_TSAN
    if (test_scale < 4)
        test_scale = 4;        /* ThreadSanitizer runs ~30x slower: smaller loops */
#endif
    static const CU_TestInfo tests[] = {
        { "plans available", test_plans_available },
        { "shipped programs under every plan", test_every_plan },
        { "shipped programs under stress_factor + verify", test_stress_verify },
        { "stress and verify from the environment", test_stress_from_env },
        { "language semantics", test_semantics },
        { "runtime errors", test_runtime_errors },
        { "instruction budget", test_budget },
        { "values survive collections", test_values_survive_collections },
        { "large arrays of young records", test_large_arrays },
        { "random graphs: every plan prints what NoGC prints", test_random_graphs },
        { "leak contained, others finish", test_leak_contained },
        { "every plan at once on one context", test_every_plan_at_once },
        { "compile error isolated", test_compile_error_isolated },
        { "welltype-demo command", test_command },
        CU_TEST_INFO_NULL
    };
    return cu_main("welltype VM on libmmtk", tests);
}
