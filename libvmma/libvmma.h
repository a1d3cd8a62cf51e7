/*
 * libvmma.h — isolation arenas for virtual machines.
 *
 * A *context* is made over one block of memory (the caller's, or address
 * space the library reserves). The block is cut into *arenas* of
 * `block_size` bytes, aligned to `block_size`. A *client* takes whole arenas
 * for itself and runs a binary buddy allocator inside them, so that deleting
 * a client gives back everything it allocated at once, at a cost that grows
 * with its arenas, never with its blocks.
 *
 * Conventions (SPEC.md): a function that reports status returns 0 or a
 * positive errno value (EINVAL, ENOMEM, EDQUOT, ENOTSUP, EBUSY); a function
 * that returns a pointer returns NULL and sets errno. No function aborts or
 * prints on bad input; refused calls are also reported, as one line of
 * text, to the context's error handler (vmma_set_error_handler).
 *
 * Threads: without VMMA_FEATURE_THREAD_SAFE a context and its clients must be
 * used by one thread at a time. With it, any function may be called from any
 * thread (one lock per client, one for the context's arena pool; a client
 * that one thread uses alone is biased to it, and that thread's calls then
 * take no locked instruction).
 *
 * The man page libvmma(3) says the same at greater length.
 */
#ifndef LIBVMMA_H
#define LIBVMMA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define VMMA_API __attribute__((visibility("default")))
#else
#define VMMA_API
#endif

typedef struct vmma_context vmma_context;   /* opaque */
typedef struct vmma_client  vmma_client;    /* opaque */

typedef struct vmma_config {
    size_t   alignment;   /* smallest block and the alignment of every block; power of two >= 16; 0 = 16 */
    size_t   block_size;  /* bytes in one arena (buddy allocator context); power of two; 0 = library default (256 KiB) */
    unsigned flags;       /* requested VMMA_FEATURE_* */
} vmma_config;            /* a zero-initialised config means "all defaults, no features" */

/* Feature flags. A requested flag that is not compiled in is dropped
 * silently; vmma_get_accepted_flags() says what a context really does. */
#define VMMA_FEATURE_THREAD_SAFE  0x01u  /* context and clients usable from several threads */
#define VMMA_FEATURE_ZERO_FILL    0x02u  /* every allocated block is zero-filled */
#define VMMA_FEATURE_STATISTICS   0x04u  /* requested bytes, alloc and free counts are kept
                                            (each buddy block then ends with a 1- or 9-byte
                                            trailer holding its requested size) */
#define VMMA_FEATURE_CHECKED      0x08u  /* pointers given to free/realloc/get_size are validated */
#define VMMA_FEATURE_POISON       0x10u  /* freed blocks are poisoned; writes after free detected on reuse */
#define VMMA_FEATURE_LIMITS       0x20u  /* vmma_set_client_limit quotas are enforced */
#define VMMA_FEATURE_RELEASE      0x40u  /* free arenas give their pages back to the OS */
#define VMMA_FEATURE_ALL          0x7Fu

/* Features compiled into this build (see ./configure --disable-*). */
VMMA_API unsigned vmma_get_supported_flags(void);

/* Make a context over `size` bytes at `memory`, or over `size` bytes of
 * address space the library reserves (memory == NULL; pages are used only
 * when touched). With a caller's block, the administrative data lives inside
 * it and the block is never given to the OS. config may be NULL (defaults).
 * EINVAL: ctx NULL, size too small for one arena, alignment or block_size not
 * a power of two (or alignment < 16, or block_size < alignment).
 * ENOMEM: the address space could not be reserved. */
VMMA_API int  vmma_create_context(vmma_context **ctx, void *memory, size_t size,
                                  const vmma_config *config);
/* Delete every client and the context; NULL is a no-op. */
VMMA_API void vmma_destroy_context(vmma_context *ctx);

/* The features this context really does (0 for NULL). */
VMMA_API unsigned vmma_get_accepted_flags(const vmma_context *ctx);
/* Change features later. EINVAL for NULL; EBUSY where a feature cannot change
 * while clients exist (THREAD_SAFE, STATISTICS). Unsupported flags are dropped. */
VMMA_API int  vmma_set_flags(vmma_context *ctx, unsigned flags);

/* A new client with no arenas yet: NULL/EINVAL for a NULL ctx,
 * NULL/ENOMEM when no client record is left. */
VMMA_API vmma_client *vmma_create_client(vmma_context *ctx);
/* Free every block of the client and the client itself; NULL is a no-op. */
VMMA_API void vmma_delete_client(vmma_client *client);
/* Bytes the client may hold in live blocks (0 = unlimited).
 * EINVAL for NULL; ENOTSUP if LIMITS is not accepted. */
VMMA_API int  vmma_set_client_limit(vmma_client *client, size_t max_bytes);

/* A block of at least `size` bytes (size 0 gives the smallest block).
 * NULL/EINVAL for a NULL client, NULL/ENOMEM when the context is full,
 * NULL/EDQUOT over the client's limit. */
VMMA_API void *vmma_alloc(vmma_client *client, size_t size);
/* Likewise, aligned to `alignment` (a power of two; EINVAL otherwise). */
VMMA_API void *vmma_alloc_aligned(vmma_client *client, size_t size, size_t alignment);
/* Resize: ptr NULL = alloc; size 0 frees and returns NULL. On failure the
 * old block is untouched. The block must belong to `client` (EINVAL). */
VMMA_API void *vmma_realloc(vmma_client *client, void *ptr, size_t size);
/* Free a block of any client of ctx; NULL is a no-op returning 0.
 * EINVAL for a pointer that is not the start of a live block (always for
 * pointers outside the context; for the rest, under CHECKED). */
VMMA_API int   vmma_free(vmma_context *ctx, void *ptr);

/* 1 when ptr lies inside a live block of this client (interior pointers too), else 0. */
VMMA_API int    vmma_test_address(const vmma_client *client, const void *ptr);
/* Usable size of the live block of this client that starts at ptr; 0 otherwise. */
VMMA_API size_t vmma_get_size(const vmma_client *client, const void *ptr);
/* The client whose live block contains ptr, or NULL. */
VMMA_API vmma_client *vmma_get_owner(const vmma_context *ctx, const void *ptr);

typedef struct vmma_stats {
    size_t total_size;      /* bytes of the block usable for arenas */
    size_t admin_size;      /* bytes of the block used by administrative data */
    size_t free_size;       /* bytes in arenas no client holds (context) / cached free bytes (client) */
    size_t used_size;       /* bytes in live blocks, as rounded by the allocator */
    size_t requested_size;  /* bytes asked for by live blocks (STATISTICS; else 0) */
    size_t arena_count;     /* arenas held by clients (context: all clients; client: its own) */
    size_t client_count;    /* live clients (context only; 1 for a client) */
    size_t alloc_count;     /* allocations so far (STATISTICS; else 0) */
    size_t free_count;      /* frees so far (STATISTICS; else 0) */
} vmma_stats;

VMMA_API size_t vmma_get_total_size(const vmma_context *ctx);   /* O(1); 0 for NULL */
VMMA_API size_t vmma_get_free_size(const vmma_context *ctx);    /* O(1); 0 for NULL */
VMMA_API int    vmma_get_context_stats(const vmma_context *ctx, vmma_stats *out);  /* EINVAL for NULL */
VMMA_API int    vmma_get_client_stats(const vmma_client *client, vmma_stats *out); /* EINVAL for NULL */

#define VMMA_MAX_ORDERS 64
typedef struct vmma_cached_blocks {
    size_t count[VMMA_MAX_ORDERS];   /* free blocks cached by the client, by order: size = alignment << order */
    size_t total_bytes;
} vmma_cached_blocks;
/* Walks the client's free lists: takes time. EINVAL for NULL. */
VMMA_API int vmma_populate_cached_blocks(const vmma_client *client, vmma_cached_blocks *out);

/* Call visit(block, size, arg) for every live block of the client; a
 * non-zero return stops the walk and is returned. EINVAL for NULL client or
 * visit. visit may query this client (get_size, test_address, get_owner)
 * but must not allocate from or free into it. */
VMMA_API int vmma_walk(const vmma_client *client,
                       int (*visit)(void *block, size_t size, void *arg), void *arg);

/* Text for every refused call and every detected corruption (POISON, with
 * err EFAULT): one line naming the function, the pointer and the reason.
 * NULL removes the handler. Set it before sharing the context between threads. */
typedef void (*vmma_error_handler)(const vmma_context *ctx, int err, const char *message, void *arg);
VMMA_API void vmma_set_error_handler(vmma_context *ctx, vmma_error_handler handler, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* LIBVMMA_H */
