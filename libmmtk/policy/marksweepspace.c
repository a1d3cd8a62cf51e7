/*
 * policy/marksweepspace.c — the mark-sweep space: segregated size classes,
 * objects never move.
 *
 * Each chunk's pages 1..CHUNK_PAGES-1 are handed out one at a time to a size
 * class; a page is cut into cells of that class. A cell is free exactly
 * when its VO bit is clear: there are no free lists. An allocator takes a
 * whole page (ms_take_page) and fills its free cells, so a page is only
 * ever filled by one thread between collections.
 * page->cls is class+1 for a page in use, 0 for a free page; page->live
 * counts its live cells after the last sweep.
 *
 * Sweep (release): per page, VO &= MARK wipes the dead and MARK is
 * cleared, word by word; the live count is a popcount. A page with no
 * survivor becomes free, a chunk with no page in use goes back to the
 * client, the other pages with room go on their class's list. Allocators'
 * windows were dropped at prepare, so after the sweep every page with free
 * cells is on exactly one list.
 */
#include "mmtk_internal.h"
#include <string.h>

typedef struct ms_space {
    space base;
    chunk_page *avail[MS_NCLASSES];   /* pages with free cells, not owned */
    chunk_page *free_pages;           /* pages of no class */
} ms_space;

static const uint16_t ms_class_size[MS_NCLASSES] = {
    16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512,
    640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
    5120, 6144, 7168, 8192,
};

unsigned ms_size_class(size_t bytes)
{
    if (bytes <= 128)
        return bytes <= 16 ? 0 : (unsigned)((bytes + 15) / 16) - 1;
    unsigned c = 8;
    while (ms_class_size[c] < bytes)
        c++;
    return c;
}

size_t ms_class_bytes(unsigned cls)
{
    return ms_class_size[cls];
}

static uintptr_t page_start(const chunk_page *pg)
{
    chunk *c = chunk_of(pg);
    return (uintptr_t)c + (size_t)(pg - c->page) * CHUNK_PAGE_BYTES;
}

static size_t cells_per_page(unsigned cls)
{
    return CHUNK_PAGE_BYTES / ms_class_size[cls];
}

int ms_take_page(space *s, unsigned cls, uintptr_t *start, uintptr_t *end)
{
    ms_space *ms = (ms_space *)s;
    int err = 0;
    pthread_mutex_lock(&s->lock);
    chunk_page *pg = ms->avail[cls];
    if (pg) {
        ms->avail[cls] = pg->next;
        goto out;
    }
    if (!ms->free_pages) {
        chunk *c = space_acquire_chunk(s, 0);
        if (!c) {
            err = ENOMEM;
            goto out;
        }
        for (size_t i = CHUNK_PAGES; i-- > 1;) {
            c->page[i].next = ms->free_pages;
            ms->free_pages = &c->page[i];
        }
    }
    pg = ms->free_pages;
    ms->free_pages = pg->next;
    chunk_of(pg)->pages_used++;
    pg->cls = cls + 1;
    pg->live = 0;
out:
    if (pg && !err) {
        *start = page_start(pg);
        *end = *start + cells_per_page(cls) * ms_class_size[cls];
    }
    pthread_mutex_unlock(&s->lock);
    return err;
}

/* Sweep one page in use; returns its live cell count. */
static uint32_t ms_sweep_page(chunk *c, chunk_page *pg)
{
    uintptr_t start = page_start(pg);
    size_t w0 = ((start & CHUNK_MASK) >> GRANULE_LOG) >> 6;
    size_t words = (CHUNK_PAGE_BYTES >> GRANULE_LOG) / 64;
    uint64_t *vo = &c->bits[META_VO][w0], *mark = &c->bits[META_MARK][w0];
    uint32_t live = 0;
    for (size_t i = 0; i < words; i++) {
        vo[i] &= mark[i];
        mark[i] = 0;
        live += (uint32_t)__builtin_popcountll(vo[i]);
    }
    pg->live = live;
    return live;
}

static void ms_release(space *s)
{
    ms_space *ms = (ms_space *)s;
    memset(ms->avail, 0, sizeof ms->avail);
    ms->free_pages = NULL;
    chunk *next;
    for (chunk *c = s->chunks; c; c = next) {
        next = c->next;
        uint32_t used = 0;
        for (size_t i = 1; i < CHUNK_PAGES; i++) {
            chunk_page *pg = &c->page[i];
            if (pg->cls && ms_sweep_page(c, pg) == 0)
                pg->cls = 0;
            if (pg->cls)
                used++;
        }
        c->pages_used = used;
        if (used == 0) {
            space_release_chunk(s, c);
            continue;
        }
        for (size_t i = CHUNK_PAGES; i-- > 1;) {
            chunk_page *pg = &c->page[i];
            if (!pg->cls) {
                pg->next = ms->free_pages;
                ms->free_pages = pg;
            } else if (pg->live < cells_per_page(pg->cls - 1)) {
                pg->next = ms->avail[pg->cls - 1];
                ms->avail[pg->cls - 1] = pg;
            }
        }
    }
}

static mmtk_object ms_find_object(space *s, const void *addr)
{
    (void)s;
    chunk *c = chunk_of(addr);
    size_t idx = ((uintptr_t)addr & CHUNK_MASK) >> CHUNK_PAGE_LOG;
    if (idx == 0 || !c->page[idx].cls)
        return NULL;
    size_t size = ms_class_size[c->page[idx].cls - 1];
    uintptr_t start = page_start(&c->page[idx]);
    uintptr_t cell = start + ((uintptr_t)addr - start) / size * size;
    if (cell + size > start + CHUNK_PAGE_BYTES || !meta_test((void *)cell, META_VO))
        return NULL;
    return (mmtk_object)cell;
}

static const space_ops ms_ops = {
    .kind = "marksweep",
    .trace = space_mark_trace,
    .is_live = space_mark_is_live,
    .forwarded = space_same_address,
    .prepare = space_nop,
    .release = ms_release,
    .clear_marks = space_clear_marks,
    .is_object = space_vo_is_object,
    .find_object = ms_find_object,
};

space *ms_space_create(mmtk *heap, const char *name)
{
    ms_space *ms = heap_mem_alloc(heap, sizeof *ms, 16);
    if (!ms)
        return NULL;
    memset(ms, 0, sizeof *ms);
    space_init(&ms->base, heap, &ms_ops, name);
    return &ms->base;
}
