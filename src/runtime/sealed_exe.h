/* CVE-2019-5736: a container must never get hold of the runtime binary.
 * Processes we put into a container are clones of the runtime, so their
 * /proc/PID/exe (and "#!/proc/self/exe" scripts) would name the host
 * binary, which a container root could reopen for writing once we exit.
 * Running from a sealed memfd copy makes that exe an unwritable throwaway,
 * as crun and runc do. */
#pragma once

/* Re-exec the running program from a sealed memfd copy, unless it already
 * runs from one. Returns only on failure (negative errno). */
int rt_reexec_sealed(char **argv);
/* Does the running program run from a sealed copy? */
int rt_running_sealed(void);
