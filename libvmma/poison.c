/*
 * poison.c — the POISON pattern: filling freed blocks and finding a byte
 * that no longer holds it. Owns nothing else; the callers (client.c,
 * buddy.c) decide which bytes of a block carry the pattern: all but the
 * free-list header (the first 16 bytes).
 */
#include "internal.h"

void poison_fill(void *p, size_t n)
{
    memset(p, VMMA_POISON_BYTE, n);
}

/* Offset of the first byte of p[0..n) that is not the pattern, or n. */
size_t poison_find_write(const void *p, size_t n)
{
    const unsigned char *b = p;
    const uint64_t pat = 0x0101010101010101ull * VMMA_POISON_BYTE;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        if (w != pat)
            break;
    }
    for (; i < n; i++)
        if (b[i] != VMMA_POISON_BYTE)
            return i;
    return n;
}
