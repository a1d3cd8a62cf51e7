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
 *   2. reference update: one linear pass, in parallel over chunks, calls
 *      the binding's scan_roots and its scan_object on every object the
 *      closure marked in every space (MARK bits in chunks, the LOS's marked
 *      list) with a visitor whose slot action stores the new address; weak
 *      slots and finalizer entries are updated the same way. Marks are
 *      left as the closure set them, so the spaces release as usual;
 *   3. compaction: slide the objects down, rebuild VO bits, release chunks.
 * When no object would move (no garbage below any survivor), step 2 is
 * skipped: every reference is already right.
 * Needs no copy reserve: nothing is copied out of the space.
 */
#include "mmtk_internal.h"

typedef struct markcompact_plan {
    space *mc, *ms, *immortal;
    sched_job job;              /* the reference-update pass */
} markcompact_plan;

static int markcompact_init(mmtk *heap)
{
    markcompact_plan *p = plan_data_new(heap, sizeof *p);
    if (!p)
        return ENOMEM;
    p->mc = mc_space_create(heap, "markcompact");
    p->ms = ms_space_create(heap, "nonmoving");
    return plan_add_spaces(heap, &p->immortal, (space *[]){ p->mc, p->ms }, 2);
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
    plan_route_allocators(m, bump, fl, imm, large);
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

/* ---------------------------------------------------------------- */
/* Reference update: one linear pass over what the closure marked     */

typedef struct mc_update_packet {
    sched_packet base;
    mmtk *heap;
    chunk *c;          /* a chunk's marked objects; NULL: roots, refs, LOS */
} mc_update_packet;

/* The visitor's slot action: a reference into a moving space gets the
 * object's new address (the space's forwarded op, valid after forwarding). */
static void mc_update_slot(mmtk_visitor *v, mmtk_object *slot)
{
    mmtk_object obj = *slot;
    if (!obj)
        return;
    chunk *c = chunk_table_find(&((mmtk *)v->arg)->chunks, obj);
    if (c && c->space->movable && ((uintptr_t)obj & CHUNK_MASK) >= CHUNK_DATA_OFFSET)
        *slot = c->space->ops->forwarded(c->space, obj);
}

/* Conservative words point at objects that stay: nothing to update. */
static void mc_update_conservative(mmtk_visitor *v, void *word)
{
    (void)v;
    (void)word;
}

static void mc_update_object(mmtk_object obj, void *arg)
{
    mmtk_visitor *v = arg;
    mmtk *heap = v->arg;
    heap->binding.scan_object(heap->vm, obj, v);
}

static void mc_update_packet_run(sched_packet *packet, sched_worker *sw)
{
    (void)sw;
    mc_update_packet *up = (mc_update_packet *)packet;
    mmtk *heap = up->heap;
    mmtk_visitor v = { .slot = mc_update_slot, .conservative = mc_update_conservative, .arg = heap };
    chunk *c = up->c;
    if (c) {   /* every object the closure marked (MARK on its first granule) */
        for (size_t w = CHUNK_DATA_OFFSET >> (GRANULE_LOG + 6); w < CHUNK_BITMAP_WORDS; w++)
            for (uint64_t bits = c->bits[META_MARK][w]; bits; bits &= bits - 1)
                mc_update_object((mmtk_object)((uintptr_t)c + (((w << 6) + (size_t)__builtin_ctzll(bits))
                                                                << GRANULE_LOG)), &v);
        return;
    }
    heap->binding.scan_roots(heap->vm, &v);
    refs_scan_roots(heap, &v);
    for (size_t i = 0; i < heap->nweak; i++)    /* dead targets were cleared by the closure */
        mc_update_slot(&v, heap->weak[i]);
    for (size_t i = 0; i < heap->nfinal; i++)
        mc_update_slot(&v, &heap->final[i]);
    if (heap->los)
        los_for_each_marked(heap->los, mc_update_object, &v);
}

/* Every root, weak slot, finalizer entry and field of every marked object
 * in every space gets the new addresses: one packet per chunk and one for
 * the rest, on the GC workers. */
static void mc_update_references(mmtk *heap)
{
    markcompact_plan *p = heap->plan_data;
    size_t n = 1;
    for (int i = 0; i < heap->nspaces; i++)
        n += heap->spaces[i]->nchunks;
    mc_update_packet *packets = heap_mem_alloc_or_uncache(heap, n * sizeof *packets, 64);
    if (!packets) {   /* no room for them within the quota: one at a time, on this thread */
        mc_update_packet one = { .base.run = mc_update_packet_run, .heap = heap };
        mc_update_packet_run(&one.base, NULL);
        for (int i = 0; i < heap->nspaces; i++)
            for (chunk *c = heap->spaces[i]->chunks; c; c = c->next) {
                one.c = c;
                mc_update_packet_run(&one.base, NULL);
            }
        return;
    }
    packets[0] = (mc_update_packet){ .base.run = mc_update_packet_run, .heap = heap };
    size_t k = 1;
    for (int i = 0; i < heap->nspaces; i++)
        for (chunk *c = heap->spaces[i]->chunks; c; c = c->next)
            packets[k++] = (mc_update_packet){ .base.run = mc_update_packet_run, .heap = heap, .c = c };
    sched_job_init(&p->job, heap->nworkers, heap);
    for (size_t i = 0; i < n; i++)
        sched_push(&p->job, NULL, SCHED_CLOSURE, &packets[i].base);
    sched_run(&p->job);
    heap_mem_free(heap, packets);
}

static void markcompact_after_closure(mmtk *heap)
{
    markcompact_plan *p = heap->plan_data;
    if (mc_space_forward(p->mc))
        mc_update_references(heap);
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
