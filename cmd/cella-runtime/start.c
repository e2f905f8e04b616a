#include "cmd.h"
#include <getopt.h>

int cmd_start(struct cmd_ctx *c, int argc, char **argv)
{
        if (getopt_long(argc, argv, "", (struct option[]){ { 0 } }, NULL) != -1)
                return cmd_usage("start", "ID");
        const char *id = cmd_id_arg(argc, argv, "start", "ID");
        if (!id)
                return 1;
        cella_error *err = NULL;
        return rt_start(&c->opts, id, &err) < 0 ? cmd_fail(err) : 0;
}
