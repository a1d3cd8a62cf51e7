/*
 * test_vmma_stress.c — a seeded random stress test of libvmma against a
 * model of its own: alloc, alloc_aligned, realloc, free, client deletion
 * and re-creation on several clients, under several configurations
 * (alignments, arena sizes, features, caller's block or reserved memory).
 * Checks, all along: alignment, contents, no overlap between live blocks,
 * ownership queries, vmma_walk against the model, statistics against the
 * model, cached-block census against free_size, limits.
 *
 * Prints its seed; VMMA_TEST_SEED=<seed> replays a run exactly.
 * VMMA_TEST_SCALE divides the number of operations.
 */
#include "vmma_test.h"

#define MAX_CLIENTS 4
#define MAX_LIVE 4000

struct block {
    unsigned char *p;
    size_t size;
    int client;
    unsigned char fill;
};

struct model {
    vmma_context *ctx;
    const vmma_config *cfg;
    unsigned flags;
    vmma_client *clients[MAX_CLIENTS];
    size_t allocs[MAX_CLIENTS], frees[MAX_CLIENTS];
    struct block live[MAX_LIVE];
    size_t nlive;
    uint64_t rng;
    size_t limit;
    struct vt_errors errs;
    int unexpected;            /* handler reports other than ENOMEM/EDQUOT */
};

static void stress_handler(const vmma_context *ctx, int err, const char *msg, void *arg)
{
    struct model *m = arg;
    vt_error_handler(ctx, err, msg, &m->errs);
    if (err != ENOMEM && err != EDQUOT) {
        m->unexpected++;
        fprintf(stderr, "unexpected report: %s\n", msg);
    }
}

static int filled(const unsigned char *p, unsigned char b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != b)
            return 0;
    return 1;
}

static size_t rand_size(struct model *m)
{
    uint64_t r = vt_rand(&m->rng) % 1000;
    size_t bs = m->cfg->block_size ? m->cfg->block_size : 256 * 1024;
    if (r < 700)
        return vt_rand(&m->rng) % 513;
    if (r < 900)
        return vt_rand(&m->rng) % (16 * 1024);
    if (r < 985)
        return vt_rand(&m->rng) % (bs + 1);
    return bs + vt_rand(&m->rng) % (2 * bs);
}

static void add_block(struct model *m, unsigned char *p, size_t size, int c, size_t align)
{
    size_t a = m->cfg->alignment ? m->cfg->alignment : 16;
    CU_ASSERT_EQUAL((uintptr_t)p % a, 0);
    if (align)
        CU_ASSERT_EQUAL((uintptr_t)p % align, 0);
    CU_ASSERT(vmma_get_size(m->clients[c], p) >= size);
    unsigned char fill = (unsigned char)vt_rand(&m->rng);
    if (m->flags & VMMA_FEATURE_ZERO_FILL)
        CU_ASSERT(filled(p, 0, vmma_get_size(m->clients[c], p)));
    memset(p, fill, size);
    struct block *b = &m->live[m->nlive++];
    b->p = p;
    b->size = size;
    b->client = c;
    b->fill = fill;
    m->allocs[c]++;
}

static void drop_block(struct model *m, size_t i)
{
    m->live[i] = m->live[--m->nlive];
}

static void op_alloc(struct model *m, int aligned)
{
    if (m->nlive == MAX_LIVE)
        return;
    int c = (int)(vt_rand(&m->rng) % MAX_CLIENTS);
    size_t size = rand_size(m), align = 0;
    unsigned char *p;
    if (aligned) {
        align = (size_t)1 << (vt_rand(&m->rng) % 22);
        p = vmma_alloc_aligned(m->clients[c], size, align);
    } else {
        p = vmma_alloc(m->clients[c], size);
    }
    if (!p) {
        CU_ASSERT(errno == ENOMEM || errno == EDQUOT);
        if (errno == EDQUOT)
            CU_ASSERT(m->limit != 0);
        return;
    }
    add_block(m, p, size, c, align);
}

static void op_free(struct model *m)
{
    if (!m->nlive)
        return;
    size_t i = vt_rand(&m->rng) % m->nlive;
    struct block *b = &m->live[i];
    CU_ASSERT_FATAL(filled(b->p, b->fill, b->size));
    CU_ASSERT_EQUAL(vmma_free(m->ctx, b->p), 0);
    m->frees[b->client]++;
    drop_block(m, i);
}

static void op_realloc(struct model *m)
{
    if (!m->nlive)
        return;
    size_t i = vt_rand(&m->rng) % m->nlive;
    struct block *b = &m->live[i];
    size_t size = rand_size(m) + 1;
    unsigned char *q = vmma_realloc(m->clients[b->client], b->p, size);
    if (!q) {
        CU_ASSERT(errno == ENOMEM || errno == EDQUOT);
        CU_ASSERT_FATAL(filled(b->p, b->fill, b->size));     /* untouched */
        return;
    }
    size_t keep = b->size < size ? b->size : size;
    CU_ASSERT_FATAL(filled(q, b->fill, keep));
    CU_ASSERT(vmma_get_size(m->clients[b->client], q) >= size);
    if (q != b->p) {
        m->allocs[b->client]++;
        m->frees[b->client]++;
    }
    memset(q, b->fill, size);
    b->p = q;
    b->size = size;
}

static void op_delete_client(struct model *m)
{
    int c = (int)(vt_rand(&m->rng) % MAX_CLIENTS);
    vmma_delete_client(m->clients[c]);
    for (size_t i = m->nlive; i-- > 0;)
        if (m->live[i].client == c)
            drop_block(m, i);
    m->clients[c] = vmma_create_client(m->ctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m->clients[c]);
    m->allocs[c] = m->frees[c] = 0;
    if (m->limit)
        CU_ASSERT_EQUAL(vmma_set_client_limit(m->clients[c], m->limit), 0);
}

static int by_address(const void *a, const void *b)
{
    const struct block *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

struct walk_check {
    struct model *m;
    int client;
    size_t seen, unknown;
};

static int walk_visit(void *block, size_t size, void *arg)
{
    struct walk_check *w = arg;
    w->seen++;
    for (size_t i = 0; i < w->m->nlive; i++)
        if (w->m->live[i].p == block && w->m->live[i].client == w->client) {
            if (size != vmma_get_size(w->m->clients[w->client], block))
                w->unknown++;
            return 0;
        }
    w->unknown++;
    return 0;
}

/* Rounded size of a live block from its usable size. */
static size_t rounded_of(struct model *m, size_t usable)
{
    size_t bs = m->cfg->block_size ? m->cfg->block_size : 256 * 1024;
    if (usable >= bs)
        return usable;
    size_t r = 16;
    size_t need = usable + ((m->flags & VMMA_FEATURE_STATISTICS) != 0);
    while (r < need)
        r <<= 1;
    return r;
}

static void check_all(struct model *m)
{
    qsort(m->live, m->nlive, sizeof *m->live, by_address);
    size_t used[MAX_CLIENTS] = {0}, req[MAX_CLIENTS] = {0}, count[MAX_CLIENTS] = {0};
    for (size_t i = 0; i < m->nlive; i++) {
        struct block *b = &m->live[i];
        vmma_client *c = m->clients[b->client];
        size_t usable = vmma_get_size(c, b->p);
        CU_ASSERT_FATAL(usable >= b->size);
        if (i + 1 < m->nlive)
            CU_ASSERT_FATAL(b->p + usable <= m->live[i + 1].p);      /* no overlap */
        CU_ASSERT_PTR_EQUAL(vmma_get_owner(m->ctx, b->p), c);
        CU_ASSERT_PTR_EQUAL(vmma_get_owner(m->ctx, b->p + usable - 1), c);
        CU_ASSERT_EQUAL(vmma_test_address(c, b->p + usable / 2), 1);
        CU_ASSERT_EQUAL(vmma_test_address(m->clients[(b->client + 1) % MAX_CLIENTS], b->p), 0);
        CU_ASSERT_FATAL(filled(b->p, b->fill, b->size));
        used[b->client] += rounded_of(m, usable);
        req[b->client] += b->size;
        count[b->client]++;
    }
    vmma_stats cs, total = {0};
    CU_ASSERT_EQUAL(vmma_get_context_stats(m->ctx, &cs), 0);
    for (int c = 0; c < MAX_CLIENTS; c++) {
        vmma_stats st;
        vmma_cached_blocks cb;
        CU_ASSERT_EQUAL_FATAL(vmma_get_client_stats(m->clients[c], &st), 0);
        CU_ASSERT_EQUAL(st.used_size, used[c]);
        if (m->limit)
            CU_ASSERT(st.used_size <= m->limit);
        if (m->flags & VMMA_FEATURE_STATISTICS) {
            CU_ASSERT_EQUAL(st.requested_size, req[c]);
            CU_ASSERT_EQUAL(st.alloc_count, m->allocs[c]);
            CU_ASSERT_EQUAL(st.free_count, m->frees[c]);
        } else {
            CU_ASSERT_EQUAL(st.requested_size, 0);
            CU_ASSERT_EQUAL(st.alloc_count, 0);
        }
        CU_ASSERT_EQUAL(st.used_size + st.free_size, st.total_size);
        CU_ASSERT_EQUAL(vmma_populate_cached_blocks(m->clients[c], &cb), 0);
        CU_ASSERT_EQUAL(cb.total_bytes, st.free_size);
        struct walk_check w = {m, c, 0, 0};
        CU_ASSERT_EQUAL(vmma_walk(m->clients[c], walk_visit, &w), 0);
        CU_ASSERT_EQUAL(w.seen, count[c]);
        CU_ASSERT_EQUAL(w.unknown, 0);
        total.used_size += st.used_size;
        total.arena_count += st.arena_count;
    }
    CU_ASSERT_EQUAL(cs.used_size, total.used_size);
    CU_ASSERT_EQUAL(cs.arena_count, total.arena_count);
    CU_ASSERT_EQUAL(cs.client_count, MAX_CLIENTS);
    CU_ASSERT(cs.free_size + cs.arena_count * (m->cfg->block_size ? m->cfg->block_size : 256 * 1024)
              <= cs.total_size);
}

static void run_config(const char *name, const vmma_config *cfg, size_t size, int caller_block,
                       size_t limit)
{
    struct model *m = calloc(1, sizeof *m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    void *mem = caller_block ? malloc(size) : NULL;
    m->cfg = cfg;
    m->limit = limit;
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&m->ctx, mem, size, cfg), 0);
    m->flags = vmma_get_accepted_flags(m->ctx);
    CU_ASSERT_EQUAL(m->flags, cfg->flags & vmma_get_supported_flags() &
                                  ~(caller_block ? VMMA_FEATURE_RELEASE : 0u));
    if (!(m->flags & VMMA_FEATURE_LIMITS))
        m->limit = 0;
    vmma_set_error_handler(m->ctx, stress_handler, m);
    for (int c = 0; c < MAX_CLIENTS; c++) {
        m->clients[c] = vmma_create_client(m->ctx);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m->clients[c]);
        if (m->limit)
            CU_ASSERT_EQUAL(vmma_set_client_limit(m->clients[c], m->limit), 0);
    }
    char what[128];
    snprintf(what, sizeof what, "stress %s", name);
    m->rng = vt_seed(what);
    unsigned long ops = vt_scaled(60000);
    for (unsigned long op = 0; op < ops; op++) {
        uint64_t r = vt_rand(&m->rng) % 1000;
        if (r < 420)
            op_alloc(m, 0);
        else if (r < 480)
            op_alloc(m, 1);
        else if (r < 850)
            op_free(m);
        else if (r < 998)
            op_realloc(m);
        else
            op_delete_client(m);
        if (op % 5000 == 4999)
            check_all(m);
    }
    check_all(m);
    CU_ASSERT_EQUAL(m->unexpected, 0);
    /* free the rest in random order; then every client is empty */
    while (m->nlive)
        op_free(m);
    for (int c = 0; c < MAX_CLIENTS; c++) {
        vmma_stats st;
        vmma_get_client_stats(m->clients[c], &st);
        CU_ASSERT_EQUAL(st.used_size, 0);
        CU_ASSERT_EQUAL(st.requested_size, 0);
        vmma_delete_client(m->clients[c]);
    }
    vmma_stats cs;
    vmma_get_context_stats(m->ctx, &cs);
    CU_ASSERT_EQUAL(cs.arena_count, 0);
    CU_ASSERT_EQUAL(cs.client_count, 0);
    CU_ASSERT_EQUAL(cs.used_size, 0);
    vmma_destroy_context(m->ctx);
    free(mem);
    free(m);
}

#define MiB ((size_t)1 << 20)

static void test_plain(void)
{
    vmma_config cfg = {0, 0, 0};
    run_config("plain", &cfg, 512 * MiB, 0, 0);
}

static void test_features_caller_block(void)
{
    vmma_config cfg = {64, 64 * 1024,
                       VMMA_FEATURE_STATISTICS | VMMA_FEATURE_ZERO_FILL | VMMA_FEATURE_POISON |
                           VMMA_FEATURE_CHECKED};
    run_config("features, caller's block", &cfg, 200 * MiB, 1, 0);
}

static void test_small_arenas_limits(void)
{
    vmma_config cfg = {16, 4096, VMMA_FEATURE_STATISTICS | VMMA_FEATURE_LIMITS};
    run_config("4 KiB arenas, limits", &cfg, 256 * MiB, 0, 3 * MiB);
}

static void test_thread_safe_release(void)
{
    vmma_config cfg = {32, 1 * MiB, VMMA_FEATURE_THREAD_SAFE | VMMA_FEATURE_RELEASE |
                                         VMMA_FEATURE_CHECKED};
    run_config("thread-safe, release", &cfg, 1024 * MiB, 0, 0);
}

/* Tight memory: the context runs out; ENOMEM must be clean. */
static void test_tight(void)
{
    vmma_config cfg = {16, 64 * 1024, VMMA_FEATURE_STATISTICS};
    run_config("tight", &cfg, 24 * MiB, 1, 0);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"plain defaults", test_plain},
        {"features on a caller's block", test_features_caller_block},
        {"small arenas with limits", test_small_arenas_limits},
        {"thread-safe with release", test_thread_safe_release},
        {"tight memory", test_tight},
        CU_TEST_INFO_NULL};
    struct vt_suite suites[] = {{"stress", tests}, {NULL, NULL}};
    return vt_run(suites);
}
