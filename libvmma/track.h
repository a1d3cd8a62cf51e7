/*
 * track.h — the tracking layer: tells Valgrind memcheck and AddressSanitizer
 * what the allocator is doing, so that those tools see vmma blocks as heap
 * blocks and report a use after free or an overflow of one.
 *
 * Invariant kept by the callers (buddy.h, client.c): outside the library a
 * free block and the unused tail of a live block are inaccessible; a live
 * block's requested bytes are accessible. Whenever the library itself must
 * read or write a free block (free-list header, poison pattern, statistics
 * trailer) it brackets the access with track_open()/track_close().
 *
 * Valgrind: each client is a memcheck "mempool" anchored at its record, so
 * deleting a client frees its blocks for memcheck too. The requests are
 * issued only when the process runs under Valgrind (vmma_track_valgrind,
 * set once per process), so a native run pays one predictable branch.
 * ASan (VMMA_ASAN): manual poisoning of the same regions.
 * Without either, every function here is empty and vanishes.
 */
#ifndef VMMA_TRACK_H
#define VMMA_TRACK_H

#include <stddef.h>

#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#define VMMA_TRACK_VALGRIND 1
#endif

#ifdef VMMA_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* 1 when running under Valgrind (set by track_init). */
extern int vmma_track_valgrind;

void track_init(void);

/* Library-internal access to bytes of a free/unused region begins/ends. */
static inline void track_open(const void *p, size_t n)
{
    (void)p; (void)n;
#ifdef VMMA_TRACK_VALGRIND
    if (vmma_track_valgrind)
        VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
#ifdef VMMA_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
}

static inline void track_close(const void *p, size_t n)
{
    (void)p; (void)n;
#ifdef VMMA_TRACK_VALGRIND
    if (vmma_track_valgrind)
        VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
#ifdef VMMA_ASAN
    ASAN_POISON_MEMORY_REGION(p, n);
#endif
}

/* Plain (non-block) memory given back to the caller or the OS: made
 * accessible again, exactly as for the library's own access. */
static inline void track_release(const void *p, size_t n)
{
    track_open(p, n);
}

/* A client (its mempool) begins/ends. */
static inline void track_client_create(const void *client)
{
    (void)client;
#ifdef VMMA_TRACK_VALGRIND
    if (vmma_track_valgrind)
        VALGRIND_CREATE_MEMPOOL(client, 0, 0);
#endif
}

static inline void track_client_delete(const void *client)
{
    (void)client;
#ifdef VMMA_TRACK_VALGRIND
    if (vmma_track_valgrind)
        VALGRIND_DESTROY_MEMPOOL(client);
#endif
}

/* Block p of `rounded` bytes becomes live with `usable` accessible bytes. */
static inline void track_alloc(const void *client, void *p, size_t usable, size_t rounded)
{
    (void)client; (void)p; (void)usable; (void)rounded;
#ifdef VMMA_TRACK_VALGRIND
    if (vmma_track_valgrind) {
        VALGRIND_MAKE_MEM_NOACCESS(p, rounded);
        VALGRIND_MEMPOOL_ALLOC(client, p, usable);
    }
#endif
#ifdef VMMA_ASAN
    ASAN_POISON_MEMORY_REGION(p, rounded);
    ASAN_UNPOISON_MEMORY_REGION(p, usable);
#endif
}

/* Live block p of `rounded` bytes is freed. */
static inline void track_free(const void *client, void *p, size_t rounded)
{
    (void)client; (void)p; (void)rounded;
#ifdef VMMA_TRACK_VALGRIND
    if (vmma_track_valgrind) {
        VALGRIND_MEMPOOL_FREE(client, p);
        VALGRIND_MAKE_MEM_NOACCESS(p, rounded);
    }
#endif
#ifdef VMMA_ASAN
    ASAN_POISON_MEMORY_REGION(p, rounded);
#endif
}

/* Bytes of a live block known to be zero already (fresh pages). */
static inline void track_zeroed(const void *p, size_t n)
{
    (void)p; (void)n;
#ifdef VMMA_TRACK_VALGRIND
    if (vmma_track_valgrind)
        VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
}

/* A live block changes its accessible size in place (realloc). */
static inline void track_resize(const void *client, void *p, size_t old_usable,
                                size_t new_usable, size_t rounded)
{
    (void)client; (void)p; (void)old_usable; (void)new_usable; (void)rounded;
#ifdef VMMA_TRACK_VALGRIND
    if (vmma_track_valgrind) {
        VALGRIND_MEMPOOL_CHANGE(client, p, p, new_usable);
        if (new_usable > old_usable)
            VALGRIND_MAKE_MEM_UNDEFINED((char *)p + old_usable, new_usable - old_usable);
        VALGRIND_MAKE_MEM_NOACCESS((char *)p + new_usable, rounded - new_usable);
    }
#endif
#ifdef VMMA_ASAN
    ASAN_POISON_MEMORY_REGION(p, rounded);
    ASAN_UNPOISON_MEMORY_REGION(p, new_usable);
#endif
}

#endif /* VMMA_TRACK_H */
