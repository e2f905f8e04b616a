/* Shared setup for the GPU tests: a scratch directory, topology files, and
 * the fake library paths that meson passes in the environment. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "base/fileio.h"
#include "gpu/gpu.h"

static char scratch[256];

static inline void scratch_init(void)
{
        const char *tmp = getenv("TMPDIR");
        snprintf(scratch, sizeof(scratch), "%s/cella-gpu-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(scratch)) {
                perror("mkdtemp");
                exit(99);
        }
}

static inline void scratch_done(void)
{
        rm_rf_at(AT_FDCWD, scratch);
}

/* Path of a shipped topology file (tests/fakes/topo/NAME). */
static inline const char *topo_path(const char *name)
{
        static char buf[512];
        const char *dir = getenv("CELLA_FAKE_TOPO_DIR");
        snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : "tests/fakes/topo", name);
        return buf;
}

static inline void use_topology(const char *path)
{
        setenv("CELLA_FAKE_NVML_TOPOLOGY", path, 1);
}

/* Write text (optionally after a shipped file's content) to scratch/name and use it. */
static inline void use_topology_text(const char *name, const char *base, const char *text)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", scratch, name);
        FILE *f = fopen(path, "we");
        if (!f) {
                perror(path);
                exit(99);
        }
        if (base) {
                FILE *b = fopen(topo_path(base), "re");
                char line[1024];
                while (b && fgets(line, sizeof(line), b))
                        fputs(line, f);
                if (b)
                        fclose(b);
        }
        fputs(text, f);
        fclose(f);
        use_topology(path);
}

/* Create scratch/rel (and parents) holding text. */
static inline void put_file(const char *rel, const char *text)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", scratch, rel);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        mkdir_p(path, 0755);
        *slash = '/';
        write_file_at(AT_FDCWD, path, text, strlen(text), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static inline const char *fake_lib(void)
{
        return getenv("CELLA_NVML_LIBRARY");
}
