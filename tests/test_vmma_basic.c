/*
 * test_vmma_basic.c — every libvmma function on the paths a user relies on,
 * and its error paths: contexts (own and caller's memory, unaligned
 * blocks, bad configs), clients, alloc/alloc_aligned/realloc/free,
 * test_address/get_size/get_owner, statistics, walk, cached blocks.
 */
#include "vmma_test.h"

#include <stdalign.h>

#define MiB ((size_t)1 << 20)
#define KiB ((size_t)1 << 10)

static vmma_context *make_ctx(size_t size, unsigned flags)
{
    vmma_context *ctx = NULL;
    vmma_config cfg = {0, 0, flags};
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, size, &cfg), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    return ctx;
}

static void test_create_errors(void)
{
    vmma_context *ctx = (vmma_context *)1;
    vmma_config bad_align = {24, 0, 0}, small_align = {8, 0, 0}, bad_bs = {0, 3000, 0};
    vmma_config bs_lt_align = {4096, 1024, 0};
    CU_ASSERT_EQUAL(vmma_create_context(NULL, NULL, MiB, NULL), EINVAL);
    CU_ASSERT_EQUAL(vmma_create_context(&ctx, NULL, MiB, &bad_align), EINVAL);
    CU_ASSERT_EQUAL(vmma_create_context(&ctx, NULL, MiB, &small_align), EINVAL);
    CU_ASSERT_EQUAL(vmma_create_context(&ctx, NULL, MiB, &bad_bs), EINVAL);
    CU_ASSERT_EQUAL(vmma_create_context(&ctx, NULL, MiB, &bs_lt_align), EINVAL);
    CU_ASSERT_EQUAL(vmma_create_context(&ctx, NULL, 1000, NULL), EINVAL);
    char small[4096];
    CU_ASSERT_EQUAL(vmma_create_context(&ctx, small, sizeof small, NULL), EINVAL);
    CU_ASSERT_EQUAL(vmma_create_context(&ctx, NULL, (size_t)1 << 62, NULL), ENOMEM);
    /* NULL-tolerant functions */
    vmma_destroy_context(NULL);
    vmma_delete_client(NULL);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(NULL), 0);
    CU_ASSERT_EQUAL(vmma_set_flags(NULL, 0), EINVAL);
    CU_ASSERT_EQUAL(vmma_get_total_size(NULL), 0);
    CU_ASSERT_EQUAL(vmma_get_free_size(NULL), 0);
    errno = 0;
    CU_ASSERT_PTR_NULL(vmma_create_client(NULL));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NULL(vmma_alloc(NULL, 16));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NULL(vmma_alloc_aligned(NULL, 16, 16));
    CU_ASSERT_PTR_NULL(vmma_realloc(NULL, NULL, 16));
    CU_ASSERT_EQUAL(vmma_free(NULL, &ctx), EINVAL);
    CU_ASSERT_EQUAL(vmma_set_client_limit(NULL, 1), EINVAL);
    CU_ASSERT_EQUAL(vmma_test_address(NULL, &ctx), 0);
    CU_ASSERT_EQUAL(vmma_get_size(NULL, &ctx), 0);
    CU_ASSERT_PTR_NULL(vmma_get_owner(NULL, &ctx));
    vmma_stats st;
    vmma_cached_blocks cb;
    CU_ASSERT_EQUAL(vmma_get_context_stats(NULL, &st), EINVAL);
    CU_ASSERT_EQUAL(vmma_get_client_stats(NULL, &st), EINVAL);
    CU_ASSERT_EQUAL(vmma_populate_cached_blocks(NULL, &cb), EINVAL);
    CU_ASSERT_EQUAL(vmma_walk(NULL, NULL, NULL), EINVAL);
    vmma_set_error_handler(NULL, NULL, NULL);
}

static void test_context_mmap(void)
{
    vmma_context *ctx = make_ctx(64 * MiB, 0);
    CU_ASSERT(vmma_get_total_size(ctx) > 60 * MiB);
    CU_ASSERT(vmma_get_total_size(ctx) <= 64 * MiB);
    CU_ASSERT_EQUAL(vmma_get_free_size(ctx), vmma_get_total_size(ctx));
    vmma_stats st;
    CU_ASSERT_EQUAL(vmma_get_context_stats(ctx, &st), 0);
    CU_ASSERT_EQUAL(st.total_size, vmma_get_total_size(ctx));
    CU_ASSERT(st.admin_size > 0);
    CU_ASSERT(st.admin_size * 50 <= 64 * MiB);      /* <= 2% of the block */
    CU_ASSERT_EQUAL(st.client_count, 0);
    CU_ASSERT_EQUAL(st.arena_count, 0);
    CU_ASSERT_EQUAL(st.used_size, 0);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), 0);
    vmma_destroy_context(ctx);
}

/* A caller's block, deliberately misaligned: arenas must still be aligned
 * to block_size and lie inside the block; no byte outside is touched. */
static void test_context_caller_block(void)
{
    size_t size = 8 * MiB, bs = 64 * KiB;
    unsigned char *raw = malloc(size + 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
    memset(raw, 0xab, size + 64);
    unsigned char *block = raw + 32 + 8;            /* not 64-aligned, not bs-aligned */
    vmma_context *ctx = NULL;
    vmma_config cfg = {16, bs, VMMA_FEATURE_RELEASE};
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, block, size - 64, &cfg), 0);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx) & VMMA_FEATURE_RELEASE, 0);
    vmma_client *c = vmma_create_client(ctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    size_t n = 0;
    for (;;) {
        char *p = vmma_alloc(c, 1000);
        if (!p)
            break;
        CU_ASSERT(p >= (char *)block && p + 1000 <= (char *)block + size - 64);
        CU_ASSERT_EQUAL((uintptr_t)p % 1024, 0);
        memset(p, 0x11, 1000);
        n++;
    }
    CU_ASSERT_EQUAL(errno, ENOMEM);
    CU_ASSERT(n * 1024 >= (size - 64) * 9 / 10);     /* at least 90% of the block usable */
    char *big = NULL;
    vmma_client *c2 = vmma_create_client(ctx);
    (void)big;
    CU_ASSERT_PTR_NULL(vmma_alloc(c2, 10));          /* every arena taken */
    vmma_delete_client(c2);
    vmma_delete_client(c);
    big = vmma_alloc_aligned(c2 = vmma_create_client(ctx), 3 * bs, 4 * bs);
    CU_ASSERT_PTR_NOT_NULL(big);
    CU_ASSERT_EQUAL((uintptr_t)big % (4 * bs), 0);
    vmma_destroy_context(ctx);
    for (size_t i = 0; i < 40; i++)
        CU_ASSERT_EQUAL(raw[i], 0xab);
    for (size_t i = size - 24; i < size + 64; i++)
        CU_ASSERT_EQUAL(raw[i], 0xab);
    free(raw);
}

static void test_alloc_free_basic(void)
{
    vmma_context *ctx = make_ctx(16 * MiB, 0);
    vmma_client *c = vmma_create_client(ctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    static const size_t sizes[] = {0, 1, 15, 16, 17, 31, 32, 33, 100, 1000, 4096, 5000,
                                   65536, 100000, 256 * 1024};
    void *ps[sizeof sizes / sizeof *sizes];
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        ps[i] = vmma_alloc(c, sizes[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ps[i]);
        size_t got = vmma_get_size(c, ps[i]);
        CU_ASSERT(got >= sizes[i]);
        CU_ASSERT(got >= 16);
        CU_ASSERT_EQUAL(got & (got - 1), 0);            /* power of two */
        CU_ASSERT_EQUAL((uintptr_t)ps[i] % 16, 0);
        CU_ASSERT_EQUAL((uintptr_t)ps[i] % got, 0);     /* 2^k block aligned to 2^k */
        memset(ps[i], (int)i, got);
        CU_ASSERT_PTR_EQUAL(vmma_get_owner(ctx, ps[i]), c);
        CU_ASSERT_EQUAL(vmma_test_address(c, ps[i]), 1);
        CU_ASSERT_EQUAL(vmma_test_address(c, (char *)ps[i] + got - 1), 1);
    }
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t got = vmma_get_size(c, ps[i]);
        for (size_t j = 0; j < got; j++)
            if (((unsigned char *)ps[i])[j] != (unsigned char)i) {
                CU_FAIL("block contents changed");
                break;
            }
    }
    vmma_stats st;
    CU_ASSERT_EQUAL(vmma_get_client_stats(c, &st), 0);
    CU_ASSERT(st.used_size >= 256 * KiB);
    CU_ASSERT_EQUAL(st.client_count, 1);
    CU_ASSERT(st.arena_count >= 2);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        CU_ASSERT_EQUAL(vmma_free(ctx, ps[i]), 0);
        CU_ASSERT_EQUAL(vmma_test_address(c, ps[i]), 0);
        CU_ASSERT_EQUAL(vmma_get_size(c, ps[i]), 0);
        CU_ASSERT_PTR_NULL(vmma_get_owner(ctx, ps[i]));
    }
    CU_ASSERT_EQUAL(vmma_get_client_stats(c, &st), 0);
    CU_ASSERT_EQUAL(st.used_size, 0);
    CU_ASSERT_EQUAL(vmma_free(ctx, NULL), 0);
    vmma_delete_client(c);
    CU_ASSERT_EQUAL(vmma_get_free_size(ctx), vmma_get_total_size(ctx));
    vmma_destroy_context(ctx);
}

static void test_large_and_aligned(void)
{
    vmma_context *ctx = make_ctx(64 * MiB, 0);
    vmma_client *c = vmma_create_client(ctx);
    size_t total = vmma_get_total_size(ctx);
    size_t aligns[] = {16, 32, 64, 4096, 64 * KiB, MiB, 4 * MiB};
    for (size_t i = 0; i < sizeof aligns / sizeof *aligns; i++) {
        void *p = vmma_alloc_aligned(c, 100, aligns[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_EQUAL((uintptr_t)p % aligns[i], 0);
        CU_ASSERT(vmma_get_size(c, p) >= 100);
        CU_ASSERT_EQUAL(vmma_free(ctx, p), 0);
    }
    errno = 0;
    CU_ASSERT_PTR_NULL(vmma_alloc_aligned(c, 100, 48));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NULL(vmma_alloc_aligned(c, 100, 0));
    CU_ASSERT_EQUAL(errno, EINVAL);
    /* chunks as libmmtk takes them */
    char *chunk = vmma_alloc_aligned(c, 4 * MiB, 4 * MiB);
    CU_ASSERT_PTR_NOT_NULL_FATAL(chunk);
    CU_ASSERT_EQUAL((uintptr_t)chunk % (4 * MiB), 0);
    CU_ASSERT_EQUAL(vmma_get_size(c, chunk), 4 * MiB);
    memset(chunk, 1, 4 * MiB);
    CU_ASSERT_EQUAL(vmma_test_address(c, chunk + 3 * MiB), 1);
    CU_ASSERT_PTR_EQUAL(vmma_get_owner(ctx, chunk + 4 * MiB - 1), c);
    CU_ASSERT_EQUAL(vmma_free(ctx, chunk + MiB), EINVAL);      /* interior of a run */
    CU_ASSERT_EQUAL(vmma_get_size(c, chunk + MiB), 0);
    char *odd = vmma_alloc(c, 1500 * KiB);                     /* not a power of two */
    CU_ASSERT_PTR_NOT_NULL_FATAL(odd);
    CU_ASSERT(vmma_get_size(c, odd) >= 1500 * KiB);
    CU_ASSERT_EQUAL(vmma_free(ctx, chunk), 0);
    CU_ASSERT_EQUAL(vmma_free(ctx, chunk), EINVAL);
    CU_ASSERT_EQUAL(vmma_free(ctx, odd), 0);
    errno = 0;
    CU_ASSERT_PTR_NULL(vmma_alloc(c, total + 1));
    CU_ASSERT_EQUAL(errno, ENOMEM);
    CU_ASSERT_PTR_NULL(vmma_alloc(c, SIZE_MAX));
    CU_ASSERT_EQUAL(errno, ENOMEM);
    vmma_delete_client(c);
    CU_ASSERT_EQUAL(vmma_get_free_size(ctx), total);
    vmma_destroy_context(ctx);
}

static void test_realloc(void)
{
    vmma_context *ctx = make_ctx(16 * MiB, 0);
    vmma_client *c = vmma_create_client(ctx), *other = vmma_create_client(ctx);
    unsigned char *p = vmma_realloc(c, NULL, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    for (int i = 0; i < 10; i++)
        p[i] = (unsigned char)i;
    unsigned char *q = vmma_realloc(c, p, 12);                 /* same block */
    CU_ASSERT_PTR_EQUAL(q, p);
    size_t sizes[] = {100, 5000, 300000, 3 * MiB, 40, 16};
    size_t keep = 10;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        q = vmma_realloc(c, p, sizes[s]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(q);
        CU_ASSERT(vmma_get_size(c, q) >= sizes[s]);
        for (size_t i = 0; i < keep && i < sizes[s]; i++)
            CU_ASSERT_EQUAL_FATAL(q[i], (unsigned char)i);
        p = q;
    }
    /* a block of another client is refused and left alone */
    void *o = vmma_alloc(other, 64);
    errno = 0;
    CU_ASSERT_PTR_NULL(vmma_realloc(c, o, 128));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_EQUAL(vmma_get_size(other, o), 64);
    CU_ASSERT_PTR_NULL(vmma_realloc(c, p + 1, 128));
    CU_ASSERT_EQUAL(errno, EINVAL);
    /* failure leaves the old block untouched */
    CU_ASSERT_PTR_NULL(vmma_realloc(c, p, (size_t)1 << 40));
    CU_ASSERT_EQUAL(errno, ENOMEM);
    CU_ASSERT_EQUAL(p[3], 3);
    CU_ASSERT(vmma_get_size(c, p) >= 16);
    /* size 0 frees */
    CU_ASSERT_PTR_NULL(vmma_realloc(c, p, 0));
    CU_ASSERT_EQUAL(vmma_get_size(c, p), 0);
    vmma_destroy_context(ctx);
}

static void test_clients_isolated(void)
{
    vmma_context *ctx = make_ctx(32 * MiB, 0);
    vmma_client *a = vmma_create_client(ctx), *b = vmma_create_client(ctx);
    CU_ASSERT_PTR_NOT_EQUAL(a, b);
    void *pa = vmma_alloc(a, 100), *pb = vmma_alloc(b, 100);
    CU_ASSERT_PTR_EQUAL(vmma_get_owner(ctx, pa), a);
    CU_ASSERT_PTR_EQUAL(vmma_get_owner(ctx, pb), b);
    CU_ASSERT_EQUAL(vmma_test_address(a, pb), 0);
    CU_ASSERT_EQUAL(vmma_get_size(a, pb), 0);
    /* arenas are never shared */
    CU_ASSERT_NOT_EQUAL((uintptr_t)pa / (256 * KiB), (uintptr_t)pb / (256 * KiB));
    vmma_stats st;
    vmma_get_context_stats(ctx, &st);
    CU_ASSERT_EQUAL(st.client_count, 2);
    CU_ASSERT_EQUAL(st.arena_count, 2);
    vmma_delete_client(a);
    CU_ASSERT_PTR_NULL(vmma_get_owner(ctx, pa));
    CU_ASSERT_PTR_EQUAL(vmma_get_owner(ctx, pb), b);
    CU_ASSERT_EQUAL(vmma_free(ctx, pa), EINVAL);               /* after delete */
    vmma_get_context_stats(ctx, &st);
    CU_ASSERT_EQUAL(st.client_count, 1);
    CU_ASSERT_EQUAL(st.arena_count, 1);
    vmma_destroy_context(ctx);                                 /* deletes b */
}

/* Thousands of small clients on one context: records are not a small cap. */
static void test_many_clients(void)
{
    enum { N = 3000 };
    vmma_context *ctx = make_ctx((size_t)N * 256 * KiB + 64 * MiB, 0);
    static vmma_client *cs[N];
    for (int i = 0; i < N; i++) {
        cs[i] = vmma_create_client(ctx);
        CU_ASSERT_PTR_NOT_NULL_FATAL(cs[i]);
        void *p = vmma_alloc(cs[i], 64);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    }
    vmma_stats st;
    vmma_get_context_stats(ctx, &st);
    CU_ASSERT_EQUAL(st.client_count, N);
    /* the context's own data stay under 2% (test_context_mmap); each client
     * record (about 2 KiB with its hot cache) comes on top: with a client
     * for almost every arena, still well under 3% */
    CU_ASSERT(st.admin_size * 40 <= vmma_get_total_size(ctx));
    for (int i = 0; i < N; i += 2)
        vmma_delete_client(cs[i]);
    for (int i = 0; i < N; i += 2)
        CU_ASSERT_PTR_NOT_NULL((cs[i] = vmma_create_client(ctx)));
    vmma_get_context_stats(ctx, &st);
    CU_ASSERT_EQUAL(st.client_count, N);
    /* the last records live in record slabs taken from the arenas */
    struct vt_errors errs = {0};
    vmma_set_error_handler(ctx, vt_error_handler, &errs);
    CU_ASSERT_EQUAL(vmma_free(ctx, cs[N - 1]), EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "administrative data"));
    vmma_destroy_context(ctx);
}

static void test_invalid_frees(void)
{
    vmma_context *ctx = make_ctx(16 * MiB, 0);
    struct vt_errors errs = {0};
    vmma_set_error_handler(ctx, vt_error_handler, &errs);
    vmma_client *c = vmma_create_client(ctx);
    char *p = vmma_alloc(c, 64);
    int local;
    CU_ASSERT_EQUAL(vmma_free(ctx, &local), EINVAL);           /* outside: always refused */
    CU_ASSERT_EQUAL(errs.count, 1);
    CU_ASSERT_EQUAL(errs.last_err, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "vmma_free"));
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "not inside this context"));
    CU_ASSERT_EQUAL(vmma_free(ctx, p + 16), EINVAL);           /* interior */
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "interior"));
    CU_ASSERT_EQUAL(vmma_get_size(c, p), 64);
    CU_ASSERT_EQUAL(vmma_free(ctx, p), 0);
    CU_ASSERT_EQUAL(vmma_free(ctx, p), EINVAL);                /* double */
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "double free"));
    char buf[32];
    snprintf(buf, sizeof buf, "%p", (void *)p);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, buf));
    CU_ASSERT_EQUAL(errs.count, 3);
    vmma_destroy_context(ctx);
}

/* Freeing every block lets the next miss coalesce them: whole free arenas
 * go back to the context, the client keeps one spare. */
static void test_give_back_arenas(void)
{
    vmma_context *ctx = make_ctx(16 * MiB, 0);
    vmma_client *c = vmma_create_client(ctx);
    enum { PER_ARENA = 256 * 1024 / 16, N = 4 * PER_ARENA };
    void **ps = malloc(N * sizeof *ps);
    for (size_t i = 0; i < N; i++)
        CU_ASSERT_PTR_NOT_NULL_FATAL((ps[i] = vmma_alloc(c, 16)));
    vmma_stats st;
    vmma_get_client_stats(c, &st);
    CU_ASSERT_EQUAL(st.arena_count, 4);
    CU_ASSERT_EQUAL(st.free_size, 0);
    size_t free_before = vmma_get_free_size(ctx);
    for (size_t i = 0; i < N; i++)
        CU_ASSERT_EQUAL(vmma_free(ctx, ps[N - 1 - i]), 0);
    vmma_get_client_stats(c, &st);
    CU_ASSERT_EQUAL(st.free_size, 4 * 256 * KiB);       /* cached, not yet merged */
    vmma_cached_blocks cb;
    vmma_populate_cached_blocks(c, &cb);
    CU_ASSERT_EQUAL(cb.count[0], N);
    void *p = vmma_alloc(c, 32);                        /* no 32-byte block: coalesce */
    CU_ASSERT_PTR_NOT_NULL(p);
    vmma_get_client_stats(c, &st);
    CU_ASSERT_EQUAL(st.arena_count, 2);                 /* one in use, one spare */
    CU_ASSERT_EQUAL(vmma_get_free_size(ctx), free_before + 2 * 256 * KiB);
    vmma_populate_cached_blocks(c, &cb);
    CU_ASSERT_EQUAL(cb.count[0], 0);
    CU_ASSERT_EQUAL(cb.count[14], 1);                   /* the spare, whole */
    CU_ASSERT_EQUAL(st.used_size, 32);
    free(ps);
    vmma_destroy_context(ctx);
}

/* Client records run out only when no arena is left for a slab. */
static void test_client_records_exhausted(void)
{
    vmma_context *ctx = make_ctx(4 * MiB, 0);
    vmma_client *hog = vmma_create_client(ctx);
    while (vmma_alloc(hog, 200 * KiB))
        ;
    size_t n = 1;
    errno = 0;
    while (vmma_create_client(ctx))
        n++;
    CU_ASSERT_EQUAL(errno, ENOMEM);
    CU_ASSERT(n >= 8);
    vmma_delete_client(hog);                             /* arenas back: slabs possible */
    for (size_t i = 0; i < 200; i++)
        CU_ASSERT_PTR_NOT_NULL(vmma_create_client(ctx));
    vmma_destroy_context(ctx);
}

/* Enough free arenas, but no contiguous run: ENOMEM, reported. */
static void test_no_contiguous_run(void)
{
    vmma_context *ctx = make_ctx(8 * MiB, 0);
    struct vt_errors errs = {0};
    vmma_set_error_handler(ctx, vt_error_handler, &errs);
    vmma_client *a = vmma_create_client(ctx), *b = vmma_create_client(ctx);
    for (int i = 0;; i++) {
        if (!vmma_alloc(i % 2 ? b : a, 200 * KiB))        /* one arena each, alternating */
            break;
    }
    vmma_delete_client(a);                               /* every other arena free */
    CU_ASSERT(vmma_get_free_size(ctx) >= 4 * 256 * KiB);
    vmma_client *c = vmma_create_client(ctx);
    errno = 0;
    CU_ASSERT_PTR_NULL(vmma_alloc(c, 300 * KiB));       /* needs two adjacent arenas */
    CU_ASSERT_EQUAL(errno, ENOMEM);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "no run"));
    CU_ASSERT_PTR_NOT_NULL(vmma_alloc(c, 200 * KiB));   /* one arena is fine */
    vmma_destroy_context(ctx);
}

static void test_more_null_arguments(void)
{
    vmma_context *ctx = make_ctx(8 * MiB, 0);
    vmma_client *c = vmma_create_client(ctx);
    CU_ASSERT_EQUAL(vmma_get_size(c, NULL), 0);
    CU_ASSERT_EQUAL(vmma_test_address(c, NULL), 0);
    CU_ASSERT_PTR_NULL(vmma_get_owner(ctx, NULL));
    CU_ASSERT_EQUAL(vmma_get_context_stats(ctx, NULL), EINVAL);
    CU_ASSERT_EQUAL(vmma_get_client_stats(c, NULL), EINVAL);
    /* a deleted client's handle is refused, not followed */
    vmma_client *gone = vmma_create_client(ctx);
    vmma_delete_client(gone);
    errno = 0;
    CU_ASSERT_PTR_NULL(vmma_alloc(gone, 16));
    CU_ASSERT_EQUAL(errno, EINVAL);
    vmma_delete_client(gone);                            /* twice: no-op */
    vmma_stats st;
    CU_ASSERT_EQUAL(vmma_get_client_stats(gone, &st), EINVAL);
    vmma_destroy_context(ctx);
}

int main(void)
{
    static CU_TestInfo context_tests[] = {
        {"create errors and NULL arguments", test_create_errors},
        {"context over reserved memory", test_context_mmap},
        {"context over a misaligned caller block", test_context_caller_block},
        CU_TEST_INFO_NULL};
    static CU_TestInfo block_tests[] = {
        {"alloc, free, inspect", test_alloc_free_basic},
        {"large runs and alignment", test_large_and_aligned},
        {"realloc", test_realloc},
        {"clients are isolated", test_clients_isolated},
        {"thousands of clients", test_many_clients},
        {"invalid frees are refused", test_invalid_frees},
        {"whole free arenas go back after coalescing", test_give_back_arenas},
        {"client records exhausted", test_client_records_exhausted},
        {"no contiguous run of arenas", test_no_contiguous_run},
        {"more NULL and stale arguments", test_more_null_arguments},
        CU_TEST_INFO_NULL};
    struct vt_suite suites[] = {{"context", context_tests}, {"blocks", block_tests}, {NULL, NULL}};
    return vt_run(suites);
}
