/* The compiled-filter cache: cache_dir/<key>.bpf, where key is the sha256
 * of a canonical serialisation of the profile. A hit costs four or five
 * syscalls, the sha256 of the serialisation (~5 KB for Docker's profile)
 * and a checksum of the program; libseccomp is never called. */
#include "runtime/seccomp_internal.h"
#include "base/fileio.h"
#include "base/macros.h"
#include "base/sha256.h"
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* Canonical serialisation: fixed-width little-endian integers and
 * length-prefixed strings, fields in a fixed order. Version tag first so a
 * format change never reuses old entries. */
#define KEY_MAX_BYTES (8u << 20)

typedef struct kbuf {
        uint8_t *p;
        size_t len, cap;
        bool failed;
} kbuf;

static void kb_put(kbuf *b, const void *data, size_t n)
{
        if (b->failed)
                return;
        if (n > KEY_MAX_BYTES - b->len) {
                b->failed = true;
                return;
        }
        if (b->len + n > b->cap) {
                size_t cap = b->cap ? b->cap : 8192;
                while (cap < b->len + n)
                        cap *= 2;
                uint8_t *q = realloc(b->p, cap);
                if (!q) {
                        b->failed = true;
                        return;
                }
                b->p = q;
                b->cap = cap;
        }
        memcpy(b->p + b->len, data, n);
        b->len += n;
}

static void kb_u64(kbuf *b, uint64_t v)
{
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
                le[i] = (uint8_t)(v >> (8 * i));
        kb_put(b, le, sizeof(le));
}

/* Counts, lengths, enums: 32 bits (sha256 over less data: the hit path). */
static void kb_u32(kbuf *b, size_t v)
{
        if (v > UINT32_MAX) {
                b->failed = true;
                return;
        }
        uint8_t le[4];
        for (int i = 0; i < 4; i++)
                le[i] = (uint8_t)(v >> (8 * i));
        kb_put(b, le, sizeof(le));
}

static void kb_str(kbuf *b, const char *s)
{
        if (!s) {
                kb_u32(b, UINT32_MAX);
                return;
        }
        size_t n = strlen(s);
        kb_u32(b, n < UINT32_MAX ? n : SIZE_MAX);
        kb_put(b, s, n);
}

static void kb_strv(kbuf *b, char *const *v, size_t n)
{
        kb_u32(b, n);
        for (size_t i = 0; i < n; i++)
                kb_str(b, v ? v[i] : NULL);
}

/* The native architecture libseccomp was built for is this binary's. */
#if defined(__x86_64__) && defined(__ILP32__)
#define NATIVE_ARCH "x32"
#elif defined(__x86_64__)
#define NATIVE_ARCH "x86_64"
#elif defined(__i386__)
#define NATIVE_ARCH "x86"
#elif defined(__aarch64__)
#define NATIVE_ARCH "aarch64"
#elif defined(__arm__)
#define NATIVE_ARCH "arm"
#elif defined(__s390x__)
#define NATIVE_ARCH "s390x"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define NATIVE_ARCH "ppc64le"
#elif defined(__riscv)
#define NATIVE_ARCH "riscv64"
#else
#define NATIVE_ARCH "other"
#endif

int rt_seccomp_cache_key(const oci_seccomp *s, char ret_key[65], cella_error **err)
{
        kbuf b = { 0 };
        char hdr[128];
        snprintf(hdr, sizeof(hdr), "cella-seccomp-cache-v2 tree8 libseccomp-%d.%d.%d %s",
                 SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO, NATIVE_ARCH);
        kb_str(&b, hdr);
        kb_u32(&b, s->default_action);
        kb_u32(&b, s->has_default_errno_ret);
        kb_u32(&b, s->default_errno_ret);
        kb_strv(&b, s->architectures, s->n_architectures);
        kb_strv(&b, s->flags, s->n_flags);
        /* listenerPath/listenerMetadata do not shape the program: left out
         * so that they do not split the cache. */
        kb_u32(&b, s->n_syscalls);
        for (size_t i = 0; i < s->n_syscalls; i++) {
                const oci_seccomp_rule *r = &s->syscalls[i];
                kb_strv(&b, r->names, r->n_names);
                kb_u32(&b, r->action);
                kb_u32(&b, r->has_errno_ret);
                kb_u32(&b, r->errno_ret);
                kb_u32(&b, r->n_args);
                for (size_t k = 0; k < r->n_args; k++) {
                        kb_u32(&b, r->args[k].index);
                        kb_u32(&b, r->args[k].op);
                        kb_u64(&b, r->args[k].value);
                        kb_u64(&b, r->args[k].value_two);
                }
        }
        if (b.failed) {
                free(b.p);
                return err_setx(err, ENOMEM, "seccomp profile: too large to hash (over %u bytes)",
                                KEY_MAX_BYTES);
        }
        sha256_hex(b.p, b.len, ret_key);
        free(b.p);
        return 0;
}

/* File layout: header, then n_insns struct sock_filter. */
struct cache_hdr {
        char magic[8];          /* "CELLABF2" */
        uint32_t n_insns, flags, notify, reserved;
        uint64_t check;         /* prog_check() of the instructions */
};
_Static_assert(sizeof(struct cache_hdr) <= 64, "header fits in RT_SECCOMP_CACHE_MAX");

/* Against a damaged file, not an adversary (the ownership checks keep
 * those out): a multiply-xorshift over the 8-byte instructions, ~1 µs for
 * Docker's profile where a sha256 took ~40. */
static uint64_t prog_check(const struct sock_filter *insns, size_t n)
{
        uint64_t h = UINT64_C(0x9E3779B97F4A7C15) ^ n;
        for (size_t i = 0; i < n; i++) {
                uint64_t w;
                memcpy(&w, &insns[i], sizeof(w));
                h ^= w;
                h *= UINT64_C(0xff51afd7ed558ccd);
                h ^= h >> 32;
        }
        return h;
}

static int unsafe(const char *what, const char *path, const struct stat *st, cella_error **err)
{
        return err_setx(err, EPERM, "seccomp cache %s %s: must be owned by uid %u and not writable by group "
                        "or others (owner %u, mode %04o)", what, path, (unsigned)geteuid(),
                        (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777));
}

int rt_seccomp_cache_load(const char *cache_dir, const char *key, rt_seccomp_prog *ret, cella_error **err)
{
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/%s.bpf", cache_dir, key) >= (int)sizeof(path))
                return -ENOENT;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -ENOENT;
        /* Only we (or root) can make a file owned by us; one link only, so
         * that it is not someone else's hard link. */
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return -ENOENT;
        if (st.st_uid != geteuid() || (st.st_mode & 022))
                return unsafe("file", path, &st, err);
        if (st.st_nlink != 1)
                return err_setx(err, EPERM, "seccomp cache file %s: %lu hard links (must have one)", path,
                                (unsigned long)st.st_nlink);
        _cleanup_free_ uint8_t *buf = malloc(RT_SECCOMP_CACHE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        size_t len = 0;
        for (;;) {
                size_t want = RT_SECCOMP_CACHE_MAX + 1 - len;
                ssize_t n = RETRY_EINTR(read(fd, buf + len, want));
                if (n < 0)
                        return -ENOENT;
                len += (size_t)n;
                if (len > RT_SECCOMP_CACHE_MAX)
                        return -ENOENT;         /* oversized: not ours */
                /* A short read of a regular file is its end: saves a read. */
                if (n == 0 || (size_t)n < want)
                        break;
        }
        struct cache_hdr h;
        if (len < sizeof(h))
                return -ENOENT;
        memcpy(&h, buf, sizeof(h));
        if (memcmp(h.magic, "CELLABF2", 8) != 0 || h.n_insns == 0 ||
            h.n_insns > RT_SECCOMP_MAX_INSNS || h.notify > 1 ||
            len != sizeof(h) + (size_t)h.n_insns * sizeof(struct sock_filter))
                return -ENOENT;
        struct sock_filter *insns = malloc(len - sizeof(h));
        if (!insns)
                return -ENOMEM;
        memcpy(insns, buf + sizeof(h), len - sizeof(h));
        if (prog_check(insns, h.n_insns) != h.check) {
                free(insns);
                return -ENOENT;
        }
        *ret = (rt_seccomp_prog){ .insns = insns, .n_insns = h.n_insns, .flags = h.flags,
                                  .notify = h.notify };
        return 0;
}

int rt_seccomp_cache_open(const char *cache_dir, int *ret_dirfd, cella_error **err)
{
        *ret_dirfd = -1;
        if (mkdir(cache_dir, 0700) < 0 && errno != EEXIST &&
            (errno != ENOENT || mkdir_p(cache_dir, 0700) < 0))
                return 0;
        int fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return 0;
        struct stat st;
        if (fstat(fd, &st) < 0) {
                close(fd);
                return 0;
        }
        if (st.st_uid != geteuid() || (st.st_mode & 022)) {
                close(fd);
                return unsafe("folder", cache_dir, &st, err);
        }
        *ret_dirfd = fd;
        return 0;
}

int rt_seccomp_cache_store(int dirfd, const char *key, const rt_seccomp_prog *p)
{
        if (p->n_insns == 0 || p->n_insns > RT_SECCOMP_MAX_INSNS)
                return -EINVAL;
        struct cache_hdr h = { .n_insns = (uint32_t)p->n_insns, .flags = p->flags,
                               .notify = p->notify };
        memcpy(h.magic, "CELLABF2", 8);
        size_t plen = p->n_insns * sizeof(struct sock_filter);
        h.check = prog_check(p->insns, p->n_insns);

        /* Unique temporary name: two runtimes may store the same key at once. */
        uint64_t rnd = 0;
        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
                rnd = (uint64_t)getpid();
        char name[80], tmp[112];
        snprintf(name, sizeof(name), "%s.bpf", key);
        snprintf(tmp, sizeof(tmp), ".%s.%016llx.tmp", key, (unsigned long long)rnd);
        int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return NEG_ERRNO();
        int r = fd_write_all(fd, &h, sizeof(h));
        if (r >= 0)
                r = fd_write_all(fd, p->insns, plen);
        if (close(fd) < 0 && r >= 0)
                r = NEG_ERRNO();
        if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = NEG_ERRNO();
        if (r < 0)
                unlinkat(dirfd, tmp, 0);
        return r;
}
