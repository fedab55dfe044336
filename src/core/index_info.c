/* index_info.c - the index info table (indexInfo.csv); see index_info.h. */
#include "index_info.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* Copies a text field into dst (dstsz bytes). -1 if too long or not printable. */
static int copy_text(char *dst, size_t dstsz, csv_field v)
{
    v = csv_trim(v);
    if (v.len >= dstsz || !utf8_printable(v.p, v.len))
        return -1;
    memcpy(dst, v.p, v.len);
    dst[v.len] = '\0';
    return 0;
}

int index_info_load(index_info *t, const char *name, const char *data, size_t len, char *errstr,
                    size_t errstr_size)
{
    static const char *const cols[] = {"index", "region", "exchange", "currency"};
    csv_reader *r = csv_reader_new_buffer(data, len, NULL);
    csv_header h = {0};
    csv_record rec;
    char e[160];
    int c[4], rc = -1;
    index_info out = {0};
    csv_status st;
    t->v = NULL;
    t->n = 0;
    while ((st = csv_next(r, &rec, e, sizeof(e))) == CSV_RECORD && rec.blank)
        ;
    if (st != CSV_RECORD) {
        if (st == CSV_EOF)
            set_err(errstr, errstr_size, "%s: empty file (no header)", name);
        else if (st == CSV_ERROR)
            set_err(errstr, errstr_size, "%s: %s", name, e);
        else
            set_err(errstr, errstr_size, "%s:%lld: %s", name, (long long)rec.line, e);
        goto out;
    }
    csv_header_set(&h, &rec);
    for (int i = 0; i < 4; i++) {
        c[i] = csv_header_find(&h, cols[i]);
        if (c[i] < 0) {
            set_err(errstr, errstr_size, "%s:%lld: %s column '%s'", name, (long long)rec.line,
                    c[i] == -1 ? "no" : "more than one", cols[i]);
            goto out;
        }
    }
    while ((st = csv_next(r, &rec, e, sizeof(e))) != CSV_EOF) {
        long long line = (long long)rec.line;
        if (st != CSV_RECORD) {
            set_err(errstr, errstr_size, "%s:%lld: %s", name, line, e);
            goto out;
        }
        if (rec.blank)
            continue;
        if (rec.nfields < h.n) {
            set_err(errstr, errstr_size, "%s:%lld: expected %zu fields, found %zu", name, line, h.n,
                    rec.nfields);
            goto out;
        }
        index_info_entry en;
        memset(&en, 0, sizeof(en));
        const char *what = NULL;
        if (copy_text(en.index, sizeof(en.index), rec.fields[c[0]]) != 0 || !en.index[0])
            what = "Index";
        else if (copy_text(en.region, sizeof(en.region), rec.fields[c[1]]) != 0)
            what = "Region";
        else if (copy_text(en.exchange, sizeof(en.exchange), rec.fields[c[2]]) != 0)
            what = "Exchange";
        else if (copy_text(en.currency, sizeof(en.currency), rec.fields[c[3]]) != 0)
            what = "Currency";
        if (what) {
            set_err(errstr, errstr_size, "%s:%lld: bad %s", name, line, what);
            goto out;
        }
        if (index_info_find(&out, en.index)) {
            set_err(errstr, errstr_size, "%s:%lld: index '%s' listed twice", name, line, en.index);
            goto out;
        }
        out.v = xrealloc(out.v, (out.n + 1) * sizeof(*out.v));
        out.v[out.n++] = en;
    }
    *t = out;
    out.v = NULL;
    rc = 0;
out:
    free(out.v);
    csv_header_release(&h);
    csv_reader_free(r);
    return rc;
}

const index_info_entry *index_info_find(const index_info *t, const char *index)
{
    if (!t)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].index, index) == 0)
            return &t->v[i];
    return NULL;
}

const index_info_entry *index_info_lookup(const index_info *t, const char *index)
{
    const index_info_entry *e = index_info_find(t, index);
    return e || index[0] != '^' ? e : index_info_find(t, index + 1);
}

void index_info_release(index_info *t)
{
    if (!t)
        return;
    free(t->v);
    t->v = NULL;
    t->n = 0;
}
