/* csv.c - streaming CSV records, header lookup and --map renames; see csv.h.
 *
 * The reader parses one record at a time from the bytes it holds. When a
 * record runs past them (file mode), it reads another chunk and parses the
 * record again from its start, so the parser keeps no state between calls
 * beyond the position, the line number and whether the rest of a line is to
 * be skipped after a bad record. Every field is copied, unquoted, into one
 * scratch buffer and NUL-terminated there. */
#include "csv.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { P_OK, P_NEED_MORE, P_BAD, P_EOF, P_ERROR };

struct csv_reader {
    const char *data; /* the bytes being parsed: the caller's buffer or in.data */
    size_t len;
    size_t pos; /* start of the next record (or of the bytes to skip) */
    FILE *f;    /* file mode; NULL for a buffer */
    buf in;     /* file mode: bytes read and not yet consumed, from pos */
    bool eof;   /* no more bytes will come after data[len) */
    bool failed;
    char errmsg[160]; /* the reason of the CSV_ERROR, once failed */
    char delim;
    size_t max_record;
    size_t chunk;
    bool bom_done;
    csv_bom bom;
    bool started;   /* BOM handled and delimiter known */
    bool skip_line; /* skip to the next line break before the next record */
    bool in_quote;  /* the last incomplete parse ended inside a quoted field */
    int64_t line;   /* physical line of data[pos] */
    buf scratch;    /* field bytes, each followed by a NUL */
    size_t *offs;   /* field i is scratch.data[offs[i] .. offs[i] + lens[i]) */
    size_t *lens;
    csv_field *fields;
    size_t nf;
    size_t cap;
    unsigned char stop[256]; /* bytes that end an unquoted field */
};

static bool valid_delim(char c)
{
    return c != '\0' && c != '"' && c != '\r' && c != '\n';
}

static csv_reader *reader_new(const csv_options *opt)
{
    csv_reader *r = xrealloc(NULL, sizeof(*r));
    memset(r, 0, sizeof(*r));
    if (opt && valid_delim(opt->delim))
        r->delim = opt->delim;
    r->max_record = opt && opt->max_record ? opt->max_record : CSV_DEFAULT_MAX_RECORD;
    r->chunk = opt && opt->chunk ? opt->chunk : CSV_CHUNK;
    r->line = 1;
    return r;
}

csv_reader *csv_reader_new_buffer(const char *data, size_t len, const csv_options *opt)
{
    csv_reader *r = reader_new(opt);
    r->data = data ? data : "";
    r->len = data ? len : 0;
    r->eof = true;
    return r;
}

csv_reader *csv_reader_new_file(FILE *f, const csv_options *opt)
{
    csv_reader *r = reader_new(opt);
    r->f = f;
    r->data = "";
    return r;
}

void csv_reader_free(csv_reader *r)
{
    if (!r)
        return;
    buf_release(&r->in);
    buf_release(&r->scratch);
    free(r->offs);
    free(r->lens);
    free(r->fields);
    free(r);
}

char csv_reader_delim(const csv_reader *r)
{
    return r->started ? r->delim : 0;
}

/* File mode: drops the consumed bytes and reads one more chunk. */
static int refill(csv_reader *r, char *errstr, size_t errstr_size)
{
    if (r->pos > 0) {
        memmove(r->in.data, r->in.data + r->pos, r->in.len - r->pos);
        r->in.len -= r->pos;
        r->pos = 0;
    }
    buf_reserve(&r->in, r->chunk);
    size_t n = fread(r->in.data + r->in.len, 1, r->chunk, r->f);
    r->in.len += n;
    r->in.data[r->in.len] = '\0';
    r->data = r->in.data;
    r->len = r->in.len;
    if (n < r->chunk) {
        if (ferror(r->f)) {
            r->failed = true;
            return set_err(errstr, errstr_size, "read error: %s", strerror(errno ? errno : EIO));
        }
        r->eof = true;
    }
    return 0;
}

csv_bom csv_reader_bom(const csv_reader *r)
{
    return r->bom;
}

/* Skips a byte-order mark and settles the delimiter. */
static int start(csv_reader *r, char *errstr, size_t errstr_size)
{
    static const unsigned char bom[] = {0xEF, 0xBB, 0xBF};
    static const unsigned char mojibake[] = {0xC3, 0xAF, 0xC2, 0xBB, 0xC2, 0xBF}; /* "ï»¿" */
    const unsigned char *p = (const unsigned char *)r->data + r->pos;
    size_t avail = r->len - r->pos;
    if (!r->bom_done) {
        if (avail < sizeof(bom) + sizeof(mojibake) && !r->eof)
            return P_NEED_MORE;
        size_t skip = 0;
        if (avail >= sizeof(bom) && memcmp(p, bom, sizeof(bom)) == 0) {
            skip = sizeof(bom);
            r->bom = CSV_BOM_UTF8;
        }
        if (avail - skip >= sizeof(mojibake) && memcmp(p + skip, mojibake, sizeof(mojibake)) == 0) {
            skip += sizeof(mojibake);
            r->bom = CSV_BOM_MOJIBAKE;
        }
        if (skip) {
            r->pos += skip;
        } else if (avail >= 2 &&
                   ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
            r->failed = true;
            return set_err(errstr, errstr_size,
                           "input is UTF-16 (byte-order mark %02X %02X); convert it to UTF-8", p[0],
                           p[1]);
        }
        r->bom_done = true;
    }
    if (!r->delim) {
        /* Count the candidates outside quotes on the first line. */
        size_t n[3] = {0, 0, 0};
        bool quoted = false, done = false;
        const char *s = r->data + r->pos, *end = r->data + r->len;
        for (; s < end; s++) {
            char c = *s;
            if (c == '"')
                quoted = !quoted;
            else if (!quoted && (c == '\n' || c == '\r')) {
                done = true;
                break;
            } else if (!quoted) {
                n[0] += c == ',';
                n[1] += c == '\t';
                n[2] += c == ';';
            }
        }
        if (!done && !r->eof && r->len - r->pos <= r->max_record)
            return P_NEED_MORE;
        r->delim = ',';
        if (n[1] > n[0] && n[1] >= n[2])
            r->delim = '\t';
        else if (n[2] > n[0] && n[2] > n[1])
            r->delim = ';';
    }
    r->stop[(unsigned char)r->delim] = 1;
    r->stop['\r'] = 1;
    r->stop['\n'] = 1;
    r->started = true;
    return P_OK;
}

/* Skips to just after the next line break (or to the end of input). */
static int skip_rest_of_line(csv_reader *r)
{
    const char *p = r->data + r->pos, *end = r->data + r->len;
    while (p < end && *p != '\n' && *p != '\r')
        p++;
    if (p == end) {
        r->pos = r->len;
        if (!r->eof)
            return P_NEED_MORE;
        r->skip_line = false;
        return P_OK;
    }
    if (*p == '\r') {
        if (p + 1 == end && !r->eof) {
            r->pos = (size_t)(p - r->data);
            return P_NEED_MORE;
        }
        p++;
        if (p < end && *p == '\n')
            p++;
    } else {
        p++;
    }
    r->line++;
    r->pos = (size_t)(p - r->data);
    r->skip_line = false;
    return P_OK;
}

/* Line breaks in p[0..n), where p[n] exists: \n, and \r not before \n. */
static int64_t count_breaks(const char *p, size_t n)
{
    int64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n' || (p[i] == '\r' && p[i + 1] != '\n');
    return k;
}

/* Appends to the scratch buffer; the buf_* calls only when it must grow. */
static inline void scratch_put(buf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap)
        buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void scratch_byte(buf *b, char c)
{
    if (b->len + 2 > b->cap)
        buf_reserve(b, 1);
    b->data[b->len++] = c;
}

static void push_field(csv_reader *r, size_t off)
{
    if (r->nf == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->offs = xrealloc(r->offs, r->cap * sizeof(*r->offs));
        r->lens = xrealloc(r->lens, r->cap * sizeof(*r->lens));
        r->fields = xrealloc(r->fields, r->cap * sizeof(*r->fields));
    }
    r->offs[r->nf] = off;
    r->lens[r->nf] = r->scratch.len - off;
    r->nf++;
    scratch_byte(&r->scratch, '\0');
}

/* A bad record: the next call skips the rest of the line holding data[at]
 * (line `line`). */
static int bad_at(csv_reader *r, csv_record *rec, const char *at, int64_t line)
{
    rec->line = rec->last_line = r->line;
    r->pos = (size_t)(at - r->data);
    r->line = line;
    r->skip_line = true;
    return P_BAD;
}

static int parse_record(csv_reader *r, csv_record *rec, char *errstr, size_t errstr_size)
{
    const char *const start = r->data + r->pos, *const end = r->data + r->len;
    const char *p = start;
    const char delim = r->delim;
    const bool eof = r->eof;
    int64_t line = r->line;
    bool eol = false;

    if (p == end)
        return eof ? P_EOF : P_NEED_MORE;
    memset(rec, 0, sizeof(*rec));
    r->scratch.len = 0;
    r->nf = 0;
    r->in_quote = false;
    for (;;) {
        if (r->nf == CSV_MAX_FIELDS) {
            set_err(errstr, errstr_size, "more than %d fields", CSV_MAX_FIELDS);
            return bad_at(r, rec, p, line);
        }
        size_t off = r->scratch.len;
        const char *q = p;
        while (q < end && ((*q == ' ' && delim != ' ') || (*q == '\t' && delim != '\t')))
            q++;
        if (q == end && !eof)
            return P_NEED_MORE;
        if (q < end && *q == '"') {
            p = q + 1;
            for (;;) {
                const char *e = p < end ? memchr(p, '"', (size_t)(end - p)) : NULL;
                if (!e) {
                    if (!eof) {
                        r->in_quote = true;
                        return P_NEED_MORE;
                    }
                    set_err(errstr, errstr_size, "quoted field %zu is never closed", r->nf + 1);
                    return bad_at(r, rec, start, r->line);
                }
                line += count_breaks(p, (size_t)(e - p));
                scratch_put(&r->scratch, p, (size_t)(e - p));
                p = e + 1;
                if (p == end && !eof)
                    return P_NEED_MORE;
                if (p < end && *p == '"') {
                    scratch_byte(&r->scratch, '"');
                    p++;
                    continue;
                }
                break;
            }
            while (p < end && ((*p == ' ' && delim != ' ') || (*p == '\t' && delim != '\t')))
                p++;
            if (p == end && !eof)
                return P_NEED_MORE;
            if (p < end && *p != delim && *p != '\r' && *p != '\n') {
                set_err(errstr, errstr_size, "text after the closing quote of field %zu",
                        r->nf + 1);
                return bad_at(r, rec, p, line);
            }
        } else {
            q = p;
            while (q < end && !r->stop[(unsigned char)*q])
                q++;
            if (q == end && !eof)
                return P_NEED_MORE;
            scratch_put(&r->scratch, p, (size_t)(q - p));
            p = q;
        }
        push_field(r, off);
        if (p == end)
            break; /* end of input: eof is true here */
        if (*p == delim) {
            p++;
            continue;
        }
        if (*p == '\r') {
            if (p + 1 == end && !eof)
                return P_NEED_MORE;
            p++;
            if (p < end && *p == '\n')
                p++;
        } else {
            p++; /* '\n' */
        }
        line++;
        eol = true;
        break;
    }
    if ((size_t)(p - start) > r->max_record) {
        set_err(errstr, errstr_size, "record longer than %zu bytes", r->max_record);
        return bad_at(r, rec, start, r->line);
    }
    bool blank = true;
    for (size_t i = 0; i < r->nf; i++) {
        const char *f = r->scratch.data + r->offs[i];
        r->fields[i].p = f;
        r->fields[i].len = r->lens[i];
        for (size_t j = 0; blank && j < r->lens[i]; j++)
            blank = f[j] == ' ' || f[j] == '\t';
    }
    rec->fields = r->fields;
    rec->nfields = r->nf;
    rec->line = r->line;
    rec->last_line = eol ? line - 1 : line;
    rec->eol = eol;
    rec->blank = blank;
    r->line = line;
    r->pos = (size_t)(p - r->data);
    return P_OK;
}

static csv_status next_record(csv_reader *r, csv_record *rec, char *errstr, size_t errstr_size)
{
    for (;;) {
        if (r->failed)
            return CSV_ERROR;
        int rc;
        if (!r->started) {
            rc = start(r, errstr, errstr_size);
        } else if (r->skip_line) {
            rc = skip_rest_of_line(r);
        } else {
            rc = parse_record(r, rec, errstr, errstr_size);
            if (rc == P_OK)
                return CSV_RECORD;
            if (rc == P_BAD)
                return CSV_BAD;
            if (rc == P_EOF)
                return CSV_EOF;
            if (rc == P_NEED_MORE && r->len - r->pos > r->max_record) {
                memset(rec, 0, sizeof(*rec));
                rec->line = r->line;
                if (r->in_quote)
                    set_err(errstr, errstr_size, "quoted field not closed within %zu bytes",
                            r->max_record);
                else
                    set_err(errstr, errstr_size, "record longer than %zu bytes", r->max_record);
                r->skip_line = true;
                return CSV_BAD;
            }
        }
        if (rc == P_ERROR || r->failed)
            return CSV_ERROR;
        if (rc == P_NEED_MORE) {
            if (!r->f || r->eof) { /* cannot happen: a parse at eof always ends */
                r->failed = true;
                set_err(errstr, errstr_size, "internal error: incomplete input at end");
                return CSV_ERROR;
            }
            if (refill(r, errstr, errstr_size) != 0)
                return CSV_ERROR;
        }
    }
}

csv_status csv_next(csv_reader *r, csv_record *rec, char *errstr, size_t errstr_size)
{
    csv_status s = next_record(r, rec, errstr, errstr_size);
    if (s == CSV_ERROR) { /* keep the first reason for every later call */
        if (r->errmsg[0])
            set_err(errstr, errstr_size, "%s", r->errmsg);
        else
            strlcpy_tl(r->errmsg, errstr, sizeof(r->errmsg));
    }
    if (s == CSV_ERROR || s == CSV_EOF) {
        memset(rec, 0, sizeof(*rec));
        rec->line = r->line;
    }
    return s;
}

csv_field csv_trim(csv_field f)
{
    trim_blanks(&f.p, &f.len);
    return f;
}

static bool name_skip(char c)
{
    return c == ' ' || c == '_' || c == '-' || c == '\t';
}

bool csv_name_eq(const char *col, size_t col_len, const char *name)
{
    size_t i = 0, j = 0;
    if (col_len >= 3 && memcmp(col, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    for (;;) {
        while (i < col_len && name_skip(col[i]))
            i++;
        while (name[j] && name_skip(name[j]))
            j++;
        if (i == col_len || !name[j])
            return i == col_len && !name[j];
        if (tolower((unsigned char)col[i]) != tolower((unsigned char)name[j]))
            return false;
        i++;
        j++;
    }
}

void csv_header_set(csv_header *h, const csv_record *rec)
{
    csv_header_release(h);
    h->names = xrealloc(NULL, (rec->nfields ? rec->nfields : 1) * sizeof(*h->names));
    for (size_t i = 0; i < rec->nfields; i++)
        h->names[i] = xstrndup(rec->fields[i].p, rec->fields[i].len);
    h->n = rec->nfields;
}

void csv_header_release(csv_header *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        free(h->names[i]);
    free(h->names);
    h->names = NULL;
    h->n = 0;
}

int csv_header_find(const csv_header *h, const char *name)
{
    int found = -1;
    for (size_t i = 0; i < h->n; i++) {
        if (csv_name_eq(h->names[i], strlen(h->names[i]), name)) {
            if (found >= 0)
                return -2;
            found = (int)i;
        }
    }
    return found;
}

bool csv_header_is_repeat(const csv_header *h, const csv_record *rec)
{
    if (rec->nfields != h->n || h->n == 0)
        return false;
    for (size_t i = 0; i < h->n; i++) {
        csv_field f = csv_trim(rec->fields[i]);
        if (!csv_name_eq(f.p, f.len, h->names[i]))
            return false;
    }
    return true;
}

int csv_map_parse(csv_map *m, const char *spec, char *errstr, size_t errstr_size)
{
    /* Validate everything first so that m is unchanged on error. */
    const char *s = spec;
    size_t pairs = 0;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        const char *eq = memchr(s, '=', n);
        if (!eq)
            return set_err(errstr, errstr_size, "bad mapping '%.*s': expected field=Column", (int)n,
                           s);
        const char *f = s, *c = eq + 1;
        size_t fl = (size_t)(eq - s), cl = n - fl - 1;
        trim_blanks(&f, &fl);
        trim_blanks(&c, &cl);
        if (fl == 0 || cl == 0 || memchr(c, '=', cl))
            return set_err(errstr, errstr_size, "bad mapping '%.*s': expected field=Column", (int)n,
                           s);
        pairs++;
        if (!comma)
            break;
        s = comma + 1;
    }
    s = spec;
    for (size_t k = 0; k < pairs; k++) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        const char *eq = memchr(s, '=', n);
        const char *f = s, *c = eq + 1;
        size_t fl = (size_t)(eq - s), cl = n - fl - 1;
        trim_blanks(&f, &fl);
        trim_blanks(&c, &cl);
        char *field = xstrndup(f, fl);
        char *column = xstrndup(c, cl);
        size_t i;
        for (i = 0; i < m->n; i++)
            if (csv_name_eq(m->v[i].field, strlen(m->v[i].field), field))
                break;
        if (i < m->n) {
            free(m->v[i].field);
            free(m->v[i].column);
        } else {
            m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
            m->n++;
        }
        m->v[i].field = field;
        m->v[i].column = column;
        if (comma)
            s = comma + 1;
    }
    return 0;
}

const char *csv_map_column(const csv_map *m, const char *field)
{
    if (!m)
        return NULL;
    for (size_t i = 0; i < m->n; i++)
        if (csv_name_eq(m->v[i].field, strlen(m->v[i].field), field))
            return m->v[i].column;
    return NULL;
}

void csv_map_release(csv_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].field);
        free(m->v[i].column);
    }
    free(m->v);
    m->v = NULL;
    m->n = 0;
}
