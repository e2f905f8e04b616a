#include "state.h"
#include "runtime.h"
#include "base/fileio.h"
#include "base/json.h"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

const char *rt_status_name(enum rt_status s)
{
        static const char *const names[] = { "creating", "created", "running", "stopped", "paused" };
        return names[s];
}

int rt_id_validate(const char *id, cella_error **err)
{
        size_t len = strlen(id);
        if (len == 0)
                return err_setx(err, EINVAL, "container id is empty");
        if (len > 1024)
                return err_setx(err, EINVAL, "container id is longer than 1024 bytes");
        if (streq(id, ".") || streq(id, ".."))
                return err_setx(err, EINVAL, "invalid container id \"%s\"", id);
        for (const char *p = id; *p; p++) {
                unsigned char c = *p;
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                          c == '.' || c == '_' || c == '-' || c == '+';
                if (!ok) {
                        if (c < 0x20 || c == 0x7f)
                                return err_setx(err, EINVAL, "invalid container id: control character 0x%02x at byte %zu",
                                                c, (size_t)(p - id));
                        return err_setx(err, EINVAL, "invalid container id \"%s\": character '%c' is not allowed "
                                        "(letters, digits and . _ - + only)", id, c);
                }
        }
        return 0;
}

int rt_root_open(const char *root, bool create, int *ret_fd, cella_error **err)
{
        if (create) {
                int r = mkdir_p(root, 0700);
                if (r < 0)
                        return err_set(err, -r, "create state root %s", root);
        }
        int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return err_set(err, errno, "open state root %s", root);
        *ret_fd = fd;
        return 0;
}

void rt_state_free(rt_state *s)
{
        if (!s)
                return;
        free(s->id);
        free(s->bundle);
        free(s->rootfs);
        free(s->created);
        free(s->owner);
        json_decref(s->annotations);
        json_decref(s->cgroup);
        json_decref(s->hooks);
        free(s);
}

int rt_state_load(int root_fd, const char *id, rt_state **ret, cella_error **err)
{
        int r = rt_id_validate(id, err);
        if (r < 0)
                return r;
        char rel[1200];
        snprintf(rel, sizeof(rel), "%s/%s", id, RT_STATE_FILE);
        _cleanup_free_ char *buf = NULL;
        size_t len;
        r = read_file_at(root_fd, rel, 1 << 20, &buf, &len);
        if (r == -ENOENT) {
                struct stat st;
                if (fstatat(root_fd, id, &st, 0) < 0)
                        return err_setx(err, ENOENT, "container \"%s\" does not exist", id);
                return err_setx(err, ENOENT, "container \"%s\": state file is missing", id);
        }
        if (r < 0)
                return err_set(err, -r, "container \"%s\": cannot read state file", id);
        json_t *j = NULL;
        r = json_load_buffer(RT_STATE_FILE, buf, len, &j, err);
        if (r < 0)
                return err_wrap(err, "container \"%s\": corrupt state", id);
        rt_state *s = calloc(1, sizeof(*s));
        if (!s) {
                json_decref(j);
                return err_setx(err, ENOMEM, "out of memory");
        }
        const char *sid = NULL, *bundle = NULL, *rootfs = NULL, *created = NULL, *owner = NULL;
        json_int_t pid = 0, start = 0;
        json_error_t je;
        if (json_unpack_ex(j, &je, 0, "{s:s, s:s, s?s, s:I, s:I, s?s, s?s, s?b, s?b}",
                           "id", &sid, "bundle", &bundle, "rootfs", &rootfs, "pid", &pid,
                           "pid_start", &start, "created", &created, "owner", &owner,
                           "started", &s->started, "no_pivot", &s->no_pivot) < 0) {
                json_decref(j);
                free(s);
                return err_setx(err, EINVAL, "container \"%s\": corrupt state: %s", id, je.text);
        }
        s->id = strdup(sid);
        s->bundle = strdup(bundle);
        s->rootfs = rootfs ? strdup(rootfs) : NULL;
        s->created = created ? strdup(created) : NULL;
        s->owner = owner ? strdup(owner) : NULL;
        s->pid = (pid_t)pid;
        s->pid_start = (uint64_t)start;
        s->annotations = json_incref(json_object_get(j, "annotations"));
        s->cgroup = json_incref(json_object_get(j, "cgroup"));
        s->hooks = json_incref(json_object_get(j, "hooks"));
        json_decref(j);
        *ret = s;
        return 0;
}

int rt_state_save(int root_fd, const rt_state *s, cella_error **err)
{
        json_t *j = json_pack("{s:s, s:s, s:s?, s:I, s:I, s:s?, s:s?, s:b, s:b}",
                              "id", s->id, "bundle", s->bundle, "rootfs", s->rootfs,
                              "pid", (json_int_t)s->pid, "pid_start", (json_int_t)s->pid_start,
                              "created", s->created, "owner", s->owner ? s->owner : "",
                              "started", s->started, "no_pivot", s->no_pivot);
        if (!j)
                return err_setx(err, ENOMEM, "out of memory");
        if (s->annotations)
                json_object_set(j, "annotations", s->annotations);
        if (s->cgroup)
                json_object_set(j, "cgroup", s->cgroup);
        if (s->hooks)
                json_object_set(j, "hooks", s->hooks);
        _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!text)
                return err_setx(err, ENOMEM, "out of memory");
        char rel[1200], tmp[1300];
        snprintf(rel, sizeof(rel), "%s/%s", s->id, RT_STATE_FILE);
        snprintf(tmp, sizeof(tmp), "%s.tmp", rel);
        int r = write_file_at(root_fd, tmp, text, strlen(text), O_CREAT | O_TRUNC, 0600);
        if (r >= 0 && renameat(root_fd, tmp, root_fd, rel) < 0)
                r = NEG_ERRNO();
        if (r < 0) {
                unlinkat(root_fd, tmp, 0);
                return err_set(err, -r, "write state of container \"%s\"", s->id);
        }
        return 0;
}

uint64_t rt_proc_start_time(pid_t pid)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        /* comm may hold spaces and parentheses: fields start after the last ')'. */
        char *p = strrchr(buf, ')');
        if (!p || p[1] != ' ')
                return 0;
        char state = p[2];
        if (state == 'Z' || state == 'X')
                return 0;
        p += 2;
        for (int field = 3; field < 22 && p; field++) {
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        return p ? strtoull(p, NULL, 10) : 0;
}

enum rt_status rt_state_status(int root_fd, const rt_state *s, const cg_manager *cg)
{
        if (s->pid <= 0 || rt_proc_start_time(s->pid) != s->pid_start)
                return RT_STOPPED;
        if (!s->started) {
                char rel[1200];
                snprintf(rel, sizeof(rel), "%s/%s", s->id, RT_FIFO_FILE);
                if (faccessat(root_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                        return RT_CREATED;
        }
        bool frozen = false;
        if (cg && cg_is_frozen(cg, &frozen, NULL) == 0 && frozen)
                return RT_PAUSED;
        return RT_RUNNING;
}

json_t *rt_state_to_oci(const rt_state *s, enum rt_status status)
{
        json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "ociVersion", "1.2.0", "id", s->id,
                              "status", rt_status_name(status), "bundle", s->bundle);
        if (!j)
                return NULL;
        if (status != RT_STOPPED)
                json_object_set_new(j, "pid", json_integer(s->pid));
        else
                json_object_set_new(j, "pid", json_integer(0));
        if (s->rootfs)
                json_object_set_new(j, "rootfs", json_string(s->rootfs));
        if (s->created)
                json_object_set_new(j, "created", json_string(s->created));
        json_object_set_new(j, "owner", json_string(s->owner ? s->owner : ""));
        json_object_set_new(j, "annotations", s->annotations ? json_incref(s->annotations) : json_object());
        return j;
}


const char *rt_root_path(const rt_opts *o)
{
        static char buf[4096];
        if (o->root)
                return o->root;
        if (geteuid() == 0)
                return RT_DEFAULT_ROOT;
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        if (xdg && *xdg)
                snprintf(buf, sizeof(buf), "%s/cella-runtime", xdg);
        else
                snprintf(buf, sizeof(buf), "/tmp/cella-runtime-%u", (unsigned)geteuid());
        return buf;
}
