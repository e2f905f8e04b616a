#include "cmd.h"
#include "base/json.h"
#include "base/log.h"
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Writes config.json in the bundle (default: the current directory), like
 * runc spec; refuses to overwrite an existing one. */
int cmd_spec(struct cmd_ctx *c, int argc, char **argv)
{
        enum { OPT_ROOTLESS = 256 };
        static const struct option opts[] = {
                { "rootless", no_argument, NULL, OPT_ROOTLESS }, { "bundle", required_argument, NULL, 'b' }, { 0 } };
        bool rootless = false;
        const char *bundle = ".";
        int o;
        while ((o = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
                if (o == OPT_ROOTLESS)
                        rootless = true;
                else if (o == 'b')
                        bundle = optarg;
                else
                        return cmd_usage("spec", "[--rootless] [--bundle DIR]");
        }
        if (optind != argc)
                return cmd_usage("spec", "[--rootless] [--bundle DIR]");
        char path[4200];
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        struct stat st;
        if (stat(path, &st) == 0) {
                log_error("spec: %s already exists; remove it first", path);
                return 1;
        }
        json_t *j = oci_spec_default(rootless, getuid(), getgid());
        if (!j) {
                log_error("spec: out of memory");
                return 1;
        }
        char *text = json_dumps(j, JSON_INDENT(8));
        json_decref(j);
        FILE *f = text ? fopen(path, "wex") : NULL;
        if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0) {
                log_error("spec: write %s: %m", path);
                if (f)
                        fclose(f);
                free(text);
                return 1;
        }
        free(text);
        return fclose(f) == 0 ? 0 : 1;
}
