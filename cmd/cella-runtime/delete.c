#include "cmd.h"
#include <getopt.h>

int cmd_delete(struct cmd_ctx *c, int argc, char **argv)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
        bool force = false;
        int o;
        while ((o = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
                if (o != 'f')
                        return cmd_usage("delete", "[--force] ID");
                force = true;
        }
        const char *id = cmd_id_arg(argc, argv, "delete", "[--force] ID");
        if (!id)
                return 1;
        cella_error *err = NULL;
        return rt_delete(&c->opts, id, force, &err) < 0 ? cmd_fail(err) : 0;
}
