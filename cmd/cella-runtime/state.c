#include "cmd.h"
#include <getopt.h>

int cmd_state(struct cmd_ctx *c, int argc, char **argv)
{
        if (getopt_long(argc, argv, "", (struct option[]){ { 0 } }, NULL) != -1)
                return cmd_usage("state", "ID");
        const char *id = cmd_id_arg(argc, argv, "state", "ID");
        if (!id)
                return 1;
        cella_error *err = NULL;
        json_t *j = NULL;
        if (rt_get_state(&c->opts, id, &j, &err) < 0)
                return cmd_fail(err);
        cmd_print_json(j, true);
        json_decref(j);
        return 0;
}
