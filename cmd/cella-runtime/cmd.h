/* cella-runtime verbs: each parses its own flags and calls src/runtime. */
#pragma once
#include <stdbool.h>
#include "base/error.h"
#include "runtime/runtime.h"

struct cmd_ctx {
        rt_opts opts;
        bool debug;
};

/* Each returns the process exit code. */
int cmd_create(struct cmd_ctx *c, int argc, char **argv);
int cmd_start(struct cmd_ctx *c, int argc, char **argv);
int cmd_run(struct cmd_ctx *c, int argc, char **argv);
int cmd_state(struct cmd_ctx *c, int argc, char **argv);
int cmd_kill(struct cmd_ctx *c, int argc, char **argv);
int cmd_delete(struct cmd_ctx *c, int argc, char **argv);
int cmd_exec(struct cmd_ctx *c, int argc, char **argv);
int cmd_list(struct cmd_ctx *c, int argc, char **argv);
int cmd_ps(struct cmd_ctx *c, int argc, char **argv);
int cmd_spec(struct cmd_ctx *c, int argc, char **argv);
int cmd_features(struct cmd_ctx *c, int argc, char **argv);
int cmd_pause(struct cmd_ctx *c, int argc, char **argv);
int cmd_resume(struct cmd_ctx *c, int argc, char **argv);
int cmd_update(struct cmd_ctx *c, int argc, char **argv);
int cmd_events(struct cmd_ctx *c, int argc, char **argv);

/* Log err (or msg) and return 1. */
int cmd_fail(cella_error *err);
int cmd_usage(const char *verb, const char *usage);
/* Print a JSON value to stdout, indented, with a newline. */
void cmd_print_json(json_t *j, bool indent);
/* --preserve-fds N: a count of at most 1024. Logs and returns -EINVAL when bad. */
int cmd_parse_preserve(const char *arg, unsigned *ret);
/* The one positional id, after the flags. */
const char *cmd_id_arg(int argc, char **argv, const char *verb, const char *usage);
