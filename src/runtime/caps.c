/* Capabilities with capset(2) and prctl(2) directly: a handful of syscalls,
 * no allocation on the success path. libcap is only used for names in
 * error messages. Capabilities this kernel does not know (above
 * cap_last_cap) are ignored, as runc does: they cannot be held anyway. */
#include "runtime/caps.h"
#include "base/macros.h"
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cached_last_cap = -1;

static bool kernel_has_cap(int c)
{
        return prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) >= 0;
}

/* The kernel's last capability: what /proc/sys/kernel/cap_last_cap says,
 * found without reading it (that read measured 150-200 us here, the start
 * path's largest cost): PR_CAPBSET_READ fails with EINVAL exactly above
 * the last cap, so two probes around the build's CAP_LAST_CAP settle it on
 * a matching kernel, and a binary search on any other. Read once. */
static int last_cap(void)
{
        if (cached_last_cap >= 0)
                return cached_last_cap;
        int v;
        if (CAP_LAST_CAP < 63 && kernel_has_cap(CAP_LAST_CAP) && !kernel_has_cap(CAP_LAST_CAP + 1)) {
                v = CAP_LAST_CAP;
        } else {
                int lo = 0, hi = 63;
                while (lo < hi) {
                        int mid = (lo + hi + 1) / 2;
                        if (kernel_has_cap(mid))
                                lo = mid;
                        else
                                hi = mid - 1;
                }
                v = lo;
        }
        cached_last_cap = v;
        return v;
}

/* "CAP_CHOWN" for messages. */
static const char *cap_str(int cap, char buf[32])
{
        char *n = cap_to_name((cap_value_t)cap);
        if (!n || !strneq(n, "cap_", 4)) {
                snprintf(buf, 32, "capability %d", cap);
        } else {
                size_t i;
                for (i = 0; n[i] && i < 31; i++)
                        buf[i] = (char)toupper((unsigned char)n[i]);
                buf[i] = '\0';
        }
        cap_free(n);
        return buf;
}

static int to_mask(const int *list, size_t n, const char *set, uint64_t *ret, cella_error **err)
{
        uint64_t m = 0;
        int last = last_cap();
        for (size_t i = 0; i < n; i++) {
                if (list[i] < 0 || list[i] > 63)
                        return err_setx(err, EINVAL, "process.capabilities.%s[%zu]: invalid capability "
                                        "number %d", set, i, list[i]);
                if (list[i] <= last)
                        m |= UINT64_C(1) << list[i];
        }
        *ret = m;
        return 0;
}

int rt_caps_prepare(const oci_caps *caps, cella_error **err)
{
        if (!caps || !caps->present)
                return 0;
        uint64_t bnd = 0;
        int r = to_mask(caps->bounding, caps->n_bounding, "bounding", &bnd, err);
        if (r < 0)
                return r;
        int last = last_cap();
        for (int c = 0; c <= last; c++) {
                if (bnd & (UINT64_C(1) << c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0) {
                        int e = errno;
                        /* Without CAP_SETPCAP, dropping what is already gone is fine. */
                        if (e == EPERM && prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) == 0)
                                continue;
                        char b[32];
                        return err_set(err, e, "drop %s from the bounding set", cap_str(c, b));
                }
        }
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return err_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
        return 0;
}

static int first_bit(uint64_t m)
{
        return __builtin_ctzll(m);
}

/* capset said EPERM: name the first capability we could not grant. */
static int explain_eperm(uint64_t prm, uint64_t inh, cella_error **err)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];
        char b[32];
        if (syscall(SYS_capget, &h, d) < 0)
                return err_set(err, EPERM, "capset");
        uint64_t cur_prm = d[0].permitted | ((uint64_t)d[1].permitted << 32);
        uint64_t cur_inh = d[0].inheritable | ((uint64_t)d[1].inheritable << 32);
        uint64_t bnd = 0;
        for (int c = 0; c <= last_cap(); c++)
                if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) > 0)
                        bnd |= UINT64_C(1) << c;
        if (prm & ~cur_prm)
                return err_setx(err, EPERM, "process.capabilities.permitted: cannot grant %s: the "
                                "runtime does not hold it%s", cap_str(first_bit(prm & ~cur_prm), b),
                                (prm & ~cur_prm & ~bnd) ? " (not in the bounding set)" : "");
        if (inh & ~(cur_inh | bnd))
                return err_setx(err, EPERM, "process.capabilities.inheritable: %s is not in the "
                                "bounding set", cap_str(first_bit(inh & ~(cur_inh | bnd)), b));
        return err_set(err, EPERM, "capset");
}

int rt_caps_apply(const oci_caps *caps, cella_error **err)
{
        if (!caps || !caps->present)
                return 0;
        uint64_t eff = 0, prm = 0, inh = 0, amb = 0;
        int r;
        if ((r = to_mask(caps->effective, caps->n_effective, "effective", &eff, err)) < 0 ||
            (r = to_mask(caps->permitted, caps->n_permitted, "permitted", &prm, err)) < 0 ||
            (r = to_mask(caps->inheritable, caps->n_inheritable, "inheritable", &inh, err)) < 0 ||
            (r = to_mask(caps->ambient, caps->n_ambient, "ambient", &amb, err)) < 0)
                return r;
        char b[32];
        /* The kernel would say EPERM; say which and why. */
        if (eff & ~prm)
                return err_setx(err, EPERM, "process.capabilities.effective: %s is not in the permitted "
                                "set", cap_str(first_bit(eff & ~prm), b));
        /* The kernel raises an ambient cap only when it is both permitted and
         * inheritable. runc's own `spec` lists ambient caps without an
         * inheritable set and runc and crun then skip them silently; do the
         * same so that configs written for them run unchanged. */
        amb &= prm & inh;

        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {
                { .effective = (uint32_t)eff, .permitted = (uint32_t)prm, .inheritable = (uint32_t)inh },
                { .effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(prm >> 32),
                  .inheritable = (uint32_t)(inh >> 32) },
        };
        if (syscall(SYS_capset, &h, d) < 0)
                return errno == EPERM ? explain_eperm(prm, inh, err) : err_set(err, errno, "capset");

        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return err_set(err, errno, "clear the ambient capabilities");
        for (uint64_t m = amb; m; m &= m - 1) {
                int c = first_bit(m);
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) < 0)
                        return err_set(err, errno, "raise ambient %s", cap_str(c, b));
        }
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return err_set(err, errno, "prctl(PR_SET_KEEPCAPS, 0)");
        return 0;
}
