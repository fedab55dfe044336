/* csv_ahead.c - records read ahead from a csv_reader; see csv_ahead.h. */
#include "csv_ahead.h"

#include <stdlib.h>
#include <string.h>

/* A record read ahead, its fields qf[first .. first + nfields). */
struct csv_ahead_rec {
    csv_status s;
    int64_t line, last_line;
    bool eol, blank;
    size_t first, nfields;
    size_t err; /* offset in bytes of the message (BAD, ERROR) */
};

struct csv_ahead_field {
    size_t off, len;
};

csv_status csv_ahead_read(csv_ahead *a, csv_reader *r, csv_record *rec, char *e, size_t es)
{
    csv_status s = csv_next(r, rec, e, es);
    a->q = array_grow(a->q, a->n, sizeof(*a->q));
    csv_ahead_rec *x = &a->q[a->n++];
    memset(x, 0, sizeof(*x));
    x->s = s;
    x->line = rec->line;
    x->last_line = rec->last_line;
    x->eol = rec->eol;
    x->blank = rec->blank;
    x->first = a->qfn;
    x->nfields = s == CSV_RECORD ? rec->nfields : 0;
    for (size_t i = 0; i < x->nfields; i++) {
        a->qf = array_grow(a->qf, a->qfn, sizeof(*a->qf));
        a->qf[a->qfn++] = (csv_ahead_field){a->bytes.len, rec->fields[i].len};
        buf_append(&a->bytes, rec->fields[i].p, rec->fields[i].len);
        buf_putc(&a->bytes, '\0');
    }
    x->err = a->bytes.len;
    buf_puts(&a->bytes, s == CSV_BAD || s == CSV_ERROR ? e : "");
    buf_putc(&a->bytes, '\0');
    return s;
}

csv_status csv_ahead_next(csv_ahead *a, csv_reader *r, csv_record *rec, char *e, size_t es)
{
    if (a->head == a->n)
        return csv_next(r, rec, e, es);
    const csv_ahead_rec *x = &a->q[a->head++];
    if (x->nfields > a->out_cap) {
        a->out_cap = x->nfields;
        a->out = xrealloc(a->out, a->out_cap * sizeof(*a->out));
    }
    for (size_t i = 0; i < x->nfields; i++) {
        const csv_ahead_field *f = &a->qf[x->first + i];
        a->out[i] = (csv_field){a->bytes.data + f->off, f->len};
    }
    memset(rec, 0, sizeof(*rec));
    rec->fields = a->out;
    rec->nfields = x->nfields;
    rec->line = x->line;
    rec->last_line = x->last_line;
    rec->eol = x->eol;
    rec->blank = x->blank;
    if (x->s == CSV_BAD || x->s == CSV_ERROR)
        set_err(e, es, "%s", a->bytes.data + x->err);
    return x->s;
}

size_t csv_ahead_bytes(const csv_ahead *a)
{
    return a->bytes.len;
}

void csv_ahead_release(csv_ahead *a)
{
    free(a->q);
    free(a->qf);
    free(a->out);
    buf_release(&a->bytes);
    memset(a, 0, sizeof(*a));
}
