#include "cmd.h"
#include "base/log.h"
#include <getopt.h>
#include <signal.h>

#define KILL_USAGE "[--all] ID [SIGNAL]"

int cmd_kill(struct cmd_ctx *c, int argc, char **argv)
{
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { 0 } };
        bool all = false;
        int o;
        while ((o = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
                if (o != 'a')
                        return cmd_usage("kill", KILL_USAGE);
                all = true;
        }
        if (optind != argc - 1 && optind != argc - 2)
                return cmd_usage("kill", KILL_USAGE);
        const char *id = argv[optind];
        int sig = SIGTERM;
        if (optind == argc - 2) {
                sig = rt_signal_parse(argv[optind + 1]);
                if (sig < 0) {
                        log_error("kill: unknown signal \"%s\"", argv[optind + 1]);
                        return 1;
                }
        }
        cella_error *err = NULL;
        return rt_kill(&c->opts, id, sig, all, &err) < 0 ? cmd_fail(err) : 0;
}
