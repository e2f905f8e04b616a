#include "cmd.h"
#include "base/log.h"
#include <getopt.h>
#include <string.h>

#define EXEC_USAGE "[-d] [-t] [--process FILE | ID CMD [ARGS...]] [--pid-file F] [--console-socket S] " \
                   "[--env K=V] [--cwd DIR] [--user UID[:GID]] [--cap CAP] ID"

/* Without --process, the process is the container's own (env, user, cwd,
 * capabilities, no_new_privs, rlimits) with the flags' changes, as runc does. */
static json_t *process_from_flags(struct cmd_ctx *c, const char *id, char **args, int nargs, json_t *env,
                                  const char *cwd, const char *user, json_t *caps, bool tty, bool nnp,
                                  cella_error **err)
{
        json_t *cfg = NULL;
        if (rt_container_config(&c->opts, id, &cfg, err) < 0)
                return NULL;
        json_t *proc = json_deep_copy(json_object_get(cfg, "process"));
        json_decref(cfg);
        if (!json_is_object(proc)) {
                json_decref(proc);
                proc = json_object();
        }
        json_t *a = json_array();
        for (int i = 0; i < nargs; i++)
                json_array_append_new(a, json_string(args[i]));
        json_object_set_new(proc, "args", a);
        json_object_set_new(proc, "terminal", json_boolean(tty));
        json_object_del(proc, "consoleSize");
        json_t *e = json_object_get(proc, "env");
        if (!json_is_array(e)) {
                e = json_array();
                json_object_set_new(proc, "env", e);
        }
        json_array_extend(e, env);
        if (cwd)
                json_object_set_new(proc, "cwd", json_string(cwd));
        if (!json_object_get(proc, "cwd"))
                json_object_set_new(proc, "cwd", json_string("/"));
        if (user) {
                unsigned uid = 0, gid = 0;
                int n = sscanf(user, "%u:%u", &uid, &gid);
                if (n < 1) {
                        err_setx(err, EINVAL, "--user %s: expected UID[:GID] (numbers)", user);
                        json_decref(proc);
                        return NULL;
                }
                json_object_set_new(proc, "user", json_pack("{s:i, s:i}", "uid", (int)uid, "gid", (int)gid));
        }
        if (nnp)
                json_object_set_new(proc, "noNewPrivileges", json_true());
        if (json_array_size(caps)) {
                json_t *cs = json_object_get(proc, "capabilities");
                if (!json_is_object(cs)) {
                        cs = json_object();
                        json_object_set_new(proc, "capabilities", cs);
                }
                const char *sets[] = { "bounding", "effective", "permitted" };
                for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
                        json_t *set = json_object_get(cs, sets[i]);
                        if (!json_is_array(set)) {
                                set = json_array();
                                json_object_set_new(cs, sets[i], set);
                        }
                        json_array_extend(set, caps);
                }
        }
        return proc;
}

int cmd_exec(struct cmd_ctx *c, int argc, char **argv)
{
        enum { OPT_PID = 256, OPT_CONSOLE, OPT_CWD, OPT_NNP, OPT_IGNORED, OPT_IGNORED_ARG, OPT_PRESERVE };
        static const struct option opts[] = {
                { "detach", no_argument, NULL, 'd' },
                { "tty", no_argument, NULL, 't' },
                { "process", required_argument, NULL, 'p' },
                { "pid-file", required_argument, NULL, OPT_PID },
                { "console-socket", required_argument, NULL, OPT_CONSOLE },
                { "env", required_argument, NULL, 'e' },
                { "cwd", required_argument, NULL, OPT_CWD },
                { "user", required_argument, NULL, 'u' },
                { "cap", required_argument, NULL, 'c' },
                { "no-new-privs", no_argument, NULL, OPT_NNP },
                { "additional-gids", required_argument, NULL, OPT_IGNORED_ARG },
                { "process-label", required_argument, NULL, OPT_IGNORED_ARG },
                { "apparmor", required_argument, NULL, OPT_IGNORED_ARG },
                { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
                { "ignore-paused", no_argument, NULL, OPT_IGNORED },
                { 0 },
        };
        const char *process_file = NULL, *cwd = NULL, *user = NULL;
        bool tty = false, nnp = false;
        json_t *env = json_array(), *caps = json_array();
        int o;
        while ((o = getopt_long(argc, argv, "+dtp:e:u:c:", opts, NULL)) != -1) {
                switch (o) {
                case 'd': c->opts.detach = true; break;
                case 't': tty = true; break;
                case 'p': process_file = optarg; break;
                case OPT_PID: c->opts.pid_file = optarg; break;
                case OPT_CONSOLE: c->opts.console_socket = optarg; break;
                case 'e': json_array_append_new(env, json_string(optarg)); break;
                case OPT_CWD: cwd = optarg; break;
                case 'u': user = optarg; break;
                case 'c': json_array_append_new(caps, json_string(optarg)); break;
                case OPT_NNP: nnp = true; break;
                case OPT_PRESERVE:
                        if (cmd_parse_preserve(optarg, &c->opts.preserve_fds) < 0) {
                                json_decref(env);
                                json_decref(caps);
                                return 1;
                        }
                        break;
                case OPT_IGNORED:
                case OPT_IGNORED_ARG: break;
                default:
                        json_decref(env);
                        json_decref(caps);
                        return cmd_usage("exec", EXEC_USAGE);
                }
        }
        if (optind >= argc || (!process_file && optind + 1 >= argc)) {
                json_decref(env);
                json_decref(caps);
                return cmd_usage("exec", EXEC_USAGE);
        }
        const char *id = argv[optind];
        cella_error *err = NULL;
        oci_config *holder = NULL;
        int r;
        if (process_file)
                r = rt_process_load(process_file, &holder, &err);
        else {
                json_t *proc = process_from_flags(c, id, argv + optind + 1, argc - optind - 1, env, cwd, user,
                                                  caps, tty, nnp, &err);
                r = proc ? rt_process_from_json("exec", proc, &holder, &err) : -EINVAL;
                json_decref(proc);
        }
        json_decref(env);
        json_decref(caps);
        if (r < 0)
                return cmd_fail(err);
        int status = 0;
        r = rt_exec(&c->opts, id, &holder->process, &status, &err);
        oci_config_free(holder);
        if (r < 0)
                return cmd_fail(err);
        return status;
}
