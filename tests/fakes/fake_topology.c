/* The fake NVML's topology file parser (format: docs/gpu.md). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_nvml.h"

#define MAX_LINE 1024
#define MAX_WORDS 16

typedef struct parser {
        const char *path;
        int line;
} parser;

static int fail(const parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const parser *p, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "fake_nvml: %s:%d: ", p->path, p->line);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return -1;
}

/* Split a line into words; "double quoted" runs may hold spaces (the quotes
 * go). Returns the word count or -1. */
static int split(char *s, char **words)
{
        int n = 0;
        while (*s) {
                while (isspace((unsigned char)*s))
                        s++;
                if (!*s || *s == '#')
                        break;
                if (n == MAX_WORDS)
                        return -1;
                words[n++] = s;
                char *out = s;
                bool quoted = false;
                while (*s && (quoted || !isspace((unsigned char)*s))) {
                        if (*s == '"')
                                quoted = !quoted;
                        else
                                *out++ = *s;
                        s++;
                }
                if (quoted)
                        return -1;
                if (*s)
                        s++;
                *out = '\0';
        }
        return n;
}

static bool parse_long(const char *s, long lo, long hi, long *ret)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 0);
        if (errno || end == s || *end || v < lo || v > hi)
                return false;
        *ret = v;
        return true;
}

static bool copy(char *dst, size_t len, const char *src)
{
        if (strlen(src) >= len)
                return false;
        strcpy(dst, src);
        return true;
}

/* "none"/"unsupported" -> -1, else a number in [0, hi]. */
static bool parse_optional(const char *s, long hi, int *ret)
{
        long v;
        if (streq(s, "none") || streq(s, "unsupported")) {
                *ret = -1;
                return true;
        }
        if (!parse_long(s, 0, hi, &v))
                return false;
        *ret = (int)v;
        return true;
}

static int parse_gpu(const parser *p, fake_topology *t, char **w, int n)
{
        long idx;
        if (n < 2 || !parse_long(w[1], 0, FAKE_MAX_GPUS - 1, &idx))
                return fail(p, "gpu: expected an index from 0 to %d", FAKE_MAX_GPUS - 1);
        if (idx != t->n_gpus)
                return fail(p, "gpu %ld: GPUs must be listed in order, expected gpu %d", idx, t->n_gpus);
        fake_gpu *g = &t->gpus[t->n_gpus];
        *g = (fake_gpu){ .index = (int)idx, .minor = (int)idx, .numa = -1, .mig = -1, .nvlinks = FAKE_MAX_LINKS };
        snprintf(g->uuid, sizeof(g->uuid), "GPU-00000000-0000-0000-0000-%012ld", idx);
        snprintf(g->name, sizeof(g->name), "NVIDIA H200");
        snprintf(g->pci, sizeof(g->pci), "00000000:%02lX:00.0", 0x10 + idx);
        g->memory = 150754820096ULL;
        for (int i = 2; i < n; i++) {
                char *eq = strchr(w[i], '=');
                if (!eq)
                        return fail(p, "gpu %ld: expected key=value, got '%s'", idx, w[i]);
                *eq = '\0';
                const char *k = w[i], *v = eq + 1;
                long num = 0;
                bool ok;
                if (streq(k, "uuid"))
                        ok = copy(g->uuid, sizeof(g->uuid), v);
                else if (streq(k, "name"))
                        ok = copy(g->name, sizeof(g->name), v);
                else if (streq(k, "pci"))
                        ok = copy(g->pci, sizeof(g->pci), v);
                else if (streq(k, "memory")) {
                        char *end;
                        errno = 0;
                        unsigned long long m = strtoull(v, &end, 10);
                        if (streq(end, "MiB"))
                                m <<= 20, end += 3;
                        ok = !errno && end != v && !*end;
                        g->memory = m;
                } else if (streq(k, "minor"))
                        ok = parse_optional(v, 254, &g->minor);
                else if (streq(k, "numa"))
                        ok = parse_optional(v, 1023, &g->numa);
                else if (streq(k, "mig")) {
                        ok = true;
                        g->mig = streq(v, "on") ? 1 : streq(v, "off") ? 0 : -1;
                        if (g->mig < 0 && !streq(v, "unsupported"))
                                ok = false;
                } else if (streq(k, "nvlinks")) {
                        ok = parse_long(v, 0, FAKE_MAX_LINKS, &num);
                        g->nvlinks = (int)num;
                } else
                        return fail(p, "gpu %ld: unknown key '%s'", idx, k);
                if (!ok)
                        return fail(p, "gpu %ld: bad value for %s: '%s'", idx, k, v);
        }
        t->n_gpus++;
        return 0;
}

/* link GPU LINK gpu|switch REMOTE_PCI */
static int parse_link(const parser *p, fake_topology *t, char **w, int n)
{
        long gi, li;
        if (n != 5)
                return fail(p, "link: expected 'link GPU LINK gpu|switch REMOTE_PCI'");
        if (!parse_long(w[1], 0, t->n_gpus - 1, &gi))
                return fail(p, "link: GPU '%s' is not declared above", w[1]);
        fake_gpu *g = &t->gpus[gi];
        if (!parse_long(w[2], 0, g->nvlinks - 1, &li))
                return fail(p, "link: link '%s' is outside GPU %ld's %d links", w[2], gi, g->nvlinks);
        fake_link *l = &g->links[li];
        if (l->active)
                return fail(p, "link: GPU %ld link %ld given twice", gi, li);
        if (!streq(w[3], "gpu") && !streq(w[3], "switch"))
                return fail(p, "link: remote type must be gpu or switch, got '%s'", w[3]);
        l->to_switch = streq(w[3], "switch");
        if (!copy(l->remote_pci, sizeof(l->remote_pci), w[4]))
                return fail(p, "link: remote PCI bus id too long");
        l->active = true;
        return 0;
}

/* error FUNCTION INDEX|*|- CODE */
static int parse_error(const parser *p, fake_topology *t, char **w, int n)
{
        long idx = FAKE_ANY, code;
        if (n != 4)
                return fail(p, "error: expected 'error FUNCTION INDEX|*|- CODE'");
        if (t->n_errors == FAKE_MAX_ERRORS)
                return fail(p, "error: more than %d error lines", FAKE_MAX_ERRORS);
        if (strncmp(w[1], "nvml", 4) != 0)
                return fail(p, "error: '%s' is not an NVML function name", w[1]);
        if (!streq(w[2], "*") && !streq(w[2], "-") && !parse_long(w[2], 0, FAKE_MAX_GPUS - 1, &idx))
                return fail(p, "error: bad GPU index '%s'", w[2]);
        if (!parse_long(w[3], 1, 999, &code))
                return fail(p, "error: bad NVML code '%s' (1..999)", w[3]);
        fake_error *e = &t->errors[t->n_errors++];
        if (!copy(e->function, sizeof(e->function), w[1]))
                return fail(p, "error: function name too long");
        e->index = (int)idx;
        e->code = (nvmlReturn_t)code;
        return 0;
}

static int parse_line(const parser *p, fake_topology *t, char *line)
{
        char *w[MAX_WORDS];
        int n = split(line, w);
        long v;
        if (n < 0)
                return fail(p, "unbalanced quote or more than %d words", MAX_WORDS);
        if (n == 0)
                return 0;
        if (streq(w[0], "driver") && n == 2)
                return copy(t->driver, sizeof(t->driver), w[1]) ? 0 : fail(p, "driver: too long");
        if (streq(w[0], "nvml") && n == 2)
                return copy(t->nvml, sizeof(t->nvml), w[1]) ? 0 : fail(p, "nvml: too long");
        if (streq(w[0], "init") && n == 2) {
                if (!parse_long(w[1], 0, 999, &v))
                        return fail(p, "init: bad NVML code '%s'", w[1]);
                t->init_code = (nvmlReturn_t)v;
                return 0;
        }
        if (streq(w[0], "gpu"))
                return parse_gpu(p, t, w, n);
        if (streq(w[0], "link"))
                return parse_link(p, t, w, n);
        if (streq(w[0], "error"))
                return parse_error(p, t, w, n);
        return fail(p, "unknown or malformed line starting '%s'", w[0]);
}

int fake_topology_load(const char *path, fake_topology *t)
{
        memset(t, 0, sizeof(*t));
        strcpy(t->driver, "580.95.05");
        strcpy(t->nvml, "13.580.95.05");
        parser p = { .path = path, .line = 0 };
        FILE *f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "fake_nvml: %s: %s\n", path, strerror(errno));
                return -1;
        }
        char line[MAX_LINE];
        int r = 0;
        while (r == 0 && fgets(line, sizeof(line), f)) {
                p.line++;
                if (!strchr(line, '\n') && !feof(f))
                        r = fail(&p, "line longer than %d bytes", MAX_LINE - 2);
                else
                        r = parse_line(&p, t, line);
        }
        fclose(f);
        return r;
}
