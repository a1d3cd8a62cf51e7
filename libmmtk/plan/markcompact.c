/*
 * plan/markcompact.c — MarkCompact: a full-heap collector that compacts in
 * place. Mutators bump-allocate DEFAULT objects in a mark-compact space
 * (policy/markcompactspace.c); NON_MOVING and CODE objects go to a
 * mark-sweep space, IMMORTAL/READ_ONLY to an immortal space, large ones to
 * the LOS.
 *
 * A collection is the generic closure (marking), then after_closure:
 *   1. forwarding: the mark-compact space gives every live object its new
 *      address (side tables, no header);
 *   2. reference update: every space's marks are cleared and the closure
 *      runs again (gc_trace) with the mark-compact space in update mode, so
 *      the binding's scan_roots/scan_object rewrite every root and every
 *      field of every live object in every space, weak slots and finalizer
 *      entries included; the other spaces end with the same marks as after
 *      the first closure, so their release sweeps exactly as usual;
 *   3. compaction: slide the objects down, rebuild VO bits, release chunks.
 * When no object would move (no garbage below any survivor), step 2 is
 * skipped: every reference is already right.
 * Needs no copy reserve: nothing is copied out of the space.
 */
#include "mmtk_internal.h"

typedef struct markcompact_plan {
    space *mc, *ms, *immortal;
} markcompact_plan;

static int markcompact_init(mmtk *heap)
{
    markcompact_plan *p = heap_mem_alloc(heap, sizeof *p, 16);
    if (!p)
        return ENOMEM;
    heap->plan_data = p;
    int e = plan_add_space(heap, p->mc = mc_space_create(heap, "markcompact"));
    if (!e)
        e = plan_add_space(heap, p->ms = ms_space_create(heap, "nonmoving"));
    if (!e)
        e = plan_add_space(heap, p->immortal = immortal_space_create(heap, "immortal"));
    if (!e)
        e = plan_add_space(heap, heap->los = los_create(heap, "los"));
    return e;
}

static void markcompact_mutator_init(mmtk_mutator *m)
{
    markcompact_plan *p = m->heap->plan_data;
    allocator *bump = mutator_allocator_slot(m, 0), *fl = mutator_allocator_slot(m, 1),
              *imm = mutator_allocator_slot(m, 2), *large = mutator_allocator_slot(m, 3);
    allocator_init_bump(bump, p->mc, m, 0);
    allocator_init_freelist(fl, p->ms, m);
    allocator_init_bump(imm, p->immortal, m, 0);
    allocator_init_large(large, m->heap->los, m);
    mutator_set_allocator(m, MMTK_ALLOC_DEFAULT, bump);
    mutator_set_allocator(m, MMTK_ALLOC_NON_MOVING, fl);
    mutator_set_allocator(m, MMTK_ALLOC_CODE, fl);
    mutator_set_allocator(m, MMTK_ALLOC_IMMORTAL, imm);
    mutator_set_allocator(m, MMTK_ALLOC_READ_ONLY, imm);
    mutator_set_allocator(m, MMTK_ALLOC_LOS, large);
}

/* An object that asked for more than granule alignment never moves: its
 * LOG bit (unused otherwise in this plan) makes its region fixed. The
 * allocating thread owns the bitmap word (ALLOC_TLAB_ALIGN). */
static void markcompact_note_aligned(mmtk_mutator *m, mmtk_object obj, int semantics)
{
    markcompact_plan *p = m->heap->plan_data;
    (void)semantics;
    chunk *c = chunk_table_find(&m->heap->chunks, obj);
    if (c && c->space == p->mc)
        meta_set(obj, META_LOG);
}

static void markcompact_after_closure(mmtk *heap)
{
    markcompact_plan *p = heap->plan_data;
    if (mc_space_forward(p->mc)) {
        for (int i = 0; i < heap->nspaces; i++)
            heap->spaces[i]->ops->clear_marks(heap->spaces[i]);
        gc_trace(heap);
    }
    mc_space_compact(p->mc);   /* also when nothing moves: VO bits, cursors, empty chunks */
}

const plan_ops markcompact_plan_ops = {
    .name = "MarkCompact",
    .collects = 1,
    .moving = 1,
    .los_threshold = 16 * 1024,
    .init = markcompact_init,
    .mutator_init = markcompact_mutator_init,
    .after_closure = markcompact_after_closure,
    .note_aligned = markcompact_note_aligned,
};
