/* gpu_inventory_to_json: the inventory as node-info and the event log show it. */
#include "gpu_internal.h"

/* json_object_set_new that remembers a failure instead of leaking. */
static void set(json_t *obj, const char *key, json_t *v, bool *ok)
{
        if (!v || json_object_set_new(obj, key, v) < 0)
                *ok = false;
}

/* NVML strings are ASCII; anything else would make json_string fail, so it
 * is shown as '?' rather than losing the whole inventory. */
static json_t *str(const char *s)
{
        char buf[256];
        size_t i = 0;
        for (; s[i] && i < sizeof(buf) - 1; i++)
                buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
        buf[i] = '\0';
        return json_string(buf);
}

static json_t *device_to_json(const gpu_inventory *inv, const gpu_device *d)
{
        json_t *o = json_object(), *peers = json_array();
        bool ok = o && peers;
        if (!ok) {
                json_decref(o);
                json_decref(peers);
                return NULL;
        }
        for (unsigned p = 0; p < d->nvlink_peer_count && p < GPU_MAX_NVLINKS; p++)
                if (d->nvlink_peers[p] < inv->count &&
                    json_array_append_new(peers, str(inv->devices[d->nvlink_peers[p]].uuid)) < 0)
                        ok = false;
        set(o, "index", json_integer(d->index), &ok);
        set(o, "uuid", str(d->uuid), &ok);
        set(o, "name", str(d->name), &ok);
        set(o, "memory_bytes", json_integer((json_int_t)d->memory_total), &ok);
        set(o, "minor", json_integer(d->minor == GPU_MINOR_UNKNOWN ? -1 : (json_int_t)d->minor), &ok);
        set(o, "pci_bus_id", str(d->pci_bus_id), &ok);
        set(o, "numa_node", json_integer(d->numa_node), &ok);
        set(o, "mig_enabled", json_boolean(d->mig_enabled), &ok);
        set(o, "nvlink_peers", peers, &ok);
        if (!ok) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *gpu_inventory_to_json(const gpu_inventory *inv)
{
        json_t *root = json_object(), *gpus = json_array();
        bool ok = root && gpus;
        if (!ok) {
                json_decref(root);
                json_decref(gpus);
                return NULL;
        }
        for (size_t i = 0; i < inv->count && i < GPU_MAX_DEVICES; i++) {
                json_t *d = device_to_json(inv, &inv->devices[i]);
                if (!d || json_array_append_new(gpus, d) < 0)
                        ok = false;
        }
        set(root, "driver_version", str(inv->driver_version), &ok);
        set(root, "nvml_version", str(inv->nvml_version), &ok);
        set(root, "gpus", gpus, &ok);
        if (inv->count == 0)
                set(root, "why_none", json_string(inv->why_none) ?: str(inv->why_none), &ok);
        if (!ok) {
                json_decref(root);
                return NULL;
        }
        return root;
}
