#include "cmd.h"
#include "base/log.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_list(struct cmd_ctx *c, int argc, char **argv)
{
        static const struct option opts[] = {
                { "quiet", no_argument, NULL, 'q' }, { "format", required_argument, NULL, 'f' }, { 0 } };
        bool quiet = false, as_json = false;
        int o;
        while ((o = getopt_long(argc, argv, "qf:", opts, NULL)) != -1) {
                if (o == 'q')
                        quiet = true;
                else if (o == 'f' && (streq(optarg, "json") || streq(optarg, "table")))
                        as_json = streq(optarg, "json");
                else
                        return cmd_usage("list", "[-q] [--format table|json]");
        }
        cella_error *err = NULL;
        json_t *arr = NULL;
        if (rt_list(&c->opts, &arr, &err) < 0)
                return cmd_fail(err);
        size_t i;
        json_t *s;
        if (as_json)
                cmd_print_json(arr, false);
        else if (quiet)
                json_array_foreach(arr, i, s) printf("%s\n", json_string_value(json_object_get(s, "id")));
        else {
                printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
                json_array_foreach(arr, i, s) {
                        printf("%-20s %-8lld %-10s %-40s %-30s %s\n", json_string_value(json_object_get(s, "id")),
                               json_integer_value(json_object_get(s, "pid")),
                               json_string_value(json_object_get(s, "status")),
                               json_string_value(json_object_get(s, "bundle")),
                               json_string_value(json_object_get(s, "created")) ?: "",
                               json_string_value(json_object_get(s, "owner")) ?: "");
                }
        }
        json_decref(arr);
        return 0;
}
