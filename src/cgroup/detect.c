/* Layout detection: which cgroup hierarchies this mount namespace has,
 * from /proc/self/mountinfo (read once per process, then cached). */
#include "cgroup-internal.h"
#include "base/fileio.h"
#include "base/macros.h"
#include <fcntl.h>
#include <pthread.h>
#include <string.h>

const char *const cg_ctl_v1_names[CG_CTL__COUNT] = {
        [CG_CTL_CPU] = "cpu", [CG_CTL_CPUACCT] = "cpuacct", [CG_CTL_CPUSET] = "cpuset",
        [CG_CTL_MEMORY] = "memory", [CG_CTL_DEVICES] = "devices", [CG_CTL_FREEZER] = "freezer",
        [CG_CTL_BLKIO] = "blkio", [CG_CTL_PIDS] = "pids", [CG_CTL_HUGETLB] = "hugetlb",
        [CG_CTL_NET_CLS] = "net_cls", [CG_CTL_NET_PRIO] = "net_prio",
        [CG_CTL_PERF_EVENT] = "perf_event", [CG_CTL_RDMA] = "rdma", [CG_CTL_MISC] = "misc",
};

const char *cg_layout_name(enum cg_layout l)
{
        switch (l) {
        case CG_LAYOUT_V2: return "v2";
        case CG_LAYOUT_V1: return "v1";
        case CG_LAYOUT_HYBRID: return "hybrid";
        case CG_LAYOUT_NONE: break;
        }
        return "none";
}

const char *cg_ctl_v2_name(enum cg_ctl c)
{
        switch (c) {
        case CG_CTL_CPU: case CG_CTL_CPUACCT: return "cpu";
        case CG_CTL_BLKIO: return "io";
        case CG_CTL_CPUSET: case CG_CTL_MEMORY: case CG_CTL_PIDS: case CG_CTL_HUGETLB:
        case CG_CTL_RDMA: case CG_CTL_MISC: case CG_CTL_PERF_EVENT:
                return cg_ctl_v1_names[c];
        default:
                return NULL;
        }
}

int cg_ctl_from_v1_name(const char *name)
{
        for (int c = 0; c < CG_CTL__COUNT; c++)
                if (streq(cg_ctl_v1_names[c], name))
                        return c;
        return -1;
}

int cg_ctl_from_v2_name(const char *name)
{
        if (streq(name, "io"))
                return CG_CTL_BLKIO;
        for (int c = 0; c < CG_CTL__COUNT; c++) {
                const char *n = cg_ctl_v2_name(c);
                if (n && streq(n, name))
                        return c;
        }
        return -1;
}

unsigned cg_parse_v2_controllers(const char *text)
{
        unsigned bits = 0;
        char word[64];
        const char *p = text;
        while (*p) {
                p += strspn(p, " \t\n");
                size_t n = strcspn(p, " \t\n");
                if (n == 0)
                        break;
                if (n < sizeof(word)) {
                        memcpy(word, p, n);
                        word[n] = '\0';
                        int c = cg_ctl_from_v2_name(word);
                        if (c >= 0)
                                bits |= CG_BIT(c);
                        if (c == CG_CTL_CPU)
                                bits |= CG_BIT(CG_CTL_CPUACCT);
                }
                p += n;
        }
        return bits;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
        char *w = s;
        for (char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 3;
                } else
                        *w++ = *r;
        }
        *w = '\0';
}

/* Controllers named in a v1 superblock option list ("rw,cpu,cpuacct"). */
static unsigned v1_opts(const char *opts, bool *named_systemd)
{
        unsigned bits = 0;
        _cleanup_free_ char *copy = strdup(opts);
        if (!copy)
                return 0;
        char *save = NULL;
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                int c = cg_ctl_from_v1_name(o);
                if (c >= 0)
                        bits |= CG_BIT(c);
                else if (streq(o, "name=systemd"))
                        *named_systemd = true;
        }
        return bits;
}

typedef struct mnt_entry {
        const char *root, *mnt, *fstype, *super;
        unsigned long id, parent;
} mnt_entry;

/* Visible: nothing is mounted on top of it (a child mount on the same
 * path: a tmpfs over the memory hierarchy, a new /sys/fs/cgroup over the
 * old one) and its parent is visible. mountinfo's order is not mount
 * order once mounts have been moved, so the parent ids decide. */
static bool visible(const mnt_entry *e, size_t n, size_t i)
{
        size_t from = n;        /* the child we came up through covers its parent legitimately */
        for (size_t hops = 0; hops < 256; hops++) {
                size_t par = n;
                for (size_t k = 0; k < n; k++) {
                        if (k != i && k != from && e[k].parent == e[i].id && streq(e[k].mnt, e[i].mnt))
                                return false;
                        if (k != i && e[k].id == e[i].parent)
                                par = k;
                }
                if (par == n)
                        return true;
                from = i;
                i = par;
        }
        return false;
}

static void hier_done(cg_hier *h)
{
        free(h->mnt);
        free(h->root);
        free(h->own);
}

void cg_host_free(cg_host *h)
{
        if (!h)
                return;
        for (size_t i = 0; i < h->n_v1; i++)
                hier_done(&h->v1[i]);
        free(h->v1);
        if (h->v2)
                hier_done(h->v2);
        free(h->v2);
        free(h);
}

/* Find the caller's cgroup for a hierarchy in /proc/self/cgroup text. */
static char *own_cgroup(const char *proc_cgroup, const cg_hier *h)
{
        const char *line = proc_cgroup;
        while (line && *line) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                _cleanup_free_ char *l = strndup(line, len);
                line = end ? end + 1 : NULL;
                if (!l)
                        return NULL;
                char *c1 = strchr(l, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c1 = *c2 = '\0';
                const char *ctls = c1 + 1, *path = c2 + 1;
                if (h->v2) {
                        if (streq(l, "0") && *ctls == '\0')
                                return strdup(path);
                        continue;
                }
                bool named = false;
                unsigned bits = v1_opts(ctls, &named);
                if (bits == h->ctls && named == h->named_systemd && (bits || named))
                        return strdup(path);
        }
        return NULL;
}

int cg_host_parse(const char *mountinfo, const char *proc_cgroup, cg_host **ret, cella_error **err)
{
        _cleanup_free_ mnt_entry *ents = NULL;
        size_t n = 0, cap = 0;
        _cleanup_free_ char *text = strdup(mountinfo);
        if (!text)
                return err_set(err, ENOMEM, "mountinfo");
        char *save = NULL;
        unsigned lineno = 0;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                lineno++;
                char *f[64];
                size_t nf = 0;
                char *s2 = NULL;
                for (char *t = strtok_r(line, " ", &s2); t && nf < ARRAY_SIZE(f); t = strtok_r(NULL, " ", &s2))
                        f[nf++] = t;
                size_t dash = 0;
                for (size_t i = 6; i < nf; i++)
                        if (streq(f[i], "-")) {
                                dash = i;
                                break;
                        }
                if (dash == 0 || dash + 1 >= nf)
                        return err_setx(err, EINVAL, "/proc/self/mountinfo:%u: malformed line", lineno);
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        if (cap > 1u << 20)
                                return err_setx(err, E2BIG, "/proc/self/mountinfo: too many mounts");
                        mnt_entry *ne = realloc(ents, cap * sizeof(*ents));
                        if (!ne)
                                return err_set(err, ENOMEM, "mountinfo");
                        ents = ne;
                }
                unescape(f[3]);
                unescape(f[4]);
                ents[n++] = (mnt_entry){ f[3], f[4], f[dash + 1], dash + 3 < nf ? f[dash + 3] : "",
                                         strtoul(f[0], NULL, 10), strtoul(f[1], NULL, 10) };
        }

        cg_host *h = calloc(1, sizeof(*h));
        if (!h)
                return err_set(err, ENOMEM, "mountinfo");
        h->v1 = calloc(CG_MAX_HIER, sizeof(*h->v1));
        if (!h->v1) {
                cg_host_free(h);
                return err_set(err, ENOMEM, "mountinfo");
        }
        unsigned seen = 0;
        bool seen_systemd = false;
        for (size_t i = 0; i < n; i++) {
                bool v2 = streq(ents[i].fstype, "cgroup2"), v1 = streq(ents[i].fstype, "cgroup");
                if (!v1 && !v2)
                        continue;
                if (!visible(ents, n, i))
                        continue;
                cg_hier hh = { 0 };
                hh.v2 = v2;
                if (v1) {
                        hh.ctls = v1_opts(ents[i].super, &hh.named_systemd);
                        /* One hierarchy per controller set: skip bind mounts of one seen. */
                        if ((hh.ctls & seen) || (!hh.ctls && (!hh.named_systemd || seen_systemd)))
                                continue;
                        if (h->n_v1 >= CG_MAX_HIER)
                                continue;
                } else if (h->v2)
                        continue;
                hh.mnt = strdup(ents[i].mnt);
                hh.root = strdup(ents[i].root);
                if (!hh.mnt || !hh.root) {
                        hier_done(&hh);
                        cg_host_free(h);
                        return err_set(err, ENOMEM, "mountinfo");
                }
                hh.own = own_cgroup(proc_cgroup ? proc_cgroup : "", &hh);
                if (v2) {
                        h->v2 = malloc(sizeof(*h->v2));
                        if (!h->v2) {
                                hier_done(&hh);
                                cg_host_free(h);
                                return err_set(err, ENOMEM, "mountinfo");
                        }
                        *h->v2 = hh;
                } else {
                        seen |= hh.ctls;
                        seen_systemd |= hh.named_systemd;
                        h->v1[h->n_v1++] = hh;
                }
        }
        if (seen && h->v2)
                h->layout = CG_LAYOUT_HYBRID;
        else if (seen)
                h->layout = CG_LAYOUT_V1;
        else if (h->v2)
                h->layout = CG_LAYOUT_V2;
        else
                h->layout = CG_LAYOUT_NONE;
        *ret = h;
        return 0;
}

static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static cg_host *host_cached;

void cg_host_set_own(cg_host *h, const char *proc_cgroup)
{
        for (size_t i = 0; i < h->n_v1; i++) {
                free(h->v1[i].own);
                h->v1[i].own = own_cgroup(proc_cgroup, &h->v1[i]);
        }
        if (h->v2) {
                free(h->v2->own);
                h->v2->own = own_cgroup(proc_cgroup, h->v2);
        }
}

static bool own_loaded;

/* /proc/self/cgroup is read only when a path is relative to the caller's
 * cgroup: reading it takes cgroup_mutex, which a busy host holds for ms. */
int cg_host_get(const cg_host **ret, bool with_own, cella_error **err)
{
        int r = 0;
        pthread_mutex_lock(&host_lock);
        if (!host_cached) {
                _cleanup_free_ char *mi = NULL;
                r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", 16u << 20, &mi, NULL);
                if (r < 0) {
                        r = err_set(err, -r, "read /proc/self/mountinfo");
                        goto out;
                }
                cg_host *h = NULL;
                if ((r = cg_host_parse(mi, NULL, &h, err)) < 0)
                        goto out;
                if (h->v2) {
                        _cleanup_close_ int fd = open(h->v2->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        _cleanup_free_ char *ctl = NULL;
                        if (fd >= 0 && read_file_at(fd, "cgroup.controllers", 4096, &ctl, NULL) == 0)
                                h->v2->ctls = cg_parse_v2_controllers(ctl);
                }
                host_cached = h;
        }
        if (with_own && !own_loaded) {
                _cleanup_free_ char *pc = NULL;
                r = read_file_at(AT_FDCWD, "/proc/self/cgroup", 1u << 20, &pc, NULL);
                if (r < 0) {
                        r = err_set(err, -r, "read /proc/self/cgroup");
                        goto out;
                }
                cg_host_set_own(host_cached, pc);
                own_loaded = true;
        }
        *ret = host_cached;
out:
        pthread_mutex_unlock(&host_lock);
        return r < 0 ? r : 0;
}

int cg_detect(enum cg_layout *ret, cella_error **err)
{
        const cg_host *h;
        int r = cg_host_get(&h, false, err);
        if (r < 0)
                return r;
        *ret = h->layout;
        return 0;
}
