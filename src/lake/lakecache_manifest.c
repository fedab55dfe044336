/* lakecache_manifest.c - the manifest of an S3 lake's local cache; see
 * lakecache_manifest.h. */
#include "lakecache_manifest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage.h"

static const char state_char[] = {'-', 'S', 'P', 'F'};

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const lakecache_entry *)a)->key, ((const lakecache_entry *)b)->key);
}

void lakecache_manifest_clear(lakecache_manifest *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].key);
        free(m->v[i].etag);
    }
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}

lakecache_entry *lakecache_manifest_find(const lakecache_manifest *m, const char *key)
{
    lakecache_entry k = {.key = (char *)key};
    return m->n ? bsearch(&k, m->v, m->n, sizeof(*m->v), entry_cmp) : NULL;
}

void lakecache_manifest_set(lakecache_manifest *m, const char *key, int64_t size, int64_t mtime_ns,
                            const char *etag, int state)
{
    lakecache_entry *e = lakecache_manifest_find(m, key);
    if (!e) {
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 256;
            m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
        }
        size_t pos = m->n;
        while (pos > 0 && strcmp(m->v[pos - 1].key, key) > 0)
            pos--;
        memmove(&m->v[pos + 1], &m->v[pos], (m->n - pos) * sizeof(*m->v));
        m->n++;
        e = &m->v[pos];
        e->key = xstrdup(key);
        e->etag = NULL;
    }
    free(e->etag);
    e->etag = xstrdup(etag ? etag : "");
    e->size = size;
    e->mtime_ns = mtime_ns;
    e->state = state;
}

void lakecache_manifest_remove(lakecache_manifest *m, lakecache_entry *e)
{
    size_t i = (size_t)(e - m->v);
    free(e->key);
    free(e->etag);
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
    m->n--;
}

void lakecache_manifest_parse(lakecache_manifest *m, const char *text, size_t len)
{
    lakecache_manifest_clear(m);
    char *copy = xstrndup(text, len);
    char *p = copy;
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        char st = 0;
        long long size = 0, mtime = 0;
        int n = 0;
        if (sscanf(p, "%c\t%lld\t%lld\t%n", &st, &size, &mtime, &n) == 3 && n > 0) {
            char *etag = p + n;
            char *tab = strchr(etag, '\t');
            int state = st == 'F'   ? LAKECACHE_FULL
                        : st == 'P' ? LAKECACHE_FOOTER
                        : st == 'S' ? LAKECACHE_STUB
                                    : LAKECACHE_NONE;
            if (tab && state && storage_key_valid(tab + 1)) {
                *tab = '\0';
                lakecache_manifest_set(m, tab + 1, size, mtime, strcmp(etag, "-") == 0 ? "" : etag,
                                       state);
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    free(copy);
}

void lakecache_manifest_format(const lakecache_manifest *m, buf *out)
{
    buf_puts(out, "");
    for (size_t i = 0; i < m->n; i++)
        buf_printf(out, "%c\t%" PRId64 "\t%" PRId64 "\t%s\t%s\n", state_char[m->v[i].state],
                   m->v[i].size, m->v[i].mtime_ns, *m->v[i].etag ? m->v[i].etag : "-", m->v[i].key);
}

int lakecache_entry_fresh(const lakecache_entry *e, int64_t size, int64_t mtime_ns,
                          const char *etag, int want)
{
    if (!e || e->size != size || e->mtime_ns != mtime_ns || e->state < want)
        return 0;
    if (!etag || !*etag || !*e->etag)
        return 1; /* an ETag unknown: size and time decide */
    return strcmp(e->etag, etag) == 0;
}

int64_t lakecache_footer_need(const void *tail, size_t len, int64_t size)
{
    const unsigned char *t = tail;
    if (len < 8 || memcmp(t + len - 4, "PAR1", 4) != 0)
        return 0;
    const unsigned char *p = t + len - 8;
    int64_t need = (int64_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24) +
                   8;
    return need <= size ? need : 0;
}
