/* cgtool: drives src/cgroup for the integration tests, one verb per run;
 * the manager travels between runs as its JSON state (cg_to_json), the
 * way the runtime keeps it in a container's state.
 *
 *   cgtool detect
 *   cgtool create STATE PATH|- ID [CONFIG.json]     (prints cg_path)
 *   cgtool create-rootless STATE PATH|- ID [CONFIG.json]
 *   cgtool set STATE CONFIG.json
 *   cgtool run STATE [--clone3] -- CMD...            (waits, exits with CMD's status)
 *   cgtool spawn STATE [--clone3] -- CMD...          (prints the pid, does not wait)
 *   cgtool pids|stats|oom|frozen|destroy STATE
 *   cgtool kill STATE SIG
 *   cgtool freeze STATE 0|1
 *   cgtool bpf V2DIR CONFIG.json -- CMD...           (device program on a bare v2 dir, CMD inside)
 *   cgtool bpf-count V2DIR                           (device programs attached there)
 *
 * CONFIG.json is an OCI config (only linux.resources is used). */
#include "cgroup/cgroup.h"
#include "cgroup/cgroup-internal.h"
#include "base/fileio.h"
#include "base/macros.h"
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int fail(cella_error *err, const char *what)
{
        fprintf(stderr, "cgtool: %s: %s\n", what, err && err->msg ? err->msg : "failed");
        err_free(err);
        return 1;
}

static oci_config *load_config(const char *path)
{
        oci_config *c = NULL;
        cella_error *err = NULL;
        if (oci_config_load(path, &c, &err) < 0) {
                fail(err, path);
                exit(1);
        }
        return c;
}

static cg_manager *load_state(const char *path)
{
        json_error_t je;
        json_t *j = json_load_file(path, 0, &je);
        if (!j) {
                fprintf(stderr, "cgtool: %s: %s\n", path, je.text);
                exit(1);
        }
        cg_manager *m = NULL;
        cella_error *err = NULL;
        int r = cg_from_json(j, &m, &err);
        json_decref(j);
        if (r < 0) {
                fail(err, path);
                exit(1);
        }
        return m;
}

static int detect(void)
{
        const cg_host *h;
        cella_error *err = NULL;
        if (cg_host_get(&h, true, &err) < 0)
                return fail(err, "detect");
        json_t *v1 = json_array();
        for (size_t i = 0; i < h->n_v1; i++) {
                json_t *c = json_array();
                for (int k = 0; k < CG_CTL__COUNT; k++)
                        if (h->v1[i].ctls & CG_BIT(k))
                                json_array_append_new(c, json_string(cg_ctl_v1_names[k]));
                json_array_append_new(v1, json_pack("{s:s, s:o, s:b, s:s?}", "mnt", h->v1[i].mnt, "controllers", c,
                                                    "systemd", h->v1[i].named_systemd, "own", h->v1[i].own));
        }
        json_t *v2 = json_null();
        if (h->v2) {
                json_t *c = json_array();
                for (int k = 0; k < CG_CTL__COUNT; k++)
                        if (h->v2->ctls & CG_BIT(k))
                                json_array_append_new(c, json_string(cg_ctl_v1_names[k]));
                v2 = json_pack("{s:s, s:o, s:s?}", "mnt", h->v2->mnt, "controllers", c, "own", h->v2->own);
        }
        json_t *o = json_pack("{s:s, s:o, s:o}", "layout", cg_layout_name(h->layout), "v1", v1, "v2", v2);
        json_dumpf(o, stdout, JSON_INDENT(1));
        printf("\n");
        json_decref(o);
        return 0;
}

static int save(cg_manager *m, const char *path)
{
        json_t *j = cg_to_json(m);
        int r = j ? json_dump_file(j, path, JSON_COMPACT) : -1;
        json_decref(j);
        if (r < 0)
                fprintf(stderr, "cgtool: write %s failed\n", path);
        return r < 0 ? 1 : 0;
}

static pid_t start(cg_manager *m, bool use_clone3, bool detach, char **argv)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        pid_t pid;
        bool in_v2 = false;
        if (use_clone3 && cg_clone_fd(m) >= 0) {
                struct clone_args a;
                memset(&a, 0, sizeof(a));
                a.flags = CLONE_INTO_CGROUP;
                a.exit_signal = SIGCHLD;
                a.cgroup = (uint64_t)cg_clone_fd(m);
                pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
                in_v2 = true;
        } else
                pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                char c;
                close(p[1]);
                if (read(p[0], &c, 1) != 1)
                        _exit(126);
                if (detach) {
                        /* Nothing of the caller's pipes: its reader sees EOF when cgtool exits. */
                        int nul = open("/dev/null", O_RDWR);
                        if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
                                _exit(126);
                        setsid();
                }
                execvp(argv[0], argv);
                _exit(127);
        }
        close(p[0]);
        cella_error *err = NULL;
        if (cg_attach(m, pid, in_v2, &err) < 0) {
                fail(err, "attach");
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return -1;
        }
        if (write(p[1], "x", 1) != 1)
                return -1;
        close(p[1]);
        return pid;
}

static int wait_exit(pid_t pid)
{
        int st;
        if (waitpid(pid, &st, 0) < 0)
                return 125;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int bpf_run(const char *dir, const char *cfg, char **argv)
{
        oci_config *c = load_config(cfg);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cella_error *err = NULL;
        if (fd < 0) {
                perror(dir);
                return 1;
        }
        const oci_resources *r = &c->linux_.resources;
        if (cg_bpf_devices_apply(fd, r->devices, r->n_devices, &err) < 0)
                return fail(err, "bpf");
        oci_config_free(c);
        pid_t pid = fork();
        if (pid == 0) {
                if (write_str_at(fd, "cgroup.procs", "0") < 0)
                        _exit(126);
                execvp(argv[0], argv);
                _exit(127);
        }
        return wait_exit(pid);
}

static int bpf_count(const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint32_t ids[64];
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.query.target_fd = (uint32_t)fd;
        a.query.attach_type = BPF_CGROUP_DEVICE;
        a.query.prog_ids = (uint64_t)(uintptr_t)ids;
        a.query.prog_cnt = 64;
        if (fd < 0 || syscall(SYS_bpf, BPF_PROG_QUERY, &a, sizeof(a)) < 0) {
                perror("bpf query");
                return 1;
        }
        printf("%u\n", a.query.prog_cnt);
        return 0;
}

static char **after_dashes(int argc, char **argv, int from, bool *clone3)
{
        for (int i = from; i < argc; i++) {
                if (streq(argv[i], "--clone3") && clone3)
                        *clone3 = true;
                else if (streq(argv[i], "--") && i + 1 < argc)
                        return &argv[i + 1];
        }
        fprintf(stderr, "cgtool: missing -- CMD\n");
        exit(2);
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IONBF, 0);
        if (argc < 2) {
                fprintf(stderr, "usage: see the comment at the top of cgtool.c\n");
                return 2;
        }
        const char *verb = argv[1];
        cella_error *err = NULL;
        if (streq(verb, "detect"))
                return detect();
        if (argc < 3)
                return 2;
        if (streq(verb, "bpf-count"))
                return bpf_count(argv[2]);
        if (streq(verb, "bpf") && argc >= 4)
                return bpf_run(argv[2], argv[3], after_dashes(argc, argv, 4, NULL));
        bool rootless = streq(verb, "create-rootless");
        if ((streq(verb, "create") || rootless) && argc >= 5) {
                oci_config *c = argc >= 6 ? load_config(argv[5]) : NULL;
                cg_manager *m = NULL;
                const char *path = streq(argv[3], "-") ? NULL : argv[3];
                int r = cg_create(path, argv[4], c ? &c->linux_.resources : NULL, rootless, &m, &err);
                oci_config_free(c);
                if (r < 0)
                        return fail(err, "create");
                printf("%s\n", cg_path(m));
                r = save(m, argv[2]);
                cg_free(m);
                return r;
        }
        cg_manager *m = load_state(argv[2]);
        int ret = 0;
        if (streq(verb, "set") && argc >= 4) {
                oci_config *c = load_config(argv[3]);
                if (cg_set(m, &c->linux_.resources, &err) < 0)
                        ret = fail(err, "set");
                oci_config_free(c);
        } else if (streq(verb, "run") || streq(verb, "spawn")) {
                bool c3 = false;
                char **cmd = after_dashes(argc, argv, 3, &c3);
                pid_t pid = start(m, c3, streq(verb, "spawn"), cmd);
                if (pid < 0)
                        ret = 1;
                else if (streq(verb, "run"))
                        ret = wait_exit(pid);
                else
                        printf("%d\n", (int)pid);
        } else if (streq(verb, "pids")) {
                pid_t *p = NULL;
                size_t n = 0;
                if (cg_pids(m, &p, &n, &err) < 0)
                        ret = fail(err, "pids");
                for (size_t i = 0; i < n; i++)
                        printf("%d\n", (int)p[i]);
                free(p);
        } else if (streq(verb, "kill") && argc >= 4) {
                if (cg_kill_all(m, atoi(argv[3]), &err) < 0)
                        ret = fail(err, "kill");
        } else if (streq(verb, "freeze") && argc >= 4) {
                if (cg_freeze(m, streq(argv[3], "1"), &err) < 0)
                        ret = fail(err, "freeze");
        } else if (streq(verb, "frozen")) {
                bool f = false;
                if (cg_is_frozen(m, &f, &err) < 0)
                        ret = fail(err, "frozen");
                else
                        printf("%d\n", f);
        } else if (streq(verb, "stats")) {
                json_t *s = NULL;
                if (cg_stats(m, &s, &err) < 0)
                        ret = fail(err, "stats");
                else {
                        json_dumpf(s, stdout, JSON_COMPACT);
                        printf("\n");
                        json_decref(s);
                }
        } else if (streq(verb, "oom")) {
                uint64_t n = 0;
                if (cg_oom_kills(m, &n, &err) < 0)
                        ret = fail(err, "oom");
                else
                        printf("%llu\n", (unsigned long long)n);
        } else if (streq(verb, "destroy")) {
                if (cg_destroy(m, &err) < 0)
                        ret = fail(err, "destroy");
        } else {
                fprintf(stderr, "cgtool: unknown verb or missing arguments: %s\n", verb);
                ret = 2;
        }
        cg_free(m);
        return ret;
}
