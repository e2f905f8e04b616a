#include "cmd.h"

int cmd_parse_create(struct cmd_ctx *c, int argc, char **argv, const char *verb, bool run,
                     const char **ret_bundle, const char **ret_id);

int cmd_run(struct cmd_ctx *c, int argc, char **argv)
{
        const char *bundle, *id;
        if (cmd_parse_create(c, argc, argv, "run", true, &bundle, &id))
                return 1;
        cella_error *err = NULL;
        int status = 0;
        if (rt_run(&c->opts, id, bundle, &status, &err) < 0)
                return cmd_fail(err);
        return status;
}
