/* Device nodes inside the rootfs: the default set every container gets
 * (null zero full random urandom tty, /dev/fd links, ptmx) and the ones the
 * config lists. Created with mknod, or bind-mounted from the host when in
 * a user namespace (where mknod is not allowed). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "base/error.h"
#include "oci/config.h"

int rt_devices_create_default(int root_fd, bool userns, cella_error **err);
int rt_devices_create(int root_fd, const oci_device *devs, size_t n, bool userns, cella_error **err);

/* The device cgroup rules a container gets: the config's rules, then
 * allow rules for the default devices (null zero full random urandom tty
 * console ptmx pts, and mknod of any) and for every linux.devices entry,
 * as runc adds them. *ret malloc'ed. */
int rt_device_rules(const oci_config *c, oci_device_rule **ret, size_t *ret_n);
