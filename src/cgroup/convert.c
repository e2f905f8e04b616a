/* Pure conversions between OCI values and cgroup knobs, and the device
 * rule emulator (shared by the v1 lists and the v2 eBPF program). */
#include "cgroup-internal.h"
#include "base/macros.h"
#include <ctype.h>
#include <string.h>

/* crun's conversion, kept identical so a container gets the same weight
 * under either runtime: crun src/libcrun/cgroup-internal.h,
 * convert_shares_to_weight(): "convert linearly from 2-262144 to 1-10000",
 * 1 + ((shares - 2) * 9999) / 262142 (runc's
 * ConvertCPUSharesToCgroupV2Value is the same formula). Out-of-range shares
 * are clamped first, as the v1 kernel clamps cpu.shares. 0 means unset. */
uint64_t cg_shares_to_weight(uint64_t shares)
{
        if (shares == 0)
                return 0;
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

/* OCI memory.swap is memory+swap (the v1 memsw knob); v2's memory.swap.max
 * is swap alone. Same rules as runc's ConvertMemorySwapToCgroupV2Value. */
int cg_swap_to_v2(bool has_limit, int64_t limit, bool has_swap, int64_t swap, bool *ret_set, int64_t *ret,
                  cella_error **err)
{
        if (!has_limit)
                limit = 0;
        if (!has_swap)
                swap = 0;
        /* Memory unlimited and swap not given: both unlimited. */
        if (limit == -1 && swap == 0) {
                *ret_set = true;
                *ret = -1;
                return 0;
        }
        if (swap == -1 || swap == 0) {
                *ret_set = swap == -1;
                if (swap == -1)
                        *ret = -1;
                return 0;
        }
        if (limit == 0 || limit == -1)
                return err_setx(err, EINVAL, "linux.resources.memory.swap: a swap limit needs a memory limit");
        if (swap < limit)
                return err_setx(err, EINVAL, "linux.resources.memory.swap: %lld is below memory.limit %lld "
                                "(swap is memory+swap)", (long long)swap, (long long)limit);
        *ret_set = true;
        *ret = swap - limit;
        return 0;
}

bool cg_valid_page_size(const char *s)
{
        size_t d = strspn(s, "0123456789");
        if (d == 0 || d > 10)
                return false;
        return streq(s + d, "KB") || streq(s + d, "MB") || streq(s + d, "GB") || streq(s + d, "TB") ||
               streq(s + d, "PB");
}

bool cg_valid_unified_key(const char *key)
{
        if (!*key || strchr(key, '/') || strstr(key, "..") || strlen(key) > 255)
                return false;
        /* Keys name files in the container's own directory: "controller.knob". */
        return strchr(key, '.') != NULL && key[0] != '.';
}

static unsigned access_bits(const char *a)
{
        unsigned b = 0;
        for (; *a; a++)
                b |= *a == 'r' ? CG_DEV_R : *a == 'w' ? CG_DEV_W : *a == 'm' ? CG_DEV_M : 0;
        return b;
}

void cg_dev_state_done(cg_dev_state *s)
{
        free(s->ex);
        s->ex = NULL;
        s->n_ex = 0;
}

static cg_dev_ex *find_ex(cg_dev_state *s, char type, int64_t major, int64_t minor)
{
        for (size_t i = 0; i < s->n_ex; i++)
                if (s->ex[i].type == type && s->ex[i].major == major && s->ex[i].minor == minor)
                        return &s->ex[i];
        return NULL;
}

/* runc libcontainer/cgroups/devices emulator semantics: a wildcard ("a")
 * rule resets to allow-all or deny-all; a rule of the default's kind
 * removes access from the exceptions it covers (refusing to punch a hole
 * in a wider wildcard exception, which neither v1 nor a list of
 * exceptions can hold); the other kind adds access to an exception. The
 * final state is what last-match-wins over the rule list means. */
int cg_dev_emulate(const oci_device_rule *rules, size_t n, cg_dev_state *ret, cella_error **err)
{
        cg_dev_state s = { .default_allow = false };
        if (n > 4096)
                return err_setx(err, E2BIG, "linux.resources.devices: too many rules (%zu)", n);
        s.ex = calloc(n ? n : 1, sizeof(*s.ex));
        if (!s.ex)
                return err_set(err, ENOMEM, "linux.resources.devices");
        for (size_t i = 0; i < n; i++) {
                const oci_device_rule *r = &rules[i];
                unsigned acc = access_bits(r->access);
                if (!acc)
                        acc = CG_DEV_R | CG_DEV_W | CG_DEV_M;   /* OCI: empty access means rwm */
                if (r->type != 'a' && r->type != 'c' && r->type != 'b') {
                        cg_dev_state_done(&s);
                        return err_setx(err, EINVAL, "linux.resources.devices[%zu].type: \"%c\" is not a, b or c",
                                        i, r->type);
                }
                if (r->major < -1 || r->minor < -1 || r->major > 0x7fffffff || r->minor > 0x7fffffff) {
                        cg_dev_state_done(&s);
                        return err_setx(err, EINVAL, "linux.resources.devices[%zu]: major/minor out of range", i);
                }
                if (r->type == 'a') {
                        s.default_allow = r->allow;
                        s.n_ex = 0;
                        continue;
                }
                if (r->allow != s.default_allow) {
                        cg_dev_ex *e = find_ex(&s, r->type, r->major, r->minor);
                        if (e)
                                e->access |= acc;
                        else
                                s.ex[s.n_ex++] = (cg_dev_ex){ r->type, r->major, r->minor, acc };
                        continue;
                }
                /* Exceptions inside the rule lose the access (also narrower
                 * ones: we write the final state, so a later "deny c 1:* w"
                 * does cover c 1:3, last match wins). One that only overlaps
                 * it (wider, or crossing wildcards) cannot be split: refuse,
                 * as runc does rather than let v1 silently ignore it. */
                for (size_t k = s.n_ex; k > 0; k--) {
                        cg_dev_ex *e = &s.ex[k - 1];
                        bool meets = e->type == r->type && (e->major < 0 || r->major < 0 || e->major == r->major) &&
                                     (e->minor < 0 || r->minor < 0 || e->minor == r->minor);
                        if (!meets || !(e->access & acc))
                                continue;
                        bool inside = (r->major < 0 || e->major == r->major) && (r->minor < 0 || e->minor == r->minor);
                        if (!inside) {
                                cg_dev_ex wide = *e;    /* s is freed below */
                                cg_dev_state_done(&s);
                                e = &wide;
                                return err_setx(err, EINVAL,
                                                "linux.resources.devices[%zu]: cannot %s %c %lld:%lld inside the "
                                                "wider rule for %c %lld:%lld given before (a device list cannot "
                                                "express it)", i, r->allow ? "allow" : "deny", r->type,
                                                (long long)r->major, (long long)r->minor, e->type,
                                                (long long)e->major, (long long)e->minor);
                        }
                        e->access &= ~acc;
                        if (!e->access)
                                *e = s.ex[--s.n_ex];
                }
        }
        *ret = s;
        return 0;
}

void cg_dev_format(const cg_dev_ex *e, char *buf, size_t len)
{
        char maj[24], min[24], acc[4];
        size_t k = 0;
        if (e->major < 0)
                strcpy(maj, "*");
        else
                snprintf(maj, sizeof(maj), "%lld", (long long)e->major);
        if (e->minor < 0)
                strcpy(min, "*");
        else
                snprintf(min, sizeof(min), "%lld", (long long)e->minor);
        if (e->access & CG_DEV_R)
                acc[k++] = 'r';
        if (e->access & CG_DEV_W)
                acc[k++] = 'w';
        if (e->access & CG_DEV_M)
                acc[k++] = 'm';
        acc[k] = '\0';
        snprintf(buf, len, "%c %s:%s %s", e->type, maj, min, acc);
}
