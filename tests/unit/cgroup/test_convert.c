/* Conversions: shares -> weight (crun's formula), OCI swap -> v2 swap,
 * page sizes, unified keys. */
#include "tap.h"
#include "cgroup/cgroup-internal.h"
#include <stdlib.h>

int main(void)
{
        EQ_U(cg_shares_to_weight(0), 0, "shares 0 is unset");
        EQ_U(cg_shares_to_weight(2), 1, "shares 2 -> weight 1");
        EQ_U(cg_shares_to_weight(1), 1, "shares 1 clamps to 2 -> 1");
        EQ_U(cg_shares_to_weight(1024), 39, "shares 1024 -> 39 (crun/runc)");
        EQ_U(cg_shares_to_weight(512), 20, "shares 512 -> 20");
        EQ_U(cg_shares_to_weight(262144), 10000, "max shares -> 10000");
        EQ_U(cg_shares_to_weight(1u << 30), 10000, "above max clamps");

        bool set = false;
        int64_t v = 42;
        cella_error *err = NULL;
        OK(cg_swap_to_v2(true, 100, true, 300, &set, &v, &err) == 0 && set && v == 200, "swap 300 mem 100 -> 200");
        set = false;
        OK(cg_swap_to_v2(true, 100, true, -1, &set, &v, &err) == 0 && set && v == -1, "swap -1 -> max");
        set = true;
        v = 7;
        OK(cg_swap_to_v2(true, 100, false, 0, &set, &v, &err) == 0 && !set && v == 7, "no swap given: unset");
        OK(cg_swap_to_v2(true, -1, false, 0, &set, &v, &err) == 0 && set && v == -1, "memory -1, swap unset -> max");
        OK(cg_swap_to_v2(true, 100, true, 100, &set, &v, &err) == 0 && set && v == 0, "swap == memory -> 0");
        OK(cg_swap_to_v2(true, 100, true, 50, &set, &v, &err) == -EINVAL && err && strstr(err->msg, "memory.swap"),
           "swap below memory is an error naming the field: %s", err ? err->msg : "");
        err_freep(&err);
        OK(cg_swap_to_v2(false, 0, true, 50, &set, &v, &err) == -EINVAL, "swap without memory limit refused");
        err_freep(&err);

        OK(cg_valid_page_size("2MB"), "2MB");
        OK(cg_valid_page_size("1GB"), "1GB");
        OK(cg_valid_page_size("64KB"), "64KB");
        OK(!cg_valid_page_size("2M"), "2M refused");
        OK(!cg_valid_page_size("MB"), "MB refused");
        OK(!cg_valid_page_size("2MB/../x"), "traversal refused");

        OK(cg_valid_unified_key("memory.high"), "memory.high");
        OK(cg_valid_unified_key("cpu.max.burst"), "cpu.max.burst");
        OK(!cg_valid_unified_key("../memory.max"), "../ refused");
        OK(!cg_valid_unified_key("a/memory.max"), "slash refused");
        OK(!cg_valid_unified_key(".."), ".. refused");
        OK(!cg_valid_unified_key("memory..max"), "dots refused");
        OK(!cg_valid_unified_key(""), "empty refused");
        OK(!cg_valid_unified_key("tasks"), "no controller prefix refused");
        return tap_done();
}
