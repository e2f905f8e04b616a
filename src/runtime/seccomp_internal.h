/* Internal to the seccomp files of src/runtime: the compiler (seccomp.c,
 * the only file that calls libseccomp), the cache (seccomp_cache.c) and
 * the installer (seccomp_install.c). */
#pragma once
#include <stdint.h>
#include "runtime/seccomp.h"

/* The kernel's limit on a classic BPF program (BPF_MAXINSNS). */
#define RT_SECCOMP_MAX_INSNS 4096u
/* The bounded size of a cache file: header + the largest program. */
#define RT_SECCOMP_CACHE_MAX (64u + RT_SECCOMP_MAX_INSNS * 8u)

/* SECCOMP_FILTER_FLAG_* that a config may name. */
unsigned rt_seccomp_flag_from_name(const char *name);

/* The cache key: sha256 (hex) of a canonical serialisation of everything
 * in `s` that shapes the program, with libseccomp's version and the native
 * architecture (both fixed at build time: no libseccomp call). */
int rt_seccomp_cache_key(const oci_seccomp *s, char ret_key[65], cella_error **err);
/* The hit path, 4-5 syscalls: open cache_dir/<key>.bpf, fstat, read,
 * close. 0 and *ret filled on a hit; -ENOENT on a miss or a damaged file;
 * -EPERM and *err when the file is not ours alone (owner, mode, links). */
int rt_seccomp_cache_load(const char *cache_dir, const char *key, rt_seccomp_prog *ret, cella_error **err);
/* Before storing: open (creating it 0700 when missing) the cache folder.
 * It must be owned by us and writable by nobody else, or others could
 * swap entries (-EPERM and *err). When it cannot be created or opened: 0
 * with *ret_dirfd = -1 (no cache). */
int rt_seccomp_cache_open(const char *cache_dir, int *ret_dirfd, cella_error **err);
/* Best effort: a cache that cannot be written only costs the next start
 * a compilation. Atomic: unique temporary name, then rename. */
int rt_seccomp_cache_store(int dirfd, const char *key, const rt_seccomp_prog *p);

/* Compile with libseccomp (flags already parsed into ret->flags). */
int rt_seccomp_compile(const oci_seccomp *s, rt_seccomp_prog *ret, cella_error **err);
