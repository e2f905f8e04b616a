/* linux.resources: the cgroup settings, read as given; the cgroup layer
 * decides how each maps onto v1 or v2. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "oci/internal.h"

static int parse_dev_rule(oci_pctx *p, const json_t *v, void *elem)
{
        oci_device_rule *d = elem;
        char *s = NULL;
        char q[OCI_QUOTE_MAX];
        int r;
        if ((r = oci_get_bool(p, v, "allow", &d->allow)) <= 0)
                return r < 0 ? r : oci_missing(p, "allow");
        d->type = 'a';
        d->major = d->minor = -1;
        if ((r = oci_get_str(p, v, "type", &s)) < 0)
                return r;
        if (r > 0) {
                if (strlen(s) != 1 || !strchr("acb", s[0]))
                        r = oci_fail_key(p, "type", "unknown device rule type %s (want a, c or b)", oci_quote(q, s));
                d->type = s[0];
                free(s);
                s = NULL;
                if (r < 0)
                        return r;
        }
        if ((r = oci_get_int(p, v, "major", -1, INT64_MAX, &d->major)) < 0 ||
            (r = oci_get_int(p, v, "minor", -1, INT64_MAX, &d->minor)) < 0)
                return r;
        strcpy(d->access, "rwm");
        if ((r = oci_get_str(p, v, "access", &s)) <= 0)
                return r;
        size_t n = strlen(s);
        bool ok = n <= 3;
        for (size_t i = 0; ok && i < n; i++)
                ok = strchr("rwm", s[i]) && !memchr(s, s[i], i);
        if (ok)
                memcpy(d->access, s, n + 1);
        else
                r = oci_fail_key(p, "access", "bad device access %s (want a subset of \"rwm\")", oci_quote(q, s));
        free(s);
        return r < 0 ? r : 0;
}

#define OPT_I64(o, key, field, hasfield, min)                                           \
        do {                                                                            \
                int _r = oci_get_int(p, (o), (key), (min), INT64_MAX, &res->field);    \
                if (_r < 0)                                                             \
                        return _r;                                                      \
                res->hasfield = _r > 0;                                                 \
        } while (0)
#define OPT_U64(o, key, field, hasfield)                                                \
        do {                                                                            \
                int _r = oci_get_u64(p, (o), (key), &res->field);                       \
                if (_r < 0)                                                             \
                        return _r;                                                      \
                res->hasfield = _r > 0;                                                 \
        } while (0)
#define OPT_BOOL(o, key, field, hasfield)                                               \
        do {                                                                            \
                int _r = oci_get_bool(p, (o), (key), &res->field);                      \
                if (_r < 0)                                                             \
                        return _r;                                                      \
                res->hasfield = _r > 0;                                                 \
        } while (0)

static int parse_memory(oci_pctx *p, const json_t *o, oci_resources *res)
{
        OPT_I64(o, "limit", mem_limit, has_mem_limit, -1);
        OPT_I64(o, "reservation", mem_reservation, has_mem_reservation, -1);
        OPT_I64(o, "swap", mem_swap, has_mem_swap, -1);
        OPT_I64(o, "kernel", mem_kernel, has_mem_kernel, -1);
        OPT_I64(o, "kernelTCP", mem_kernel_tcp, has_mem_kernel_tcp, -1);
        OPT_U64(o, "swappiness", mem_swappiness, has_mem_swappiness);
        OPT_BOOL(o, "disableOOMKiller", disable_oom_killer, has_disable_oom_killer);
        OPT_BOOL(o, "useHierarchy", use_hierarchy, has_use_hierarchy);
        OPT_BOOL(o, "checkBeforeUpdate", check_before_update, has_check_before_update);
        return 0;
}

static int parse_cpu(oci_pctx *p, const json_t *o, oci_resources *res)
{
        int r;
        OPT_U64(o, "shares", cpu_shares, has_cpu_shares);
        OPT_I64(o, "quota", cpu_quota, has_cpu_quota, -1);
        OPT_U64(o, "burst", cpu_burst, has_cpu_burst);
        OPT_U64(o, "period", cpu_period, has_cpu_period);
        OPT_I64(o, "realtimeRuntime", cpu_rt_runtime, has_cpu_rt_runtime, INT64_MIN);
        OPT_U64(o, "realtimePeriod", cpu_rt_period, has_cpu_rt_period);
        OPT_I64(o, "idle", cpu_idle, has_cpu_idle, INT64_MIN);
        if ((r = oci_get_str(p, o, "cpus", &res->cpu_cpus)) < 0 ||
            (r = oci_get_str(p, o, "mems", &res->cpu_mems)) < 0)
                return r;
        return 0;
}

static int parse_major_minor(oci_pctx *p, const json_t *v, int64_t *major, int64_t *minor)
{
        int r;
        if ((r = oci_get_int(p, v, "major", 0, INT64_MAX, major)) <= 0)
                return r < 0 ? r : oci_missing(p, "major");
        if ((r = oci_get_int(p, v, "minor", 0, INT64_MAX, minor)) <= 0)
                return r < 0 ? r : oci_missing(p, "minor");
        return 0;
}

static int parse_weight_dev(oci_pctx *p, const json_t *v, void *elem)
{
        oci_weight_dev *w = elem;
        int64_t x = 0;
        int r = parse_major_minor(p, v, &w->major, &w->minor);
        if (r < 0 || (r = oci_get_int(p, v, "weight", 0, UINT16_MAX, &x)) < 0)
                return r;
        w->has_weight = r > 0;
        w->weight = (uint16_t) x;
        if ((r = oci_get_int(p, v, "leafWeight", 0, UINT16_MAX, &x)) < 0)
                return r;
        w->has_leaf_weight = r > 0;
        w->leaf_weight = (uint16_t) x;
        return 0;
}

static int parse_throttle(oci_pctx *p, const json_t *v, void *elem)
{
        oci_throttle *t = elem;
        int r = parse_major_minor(p, v, &t->major, &t->minor);
        if (r < 0 || (r = oci_get_u64(p, v, "rate", &t->rate)) < 0)
                return r;
        return r == 0 ? oci_missing(p, "rate") : 0;
}

static int parse_blkio(oci_pctx *p, const json_t *o, oci_resources *res)
{
        int64_t x = 0;
        int r;
        if ((r = oci_get_int(p, o, "weight", 0, UINT16_MAX, &x)) < 0)
                return r;
        res->has_blkio_weight = r > 0;
        res->blkio_weight = (uint16_t) x;
        if ((r = oci_get_int(p, o, "leafWeight", 0, UINT16_MAX, &x)) < 0)
                return r;
        res->has_blkio_leaf_weight = r > 0;
        res->blkio_leaf_weight = (uint16_t) x;
        if ((r = OCI_GET_OBJV(p, o, "weightDevice", parse_weight_dev, res->blkio_weight_device,
                              res->n_blkio_weight_device)) < 0 ||
            (r = OCI_GET_OBJV(p, o, "throttleReadBpsDevice", parse_throttle, res->throttle_read_bps,
                              res->n_throttle_read_bps)) < 0 ||
            (r = OCI_GET_OBJV(p, o, "throttleWriteBpsDevice", parse_throttle, res->throttle_write_bps,
                              res->n_throttle_write_bps)) < 0 ||
            (r = OCI_GET_OBJV(p, o, "throttleReadIOPSDevice", parse_throttle, res->throttle_read_iops,
                              res->n_throttle_read_iops)) < 0 ||
            (r = OCI_GET_OBJV(p, o, "throttleWriteIOPSDevice", parse_throttle, res->throttle_write_iops,
                              res->n_throttle_write_iops)) < 0)
                return r;
        return 0;
}

static int parse_hugepage(oci_pctx *p, const json_t *v, void *elem)
{
        oci_hugepage *h = elem;
        int r = oci_get_str(p, v, "pageSize", &h->page_size);
        if (r <= 0)
                return r < 0 ? r : oci_missing(p, "pageSize");
        if ((r = oci_get_u64(p, v, "limit", &h->limit)) <= 0)
                return r < 0 ? r : oci_missing(p, "limit");
        return 0;
}

static int parse_priority(oci_pctx *p, const json_t *v, void *elem)
{
        oci_kv *kv = elem;
        uint32_t prio = 0;
        int r = oci_get_str(p, v, "name", &kv->key);
        if (r <= 0)
                return r < 0 ? r : oci_missing(p, "name");
        if ((r = oci_get_u32(p, v, "priority", &prio)) <= 0)
                return r < 0 ? r : oci_missing(p, "priority");
        if (asprintf(&kv->value, "%" PRIu32, prio) < 0) {
                kv->value = NULL;
                return err_setx(p->err, ENOMEM, "%s: out of memory", p->name);
        }
        return 0;
}

static int parse_network(oci_pctx *p, const json_t *o, oci_resources *res)
{
        int r = oci_get_u32(p, o, "classID", &res->net_class_id);
        if (r < 0)
                return r;
        res->has_net_class_id = r > 0;
        r = OCI_GET_OBJV(p, o, "priorities", parse_priority, res->net_priorities, res->n_net_priorities);
        return r < 0 ? r : 0;
}

static int parse_pids(oci_pctx *p, const json_t *o, oci_resources *res)
{
        OPT_I64(o, "limit", pids_limit, has_pids_limit, INT64_MIN);
        return 0;
}

typedef int (*section_fn)(oci_pctx *p, const json_t *o, oci_resources *res);

static int section(oci_pctx *p, const json_t *v, const char *key, section_fn fn, oci_resources *res)
{
        json_t *o = NULL;
        int r = oci_get_obj(p, v, key, &o);
        if (r <= 0)
                return r;
        size_t m = oci_push_key(p, key);
        r = fn(p, o, res);
        oci_pop(p, m);
        return r;
}

int oci_parse_resources(oci_pctx *p, const json_t *v, oci_resources *res)
{
        int r;
        res->present = true;
        if ((r = OCI_GET_OBJV(p, v, "devices", parse_dev_rule, res->devices, res->n_devices)) < 0 ||
            (r = section(p, v, "memory", parse_memory, res)) < 0 ||
            (r = section(p, v, "cpu", parse_cpu, res)) < 0 ||
            (r = section(p, v, "pids", parse_pids, res)) < 0 ||
            (r = section(p, v, "blockIO", parse_blkio, res)) < 0 ||
            (r = OCI_GET_OBJV(p, v, "hugepageLimits", parse_hugepage, res->hugepages, res->n_hugepages)) < 0 ||
            (r = section(p, v, "network", parse_network, res)) < 0 ||
            (r = oci_get_kv(p, v, "unified", &res->unified, &res->n_unified)) < 0)
                return r;
        return 0;
}
