/* cgroupsPath resolution (runc's cgroupfs rules) and systemd slices. */
#include "tap.h"
#include "cgroup/cgroup-internal.h"
#include <stdlib.h>

static char *res(const char *path, const char *id, const char *own)
{
        char *out = NULL;
        cella_error *err = NULL;
        if (cg_resolve_path(path, id, own, &out, &err) < 0) {
                printf("# error: %s\n", err ? err->msg : "?");
                err_free(err);
                return NULL;
        }
        return out;
}

#define CHECK(path, id, own, want)                                              \
        do {                                                                    \
                char *got = res(path, id, own);                                 \
                EQ_S(got, want, "resolve " #path " " #id " " #own);             \
                free(got);                                                      \
        } while (0)

static void refused(const char *path, const char *id, const char *needle)
{
        char *out = NULL;
        cella_error *err = NULL;
        int r = cg_resolve_path(path, id, "/", &out, &err);
        OK(r < 0 && err && strstr(err->msg, needle), "refuse %s/%s: %s", path ? path : "(null)", id ? id : "(null)",
           err ? err->msg : "(accepted)");
        free(out);
        err_free(err);
}

int main(void)
{
        CHECK("/cella/abc", "abc", "/user.slice", "/cella/abc");
        CHECK("/cella//abc/", "abc", "/", "/cella/abc");
        CHECK("/a/./b", "x", "/", "/a/b");
        CHECK("cella/abc", "abc", "/user.slice/session-1.scope", "/user.slice/session-1.scope/cella/abc");
        CHECK("abc", "abc", "/", "/abc");
        CHECK(NULL, "abc", "/machine", "/machine/abc");
        CHECK("", "abc", "/", "/abc");
        CHECK(NULL, "abc", NULL, "/abc");
        CHECK("system.slice:docker:abc", "abc", "/", "/system.slice/docker-abc.scope");
        CHECK(":cella:abc", "abc", "/", "/system.slice/cella-abc.scope");
        CHECK("user-1000.slice:libpod:abc", "abc", "/", "/user.slice/user-1000.slice/libpod-abc.scope");
        CHECK("machine.slice::abc", "abc", "/", "/machine.slice/abc.scope");
        CHECK("a-b-c.slice:p:n", "n", "/", "/a.slice/a-b.slice/a-b-c.slice/p-n.scope");
        CHECK("system.slice:p:my.slice", "n", "/", "/system.slice/my.slice");
        refused("/a/../b", "x", "\"..\"");
        refused("../x", "x", "\"..\"");
        refused("/", "x", "root cgroup");
        refused(NULL, "a/b", "container id");
        refused(NULL, "..", "container id");
        refused("bad:slice:x", "x", "slice");
        refused("a--b.slice:p:x", "x", "slice");
        refused("system.slice:p:../x", "x", "unit name");
        refused("a:b:c:d", "x", "slice:prefix:name");

        char m1[] = "/sys/fs/cgroup/cpu", r1[] = "/", r2[] = "/docker/xyz";
        cg_hier h = { .mnt = m1, .root = r1 };
        char *p = NULL;
        OK(cg_fs_path(&h, "/cella/abc", &p) == 0, "fs path");
        EQ_S(p, "/sys/fs/cgroup/cpu/cella/abc", "mount root /");
        free(p);
        cg_hier h2 = { .mnt = m1, .root = r2 };
        OK(cg_fs_path(&h2, "/docker/xyz/inner", &p) == 0, "fs path sub-mount");
        EQ_S(p, "/sys/fs/cgroup/cpu/inner", "own path under the mount's root is relative to it");
        free(p);
        OK(cg_fs_path(&h2, "/other", &p) == 0, "fs path sub-mount abs");
        EQ_S(p, "/sys/fs/cgroup/cpu/other", "absolute path joins the visible root");
        free(p);
        return tap_done();
}
