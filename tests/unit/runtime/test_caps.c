/* Capabilities: in a forked child as root, prepare + apply with a given
 * set, then /proc/self/status must show exactly that set, and a dropped
 * capability's syscall must fail. Skipped (with the reason) when not root. */
#include "runtime/caps.h"
#include "tap.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int last_cap(void)
{
        FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        int v = 40;
        if (f) {
                if (fscanf(f, "%d", &v) != 1)
                        v = 40;
                fclose(f);
        }
        return v;
}

static uint64_t mask_of(const int *v, size_t n)
{
        uint64_t m = 0;
        for (size_t i = 0; i < n; i++)
                m |= UINT64_C(1) << v[i];
        return m;
}

/* CapBnd, CapEff, CapPrm, CapInh, CapAmb from /proc/self/status. */
struct status_caps { uint64_t bnd, eff, prm, inh, amb; };

static int read_status(struct status_caps *c)
{
        FILE *f = fopen("/proc/self/status", "re");
        if (!f)
                return -1;
        char line[256];
        int n = 0;
        unsigned long long v;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "CapBnd: %llx", &v) == 1) { c->bnd = v; n++; }
                else if (sscanf(line, "CapEff: %llx", &v) == 1) { c->eff = v; n++; }
                else if (sscanf(line, "CapPrm: %llx", &v) == 1) { c->prm = v; n++; }
                else if (sscanf(line, "CapInh: %llx", &v) == 1) { c->inh = v; n++; }
                else if (sscanf(line, "CapAmb: %llx", &v) == 1) { c->amb = v; n++; }
        }
        fclose(f);
        return n == 5 ? 0 : -1;
}

/* Docker's 14 */
static int docker14[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
                          CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
                          CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE };
static int no_chown[] = { CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_SETUID, CAP_SETGID, CAP_KILL };
static int amb2[] = { CAP_NET_BIND_SERVICE, CAP_KILL };
static int inh2[] = { CAP_NET_BIND_SERVICE, CAP_KILL, CAP_CHOWN };

#define CAPS(b, e, p, i, a) (oci_caps){ .present = true, \
        .bounding = b, .n_bounding = sizeof(b) / sizeof(int), .effective = e, .n_effective = sizeof(e) / sizeof(int), \
        .permitted = p, .n_permitted = sizeof(p) / sizeof(int), .inheritable = i, .n_inheritable = sizeof(i) / sizeof(int), \
        .ambient = a, .n_ambient = sizeof(a) / sizeof(int) }

static int child_fd = -1;       /* where a child writes its error message */

/* Run fn in a child; the child's error text comes back through a pipe. */
static int in_child(int (*fn)(const void *), const void *arg, char *msg, size_t msglen)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -1;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                close(pfd[0]);
                child_fd = pfd[1];
                _exit(fn(arg));
        }
        close(pfd[1]);
        memset(msg, 0, msglen);
        (void)!read(pfd[0], msg, msglen - 1);
        close(pfd[0]);
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}


static void report(const cella_error *err)
{
        if (err && child_fd >= 0)
                (void)!write(child_fd, err->msg, strlen(err->msg));
}

struct case_arg { oci_caps caps; uid_t uid; const char *file; };

/* prepare; optionally switch uid (keeping caps); apply; compare status. */
static int child_apply_and_check(const void *p)
{
        const struct case_arg *a = p;
        cella_error *err = NULL;
        if (rt_caps_prepare(&a->caps, &err) < 0) {
                report(err);
                return 10;
        }
        if (a->uid && (setresgid(a->uid, a->uid, a->uid) < 0 || setresuid(a->uid, a->uid, a->uid) < 0))
                return 11;
        if (rt_caps_apply(&a->caps, &err) < 0) {
                report(err);
                return 12;
        }
        struct status_caps s;
        if (read_status(&s) < 0)
                return 13;
        uint64_t all = (UINT64_C(2) << last_cap()) - 1;
        if (s.bnd != (mask_of(a->caps.bounding, a->caps.n_bounding) & all))
                return 14;
        if (s.eff != mask_of(a->caps.effective, a->caps.n_effective))
                return 15;
        if (s.prm != mask_of(a->caps.permitted, a->caps.n_permitted))
                return 16;
        if (s.inh != mask_of(a->caps.inheritable, a->caps.n_inheritable))
                return 17;
        if (s.amb != mask_of(a->caps.ambient, a->caps.n_ambient))
                return 18;
        if (prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
                return 19;
        if (a->file) {
                /* chown to another owner: needs CAP_CHOWN */
                errno = 0;
                int r = chown(a->file, 1234, 1234);
                int has = (int)((s.eff >> CAP_CHOWN) & 1);
                if (has ? r != 0 : !(r == -1 && errno == EPERM))
                        return 20;
        }
        return 0;
}

static int child_ambient_subset(const void *p)
{
        const struct case_arg *a = p;
        cella_error *err = NULL;
        if (rt_caps_prepare(&a->caps, &err) < 0 || rt_caps_apply(&a->caps, &err) < 0) {
                report(err);
                return 10;
        }
        struct status_caps s;
        if (read_status(&s) < 0)
                return 13;
        return s.amb == (UINT64_C(1) << CAP_NET_BIND_SERVICE) ? 0 : 18;
}

static int child_expect_error(const void *p)
{
        const struct case_arg *a = p;
        cella_error *err = NULL;
        int r = rt_caps_prepare(&a->caps, &err);
        if (r >= 0)
                r = rt_caps_apply(&a->caps, &err);
        report(err);
        return r < 0 ? 0 : 1;
}

/* The runtime itself lacks CAP_SYS_NICE: granting it must say so. */
static int child_grant_missing(const void *p)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) < 0 || prctl(PR_CAPBSET_DROP, CAP_SYS_NICE, 0, 0, 0) < 0)
                return 100;
        d[0].permitted &= ~(1u << CAP_SYS_NICE);
        d[0].effective &= ~(1u << CAP_SYS_NICE);
        if (syscall(SYS_capset, &h, d) < 0)
                return 101;
        return child_expect_error(p);
}

int main(void)
{
        if (geteuid() != 0) {
                skip("capabilities: needs root (capset/bounding-set changes in a forked child)");
                return tap_done();
        }
        char msg[512];
        char file[] = "/tmp/cella-caps-test.XXXXXX";
        int fd = mkstemp(file);
        if (fd < 0)
                return 1;
        close(fd);

        struct case_arg a = { .caps = CAPS(docker14, docker14, docker14, docker14, amb2), .file = file };
        int r = in_child(child_apply_and_check, &a, msg, sizeof(msg));
        ok(r == 0, "Docker's 14 + ambient NET_BIND_SERVICE,KILL as root: status matches, chown works (%d %s)",
           r, msg);

        a = (struct case_arg){ .caps = CAPS(docker14, no_chown, no_chown, no_chown, no_chown), .file = file };
        r = in_child(child_apply_and_check, &a, msg, sizeof(msg));
        ok(r == 0, "without CAP_CHOWN: status matches, chown fails with EPERM (%d %s)", r, msg);

        a = (struct case_arg){ .caps = CAPS(docker14, amb2, docker14, inh2, amb2), .uid = 1000 };
        r = in_child(child_apply_and_check, &a, msg, sizeof(msg));
        ok(r == 0, "uid switch to 1000 between prepare and apply keeps permitted; ambient raised (%d %s)", r, msg);

        a = (struct case_arg){ .caps = CAPS(no_chown, no_chown, no_chown, no_chown, no_chown), .uid = 1000,
                               .file = file };
        r = in_child(child_apply_and_check, &a, msg, sizeof(msg));
        ok(r == 0, "uid 1000, small bounding set: status matches, chown EPERM (%d %s)", r, msg);

        /* Ambient caps that are not both permitted and inheritable are
         * skipped, as runc and crun do (runc's `spec` lists ambient caps
         * with no inheritable set): KILL stays out, NET_BIND_SERVICE is raised. */
        static int inh_nbs[] = { CAP_NET_BIND_SERVICE };
        a = (struct case_arg){ .caps = CAPS(docker14, docker14, docker14, inh_nbs, amb2) };
        r = in_child(child_ambient_subset, &a, msg, sizeof(msg));
        ok(r == 0, "ambient not inheritable: skipped like runc/crun, the rest raised (%d %s)", r, msg);

        a = (struct case_arg){ .caps = CAPS(docker14, docker14, no_chown, no_chown, no_chown) };
        r = in_child(child_expect_error, &a, msg, sizeof(msg));
        ok(r == 0 && strstr(msg, "effective: CAP_CHOWN is not in the permitted set"),
           "effective not permitted: error names it (%s)", msg);

        static int nice[] = { CAP_SYS_NICE };
        a = (struct case_arg){ .caps = CAPS(docker14, nice, nice, nice, nice) };
        a.caps.n_ambient = 0;
        r = in_child(child_grant_missing, &a, msg, sizeof(msg));
        ok(r == 0 && strstr(msg, "cannot grant CAP_SYS_NICE"), "a capability the runtime lacks: error names it (%s)",
           msg);

        /* Absent capabilities: nothing changes. */
        struct status_caps before, after;
        oci_caps none = { 0 };
        ok(read_status(&before) == 0 && rt_caps_prepare(&none, NULL) == 0 && rt_caps_apply(&none, NULL) == 0 &&
           rt_caps_prepare(NULL, NULL) == 0 && read_status(&after) == 0 &&
           memcmp(&before, &after, sizeof(before)) == 0, "absent capabilities: no change");
        unlink(file);
        return tap_done();
}
