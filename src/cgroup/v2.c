/* cgroup v2 (unified) knobs. */
#include "cgroup-internal.h"
#include "base/macros.h"
#include <fcntl.h>
#include <string.h>

#define F(name) "linux.resources." name

int cg_v2_cpu(cg_dir *d, const oci_resources *r, cella_error **err)
{
        if (r->has_cpu_shares && r->cpu_shares &&
            cg_writef(d->fd, "cpu.weight", err, "%llu", (unsigned long long)cg_shares_to_weight(r->cpu_shares)) < 0)
                return err_wrap(err, F("cpu.shares"));
        bool per = r->has_cpu_period && r->cpu_period, quo = r->has_cpu_quota && r->cpu_quota;
        if (per || quo) {
                char q[32] = "max";
                if (quo && r->cpu_quota > 0)
                        snprintf(q, sizeof(q), "%lld", (long long)r->cpu_quota);
                else if (!quo) {
                        /* Period alone: keep the quota there is ("max" would lift it). */
                        _cleanup_free_ char *cur = NULL;
                        if (cg_read(d->fd, "cpu.max", &cur) == 0 && sscanf(cur, "%31s", q) != 1)
                                strcpy(q, "max");
                }
                int k = per ? cg_writef(d->fd, "cpu.max", err, "%s %llu", q, (unsigned long long)r->cpu_period)
                            : cg_write(d->fd, "cpu.max", q, err);
                if (k < 0)
                        return err_wrap(err, F("cpu.quota/period"));
        }
        if (r->has_cpu_burst && cg_writef(d->fd, "cpu.max.burst", err, "%llu", (unsigned long long)r->cpu_burst) < 0)
                return err_wrap(err, F("cpu.burst"));
        if ((r->has_cpu_rt_runtime && r->cpu_rt_runtime) || (r->has_cpu_rt_period && r->cpu_rt_period))
                return err_setx(err, EOPNOTSUPP, F("cpu.realtimeRuntime/realtimePeriod") ": cgroup v2 has no "
                                "realtime knobs");
        if (r->has_cpu_idle && cg_writef(d->fd, "cpu.idle", err, "%lld", (long long)r->cpu_idle) < 0)
                return err_wrap(err, F("cpu.idle"));
        return 0;
}

int cg_v2_cpuset(cg_dir *d, const oci_resources *r, cella_error **err)
{
        if (r->cpu_cpus && *r->cpu_cpus && cg_write(d->fd, "cpuset.cpus", r->cpu_cpus, err) < 0)
                return err_wrap(err, F("cpu.cpus"));
        if (r->cpu_mems && *r->cpu_mems && cg_write(d->fd, "cpuset.mems", r->cpu_mems, err) < 0)
                return err_wrap(err, F("cpu.mems"));
        return 0;
}

static int write_limit(int dfd, const char *file, int64_t v, cella_error **err)
{
        return v < 0 ? cg_write(dfd, file, "max", err) : cg_writef(dfd, file, err, "%lld", (long long)v);
}

/* kernel, kernelTCP, swappiness and disableOOMKiller have no v2 knob;
 * like runc and crun we accept and ignore them there. */
int cg_v2_memory(cg_dir *d, const oci_resources *r, cella_error **err)
{
        bool swap_set = false;
        int64_t swap = 0;
        int k = cg_swap_to_v2(r->has_mem_limit, r->mem_limit, r->has_mem_swap, r->mem_swap, &swap_set, &swap, err);
        if (k < 0)
                return k;
        if (swap_set) {
                k = write_limit(d->fd, "memory.swap.max", swap, err);
                /* No swap accounting on this kernel: only "unlimited" may pass. */
                if (k == -ENOENT && swap == -1)
                        k = 0;
                if (k < 0)
                        return err_wrap(err, F("memory.swap"));
        }
        if (r->has_mem_limit && r->mem_limit && write_limit(d->fd, "memory.max", r->mem_limit, err) < 0)
                return err_wrap(err, F("memory.limit"));
        /* runc (fs2/memory.go) and crun both map the reservation to memory.low. */
        if (r->has_mem_reservation && r->mem_reservation &&
            write_limit(d->fd, "memory.low", r->mem_reservation, err) < 0)
                return err_wrap(err, F("memory.reservation"));
        return 0;
}

/* blkio weight 10..1000 -> io.weight 1..10000 (runc's ConvertBlkIOToIOWeightValue). */
static unsigned io_weight(unsigned w)
{
        if (w < 10)
                w = 10;
        if (w > 1000)
                w = 1000;
        return 1 + (w - 10) * 9999 / 990;
}

static int io_max(int dfd, const char *key, const oci_throttle *t, size_t n, const char *field, cella_error **err)
{
        for (size_t i = 0; i < n; i++) {
                int k = t[i].rate ? cg_writef(dfd, "io.max", err, "%lld:%lld %s=%llu", (long long)t[i].major,
                                              (long long)t[i].minor, key, (unsigned long long)t[i].rate)
                                  : cg_writef(dfd, "io.max", err, "%lld:%lld %s=max", (long long)t[i].major,
                                              (long long)t[i].minor, key);
                if (k < 0)
                        return err_wrap(err, F("blockIO.%s[%zu]"), field, i);
        }
        return 0;
}

int cg_v2_io(cg_dir *d, const oci_resources *r, cella_error **err)
{
        /* BFQ takes blkio's own 1..1000 scale; io.weight its 1..10000 one. */
        bool bfq = faccessat(d->fd, "io.bfq.weight", F_OK, 0) == 0;
        if (r->has_blkio_weight) {
                int k = bfq ? cg_writef(d->fd, "io.bfq.weight", err, "%u", r->blkio_weight)
                            : cg_writef(d->fd, "io.weight", err, "default %u", io_weight(r->blkio_weight));
                if (k < 0)
                        return err_wrap(err, F("blockIO.weight"));
        }
        for (size_t i = 0; i < r->n_blkio_weight_device; i++) {
                const oci_weight_dev *w = &r->blkio_weight_device[i];
                if (!w->has_weight)
                        continue;
                int k = bfq ? cg_writef(d->fd, "io.bfq.weight", err, "%lld:%lld %u", (long long)w->major,
                                        (long long)w->minor, w->weight)
                            : cg_writef(d->fd, "io.weight", err, "%lld:%lld %u", (long long)w->major,
                                        (long long)w->minor, io_weight(w->weight));
                if (k < 0)
                        return err_wrap(err, F("blockIO.weightDevice[%zu]"), i);
        }
        int k;
        if ((k = io_max(d->fd, "rbps", r->throttle_read_bps, r->n_throttle_read_bps, "throttleReadBpsDevice", err)) < 0 ||
            (k = io_max(d->fd, "wbps", r->throttle_write_bps, r->n_throttle_write_bps, "throttleWriteBpsDevice",
                        err)) < 0 ||
            (k = io_max(d->fd, "riops", r->throttle_read_iops, r->n_throttle_read_iops, "throttleReadIOPSDevice",
                        err)) < 0 ||
            (k = io_max(d->fd, "wiops", r->throttle_write_iops, r->n_throttle_write_iops, "throttleWriteIOPSDevice",
                        err)) < 0)
                return k;
        return 0;
}

int cg_v2_unified(cg_dir *d, const oci_resources *r, cella_error **err)
{
        for (size_t i = 0; i < r->n_unified; i++) {
                const oci_kv *kv = &r->unified[i];
                if (!cg_valid_unified_key(kv->key))
                        return err_setx(err, EINVAL, F("unified") ": key \"%s\" is not a cgroup file name", kv->key);
                int k = cg_write(d->fd, kv->key, kv->value, err);
                if (k == -ENOENT) {
                        size_t n = strcspn(kv->key, ".");
                        return err_setx(err, ENOENT, F("unified") ": \"%s\": no such file (the %.*s controller is "
                                        "not enabled for this cgroup)", kv->key, (int)n, kv->key);
                }
                if (k < 0)
                        return err_wrap(err, F("unified.%s"), kv->key);
        }
        return 0;
}
