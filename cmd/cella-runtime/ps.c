#include "cmd.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* Like runc: a table from `ps` filtered to the container's pids, or a JSON
 * array of pids. Extra arguments go to ps (default -ef). */
int cmd_ps(struct cmd_ctx *c, int argc, char **argv)
{
        static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { 0 } };
        bool as_json = false;
        int o;
        while ((o = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
                if (o != 'f')
                        return cmd_usage("ps", "[--format table|json] ID [PS-ARGS...]");
                as_json = streq(optarg, "json");
        }
        if (optind >= argc)
                return cmd_usage("ps", "[--format table|json] ID [PS-ARGS...]");
        const char *id = argv[optind];
        cella_error *err = NULL;
        pid_t *pids = NULL;
        size_t n = 0;
        if (rt_ps(&c->opts, id, &pids, &n, &err) < 0)
                return cmd_fail(err);
        if (as_json) {
                json_t *a = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(a, json_integer(pids[i]));
                cmd_print_json(a, false);
                json_decref(a);
                free(pids);
                return 0;
        }
        char cmd[1024] = "ps";
        size_t k = 2;
        if (optind + 1 >= argc)
                k += snprintf(cmd + k, sizeof(cmd) - k, " -ef");
        for (int i = optind + 1; i < argc && k < sizeof(cmd); i++)
                k += snprintf(cmd + k, sizeof(cmd) - k, " '%s'", argv[i]);
        FILE *p = popen(cmd, "re");
        if (!p) {
                free(pids);
                return 1;
        }
        char line[4096];
        int pid_col = -1;
        bool header = true;
        while (fgets(line, sizeof(line), p)) {
                if (header) {
                        /* Find the PID column in the header. */
                        char copy[4096];
                        snprintf(copy, sizeof(copy), "%s", line);
                        int col = 0;
                        for (char *save = NULL, *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
                                if (streq(t, "PID"))
                                        pid_col = col;
                        fputs(line, stdout);
                        header = false;
                        continue;
                }
                char copy[4096];
                snprintf(copy, sizeof(copy), "%s", line);
                int col = 0;
                for (char *save = NULL, *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++) {
                        if (col != pid_col)
                                continue;
                        long v = strtol(t, NULL, 10);
                        for (size_t i = 0; i < n; i++)
                                if (pids[i] == v)
                                        fputs(line, stdout);
                        break;
                }
        }
        pclose(p);
        free(pids);
        return 0;
}
