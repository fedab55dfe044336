/* fuzz_progress.c - libFuzzer target over progress.c: any text as the processor's offset
 * metadata or changelog progress record is read or refused without a crash; what is read formats
 * to text that reads back the same; steps read have increasing offsets and are all still to make.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* metadata and records are read as C strings */
    char err[256];
    proc_progress p, q;
    if (proc_progress_parse(text, &p, err, sizeof(err)) == 0) {
        char out[PROC_PROGRESS_MAX];
        proc_progress_format(&p, out, sizeof(out));
        if (proc_progress_parse(out, &q, err, sizeof(err)) != 0 || q.wm != p.wm || q.seq != p.seq ||
            q.next != p.next || q.rwm != p.rwm)
            abort();
    }
    wm_steps s = {0}, t = {0};
    buf b = {0};
    if (wm_steps_parse(&s, text, err, sizeof(err)) == 0) {
        if (s.done != 0)
            abort();
        for (size_t i = 1; i < s.n; i++)
            if (s.v[i].offset <= s.v[i - 1].offset)
                abort();
        wm_steps_format(&s, &b);
        if (wm_steps_parse(&t, b.data ? b.data : "", err, sizeof(err)) != 0 || t.n != s.n ||
            (s.n && memcmp(t.v, s.v, s.n * sizeof(wm_step)) != 0))
            abort();
        if (s.n)
            wm_steps_drop_through(&s, s.v[s.n / 2].offset);
    } else if (s.n != 0) {
        abort();
    }
    wm_steps_free(&s);
    wm_steps_free(&t);
    buf_release(&b);
    free(text);
    return 0;
}
