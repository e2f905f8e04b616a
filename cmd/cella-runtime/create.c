#include "cmd.h"
#include <getopt.h>

#define CREATE_USAGE "[--bundle DIR] [--pid-file FILE] [--console-socket PATH] [--no-pivot] ID"

/* Shared by create and run: -b/--bundle, --pid-file, --console-socket, --no-pivot. */
int cmd_parse_create(struct cmd_ctx *c, int argc, char **argv, const char *verb, bool run,
                     const char **ret_bundle, const char **ret_id);

int cmd_parse_create(struct cmd_ctx *c, int argc, char **argv, const char *verb, bool run,
                     const char **ret_bundle, const char **ret_id)
{
        enum { OPT_PID = 256, OPT_CONSOLE, OPT_NOPIVOT, OPT_IGNORED, OPT_IGNORED_ARG, OPT_KEEP, OPT_PRESERVE };
        static const struct option opts[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "pid-file", required_argument, NULL, OPT_PID },
                { "console-socket", required_argument, NULL, OPT_CONSOLE },
                { "no-pivot", no_argument, NULL, OPT_NOPIVOT },
                { "detach", no_argument, NULL, 'd' },
                { "keep", no_argument, NULL, OPT_KEEP },
                { "no-new-keyring", no_argument, NULL, OPT_IGNORED },
                { "no-subreaper", no_argument, NULL, OPT_IGNORED },
                { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
                { 0 },
        };
        const char *bundle = ".";
        int o;
        while ((o = getopt_long(argc, argv, run ? "b:d" : "b:", opts, NULL)) != -1) {
                switch (o) {
                case 'b': bundle = optarg; break;
                case 'd': c->opts.detach = true; break;
                case OPT_KEEP: c->opts.keep = true; break;
                case OPT_PID: c->opts.pid_file = optarg; break;
                case OPT_CONSOLE: c->opts.console_socket = optarg; break;
                case OPT_NOPIVOT: c->opts.no_pivot = true; break;
                case OPT_PRESERVE:
                        if (cmd_parse_preserve(optarg, &c->opts.preserve_fds) < 0)
                                return 1;
                        break;
                case OPT_IGNORED:
                case OPT_IGNORED_ARG: break;
                default: return cmd_usage(verb, CREATE_USAGE);
                }
        }
        const char *id = cmd_id_arg(argc, argv, verb, CREATE_USAGE);
        if (!id)
                return 1;
        *ret_bundle = bundle;
        *ret_id = id;
        return 0;
}

int cmd_create(struct cmd_ctx *c, int argc, char **argv)
{
        const char *bundle, *id;
        if (cmd_parse_create(c, argc, argv, "create", false, &bundle, &id))
                return 1;
        cella_error *err = NULL;
        if (rt_create(&c->opts, id, bundle, &err) < 0)
                return cmd_fail(err);
        return 0;
}
