#include "cmd.h"
#include <getopt.h>

static int pause_or_resume(struct cmd_ctx *c, int argc, char **argv, const char *verb, bool pause)
{
        if (getopt_long(argc, argv, "", (struct option[]){ { 0 } }, NULL) != -1)
                return cmd_usage(verb, "ID");
        const char *id = cmd_id_arg(argc, argv, verb, "ID");
        if (!id)
                return 1;
        cella_error *err = NULL;
        return rt_pause(&c->opts, id, pause, &err) < 0 ? cmd_fail(err) : 0;
}

int cmd_pause(struct cmd_ctx *c, int argc, char **argv) { return pause_or_resume(c, argc, argv, "pause", true); }
int cmd_resume(struct cmd_ctx *c, int argc, char **argv) { return pause_or_resume(c, argc, argv, "resume", false); }
