#include "sealed_exe.h"
#include "base/macros.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int rt_running_sealed(void)
{
        _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NEG_ERRNO();
        int seals = fcntl(fd, F_GET_SEALS);
        return seals >= 0 && (seals & SEALS) == SEALS;
}

int rt_reexec_sealed(char **argv)
{
        _cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (exe < 0)
                return NEG_ERRNO();
        int seals = fcntl(exe, F_GET_SEALS);
        if (seals >= 0 && (seals & SEALS) == SEALS)
                return 0;
        struct stat st;
        if (fstat(exe, &st) < 0)
                return NEG_ERRNO();
        _cleanup_close_ int mfd = memfd_create("cella-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return NEG_ERRNO();
        off_t off = 0;
        while (off < st.st_size) {
                ssize_t n = sendfile(mfd, exe, &off, (size_t)(st.st_size - off));
                if (n <= 0)
                        return n < 0 ? NEG_ERRNO() : -EIO;
        }
        if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
                return NEG_ERRNO();
        syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
        return NEG_ERRNO();
}
