/*
 * test_vmma_features.c — every feature flag, on and off: what is supported
 * and accepted, vmma_set_flags, ZERO_FILL, STATISTICS, CHECKED (foreign,
 * interior, double and after-delete frees refused, changing nothing),
 * POISON (writes after free reported on reuse), LIMITS, RELEASE, the error
 * handler, the tracking layer (ASan/Valgrind see freed blocks as
 * inaccessible), vmma_walk and vmma_populate_cached_blocks.
 * Every test adapts to vmma_get_supported_flags(): a feature compiled out
 * must be dropped silently and its test checks just that.
 */
#include "vmma_test.h"

#include <sys/mman.h>
#include <unistd.h>

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

static unsigned supported;

static vmma_context *make_ctx(unsigned flags)
{
    vmma_context *ctx = NULL;
    vmma_config cfg = {0, 0, flags};
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, 64 * MiB, &cfg), 0);
    return ctx;
}

/* Skip (pass) when the feature is compiled out, after checking it is dropped. */
static int have(unsigned flag)
{
    if (supported & flag)
        return 1;
    vmma_context *ctx = make_ctx(flag);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx) & flag, 0);
    vmma_destroy_context(ctx);
    printf(" (feature %#x compiled out) ", flag);
    return 0;
}

static void test_flags(void)
{
    CU_ASSERT_EQUAL(supported & ~VMMA_FEATURE_ALL, 0);
    for (unsigned f = 1; f <= VMMA_FEATURE_ALL; f <<= 1) {
        vmma_context *ctx = make_ctx(f);
        CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), f & supported);
        vmma_destroy_context(ctx);
    }
    vmma_context *ctx = make_ctx(0xffffffffu);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), supported);
    /* set_flags: anything while there are no clients */
    CU_ASSERT_EQUAL(vmma_set_flags(ctx, 0), 0);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), 0);
    CU_ASSERT_EQUAL(vmma_set_flags(ctx, VMMA_FEATURE_ALL | 0x100), 0);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), supported);
    /* with a client: THREAD_SAFE and STATISTICS are fixed, the rest may change */
    struct vt_errors errs = {0};
    vmma_set_error_handler(ctx, vt_error_handler, &errs);
    vmma_client *c = vmma_create_client(ctx);
    unsigned fixed = (VMMA_FEATURE_THREAD_SAFE | VMMA_FEATURE_STATISTICS) & supported;
    if (fixed) {
        CU_ASSERT_EQUAL(vmma_set_flags(ctx, supported & ~fixed), EBUSY);
        CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), supported);
        CU_ASSERT_EQUAL(errs.last_err, EBUSY);
        CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "vmma_set_flags"));
    }
    CU_ASSERT_EQUAL(vmma_set_flags(ctx, fixed), 0);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), fixed);
    CU_ASSERT_EQUAL(vmma_set_flags(ctx, supported), 0);
    vmma_delete_client(c);
    CU_ASSERT_EQUAL(vmma_set_flags(ctx, 0), 0);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), 0);
    vmma_destroy_context(ctx);
    /* RELEASE needs memory the library reserved */
    size_t size = 8 * MiB;
    void *mem = malloc(size);
    vmma_config cfg = {0, 0, VMMA_FEATURE_ALL};
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, mem, size, &cfg), 0);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), supported & ~VMMA_FEATURE_RELEASE);
    CU_ASSERT_EQUAL(vmma_set_flags(ctx, VMMA_FEATURE_RELEASE), 0);
    CU_ASSERT_EQUAL(vmma_get_accepted_flags(ctx), 0);
    vmma_destroy_context(ctx);
    free(mem);
}

static void test_zero_fill(void)
{
    if (!have(VMMA_FEATURE_ZERO_FILL))
        return;
    vmma_context *ctx = make_ctx(VMMA_FEATURE_ZERO_FILL);
    vmma_client *c = vmma_create_client(ctx);
    static const size_t sizes[] = {1, 16, 100, 1000, 70000, 256 * KiB, 600 * KiB};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        for (int round = 0; round < 3; round++) {
            unsigned char *p = vmma_alloc(c, sizes[s]);
            CU_ASSERT_PTR_NOT_NULL_FATAL(p);
            size_t n = vmma_get_size(c, p);
            int zero = 1;
            for (size_t i = 0; i < n; i++)
                zero &= p[i] == 0;
            CU_ASSERT(zero);
            memset(p, 0xee, n);
            CU_ASSERT_EQUAL(vmma_free(ctx, p), 0);     /* the next round reuses it */
        }
    }
    unsigned char *p = vmma_alloc_aligned(c, 40, 4096);
    CU_ASSERT(p && p[0] == 0 && p[39] == 0);
    memset(p, 0xee, 40);
    unsigned char *q = vmma_realloc(c, p, 9000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    CU_ASSERT(q[0] == 0xee && q[39] == 0xee && q[40] == 0 && q[8999] == 0);
    /* switched on later: allocations after the switch are zeroed */
    CU_ASSERT_EQUAL(vmma_set_flags(ctx, 0), 0);
    p = vmma_alloc(c, 64);
    memset(p, 0xee, 64);
    vmma_free(ctx, p);
    CU_ASSERT_EQUAL(vmma_set_flags(ctx, VMMA_FEATURE_ZERO_FILL), 0);
    p = vmma_alloc(c, 64);
    CU_ASSERT(p && p[0] == 0 && p[63] == 0);
    vmma_destroy_context(ctx);
}

static void test_statistics(void)
{
    unsigned on = have(VMMA_FEATURE_STATISTICS);
    for (unsigned pass = 0; pass <= on; pass++) {
        vmma_context *ctx = make_ctx(pass ? VMMA_FEATURE_STATISTICS : 0);
        vmma_client *a = vmma_create_client(ctx), *b = vmma_create_client(ctx);
        void *p1 = vmma_alloc(a, 100), *p2 = vmma_alloc(a, 3000), *p3 = vmma_alloc(b, 1);
        void *big = vmma_alloc(b, 700 * KiB);
        CU_ASSERT(p1 && p2 && p3 && big);
        p1 = vmma_realloc(a, p1, 5000);                /* moves: one alloc + one free */
        vmma_free(ctx, p2);
        vmma_stats sa, sb, cs;
        vmma_get_client_stats(a, &sa);
        vmma_get_client_stats(b, &sb);
        vmma_get_context_stats(ctx, &cs);
        CU_ASSERT_EQUAL(sa.used_size, 8192);
        CU_ASSERT_EQUAL(sb.used_size, 16 + 768 * KiB);
        CU_ASSERT_EQUAL(cs.used_size, sa.used_size + sb.used_size);
        CU_ASSERT_EQUAL(sa.client_count, 1);
        CU_ASSERT_EQUAL(cs.client_count, 2);
        CU_ASSERT_EQUAL(cs.arena_count, sa.arena_count + sb.arena_count);
        CU_ASSERT_EQUAL(sb.arena_count, 4);
        if (pass) {
            CU_ASSERT_EQUAL(sa.requested_size, 5000);
            CU_ASSERT_EQUAL(sa.alloc_count, 3);
            CU_ASSERT_EQUAL(sa.free_count, 2);
            CU_ASSERT_EQUAL(sb.requested_size, 1 + 700 * KiB);
            CU_ASSERT_EQUAL(cs.requested_size, 5000 + 1 + 700 * KiB);
            CU_ASSERT_EQUAL(cs.alloc_count, 5);
            CU_ASSERT_EQUAL(cs.free_count, 2);
            /* counts of deleted clients stay in the context's */
            vmma_delete_client(a);
            vmma_get_context_stats(ctx, &cs);
            CU_ASSERT_EQUAL(cs.alloc_count, 5);
            CU_ASSERT_EQUAL(cs.requested_size, 1 + 700 * KiB);
        } else {
            CU_ASSERT_EQUAL(sa.requested_size, 0);
            CU_ASSERT_EQUAL(cs.alloc_count, 0);
            CU_ASSERT_EQUAL(cs.free_count, 0);
            CU_ASSERT_EQUAL(vmma_get_size(a, p1), 8192);
        }
        vmma_destroy_context(ctx);
    }
}

/* A refused free must change nothing: same stats, same contents. */
static void expect_refused(vmma_context *ctx, vmma_client *c, void *bad, unsigned char *witness,
                           struct vt_errors *errs, const char *why)
{
    vmma_stats before, after;
    vmma_get_client_stats(c, &before);
    int count = errs->count;
    CU_ASSERT_EQUAL(vmma_free(ctx, bad), EINVAL);
    CU_ASSERT_EQUAL(errs->count, count + 1);
    CU_ASSERT_EQUAL(errs->last_err, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs->last_msg, "vmma_free: "));
    if (!strstr(errs->last_msg, why))
        printf("\nmessage '%s' lacks '%s'\n", errs->last_msg, why);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs->last_msg, why));
    CU_ASSERT_PTR_NULL(strchr(errs->last_msg, '\n'));
    vmma_get_client_stats(c, &after);
    CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof before), 0);
    CU_ASSERT_EQUAL(witness[0], 0x5a);
    CU_ASSERT_EQUAL(witness[63], 0x5a);
}

static void test_checked(void)
{
    if (!have(VMMA_FEATURE_CHECKED))
        return;
    vmma_context *ctx = make_ctx(VMMA_FEATURE_CHECKED | (supported & VMMA_FEATURE_STATISTICS));
    vmma_context *other = make_ctx(0);
    struct vt_errors errs = {0};
    vmma_set_error_handler(ctx, vt_error_handler, &errs);
    vmma_client *c = vmma_create_client(ctx), *gone = vmma_create_client(ctx);
    vmma_client *oc = vmma_create_client(other);
    unsigned char *witness = vmma_alloc(c, 64);
    memset(witness, 0x5a, 64);
    char *p = vmma_alloc(c, 256), *big = vmma_alloc(c, 600 * KiB);
    char *foreign = vmma_alloc(oc, 64), *dead = vmma_alloc(gone, 64);
    int on_stack;
    expect_refused(ctx, c, &on_stack, witness, &errs, "not inside this context");
    expect_refused(ctx, c, foreign, witness, &errs, "not inside this context");
    expect_refused(ctx, c, p + 16, witness, &errs, "interior");
    expect_refused(ctx, c, p + 1, witness, &errs, "interior");
    expect_refused(ctx, c, big + 4096, witness, &errs, "interior");
    expect_refused(ctx, c, big + 300 * KiB, witness, &errs, "interior");
    CU_ASSERT_EQUAL(vmma_free(ctx, p), 0);
    expect_refused(ctx, c, p, witness, &errs, "double free");
    CU_ASSERT_EQUAL(vmma_free(ctx, big), 0);
    expect_refused(ctx, c, big, witness, &errs, "freed");
    vmma_delete_client(gone);
    expect_refused(ctx, c, dead, witness, &errs, "freed, or its client was deleted");
    /* get_size and realloc validate too */
    int count = errs.count;
    CU_ASSERT_EQUAL(vmma_get_size(c, p), 0);
    CU_ASSERT_EQUAL(vmma_get_size(c, witness + 8), 0);
    CU_ASSERT_EQUAL(errs.count, count + 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "vmma_get_size"));
    errno = 0;
    CU_ASSERT_PTR_NULL(vmma_realloc(c, p, 10));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "vmma_realloc"));
    CU_ASSERT_PTR_NULL(vmma_realloc(c, foreign, 10));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_EQUAL(vmma_get_size(oc, foreign), 64);
    CU_ASSERT(vmma_get_size(c, witness) >= 64);
    /* the client still works */
    void *again = vmma_alloc(c, 256);
    CU_ASSERT_PTR_NOT_NULL(again);
    CU_ASSERT_EQUAL(vmma_free(ctx, again), 0);
    vmma_destroy_context(ctx);
    vmma_destroy_context(other);
}

static void test_poison(void)
{
    if (!have(VMMA_FEATURE_POISON))
        return;
    vmma_context *ctx = make_ctx(VMMA_FEATURE_POISON);
    struct vt_errors errs = {0};
    vmma_set_error_handler(ctx, vt_error_handler, &errs);
    vmma_client *c = vmma_create_client(ctx);
    /* honest reuse: nothing reported */
    for (int i = 0; i < 100; i++) {
        char *p = vmma_alloc(c, (size_t)(16 << (i % 8)));
        memset(p, 1, (size_t)(16 << (i % 8)));
        vmma_free(ctx, p);
    }
    CU_ASSERT_EQUAL(errs.count, 0);
    /* a write into a freed block is reported when the block is reused */
    unsigned char *p = vmma_alloc(c, 200);
    CU_ASSERT_EQUAL(vmma_free(ctx, p), 0);
    vt_unprotect(p + 100, 1);
    p[100] = 'x';                                      /* use after free */
    unsigned char *q = vmma_alloc(c, 200);
    CU_ASSERT_PTR_EQUAL(q, p);
    CU_ASSERT_EQUAL(errs.count, 1);
    CU_ASSERT_EQUAL(errs.last_err, EFAULT);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "written after it was freed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "byte 100"));
    /* a write over the free-list header is caught before it is followed */
    vmma_free(ctx, q);
    vt_unprotect(q, 8);
    memset(q, 0x41, 8);
    void *r = vmma_alloc(c, 200);
    CU_ASSERT_PTR_NOT_NULL(r);
    CU_ASSERT_PTR_NOT_EQUAL(r, q);                     /* the damaged list was dropped */
    CU_ASSERT_EQUAL(errs.count, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "overwritten"));
    /* the context still works */
    for (int i = 0; i < 1000; i++)
        vmma_free(ctx, vmma_alloc(c, 200));
    CU_ASSERT_EQUAL(errs.count, 2);
    vmma_destroy_context(ctx);
}

static void test_limits(void)
{
    vmma_context *ctx = make_ctx(0);
    vmma_client *c = vmma_create_client(ctx);
    CU_ASSERT_EQUAL(vmma_set_client_limit(c, 1000), ENOTSUP);
    vmma_destroy_context(ctx);
    if (!have(VMMA_FEATURE_LIMITS))
        return;
    ctx = make_ctx(VMMA_FEATURE_LIMITS);
    struct vt_errors errs = {0};
    vmma_set_error_handler(ctx, vt_error_handler, &errs);
    c = vmma_create_client(ctx);
    CU_ASSERT_EQUAL(vmma_set_client_limit(c, 4096), 0);
    void *a = vmma_alloc(c, 2048), *b = vmma_alloc(c, 1024), *d = vmma_alloc(c, 1024);
    CU_ASSERT(a && b && d);
    errno = 0;
    CU_ASSERT_PTR_NULL(vmma_alloc(c, 1));
    CU_ASSERT_EQUAL(errno, EDQUOT);
    CU_ASSERT_EQUAL(errs.last_err, EDQUOT);
    CU_ASSERT_PTR_NOT_NULL(strstr(errs.last_msg, "limit"));
    CU_ASSERT_PTR_NULL(vmma_realloc(c, b, 2048));
    CU_ASSERT_EQUAL(errno, EDQUOT);
    CU_ASSERT_EQUAL(vmma_get_size(c, b), 1024);
    CU_ASSERT_PTR_NULL(vmma_alloc(c, 2 * MiB));
    CU_ASSERT_EQUAL(errno, EDQUOT);
    vmma_free(ctx, d);
    CU_ASSERT_PTR_NOT_NULL(vmma_alloc(c, 1000));
    CU_ASSERT_EQUAL(vmma_set_client_limit(c, 0), 0);    /* unlimited */
    CU_ASSERT_PTR_NOT_NULL(vmma_alloc(c, 2 * MiB));
    /* LIMITS switched off: the limit is no longer enforced */
    CU_ASSERT_EQUAL(vmma_set_client_limit(c, 1), 0);
    CU_ASSERT_PTR_NULL(vmma_alloc(c, 16));
    CU_ASSERT_EQUAL(vmma_set_flags(ctx, 0), 0);
    CU_ASSERT_PTR_NOT_NULL(vmma_alloc(c, 16));
    CU_ASSERT_EQUAL(vmma_set_client_limit(c, 1), ENOTSUP);
    vmma_destroy_context(ctx);
}

/* Resident pages of [p, p+n) as counted by mincore. */
static size_t resident(void *p, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), count = 0;
    unsigned char vec[1024];
    if (n / page > sizeof vec || mincore(p, n, vec) != 0)
        return (size_t)-1;
    for (size_t i = 0; i < n / page; i++)
        count += vec[i] & 1;
    return count;
}

static void test_release(void)
{
    int on = have(VMMA_FEATURE_RELEASE);
    for (int pass = 0; pass <= on; pass++) {
        vmma_context *ctx = make_ctx(pass ? VMMA_FEATURE_RELEASE : 0);
        vmma_client *c = vmma_create_client(ctx);
        char *big = vmma_alloc(c, 2 * MiB);
        CU_ASSERT_PTR_NOT_NULL_FATAL(big);
        memset(big, 1, 2 * MiB);
        size_t pages = 2 * MiB / (size_t)sysconf(_SC_PAGESIZE);
        CU_ASSERT_EQUAL(resident(big, 2 * MiB), pages);
        vmma_free(ctx, big);
        if (pass) {
            CU_ASSERT_EQUAL(resident(big, 2 * MiB), 0);
        } else {
            CU_ASSERT_EQUAL(resident(big, 2 * MiB), pages);
        }
        /* buddy arenas come back when the client goes */
        char *small = vmma_alloc(c, 100 * KiB);
        memset(small, 1, 100 * KiB);
        char *arena = (char *)((uintptr_t)small & ~(uintptr_t)(256 * KiB - 1));
        CU_ASSERT(resident(arena, 256 * KiB) > 0);
        vmma_delete_client(c);
        if (pass)
            CU_ASSERT_EQUAL(resident(arena, 256 * KiB), 0);
        vmma_destroy_context(ctx);
    }
}

static void test_error_handler(void)
{
    vmma_context *ctx = make_ctx(0);
    struct vt_errors e1 = {0}, e2 = {0};
    int x;
    CU_ASSERT_EQUAL(vmma_free(ctx, &x), EINVAL);       /* no handler: silent */
    vmma_set_error_handler(ctx, vt_error_handler, &e1);
    vmma_free(ctx, &x);
    vmma_set_error_handler(ctx, vt_error_handler, &e2);
    vmma_free(ctx, &x);
    vmma_client *c = vmma_create_client(ctx);
    CU_ASSERT_PTR_NULL(vmma_alloc_aligned(c, 10, 3));
    CU_ASSERT_PTR_NOT_NULL(strstr(e2.last_msg, "vmma_alloc_aligned"));
    CU_ASSERT_PTR_NULL(vmma_alloc(c, (size_t)1 << 40));
    CU_ASSERT_EQUAL(e2.last_err, ENOMEM);
    vmma_set_error_handler(ctx, NULL, NULL);
    vmma_free(ctx, &x);
    CU_ASSERT_EQUAL(e1.count, 1);
    CU_ASSERT_EQUAL(e2.count, 3);
    vmma_destroy_context(ctx);
}

/* ASan or Valgrind, when watching, see freed blocks and the unused tail of
 * a live block as inaccessible and a live block as accessible. */
static void test_tracking(void)
{
    vmma_context *ctx = make_ctx(supported & VMMA_FEATURE_STATISTICS);
    vmma_client *c = vmma_create_client(ctx);
    char *p = vmma_alloc(c, 100);
    if (vt_tool_inaccessible(p) < 0) {
        printf(" (no memory tool watching) ");
        vmma_destroy_context(ctx);
        return;
    }
    CU_ASSERT_EQUAL(vt_tool_inaccessible(p), 0);
    CU_ASSERT_EQUAL(vt_tool_inaccessible(p + 99), 0);
    if (supported & VMMA_FEATURE_STATISTICS)
        CU_ASSERT_EQUAL(vt_tool_inaccessible(p + 127), 1);   /* the trailer */
    char *big = vmma_alloc(c, 300 * KiB);
    CU_ASSERT_EQUAL(vt_tool_inaccessible(big + 300 * KiB - 1), 0);
    vmma_free(ctx, p);
    vmma_free(ctx, big);
    CU_ASSERT_EQUAL(vt_tool_inaccessible(p), 1);
    CU_ASSERT_EQUAL(vt_tool_inaccessible(p + 50), 1);
    CU_ASSERT_EQUAL(vt_tool_inaccessible(big + 1000), 1);
    char *q = vmma_alloc(c, 100);
    CU_ASSERT_PTR_EQUAL(q, p);
    CU_ASSERT_EQUAL(vt_tool_inaccessible(q + 50), 0);
    vmma_delete_client(c);
    CU_ASSERT_EQUAL(vt_tool_inaccessible(q), 1);
    vmma_destroy_context(ctx);
}

struct census {
    size_t blocks, bytes, stop_after;
};

static int count_visit(void *block, size_t size, void *arg)
{
    struct census *s = arg;
    (void)block;
    s->blocks++;
    s->bytes += size;
    return s->blocks == s->stop_after ? 42 : 0;
}

static void test_walk_and_cache(void)
{
    vmma_context *ctx = make_ctx(0);
    vmma_client *c = vmma_create_client(ctx), *empty = vmma_create_client(ctx);
    void *ps[64];
    for (int i = 0; i < 64; i++)
        ps[i] = vmma_alloc(c, (size_t)16 << (i % 4));   /* 16, 32, 64, 128 */
    void *big = vmma_alloc(c, MiB);
    struct census s = {0, 0, 0};
    CU_ASSERT_EQUAL(vmma_walk(c, count_visit, &s), 0);
    CU_ASSERT_EQUAL(s.blocks, 65);
    CU_ASSERT_EQUAL(s.bytes, 16 * (16 + 32 + 64 + 128) + MiB);
    struct census stop = {0, 0, 10};
    CU_ASSERT_EQUAL(vmma_walk(c, count_visit, &stop), 42);
    CU_ASSERT_EQUAL(stop.blocks, 10);
    struct census none = {0, 0, 0};
    CU_ASSERT_EQUAL(vmma_walk(empty, count_visit, &none), 0);
    CU_ASSERT_EQUAL(none.blocks, 0);
    CU_ASSERT_EQUAL(vmma_walk(c, NULL, NULL), EINVAL);
    /* free every other 32-byte block: the cache holds exactly those */
    vmma_cached_blocks before, after;
    CU_ASSERT_EQUAL(vmma_populate_cached_blocks(c, &before), 0);
    for (int i = 1; i < 64; i += 8)
        vmma_free(ctx, ps[i]);
    vmma_free(ctx, big);
    CU_ASSERT_EQUAL(vmma_populate_cached_blocks(c, &after), 0);
    CU_ASSERT_EQUAL(after.count[1], before.count[1] + 8);
    CU_ASSERT_EQUAL(after.total_bytes, before.total_bytes + 8 * 32);
    vmma_stats st;
    vmma_get_client_stats(c, &st);
    CU_ASSERT_EQUAL(st.free_size, after.total_bytes);
    CU_ASSERT_EQUAL(st.used_size + st.free_size, st.total_size);
    CU_ASSERT_EQUAL(vmma_populate_cached_blocks(c, NULL), EINVAL);
    vmma_destroy_context(ctx);
}

static void test_big_alignment_config(void)
{
    vmma_context *ctx = NULL;
    vmma_config cfg = {4096, 1 * MiB, 0};
    CU_ASSERT_EQUAL_FATAL(vmma_create_context(&ctx, NULL, 32 * MiB, &cfg), 0);
    vmma_client *c = vmma_create_client(ctx);
    for (int i = 0; i < 100; i++) {
        void *p = vmma_alloc(c, (size_t)i * 97);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_EQUAL((uintptr_t)p % 4096, 0);
        CU_ASSERT(vmma_get_size(c, p) >= 4096);
    }
    vmma_destroy_context(ctx);
}

int main(void)
{
    supported = vmma_get_supported_flags();
    printf("supported features: %#x\n", supported);
    static CU_TestInfo tests[] = {
        {"supported, accepted and set flags", test_flags},
        {"ZERO_FILL", test_zero_fill},
        {"STATISTICS on and off", test_statistics},
        {"CHECKED refuses bad frees and changes nothing", test_checked},
        {"POISON reports writes after free", test_poison},
        {"LIMITS", test_limits},
        {"RELEASE gives pages back", test_release},
        {"error handler", test_error_handler},
        {"tracking layer seen by ASan/Valgrind", test_tracking},
        {"walk and cached blocks", test_walk_and_cache},
        {"alignment of 4 KiB", test_big_alignment_config},
        CU_TEST_INFO_NULL};
    struct vt_suite suites[] = {{"features", tests}, {NULL, NULL}};
    return vt_run(suites);
}
