/* Every bad input issue 2 names for parsing gets its exact, clear error:
 * malformed JSON (file:line:column), a wrong type (JSON path), unknown
 * enumerated values (path and value), missing required fields, limits. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "oci/config.h"
#include "tap.h"

#define BASE "\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"rootfs\"}"

static const struct {
        const char *json, *msg;
} parse_cases[] = {
        /* Malformed JSON: file, line and column. */
        { "{\n  \"ociVersion\": \"1.0\",\n  \"root\": {\"path\": \"r\",}\n}",
          "config.json:3:24: string or '}' expected near '}'" },
        { "{\"ociVersion\": \"1.0\"", "config.json:1:20: '}' expected near end of file" },
        { "", "config.json:1:0: '[' or '{' expected near end of file" },
        { "{} x", "config.json:1:4: end of file expected near 'x'" },
        { "{\"a\": 1, \"a\": 2}", "config.json:1:12: duplicate object key near '\"a\"'" },
        { "{\"a\": \"x\\u0000y\"}", "config.json:1:16: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"x\\u0000y\"'" },
        { "[1]", "config.json: expected an object at the top level, got array" },
        /* Integers above INT64_MAX: fine in uint64 fields, errors elsewhere. */
        { "{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 18446744073709551616, \"hard\": 1}]}}",
          "config.json:1:79: too big integer near '18446744073709551616' (an integer above 2^64-1, or above 2^63-1 in a file that also has real numbers)" },
        { "{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 18446744073709551615, \"hard\": 1.5}]}}",
          "config.json:1:79: too big integer near '18446744073709551615' (an integer above 2^64-1, or above 2^63-1 in a file that also has real numbers)" },
        { "{\"process\": {\"oomScoreAdj\": 9223372036854775808}}",
          "config.json: process.oomScoreAdj: 9223372036854775808 out of range [-1000, 1000]" },
        { "{\"linux\": {\"resources\": {\"memory\": {\"limit\": 18446744073709551615}}}}",
          "config.json: linux.resources.memory.limit: 18446744073709551615 out of range [-1, 9223372036854775807]" },
        { "{\"hostname\": 18446744073709551615}", "config.json: hostname: expected string, got integer" },
        { "{\"hostname\": 1.0}", "config.json: hostname: expected string, got number" },
        { "{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 18446744073709551615, \"hard\": 1}]},\n\"x\": 18446744073709551615, \"y\": [}",
          "config.json:2:34: unexpected token near '}'" },
        /* Wrong types, named by JSON path. */
        { "{" BASE ", \"process\": {\"args\": [1]}}", "config.json: process.args[0]: expected string, got integer" },
        { "{" BASE ", \"process\": {\"args\": \"sh\"}}", "config.json: process.args: expected array, got string" },
        { "{\"ociVersion\": 1}", "config.json: ociVersion: expected string, got integer" },
        { "{" BASE ", \"process\": []}", "config.json: process: expected object, got array" },
        { "{" BASE ", \"process\": {\"terminal\": \"yes\"}}", "config.json: process.terminal: expected boolean, got string" },
        { "{" BASE ", \"process\": {\"user\": {\"uid\": 1.5}}}", "config.json: process.user.uid: expected integer, got number" },
        { "{" BASE ", \"process\": {\"user\": {\"uid\": -1}}}", "config.json: process.user.uid: -1 out of range [0, 4294967295]" },
        { "{" BASE ", \"process\": {\"user\": {\"additionalGids\": [1, \"2\"]}}}",
          "config.json: process.user.additionalGids[1]: expected integer, got string" },
        { "{" BASE ", \"process\": {\"oomScoreAdj\": 1001}}", "config.json: process.oomScoreAdj: 1001 out of range [-1000, 1000]" },
        { "{" BASE ", \"mounts\": [{\"destination\": \"/x\", \"options\": [\"ro\", true]}]}",
          "config.json: mounts[0].options[1]: expected string, got boolean" },
        { "{" BASE ", \"mounts\": [\"/x\"]}", "config.json: mounts[0]: expected object, got string" },
        { "{" BASE ", \"annotations\": {\"k\": 1}}", "config.json: annotations.k: expected string, got integer" },
        { "{" BASE ", \"linux\": {\"resources\": {\"memory\": {\"limit\": \"1G\"}}}}",
          "config.json: linux.resources.memory.limit: expected integer, got string" },
        { "{" BASE ", \"linux\": {\"resources\": {\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": -1}]}}}}",
          "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].rate: -1 out of range [0, 9223372036854775807]" },
        { "{" BASE ", \"hooks\": {\"poststop\": [{\"path\": \"/x\", \"timeout\": 0}]}}",
          "config.json: hooks.poststop[0].timeout: 0 out of range [1, 2147483647]" },
        { "{" BASE ", \"linux\": {\"sysctl\": {\"net.x\": 1}}}", "config.json: linux.sysctl.net.x: expected string, got integer" },
        /* Unknown enumerated values: path and value. */
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mnt\"}, {\"type\": \"foo\"}]}}",
          "config.json: linux.namespaces[1].type: unknown namespace type \"mnt\"" },
        { "{" BASE ", \"process\": {\"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_FOO\"]}}}",
          "config.json: process.capabilities.bounding[1]: unknown capability \"CAP_FOO\"" },
        { "{" BASE ", \"process\": {\"capabilities\": {\"ambient\": [21]}}}",
          "config.json: process.capabilities.ambient[0]: expected string, got integer" },
        { "{" BASE ", \"process\": {\"capabilities\": {\"effective\": [\"cap_kill\"]}}}",
          "config.json: process.capabilities.effective[0]: unknown capability \"cap_kill\"" },
        { "{" BASE ", \"process\": {\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]}}",
          "config.json: process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\"" },
        { "{" BASE ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_MAYBE\"}}}",
          "config.json: linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_MAYBE\"" },
        { "{" BASE ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_XX\"}]}]}}}",
          "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_XX\"" },
        { "{" BASE ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}}}",
          "config.json: linux.seccomp.syscalls[0].args[0].index: 6 out of range [0, 5]" },
        { "{" BASE ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_Z80\"]}}}",
          "config.json: linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_Z80\"" },
        { "{" BASE ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"]}}}",
          "config.json: linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_FAST\"" },
        { "{" BASE ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"x\"}]}}",
          "config.json: linux.devices[0].type: unknown device type \"x\" (want c, b, u or p)" },
        { "{" BASE ", \"linux\": {\"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}}}",
          "config.json: linux.resources.devices[0].access: bad device access \"rwx\" (want a subset of \"rwm\")" },
        { "{" BASE ", \"linux\": {\"rootfsPropagation\": \"sideways\"}}",
          "config.json: linux.rootfsPropagation: unknown propagation \"sideways\" (want shared, slave, private or unbindable)" },
        { "{" BASE ", \"linux\": {\"personality\": {\"domain\": \"LINUX64\"}}}",
          "config.json: linux.personality.domain: unknown personality domain \"LINUX64\" (want LINUX or LINUX32)" },
        /* Bad mount options: on a bind mount every option must be known. */
        { "{" BASE ", \"mounts\": [{\"destination\": \"/a\", \"type\": \"proc\"}, {\"destination\": \"/x\", \"source\": \"/y\", \"options\": [\"rbind\", \"ro\", \"nosiud\"]}]}",
          "config.json: mounts[1].options[2]: unknown bind mount option \"nosiud\"" },
        { "{" BASE ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"/y\", \"options\": [\"mode=755\"]}]}",
          "config.json: mounts[0].options[0]: unknown bind mount option \"mode=755\"" },
        { "{" BASE ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [\"size=1m\", \"\"]}]}",
          "config.json: mounts[0].options[1]: empty option" },
        /* Missing required fields. */
        { "{" BASE ", \"mounts\": [{\"type\": \"proc\"}]}", "config.json: mounts[0].destination: required field missing" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"path\": \"/proc/1/ns/net\"}]}}",
          "config.json: linux.namespaces[0].type: required field missing" },
        { "{" BASE ", \"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000}]}}",
          "config.json: linux.uidMappings[0].size: required field missing" },
        { "{" BASE ", \"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]}}",
          "config.json: process.rlimits[0].hard: required field missing" },
        { "{" BASE ", \"hooks\": {\"prestart\": [{\"args\": [\"x\"]}]}}", "config.json: hooks.prestart[0].path: required field missing" },
        { "{" BASE ", \"linux\": {\"seccomp\": {\"syscalls\": []}}}", "config.json: linux.seccomp.defaultAction: required field missing" },
        { "{" BASE ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]}}}",
          "config.json: linux.seccomp.syscalls[0].names: required field missing" },
        { "{" BASE ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1}]}}",
          "config.json: linux.devices[0].minor: required for device type 'c'" },
        { "{" BASE ", \"linux\": {\"resources\": {\"devices\": [{\"access\": \"r\"}]}}}",
          "config.json: linux.resources.devices[0].allow: required field missing" },
};

static const struct {
        const char *json, *msg;
} validate_cases[] = {
        { "{\"root\": {\"path\": \"r\"}}", "ociVersion: required field missing" },
        { "{\"ociVersion\": \"2.0.0\", \"root\": {\"path\": \"r\"}}", "ociVersion: unsupported version \"2.0.0\" (supported: 1.x)" },
        { "{\"ociVersion\": \"1.0.2-dev\"}", "root.path: required field missing" },
        { "{" BASE ", \"process\": {\"cwd\": \"/\"}}", "process.args: must not be empty" },
        { "{" BASE ", \"process\": {\"args\": [], \"cwd\": \"/\"}}", "process.args: must not be empty" },
        { "{" BASE ", \"process\": {\"args\": [\"sh\"]}}", "process.cwd: required field missing" },
        { "{" BASE ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"tmp\"}}", "process.cwd: must be an absolute path, got \"tmp\"" },
        { "{" BASE ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"env\": [\"=x\"]}}", "process.env[0]: \"=x\" is not NAME=VALUE" },
        { "{" BASE ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 5}]}}",
          "process.rlimits[0]: soft limit 10 exceeds hard limit 5" },
        { "{" BASE ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 5}, {\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 5}]}}",
          "process.rlimits[1]: duplicate type RLIMIT_NOFILE (also rlimits[0])" },
        { "{" BASE ", \"mounts\": [{\"destination\": \"proc\", \"type\": \"proc\"}]}", "mounts[0].destination: must be an absolute path, got \"proc\"" },
        { "{" BASE ", \"mounts\": [{\"destination\": \"/x\", \"options\": [\"ro\"]}]}",
          "mounts[0].type: required unless the mount is a bind mount (options \"bind\" or \"rbind\")" },
        { "{" BASE ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\"}]}", "mounts[0].source: required for a bind mount" },
        { "{" BASE ", \"linux\": {\"devices\": [{\"path\": \"dev/x\", \"type\": \"p\"}]}}", "linux.devices[0].path: must be an absolute path, got \"dev/x\"" },
        { "{" BASE ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 4096, \"minor\": 1}]}}",
          "linux.devices[0]: device number 4096:1 out of range (major 0-4095, minor 0-1048575)" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"uts\"}, {\"type\": \"pid\"}]}}",
          "linux.namespaces[2]: duplicate namespace type \"pid\" (also namespaces[0])" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"net\"}]}}", NULL /* parse error, skipped */ },
        { "{" BASE ", \"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
          "linux.uidMappings: id mappings given but no user namespace in linux.namespaces" },
        { "{" BASE ", \"linux\": {\"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
          "linux.gidMappings: id mappings given but no user namespace in linux.namespaces" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
          "linux.uidMappings: mappings given for a user namespace joined by path" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
          "linux.namespaces: a new user namespace needs both uidMappings and gidMappings" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 0}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
          "linux.uidMappings[0].size: must be at least 1" },
        { "{" BASE ", \"hostname\": \"h\"}", "hostname: \"h\" needs a uts namespace in linux.namespaces" },
        { "{" BASE ", \"hostname\": \"0123456789012345678901234567890123456789012345678901234567890123456789\", \"linux\": {\"namespaces\": [{\"type\": \"uts\"}]}}",
          "hostname: longer than 64 characters" },
        { "{" BASE ", \"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}}}", "linux.sysctl: \"net.ipv4.ip_forward\" needs a network namespace" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"network\"}], \"sysctl\": {\"kernel.shmmax\": \"1\"}}}",
          "linux.sysctl: \"kernel.shmmax\" needs an ipc namespace" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"network\"}], \"sysctl\": {\"fs/mqueue/msg_max\": \"1\"}}}",
          "linux.sysctl: \"fs/mqueue/msg_max\" needs an ipc namespace" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"uts\"}], \"sysctl\": {\"kernel.hostname\": \"x\"}}}",
          "linux.sysctl: \"kernel.hostname\" is not allowed; use the \"hostname\" field" },
        { "{" BASE ", \"linux\": {\"sysctl\": {\"kernel.domainname\": \"x\"}}}", "linux.sysctl: \"kernel.domainname\" needs a uts namespace" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"ipc\"}, {\"type\": \"network\"}, {\"type\": \"uts\"}], \"sysctl\": {\"vm.swappiness\": \"1\"}}}",
          "linux.sysctl: \"vm.swappiness\" is not in a namespace the container owns" },
        { "{" BASE ", \"linux\": {\"namespaces\": [{\"type\": \"time\", \"path\": \"/proc/1/ns/time\"}], \"timeOffsets\": {\"boottime\": {\"secs\": 1}}}}",
          "linux.timeOffsets: needs a new time namespace in linux.namespaces" },
        { "{" BASE ", \"linux\": {\"maskedPaths\": [\"/proc/kcore\", \"proc/keys\"]}}", "linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"" },
        { "{" BASE ", \"hooks\": {\"poststart\": [{\"path\": \"notify\"}]}}", "hooks.poststart[0].path: must be an absolute path, got \"notify\"" },
        { "{" BASE ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}}}",
          "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE" },
        { "{" BASE ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}}}",
          "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath" },
        { "{" BASE ", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"Read;\"], \"action\": \"SCMP_ACT_KILL\"}]}}}",
          "linux.seccomp.syscalls[0].names[0]: bad syscall name \"Read;\"" },
        { "{" BASE ", \"linux\": {\"resources\": {\"memory\": {\"swappiness\": 101}}}}", "linux.resources.memory.swappiness: 101 is over 100" },
};

static void test_parse_errors(void)
{
        for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
                oci_config *c = NULL;
                cella_error *err = NULL;
                int r = oci_config_parse("config.json", parse_cases[i].json, strlen(parse_cases[i].json), &c, &err);
                CHECK(r < 0 && c == NULL);
                CHECK_STR(err ? err->msg : NULL, parse_cases[i].msg);
                err_free(err);
                oci_config_free(c);
        }
}

static void test_validate_errors(void)
{
        for (size_t i = 0; i < sizeof(validate_cases) / sizeof(validate_cases[0]); i++) {
                if (!validate_cases[i].msg)
                        continue;
                oci_config *c = NULL;
                cella_error *err = NULL;
                int r = oci_config_parse("config.json", validate_cases[i].json, strlen(validate_cases[i].json), &c, &err);
                if (r < 0)
                        printf("# case %zu: parse: %s\n", i, err ? err->msg : "?");
                CHECK(r == 0);
                if (r == 0) {
                        r = oci_config_validate(c, false, &err);
                        CHECK(r == -EINVAL);
                        CHECK_STR(err ? err->msg : NULL, validate_cases[i].msg);
                }
                err_free(err);
                oci_config_free(c);
        }
}

/* Limits: the file size and the entries of any array. */
static void test_limits(void)
{
        cella_error *err = NULL;
        oci_config *c = NULL;
        size_t big = OCI_CONFIG_MAX_BYTES + 1;
        char *text = malloc(big);
        memset(text, ' ', big);
        text[0] = '{';
        text[big - 1] = '}';
        CHECK(oci_config_parse("config.json", text, big, &c, &err) == -EFBIG);
        CHECK_STR(err ? err->msg : NULL, "config.json: 4194305 bytes, larger than the limit of 4194304 bytes");
        CHECK(oci_config_parse("config.json", text, big - 1, &c, &err) < 0);
        /* The same through a file. */
        char path[] = "/tmp/oci-test-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0 && write(fd, text, big) == (ssize_t) big);
        close(fd);
        CHECK(oci_config_load(path, &c, &err) == -EFBIG);
        char want[256];
        snprintf(want, sizeof(want), "%s: larger than the limit of 4194304 bytes", path);
        CHECK_STR(err ? err->msg : NULL, want);
        unlink(path);
        CHECK(oci_config_load("/nonexistent/config.json", &c, &err) == -ENOENT);
        CHECK_STR(err ? err->msg : NULL, "read /nonexistent/config.json: No such file or directory");
        free(text);

        /* OCI_MAX_ARRAY + 1 env entries. */
        size_t n = OCI_MAX_ARRAY + 1, len = 0;
        text = malloc(64 + n * 6);
        len += sprintf(text, "{\"process\": {\"env\": [");
        for (size_t i = 0; i < n; i++)
                len += sprintf(text + len, "%s\"a=b\"", i ? "," : "");
        len += sprintf(text + len, "]}}");
        CHECK(oci_config_parse("config.json", text, len, &c, &err) == -EINVAL);
        CHECK_STR(err ? err->msg : NULL, "config.json: process.env: 4097 entries, more than the limit of 4096");
        free(text);
        err_free(err);
}

int main(void)
{
        test_parse_errors();
        test_validate_errors();
        test_limits();
        return tap_done();
}
