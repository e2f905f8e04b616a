/* A string-keyed open-addressing map. Keys live in the caller's records
 * (key_of), so the map holds only indexes and hashes. It is only ever
 * probed, never iterated: its order can never leak into a decision. */
#include <stdlib.h>
#include <string.h>
#include "sched-int.h"

#define TOMB UINT32_MAX

uint64_t sched_hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ULL;
        }
        return h ^ (h >> 29);
}

static int grow(idmap *m, const char *(*key_of)(const void *, uint32_t), const void *ctx)
{
        uint32_t ncap = m->cap ? m->cap * 2 : 64;
        uint32_t *slot = calloc(ncap, sizeof(*slot));
        uint64_t *hash = calloc(ncap, sizeof(*hash));
        if (!slot || !hash) {
                free(slot);
                free(hash);
                return -ENOMEM;
        }
        uint32_t live = 0;
        for (uint32_t i = 0; i < m->cap; i++) {
                if (m->slot[i] == 0 || m->slot[i] == TOMB)
                        continue;
                live++;
                uint32_t j = (uint32_t)m->hash[i] & (ncap - 1);
                while (slot[j])
                        j = (j + 1) & (ncap - 1);
                slot[j] = m->slot[i];
                hash[j] = m->hash[i];
        }
        free(m->slot);
        free(m->hash);
        m->slot = slot;
        m->hash = hash;
        m->cap = ncap;
        m->n = live;
        (void)key_of;
        (void)ctx;
        return 0;
}

int idmap_put(idmap *m, const char *key, uint32_t value, const char *(*key_of)(const void *, uint32_t), const void *ctx)
{
        if ((m->n + 1) * 2 > m->cap) {
                int r = grow(m, key_of, ctx);
                if (r < 0)
                        return r;
        }
        uint64_t h = sched_hash_str(key);
        uint32_t j = (uint32_t)h & (m->cap - 1);
        while (m->slot[j] && m->slot[j] != TOMB)
                j = (j + 1) & (m->cap - 1);
        m->slot[j] = value + 1;
        m->hash[j] = h;
        m->n++;
        return 0;
}

static int probe(const idmap *m, const char *key, const char *(*key_of)(const void *, uint32_t), const void *ctx,
                 uint32_t *ret_pos)
{
        if (!m->cap)
                return -ENOENT;
        uint64_t h = sched_hash_str(key);
        for (uint32_t j = (uint32_t)h & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
                uint32_t v = m->slot[j];
                if (v == 0)
                        return -ENOENT;
                if (v != TOMB && m->hash[j] == h && streq(key_of(ctx, v - 1), key)) {
                        *ret_pos = j;
                        return 0;
                }
        }
}

int idmap_get(const idmap *m, const char *key, const char *(*key_of)(const void *, uint32_t), const void *ctx,
              uint32_t *ret)
{
        uint32_t pos;
        int r = probe(m, key, key_of, ctx, &pos);
        if (r < 0)
                return r;
        *ret = m->slot[pos] - 1;
        return 0;
}

void idmap_del(idmap *m, const char *key, const char *(*key_of)(const void *, uint32_t), const void *ctx)
{
        uint32_t pos;
        if (probe(m, key, key_of, ctx, &pos) == 0) {
                m->slot[pos] = TOMB;
                /* tombstones count toward the load so the table is rebuilt in time */
        }
}

void idmap_free(idmap *m)
{
        free(m->slot);
        free(m->hash);
        *m = (idmap){0};
}
