/*
 * policy/immortal.c — the immortal space: bump-allocated, never collected,
 * never moved. It is still traced (its objects' fields are roots into the
 * rest of the heap only through tracing), so it carries mark bits that are
 * clear outside collections.
 */
#include "mmtk_internal.h"

static void immortal_release(space *s)
{
    space_clear_map(s, META_MARK);
}

/* Never collected: live whether or not this collection reached it (weak
 * slots to an unreachable immortal object stay, its finalizer never runs). */
static int immortal_is_live(space *s, mmtk_object obj)
{
    (void)s;
    (void)obj;
    return 1;
}

static const space_ops immortal_ops = {
    .kind = "immortal",
    .trace = space_mark_trace,
    .is_live = immortal_is_live,
    .forwarded = space_same_address,
    .prepare = space_nop,
    .release = immortal_release,
    .clear_marks = space_clear_marks,
    .is_object = space_vo_is_object,
    .find_object = space_vo_find_object,
};

space *immortal_space_create(mmtk *heap, const char *name)
{
    space *s = heap_mem_alloc(heap, sizeof *s, 16);
    if (!s)
        return NULL;
    space_init(s, heap, &immortal_ops, name);
    s->keep_tlabs = 1;
    return s;
}
