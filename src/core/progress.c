/* progress.c - the process stage's committed progress as text; see progress.h. */
#include "progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void proc_progress_format(const proc_progress *p, char *out, size_t out_size)
{
    size_t n = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int k = snprintf(out + n, out_size - n, __VA_ARGS__);                                      \
        n = k < 0 ? n : n + (size_t)k < out_size ? n + (size_t)k : out_size - 1;                   \
    } while (0)
    out[0] = '\0';
    PUT("v=%d ", PROC_PROGRESS_VERSION);
    if (p->wm != INT64_MIN)
        PUT("wm=%" PRId64 " ", p->wm);
    PUT("seq=%" PRIu64, p->seq);
    if (p->next >= 0)
        PUT(" next=%" PRId64, p->next);
    if (p->rwm != INT64_MIN)
        PUT(" rwm=%" PRId64, p->rwm);
#undef PUT
}

/* The value of token key=... in space-separated text, copied into val; 1 if
 * found, 0 if not, -1 if too long. */
static int token(const char *text, const char *key, char *val, size_t val_size)
{
    size_t kl = strlen(key);
    for (const char *t = text; *t;) {
        while (*t == ' ')
            t++;
        const char *e = strchr(t, ' ');
        size_t len = e ? (size_t)(e - t) : strlen(t);
        if (len > kl && strncmp(t, key, kl) == 0 && t[kl] == '=') {
            if (len - kl - 1 >= val_size)
                return -1;
            memcpy(val, t + kl + 1, len - kl - 1);
            val[len - kl - 1] = '\0';
            return 1;
        }
        t += len;
    }
    return 0;
}

static int int_token(const char *text, const char *key, int64_t min, int64_t *out, int *bad)
{
    char v[32];
    int r = token(text, key, v, sizeof(v));
    if (r == 0)
        return 0;
    if (r < 0 || parse_int64(v, min, INT64_MAX, out) != 0) {
        *bad = 1;
        return 0;
    }
    return 1;
}

int proc_progress_parse(const char *text, proc_progress *p, char *errstr, size_t errstr_size)
{
    *p = (proc_progress){1, INT64_MIN, 0, -1, INT64_MIN};
    int bad = 0;
    int64_t v;
    if (int_token(text, "v", 1, &v, &bad))
        p->version = v > 1000 ? 1000 : (int)v;
    if (int_token(text, "wm", INT64_MIN, &v, &bad))
        p->wm = v;
    if (int_token(text, "seq", 0, &v, &bad))
        p->seq = (uint64_t)v;
    if (int_token(text, "next", 0, &v, &bad))
        p->next = v;
    if (int_token(text, "rwm", INT64_MIN, &v, &bad))
        p->rwm = v;
    if (bad)
        return set_err(errstr, errstr_size, "malformed progress metadata '%.100s'", text);
    return 0;
}

int wm_steps_note(wm_steps *s, int64_t offset, int64_t wm)
{
    int dropped = 0;
    while (s->n > 0 && s->v[s->n - 1].offset > offset)
        s->n--;
    if (s->n > 0 && s->v[s->n - 1].offset == offset) {
        s->v[s->n - 1].wm = wm;
    } else {
        if (s->n == WM_STEPS_MAX) {
            memmove(s->v, s->v + 1, (s->n - 1) * sizeof(wm_step));
            s->n--;
            dropped = 1;
        }
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 8;
            s->v = xrealloc(s->v, s->cap * sizeof(wm_step));
        }
        s->v[s->n++] = (wm_step){offset, wm};
    }
    s->done = s->n;
    return dropped;
}

void wm_steps_forget_before(wm_steps *s, int64_t offset, int64_t own_wm)
{
    if (s->n > 0 && s->done == s->n && s->v[s->n - 1].offset == offset &&
        s->v[s->n - 1].wm <= own_wm)
        s->done = --s->n;
}

int wm_steps_due(wm_steps *s, int64_t offset, int64_t *wm)
{
    if (s->done >= s->n || s->v[s->done].offset > offset)
        return 0;
    *wm = s->v[s->done++].wm;
    return 1;
}

void wm_steps_all_made(wm_steps *s)
{
    s->done = s->n;
}

void wm_steps_drop_through(wm_steps *s, int64_t offset)
{
    size_t k = 0;
    while (k < s->n && (offset < 0 || s->v[k].offset <= offset))
        k++;
    if (k == 0)
        return;
    memmove(s->v, s->v + k, (s->n - k) * sizeof(wm_step));
    s->n -= k;
    s->done = s->done > k ? s->done - k : 0;
}

void wm_steps_format(const wm_steps *s, buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < s->n; i++)
        buf_printf(out, "%s%" PRId64 ":%" PRId64, i ? "," : "adv=", s->v[i].offset, s->v[i].wm);
}

int wm_steps_parse(wm_steps *s, const char *text, char *errstr, size_t errstr_size)
{
    s->n = s->done = 0;
    const char *t = text;
    while (*t && !(strncmp(t, "adv=", 4) == 0 && (t == text || t[-1] == ' ')))
        t++;
    if (!*t)
        return 0;
    t += 4;
    if (!*t || *t == ' ')
        goto bad;
    while (*t && *t != ' ') {
        char num[2][24];
        for (int f = 0; f < 2; f++) {
            size_t len = strcspn(t, f ? ", " : ":, ");
            if (len == 0 || len >= sizeof(num[f]) || (f == 0 && t[len] != ':'))
                goto bad;
            memcpy(num[f], t, len);
            num[f][len] = '\0';
            t += len + (f == 0);
        }
        int64_t off, wm;
        if (parse_int64(num[0], 0, INT64_MAX, &off) != 0 ||
            parse_int64(num[1], INT64_MIN, INT64_MAX, &wm) != 0 ||
            (s->n > 0 && off <= s->v[s->n - 1].offset))
            goto bad;
        wm_steps_note(s, off, wm);
        if (*t == ',' && (t[1] == '\0' || t[1] == ' '))
            goto bad;
        if (*t == ',')
            t++;
    }
    s->done = 0;
    return 0;
bad:
    s->n = s->done = 0;
    return set_err(errstr, errstr_size, "malformed watermark steps in '%.100s'", text);
}

void wm_steps_free(wm_steps *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}
