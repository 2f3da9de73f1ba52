/* SPDX-License-Identifier: MIT */
/*
 * legacy_cache.c - the read cache of the old backend (LEGACY.md §6): frames
 * by key for a time-to-live, evicting the least recently used entries when
 * the estimated size passes the bound. Nothing here invalidates an entry:
 * that is the quirk (stale and cross-dataset reads), kept on purpose.
 */
#include "legacy_internal.h"

#include <stdlib.h>
#include <string.h>

void legacy__cache_init(legacy_cache *c, size_t max_bytes)
{
    memset(c, 0, sizeof *c);
    c->max_bytes = max_bytes;
}

static void entry_free(legacy_cache_entry *e)
{
    free(e->key);
    mdm_table_reset(&e->frame);
}

/* Removes entry i, keeping the others (order does not matter). */
static void remove_at(legacy_cache *c, size_t i)
{
    c->bytes -= c->items[i].bytes;
    entry_free(&c->items[i]);
    c->items[i] = c->items[--c->count];
}

void legacy__cache_free(legacy_cache *c)
{
    for (size_t i = 0; i < c->count; i++)
        entry_free(&c->items[i]);
    free(c->items);
    legacy__cache_init(c, c->max_bytes);
}

static long find(const legacy_cache *c, const char *key)
{
    for (size_t i = 0; i < c->count; i++)
        if (strcmp(c->items[i].key, key) == 0)
            return (long)i;
    return -1;
}

bool legacy__cache_get(legacy_cache *c, const char *key, mdm_table *out,
                       mdm_error *err, mdm_status *rc)
{
    *rc = MDM_OK;
    long i = find(c, key);
    if (i >= 0 && legacy__now() > c->items[i].expires) {
        remove_at(c, (size_t)i);  /* expired: a miss */
        i = -1;
    }
    if (i < 0) {
        c->misses++;
        return false;
    }
    c->hits++;
    c->items[i].used = ++c->tick;
    *rc = legacy__table_copy(out, &c->items[i].frame, err);
    return *rc == MDM_OK;
}

static void evict_lru(legacy_cache *c)
{
    size_t lru = 0;
    for (size_t i = 1; i < c->count; i++)
        if (c->items[i].used < c->items[lru].used)
            lru = i;
    remove_at(c, lru);
    c->evictions++;
}

mdm_status legacy__cache_set(legacy_cache *c, const char *key,
                             const mdm_table *frame, double ttl, mdm_error *err)
{
    size_t bytes = legacy__table_bytes(frame) + strlen(key);
    long old = find(c, key);
    if (old >= 0)
        remove_at(c, (size_t)old);
    if (bytes > c->max_bytes)
        return MDM_OK;  /* larger than the whole cache: not stored */
    while (c->count > 0 && c->bytes + bytes > c->max_bytes)
        evict_lru(c);
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        legacy_cache_entry *items = realloc(c->items, cap * sizeof *items);
        if (items == NULL)
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory caching %s", key);
        c->items = items;
        c->cap = cap;
    }
    legacy_cache_entry *e = &c->items[c->count];
    memset(e, 0, sizeof *e);
    mdm_table_init(&e->frame);
    e->key = strdup(key);
    mdm_status rc = e->key ? legacy__table_copy(&e->frame, frame, err)
                           : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory caching %s", key);
    if (rc != MDM_OK) {
        entry_free(e);
        return rc;
    }
    e->bytes = bytes;
    e->expires = legacy__now() + ttl;
    e->used = ++c->tick;
    c->count++;
    c->bytes += bytes;
    return MDM_OK;
}

void legacy_backend_cache_stats(const legacy_backend *b, legacy_cache_stats *out)
{
    const legacy_cache *c = &b->cache;
    out->entries = c->count;
    out->bytes = c->bytes;
    out->hits = c->hits;
    out->misses = c->misses;
    out->evictions = c->evictions;
}
