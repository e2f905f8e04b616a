/* cella-runtime: an OCI runtime command line, a drop-in for runc and crun. */
#include "cmd.h"
#include "base/log.h"
#include "runtime/sealed_exe.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const struct verb {
        const char *name;
        int (*fn)(struct cmd_ctx *, int, char **);
        const char *help;
} verbs[] = {
        { "create", cmd_create, "create a container" },
        { "start", cmd_start, "start a created container" },
        { "run", cmd_run, "create and start a container" },
        { "state", cmd_state, "print the state of a container" },
        { "kill", cmd_kill, "send a signal to a container's init (or all its processes)" },
        { "delete", cmd_delete, "delete a container" },
        { "exec", cmd_exec, "run a new process in a container" },
        { "list", cmd_list, "list containers" },
        { "ps", cmd_ps, "list the processes in a container" },
        { "spec", cmd_spec, "write a new config.json" },
        { "features", cmd_features, "print the features this runtime supports" },
        { "pause", cmd_pause, "freeze every process of a container" },
        { "resume", cmd_resume, "thaw a paused container" },
        { "update", cmd_update, "change a container's resource limits" },
        { "events", cmd_events, "print a container's events and stats" },
};

int cmd_fail(cella_error *err)
{
        log_error("%s", err && err->msg ? err->msg : "unknown error");
        err_free(err);
        return 1;
}

int cmd_usage(const char *verb, const char *usage)
{
        log_error("%s: usage: cella-runtime %s %s", verb, verb, usage);
        return 1;
}

void cmd_print_json(json_t *j, bool indent)
{
        char *s = json_dumps(j, indent ? JSON_INDENT(2) : JSON_COMPACT);
        if (s) {
                fputs(s, stdout);
                fputc('\n', stdout);
                free(s);
        }
}

int cmd_parse_preserve(const char *arg, unsigned *ret)
{
        char *end;
        errno = 0;
        unsigned long n = strtoul(arg, &end, 10);
        if (errno || end == arg || *end || n > 1024 || arg[0] == '-') {
                log_error("--preserve-fds %s: expected a count of fds (0..1024)", arg);
                return -EINVAL;
        }
        *ret = (unsigned)n;
        return 0;
}

const char *cmd_id_arg(int argc, char **argv, const char *verb, const char *usage)
{
        if (optind != argc - 1) {
                cmd_usage(verb, usage);
                return NULL;
        }
        return argv[optind];
}

static void usage(FILE *f)
{
        fprintf(f, "usage: cella-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND [ARGS]\n\n"
                   "An OCI runtime (runtime-spec 1.2), a drop-in for runc and crun.\n\ncommands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
                fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].help);
}

int main(int argc, char **argv)
{
        struct cmd_ctx c = { 0 };
        const char *log_path = NULL, *log_format = "text";
        enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_IGNORED, OPT_IGNORED_ARG, OPT_VERSION };
        static const struct option opts[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "log", required_argument, NULL, OPT_LOG },
                { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
                { "debug", no_argument, NULL, OPT_DEBUG },
                { "systemd-cgroup", no_argument, NULL, OPT_IGNORED },
                { "rootless", required_argument, NULL, OPT_IGNORED_ARG },
                { "criu", required_argument, NULL, OPT_IGNORED_ARG },
                { "cgroup-manager", required_argument, NULL, OPT_IGNORED_ARG },
                { "version", no_argument, NULL, OPT_VERSION },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int o;
        while ((o = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
                switch (o) {
                case OPT_ROOT: c.opts.root = optarg; break;
                case OPT_LOG: log_path = optarg; break;
                case OPT_LOG_FORMAT: log_format = optarg; break;
                case OPT_DEBUG: c.debug = true; break;
                case OPT_IGNORED:
                case OPT_IGNORED_ARG: break;
                case 'v':
                case OPT_VERSION:
                        printf("cella-runtime version %s\nspec: 1.2.0\n", CELLA_VERSION);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 1;
                }
        }
        if (!streq(log_format, "text") && !streq(log_format, "json")) {
                fprintf(stderr, "cella-runtime: --log-format %s: must be text or json\n", log_format);
                return 1;
        }
        if (log_open("cella-runtime", log_path, streq(log_format, "json"), c.debug) < 0) {
                fprintf(stderr, "cella-runtime: --log %s: %m\n", log_path);
                return 1;
        }
        if (optind >= argc) {
                usage(stderr);
                return 1;
        }
        const char *verb = argv[optind];
        /* Verbs that put a process into a container run from a sealed copy
         * of this binary (see sealed_exe.h). */
        if (streq(verb, "create") || streq(verb, "run") || streq(verb, "exec")) {
                int r = rt_reexec_sealed(argv);
                if (r < 0)
                        log_warn("cannot re-exec from a sealed copy (%s): the container could reach this binary",
                                 strerror(-r));
        }
        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
                if (streq(verbs[i].name, verb)) {
                        int vargc = argc - optind;
                        char **vargv = argv + optind;
                        optind = 0; /* 0: glibc re-initialises getopt (permutation mode too) */
                        log_debug("%s", verb);
                        return verbs[i].fn(&c, vargc, vargv);
                }
        }
        log_error("unknown command \"%s\" (see cella-runtime --help)", verb);
        return 1;
}
