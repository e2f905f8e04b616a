/* The container's filesystem: rootfs bind, config mounts resolved inside
 * the rootfs (never following a symlink out of it), devices, pivot_root,
 * then masked and read-only paths. Runs inside the container's new mount
 * namespace. */
#pragma once
#include <stdbool.h>
#include "base/error.h"
#include "oci/config.h"

/* Everything up to pivot_root. rootfs is absolute. `userns`: devices are
 * bind-mounted from the host instead of created (mknod is not allowed). */
int rt_rootfs_prepare(const oci_config *c, const char *rootfs, bool userns, cella_error **err);
/* pivot_root into rootfs (or MS_MOVE + chroot with no_pivot). */
int rt_rootfs_pivot(const char *rootfs, bool no_pivot, cella_error **err);
/* After pivot: masked and read-only paths, root propagation, read-only root. */
int rt_rootfs_finalize(const oci_config *c, cella_error **err);
/* Bind the pty slave at /dev/console (container view, after pivot). */
int rt_rootfs_bind_console(const char *slave_path, cella_error **err);
