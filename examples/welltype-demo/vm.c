/*
 * vm.c — the bytecode interpreter.
 *
 * Invariants (the collector relies on them):
 *  - the value stack [0, sp), the globals and the string constants are the
 *    only places references live between instructions; vm->sp is synced
 *    before every call into libmmtk that may collect (mmtk_alloc via
 *    wt_alloc_object, mmtk_safepoint);
 *  - no object pointer is kept in a C local across such a call: operands are
 *    re-read from the stack afterwards, because a moving plan may have moved
 *    them;
 *  - every reference stored into a heap object goes through the write
 *    barrier (wt_store_field);
 *  - stack slots above sp may hold stale words: a call clears its new locals
 *    before anything can collect.
 * A safepoint is polled at every backward jump and every call; the
 * instruction budget is checked there too.
 */
#include "vm.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define WT_STACK_MARGIN 4096u            /* slots kept free for expressions */
#define WT_OUTPUT_MAX   ((size_t)16 << 20)

static int vm_error(wt_vm *vm, size_t pc, const char *msg, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#include <stdarg.h>

static int vm_error(wt_vm *vm, size_t pc, const char *fmt, ...)
{
    wt_job *job = vm->job;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    job->status = WT_RUNTIME_ERROR;
    snprintf(job->message, sizeof job->message, "%s:%d: %s", vm->prog->file,
             (int)vm->prog->lines[pc], msg);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
static int out_append(wt_vm *vm, const char *s, size_t n)
{
    wt_job *job = vm->job;
    if (job->output_len + n + 1 > vm->out_cap) {
        size_t cap = vm->out_cap ? vm->out_cap : 1024;
        while (cap < job->output_len + n + 1)
            cap *= 2;
        char *b = cap <= WT_OUTPUT_MAX ? realloc(job->output, cap) : NULL;
        if (!b)
            return -1;
        job->output = b;
        vm->out_cap = cap;
    }
    memcpy(job->output + job->output_len, s, n);
    job->output_len += n;
    job->output[job->output_len] = '\0';
    return 0;
}

static int out_value(wt_vm *vm, wt_val v, int kind)
{
    char buf[64];
    int n;
    switch (kind) {
    case T_INT:
        n = snprintf(buf, sizeof buf, "%" PRId64, wt_to_int(v));
        return out_append(vm, buf, (size_t)n);
    case T_BOOL:
        return out_append(vm, wt_to_int(v) ? "true" : "false", wt_to_int(v) ? 4 : 5);
    case T_STRING:
        return v ? out_append(vm, wt_obj_bytes(v), wt_obj_count(v)) : 0;
    default:
        if (!v)
            return out_append(vm, "null", 4);
        if (wt_obj_kind(v) == WT_OBJ_ARRAY)
            n = snprintf(buf, sizeof buf, "<array of %zu>", wt_obj_count(v));
        else
            n = snprintf(buf, sizeof buf, "<record>");
        return out_append(vm, buf, (size_t)n);
    }
}

/* ------------------------------------------------------------------ */
/* Helpers for the instructions that allocate                         */
static int str_equal(wt_val a, wt_val b)
{
    size_t la = a ? wt_obj_count(a) : 0, lb = b ? wt_obj_count(b) : 0;
    return la == lb && (la == 0 || memcmp(wt_obj_bytes(a), wt_obj_bytes(b), la) == 0);
}

/* pops two strings, pushes their concatenation; sp is synced */
static int op_concat(wt_vm *vm)
{
    wt_val *s = vm->stack + vm->sp;
    size_t la = s[-2] ? wt_obj_count(s[-2]) : 0;
    size_t lb = s[-1] ? wt_obj_count(s[-1]) : 0;
    mmtk_object r = wt_alloc_object(vm, WT_OBJ_STRING, la + lb);
    if (!r)
        return -1;
    /* the operands may have moved: read them again from the stack */
    if (la)
        memcpy(wt_obj_bytes(r), wt_obj_bytes(s[-2]), la);
    if (lb)
        memcpy(wt_obj_bytes(r) + la, wt_obj_bytes(s[-1]), lb);
    s[-2] = r;
    vm->sp--;
    return 0;
}

/* pushes a new string of n bytes copied from a C buffer */
static int push_cstring(wt_vm *vm, const char *bytes, size_t n)
{
    mmtk_object r = wt_alloc_object(vm, WT_OBJ_STRING, n);
    if (!r)
        return -1;
    memcpy(wt_obj_bytes(r), bytes, n);
    vm->stack[vm->sp++] = r;
    return 0;
}

/* pops n values, pushes a new object (array or record) holding them */
static int op_collect(wt_vm *vm, int kind, size_t n)
{
    mmtk_object o = wt_alloc_object(vm, kind, n);
    if (!o)
        return -1;
    wt_val *from = vm->stack + vm->sp - n;        /* re-read after the alloc */
    wt_val *f = wt_obj_fields(o);
    for (size_t i = 0; i < n; i++)
        wt_store_field(vm, o, &f[i], from[i]);
    vm->sp -= n;
    vm->stack[vm->sp++] = o;
    return 0;
}

/* pops a length, pushes a new array of defaults */
static int op_new_array(wt_vm *vm, size_t pc, int refs)
{
    int64_t n = wt_to_int(vm->stack[vm->sp - 1]);
    if (n < 0)
        return vm_error(vm, pc, "negative array length %" PRId64, n);
    mmtk_object o = wt_alloc_object(vm, WT_OBJ_ARRAY, (size_t)n);
    if (!o)
        return -1;
    if (!refs) {                                 /* ints and bools: 0 / false */
        wt_val *f = wt_obj_fields(o);
        for (int64_t i = 0; i < n; i++)
            f[i] = wt_int(0);
    }
    vm->stack[vm->sp - 1] = o;
    return 0;
}

/* a safepoint: collections of this heap may run here; checks the budget */
static int vm_poll(wt_vm *vm)
{
    mmtk_safepoint(vm->mut);
    uint64_t budget = vm->job->budget;
    if (budget && vm->icount > budget) {
        vm->job->status = WT_BUDGET;
        snprintf(vm->job->message, sizeof vm->job->message,
                 "instruction budget of %" PRIu64 " exceeded", budget);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
#define INT_OP(expr) do { uint64_t x = (uint64_t)wt_to_int(sp[-2]), \
                               y = (uint64_t)wt_to_int(sp[-1]);          \
        sp[-2] = wt_int((int64_t)(expr)); sp--; } while (0)
#define CMP_OP(op) do { sp[-2] = wt_int(wt_to_int(sp[-2]) op wt_to_int(sp[-1])); \
                        sp--; } while (0)

static int vm_call(wt_vm *vm, size_t at, uint32_t f, wt_val **spp, wt_val **basep, size_t *pcp)
{
    const wt_func *fn = &vm->prog->funcs[f];
    wt_val *sp = *spp, *base = *basep;
    if (vm->nframes == vm->frames_cap ||
        (size_t)(sp - vm->stack) + fn->nlocals + WT_STACK_MARGIN > vm->stack_cap)
        return vm_error(vm, at, "stack overflow (recursion too deep)");
    vm->frames[vm->nframes++] = (wt_frame){(uint32_t)*pcp, (uint32_t)(base - vm->stack), f};
    base = sp - fn->nparams;
    for (uint32_t i = fn->nparams; i < fn->nlocals; i++)
        base[i] = NULL;
    sp = base + fn->nlocals;
    *pcp = fn->entry;
    *spp = sp;
    *basep = base;
    vm->sp = (size_t)(sp - vm->stack);
    return vm_poll(vm);
}

static int vm_index_check(wt_vm *vm, size_t at, wt_val arr, int64_t i)
{
    if (!arr)
        return vm_error(vm, at, "null array");
    if (i < 0 || (uint64_t)i >= wt_obj_count(arr))
        return vm_error(vm, at, "index %" PRId64 " out of range for array of length %zu",
                        i, wt_obj_count(arr));
    return 0;
}

static int op_print(wt_vm *vm, const int32_t *kinds, int n, wt_val *sp)
{
    for (int i = 0; i < n; i++) {
        if ((i && out_append(vm, " ", 1)) || out_value(vm, sp[i - n], kinds[i]))
            goto full;
    }
    if (out_append(vm, "\n", 1) == 0)
        return 0;
full:
    vm->job->status = WT_RUNTIME_ERROR;
    snprintf(vm->job->message, sizeof vm->job->message, "%s: output limit reached",
             vm->prog->file);
    return -1;
}

static int op_int_str(wt_vm *vm, wt_val v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%" PRId64, wt_to_int(v));
    vm->sp--;
    return push_cstring(vm, buf, (size_t)n);
}

static int op_chr(wt_vm *vm, size_t at, wt_val v)
{
    int64_t c = wt_to_int(v);
    if (c < 0 || c > 255)
        return vm_error(vm, at, "chr: %" PRId64 " is not a byte (0..255)", c);
    char b = (char)c;
    vm->sp--;
    return push_cstring(vm, &b, 1);
}

/* Instructions that read or write objects, and those that allocate: kept out
 * of the dispatch loop's body. Each gets the stack top, returns the new one,
 * or NULL when the program stops (the job says why). */
static inline wt_val *vm_exec_object(wt_vm *vm, int op, int32_t arg, size_t at, size_t *pcp,
                                     wt_val *sp)
{
    switch (op) {
    case OP_INDEX: {
        int64_t i = wt_to_int(sp[-1]);
        if (vm_index_check(vm, at, sp[-2], i))
            return NULL;
        sp[-2] = wt_obj_fields(sp[-2])[i];
        return sp - 1;
    }
    case OP_STORE_INDEX: {
        int64_t i = wt_to_int(sp[-2]);
        if (vm_index_check(vm, at, sp[-3], i))
            return NULL;
        wt_store_field(vm, sp[-3], &wt_obj_fields(sp[-3])[i], sp[-1]);
        return sp - 3;
    }
    case OP_STR_INDEX: {
        int64_t i = wt_to_int(sp[-1]);
        size_t n = sp[-2] ? wt_obj_count(sp[-2]) : 0;
        if (i < 0 || (uint64_t)i >= n) {
            vm_error(vm, at, "index %" PRId64 " out of range for string of length %zu", i, n);
            return NULL;
        }
        sp[-2] = wt_int((unsigned char)wt_obj_bytes(sp[-2])[i]);
        return sp - 1;
    }
    case OP_FIELD:                               /* one operand: arg */
        ++*pcp;
        if (!sp[-1]) {
            vm_error(vm, at, "null record");
            return NULL;
        }
        sp[-1] = wt_obj_fields(sp[-1])[arg];
        return sp;
    case OP_STORE_FIELD:                         /* one operand: arg */
        ++*pcp;
        if (!sp[-2]) {
            vm_error(vm, at, "null record");
            return NULL;
        }
        wt_store_field(vm, sp[-2], &wt_obj_fields(sp[-2])[arg], sp[-1]);
        return sp - 2;
    case OP_LEN_ARRAY:
        if (!sp[-1]) {
            vm_error(vm, at, "null array");
            return NULL;
        }
        sp[-1] = wt_int((int64_t)wt_obj_count(sp[-1]));
        return sp;
    default: /* OP_LEN_STR */
        sp[-1] = wt_int(sp[-1] ? (int64_t)wt_obj_count(sp[-1]) : 0);
        return sp;
    }
}

/* The rare instructions, out of the dispatch loop: those that allocate
 * (sp is synced first, they may collect), string comparisons, print, and
 * the ends of a run.
 * Returns the new stack top, or NULL when the program stops: the job's
 * status says why (WT_OK after OP_HALT). */
static wt_val *vm_exec_rare(wt_vm *vm, int op, size_t at, size_t *pcp, wt_val *sp)
{
    const int32_t *code = vm->prog->code;
    int32_t arg = 0;
    int rc;
    if (op == OP_NEW_ARRAY || op == OP_ARRAY_LIT || op == OP_NEW_RECORD || op == OP_PRINT)
        arg = code[(*pcp)++];                    /* one operand (print: then the kinds) */
    vm->sp = (size_t)(sp - vm->stack);
    switch (op) {
    case OP_STR_EQ: case OP_STR_NE:
        sp[-2] = wt_int(str_equal(sp[-2], sp[-1]) == (op == OP_STR_EQ));
        return sp - 1;
    case OP_CONCAT: rc = op_concat(vm); break;
    case OP_NEW_ARRAY: rc = op_new_array(vm, at, arg); break;
    case OP_ARRAY_LIT: rc = op_collect(vm, WT_OBJ_ARRAY, (size_t)arg); break;
    case OP_NEW_RECORD:
        rc = op_collect(vm, WT_OBJ_RECORD, vm->prog->rec_nfields[arg]);
        break;
    case OP_INT_STR: rc = op_int_str(vm, sp[-1]); break;
    case OP_BOOL_STR:
        vm->sp--;
        rc = wt_to_int(sp[-1]) ? push_cstring(vm, "true", 4) : push_cstring(vm, "false", 5);
        break;
    case OP_CHR: rc = op_chr(vm, at, sp[-1]); break;
    case OP_PRINT:                               /* n, then n type kinds */
        if (op_print(vm, &code[*pcp], arg, sp))
            return NULL;
        *pcp += (size_t)arg;
        return sp - arg;
    case OP_HALT:
        vm->job->status = WT_OK;
        return NULL;
    case OP_MISSING_RETURN:
        vm_error(vm, at, "function ended without returning a value");
        return NULL;
    default:
        vm_error(vm, at, "bad instruction %d", op);
        return NULL;
    }
    return rc ? NULL : vm->stack + vm->sp;
}

/* OP_DIV, OP_MOD: 1 (the job says why) on division by zero */
static inline int vm_divmod(wt_vm *vm, int op, size_t at, wt_val *sp)
{
    int64_t x = wt_to_int(sp[-2]), y = wt_to_int(sp[-1]);
    if (y == 0)
        return vm_error(vm, at, "division by zero") != 0;
    sp[-2] = wt_int(op == OP_DIV ? x / y : x % y);   /* 63-bit: no overflow */
    return 0;
}

/* OP_LOOP: a backward jump, a safepoint */
static inline int vm_loop(wt_vm *vm, const int32_t *code, size_t *pcp, wt_val *sp)
{
    *pcp = (size_t)code[*pcp];
    vm->sp = (size_t)(sp - vm->stack);
    return vm_poll(vm);
}

/* OP_AND_JMP, OP_OR_JMP: the new pc; pops the operand unless it jumps */
static inline size_t vm_and_or(int op, const int32_t *code, size_t pc, wt_val **spp)
{
    if ((wt_to_int((*spp)[-1]) != 0) == (op == OP_OR_JMP))
        return (size_t)code[pc];
    --*spp;
    return pc + 1;
}

/* OP_RET, OP_RET_VOID: back to the caller's frame */
static inline void vm_return(wt_vm *vm, int op, wt_val **spp, wt_val **basep, size_t *pcp)
{
    wt_val v = (*spp)[-1];
    wt_frame fr = vm->frames[--vm->nframes];
    *spp = *basep;
    if (op == OP_RET)
        *(*spp)++ = v;
    *basep = vm->stack + fr.base;
    *pcp = fr.ret_pc;
}

int wt_interpret(wt_vm *vm)
{
    const wt_program *prog = vm->prog;
    const int32_t *code = prog->code;
    wt_val *stack = vm->stack, *base = stack;
    wt_val *sp = stack + prog->funcs[prog->main_func].nlocals;
    size_t pc = 0;
    for (;;) {
        size_t at = pc;
        int op = code[pc++];
        vm->icount++;
        switch (op) {
        case OP_CONST: *sp++ = wt_int(prog->consts[code[pc++]]); break;
        case OP_STR: *sp++ = vm->strconsts[code[pc++]]; break;
        case OP_NULL: *sp++ = NULL; break;
        case OP_POP: sp--; break;
        case OP_LOAD_LOCAL: *sp++ = base[code[pc++]]; break;
        case OP_STORE_LOCAL: base[code[pc++]] = *--sp; break;
        case OP_LOAD_GLOBAL: *sp++ = vm->globals[code[pc++]]; break;
        case OP_STORE_GLOBAL: vm->globals[code[pc++]] = *--sp; break;
        case OP_ADD: INT_OP(x + y); break;
        case OP_SUB: INT_OP(x - y); break;
        case OP_MUL: INT_OP(x * y); break;
        case OP_DIV: case OP_MOD:
            if (vm_divmod(vm, op, at, sp--))
                return -1;
            break;
        case OP_NEG: sp[-1] = wt_int((int64_t)(0 - (uint64_t)wt_to_int(sp[-1]))); break;
        case OP_NOT: sp[-1] = wt_int(!wt_to_int(sp[-1])); break;
        case OP_LT: CMP_OP(<); break;
        case OP_LE: CMP_OP(<=); break;
        case OP_GT: CMP_OP(>); break;
        case OP_GE: CMP_OP(>=); break;
        case OP_EQ: sp[-2] = wt_int(sp[-2] == sp[-1]); sp--; break;
        case OP_NE: sp[-2] = wt_int(sp[-2] != sp[-1]); sp--; break;
        case OP_JMP: pc = (size_t)code[pc]; break;
        case OP_JMP_FALSE: pc = wt_to_int(*--sp) ? pc + 1 : (size_t)code[pc]; break;
        case OP_AND_JMP: case OP_OR_JMP: pc = vm_and_or(op, code, pc, &sp); break;
        case OP_LOOP:
            if (vm_loop(vm, code, &pc, sp))
                return -1;
            break;
        case OP_CALL:
            if (vm_call(vm, at, (uint32_t)code[pc++], &sp, &base, &pc))
                return -1;
            break;
        case OP_RET: case OP_RET_VOID: vm_return(vm, op, &sp, &base, &pc); break;
        case OP_FIELD: case OP_STORE_FIELD: case OP_INDEX: case OP_STORE_INDEX:
        case OP_STR_INDEX: case OP_LEN_ARRAY: case OP_LEN_STR:
            if (!(sp = vm_exec_object(vm, op, code[pc], at, &pc, sp)))
                return -1;
            break;
        default:       /* allocation, string comparisons, print, halt, errors */
            if (!(sp = vm_exec_rare(vm, op, at, &pc, sp)))
                return vm->job->status == WT_OK ? 0 : -1;
            break;
        }
    }
}
