/*
 * main.c — the welltype-demo command: options, the profile file, and the
 * closing table.
 *
 *   welltype-demo [--plan P] [--heap SIZE] [--budget N] [--profile FILE] prog.wt...
 *
 * Settings for a program come from, weakest first: libmmtk's defaults (and
 * MMTK_* environment variables), the profile's `default` line, the profile's
 * line naming the program, then --plan/--heap/--budget on the command line.
 * Exit status: 0 when every program ran or was stopped by its own limits
 * (heap, budget) and the context got every byte back; 1 when a program had a
 * compile, runtime or heap error, or bytes were lost; 2 on a usage error.
 */
#include "vm.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct settings {
    char plan[32];
    size_t heap;
    uint64_t budget;
    int has_plan, has_heap, has_budget;
} settings;

static void settings_apply(const settings *s, wt_job *job)
{
    if (s->has_plan)
        snprintf(job->plan, sizeof job->plan, "%s", s->plan);
    if (s->has_heap)
        job->heap_bytes = s->heap;
    if (s->has_budget)
        job->budget = s->budget;
}

static int settings_set(settings *s, const char *key, const char *val)
{
    if (!strcmp(key, "plan")) {
        if (strlen(val) >= sizeof s->plan)
            return -1;
        snprintf(s->plan, sizeof s->plan, "%s", val);
        s->has_plan = 1;
    } else if (!strcmp(key, "heap")) {
        if ((s->heap = wt_parse_size(val)) == 0)
            return -1;
        s->has_heap = 1;
    } else if (!strcmp(key, "budget")) {
        char *end;
        errno = 0;
        s->budget = strtoull(val, &end, 10);
        if (errno || !isdigit((unsigned char)val[0]) || *end)
            return -1;
        s->has_budget = 1;
    } else {
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Profile: lines "NAME key=value...", NAME a program's basename or "default" */
typedef struct profile_line {
    char name[64];
    settings s;
} profile_line;

typedef struct profile {
    profile_line lines[128];
    int n;
} profile;

static int profile_parse_line(char *line, profile_line *out, const char *path, int lineno)
{
    char *save = NULL, *word = strtok_r(line, " \t\r\n", &save);
    if (!word || word[0] == '#')
        return 0;
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", word);
    while ((word = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
        if (word[0] == '#')
            break;
        char *eq = strchr(word, '=');
        if (eq)
            *eq = '\0';
        if (!eq || settings_set(&out->s, word, eq + 1) != 0) {
            fprintf(stderr, "%s:%d: bad setting '%s' (want plan=P, heap=SIZE or budget=N)\n",
                    path, lineno, word);
            return -1;
        }
    }
    return 1;
}

static int profile_load(profile *p, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        if (p->n == (int)(sizeof p->lines / sizeof p->lines[0])) {
            fprintf(stderr, "%s:%d: too many lines\n", path, lineno);
            rc = -1;
            break;
        }
        int got = profile_parse_line(line, &p->lines[p->n], path, lineno);
        if (got < 0)
            rc = -1;
        else
            p->n += got;
    }
    fclose(f);
    return rc;
}

static void profile_apply(const profile *p, wt_job *job)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->lines[i].name, "default"))
            settings_apply(&p->lines[i].s, job);
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->lines[i].name, job->name))
            settings_apply(&p->lines[i].s, job);
}

/* ------------------------------------------------------------------ */
/* Report                                                              */
static void print_size(char *buf, size_t n, size_t bytes)
{
    if (bytes >= ((size_t)1 << 20) && bytes % ((size_t)1 << 20) == 0)
        snprintf(buf, n, "%zuM", bytes >> 20);
    else if (bytes >= ((size_t)1 << 20))
        snprintf(buf, n, "%.1fM", (double)bytes / (1 << 20));
    else
        snprintf(buf, n, "%zuK", (bytes + 1023) >> 10);
}

static int print_report(wt_job *jobs, int n, size_t before, size_t after)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        wt_job *j = &jobs[i];
        if (j->status == WT_COMPILE_ERROR) {
            fprintf(stderr, "%s\n", j->diag.text);
            failed = 1;
            continue;
        }
        printf("== %s\n", j->name);
        if (j->output_len)
            fwrite(j->output, 1, j->output_len, stdout);
        if (j->status == WT_RUNTIME_ERROR)
            fprintf(stderr, "%s\n", j->message);
        if (j->status != WT_OK && j->status != WT_OUT_OF_MEMORY && j->status != WT_BUDGET)
            failed = 1;
    }
    printf("\n%-16s %-12s %6s %5s %10s %9s  %s\n", "program", "plan", "heap",
           "GCs", "max pause", "peak use", "result");
    for (int i = 0; i < n; i++) {
        wt_job *j = &jobs[i];
        char heap[32], peak[32], result[WT_ERR_MAX + 128], pause[32];
        print_size(heap, sizeof heap, j->heap_bytes);
        print_size(peak, sizeof peak, j->peak_used);
        snprintf(pause, sizeof pause, "%.2f ms", (double)j->pause_max_ns / 1e6);
        printf("%-16s %-12s %6s %5" PRIu64 " %10s %9s  %s\n", j->name,
               j->plan_used[0] ? j->plan_used : (j->plan[0] ? j->plan : "-"),
               heap, j->collections, pause, peak, wt_status_text(j, result, sizeof result));
    }
    printf("\ncontext free size: %zu bytes before, %zu bytes after: %s\n", before, after,
           before == after ? "equal, every heap gave all its memory back" : "NOT EQUAL");
    return failed || before != after;
}

static void usage(void)
{
    fprintf(stderr, "usage: welltype-demo [--plan P] [--heap SIZE] [--budget N] "
                    "[--profile FILE] prog.wt...\n");
}

/* options and program paths into jobs; 0, or 2 on a usage error */
static int parse_args(int argc, char **argv, wt_job *jobs, int *njobs)
{
    settings forced;
    memset(&forced, 0, sizeof forced);
    static profile prof;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--plan") || !strcmp(a, "--heap") || !strcmp(a, "--budget") ||
            !strcmp(a, "--profile")) {
            if (i + 1 == argc) {
                usage();
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--profile")) {
                if (profile_load(&prof, v) != 0)
                    return 2;
            } else if (settings_set(&forced, a + 2, v) != 0) {
                fprintf(stderr, "welltype-demo: bad value '%s' for %s\n", v, a);
                return 2;
            }
        } else if (a[0] == '-') {
            usage();
            return 2;
        } else {
            wt_job_init(&jobs[(*njobs)++], a);
        }
    }
    if (*njobs == 0) {
        usage();
        return 2;
    }
    for (int i = 0; i < *njobs; i++) {
        profile_apply(&prof, &jobs[i]);
        settings_apply(&forced, &jobs[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    wt_job *jobs = calloc((size_t)argc, sizeof *jobs);
    int njobs = 0;
    if (!jobs)
        return 2;
    int rc = parse_args(argc, argv, jobs, &njobs);
    if (rc) {
        free(jobs);
        return rc;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t before = 0, after = 0;
    rc = wt_run_jobs(jobs, (size_t)njobs, cores > 0 ? (int)cores : 1, &before, &after);
    if (rc) {
        fprintf(stderr, "welltype-demo: cannot make the vmma context: %s\n", strerror(rc));
        rc = 1;
    } else {
        rc = print_report(jobs, njobs, before, after);
    }
    for (int i = 0; i < njobs; i++)
        wt_job_clear(&jobs[i]);
    free(jobs);
    return rc;
}
