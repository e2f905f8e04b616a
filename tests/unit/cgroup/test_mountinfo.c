/* Layout detection from sample /proc/self/mountinfo and /proc/self/cgroup
 * texts: this host (hybrid), the same host with the memory hierarchy
 * masked by a tmpfs, pure v2, pure v1 with co-mounted controllers, a
 * hierarchy shadowed by a later mount, escaped mount points. */
#include "tap.h"
#include "cgroup/cgroup-internal.h"
#include <stdlib.h>

static const char hybrid[] =
        "22 1 0:21 / /sys rw,relatime - sysfs sysfs rw\n"
        "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
        "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
        "36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
        "37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
        "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char hybrid_cg[] =
        "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
        "4:memory:/process_api/52e7\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/user\n0::/init.scope\n";

/* What scripts/masked-ns leaves: the memory hierarchy unmounted and an
 * empty read-only tmpfs in its place. */
static const char masked[] =
        "46 45 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "47 46 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "48 46 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "51 46 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
        "55 46 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "56 46 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
        "50 46 0:38 / /sys/fs/cgroup/memory ro,relatime - tmpfs cella-masked ro,size=4k,mode=555\n";

/* A tmpfs mounted over the memory hierarchy without unmounting it. */
static const char shadowed[] =
        "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "60 34 0:50 / /sys/fs/cgroup/memory ro,relatime - tmpfs none ro\n";

/* scripts/masked-ns after `mount --move`: the new /sys/fs/cgroup tmpfs
 * (84) is listed after the hierarchies mounted on it, and the old tmpfs
 * (59) it covers comes first. */
static const char moved[] =
        "55 54 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        "58 55 0:21 / /sys rw,relatime - sysfs sysfs rw\n"
        "59 58 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "60 84 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "108 84 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "110 84 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
        "84 59 0:49 / /sys/fs/cgroup ro,relatime - tmpfs cella-cgroup ro,size=64k,mode=755\n";
/* An old hierarchy left under a tmpfs mounted over all of /sys/fs/cgroup. */
static const char covered[] =
        "59 58 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "60 59 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "61 59 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "84 59 0:49 / /sys/fs/cgroup rw,relatime - tmpfs over rw\n"
        "85 84 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";

static const char pure_v2[] =
        "25 21 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

static const char pure_v1[] =
        "25 21 0:22 / /sys/fs/cgroup ro,nosuid shared:4 - tmpfs tmpfs ro,mode=755\n"
        "26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid shared:5 - cgroup cgroup rw,xattr,name=systemd\n"
        "27 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:6 - cgroup cgroup rw,cpu,cpuacct\n"
        "28 25 0:25 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:7 - cgroup cgroup rw,net_cls,net_prio\n"
        "29 25 0:26 / /sys/fs/cgroup/memory rw,nosuid shared:8 - cgroup cgroup rw,memory\n"
        "30 25 0:26 / /mnt/memory-again rw,nosuid shared:8 - cgroup cgroup rw,memory\n";
static const char pure_v1_cg[] = "3:memory:/m\n2:cpu,cpuacct:/c\n1:name=systemd:/s\n";

static const char escaped[] =
        "25 21 0:22 /sub /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw\n";

static cg_host *parse(const char *mi, const char *pc)
{
        cg_host *h = NULL;
        cella_error *err = NULL;
        if (cg_host_parse(mi, pc, &h, &err) < 0) {
                printf("# %s\n", err ? err->msg : "?");
                err_free(err);
        }
        return h;
}

static const cg_hier *find(const cg_host *h, int ctl)
{
        for (size_t i = 0; i < h->n_v1; i++)
                if (h->v1[i].ctls & CG_BIT(ctl))
                        return &h->v1[i];
        return NULL;
}

int main(void)
{
        cg_host *h = parse(hybrid, hybrid_cg);
        OK(h && h->layout == CG_LAYOUT_HYBRID, "hybrid detected");
        EQ_U(h->n_v1, 9, "nine v1 hierarchies (8 controllers + name=systemd)");
        OK(find(h, CG_CTL_CPU) != find(h, CG_CTL_CPUACCT), "cpu and cpuacct are separate hierarchies");
        EQ_S(find(h, CG_CTL_CPU)->own, "/user", "own cgroup in cpu");
        EQ_S(find(h, CG_CTL_MEMORY)->own, "/process_api/52e7", "own cgroup in memory");
        EQ_S(find(h, CG_CTL_MEMORY)->mnt, "/sys/fs/cgroup/memory", "memory mount");
        OK(h->v2 && streq(h->v2->mnt, "/sys/fs/cgroup/unified"), "unified mount");
        EQ_S(h->v2->own, "/init.scope", "own v2 cgroup");
        bool sd = false;
        for (size_t i = 0; i < h->n_v1; i++)
                sd |= h->v1[i].named_systemd && streq(h->v1[i].own, "/");
        OK(sd, "name=systemd hierarchy with its own cgroup");
        cg_host_free(h);

        h = parse(masked, hybrid_cg);
        OK(h && h->layout == CG_LAYOUT_HYBRID, "masked: still hybrid");
        OK(!find(h, CG_CTL_MEMORY), "masked: the tmpfs is no memory controller");
        OK(find(h, CG_CTL_CPU) != NULL, "masked: cpu still there");
        cg_host_free(h);

        h = parse(shadowed, "");
        OK(h && !find(h, CG_CTL_MEMORY), "a hierarchy with a later mount on top does not count");
        OK(find(h, CG_CTL_CPU) && find(h, CG_CTL_CPU)->own == NULL, "no own path when /proc/self/cgroup lacks it");
        cg_host_free(h);

        h = parse(moved, hybrid_cg);
        OK(h && h->layout == CG_LAYOUT_HYBRID && h->n_v1 == 2 && h->v2, "moved mounts: parent ids decide, not order");
        cg_host_free(h);
        h = parse(covered, "");
        OK(h && !find(h, CG_CTL_MEMORY) && find(h, CG_CTL_CPU), "hierarchies under a later tmpfs do not count");
        cg_host_free(h);

        h = parse(pure_v2, "0::/user.slice/x.scope\n");
        OK(h && h->layout == CG_LAYOUT_V2, "pure v2");
        OK(h->n_v1 == 0 && h->v2 && streq(h->v2->mnt, "/sys/fs/cgroup"), "v2 at /sys/fs/cgroup");
        EQ_S(h->v2->own, "/user.slice/x.scope", "own v2");
        cg_host_free(h);

        h = parse(pure_v1, pure_v1_cg);
        OK(h && h->layout == CG_LAYOUT_V1, "pure v1");
        EQ_U(h->n_v1, 4, "4 hierarchies (the second memory mount is a duplicate)");
        OK(find(h, CG_CTL_CPU) == find(h, CG_CTL_CPUACCT), "co-mounted cpu,cpuacct");
        EQ_S(find(h, CG_CTL_CPU)->own, "/c", "own path matched by controller set");
        OK(find(h, CG_CTL_NET_PRIO) && find(h, CG_CTL_NET_CLS) == find(h, CG_CTL_NET_PRIO), "net_cls,net_prio");
        EQ_S(find(h, CG_CTL_MEMORY)->mnt, "/sys/fs/cgroup/memory", "first memory mount kept");
        cg_host_free(h);

        h = parse(escaped, "0::/sub/x\n");
        OK(h && h->v2 && streq(h->v2->mnt, "/mnt/my cgroups"), "\\040 unescaped");
        EQ_S(h->v2->root, "/sub", "mount root");
        cg_host_free(h);

        h = parse("", "");
        OK(h && h->layout == CG_LAYOUT_NONE, "nothing mounted: none");
        cg_host_free(h);
        cella_error *err = NULL;
        h = NULL;
        OK(cg_host_parse("1 2 3\n", "", &h, &err) < 0 && err && strstr(err->msg, "mountinfo:1"),
           "malformed line named: %s", err ? err->msg : "");
        err_free(err);

        EQ_U(cg_parse_v2_controllers("cpuset cpu io memory hugetlb pids rdma misc\n"),
             CG_BIT(CG_CTL_CPUSET) | CG_BIT(CG_CTL_CPU) | CG_BIT(CG_CTL_CPUACCT) | CG_BIT(CG_CTL_BLKIO) |
             CG_BIT(CG_CTL_MEMORY) | CG_BIT(CG_CTL_HUGETLB) | CG_BIT(CG_CTL_PIDS) | CG_BIT(CG_CTL_RDMA) |
             CG_BIT(CG_CTL_MISC), "v2 controllers parsed");
        EQ_S(cg_layout_name(CG_LAYOUT_HYBRID), "hybrid", "layout name");
        return tap_done();
}
