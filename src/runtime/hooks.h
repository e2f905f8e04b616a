/* OCI hooks: each runs with the container state JSON on its stdin, with
 * its own args and env, killed when it outlives its timeout. */
#pragma once
#include "base/error.h"
#include "oci/config.h"

/* Run every hook of `kind` in order; stop at the first failure. */
int rt_hooks_run(const oci_hooks *hooks, enum oci_hook_kind kind, const char *state_json, cella_error **err);
