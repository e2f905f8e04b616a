/* Capabilities from the OCI config, in the order the kernel needs:
 * the bounding set is dropped while the process still has CAP_SETPCAP,
 * the uid/gid switch keeps the permitted set (PR_SET_KEEPCAPS), then the
 * effective, permitted and inheritable sets are set and the ambient set
 * raised. */
#pragma once
#include "base/error.h"
#include "oci/config.h"

/* Step 1, before the uid switch: drop what is not in caps->bounding and set
 * PR_SET_KEEPCAPS. A NULL/absent caps keeps everything. */
int rt_caps_prepare(const oci_caps *caps, cella_error **err);
/* Step 2, after setresuid/setresgid: set effective/permitted/inheritable
 * and raise the ambient set. */
int rt_caps_apply(const oci_caps *caps, cella_error **err);
