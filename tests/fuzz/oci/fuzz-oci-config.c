/* libFuzzer target: oci_config_parse on arbitrary bytes, then validate and
 * re-derive every mount's options. Must never crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include "oci/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        oci_config *c = NULL;
        cella_error *err = NULL;
        if (oci_config_parse("fuzz.json", (const char *) data, size, &c, &err) == 0) {
                (void) oci_config_validate(c, false, &err);
                (void) oci_config_validate(c, true, &err);
                for (size_t i = 0; i < c->n_mounts; i++)
                        (void) oci_mount_parse_options(&c->mounts[i], &err);
                oci_config_free(c);
        }
        err_free(err);
        return 0;
}
