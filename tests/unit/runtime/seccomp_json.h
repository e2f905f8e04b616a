/* Test helper: an OCI linux.seccomp JSON object into an oci_seccomp, so the
 * runtime tests do not depend on the oci parser. Strict enough for tests;
 * the real parser is src/oci's. */
#pragma once
#include "oci/config.h"

int test_seccomp_from_json(const json_t *j, oci_seccomp *ret);
/* Parse JSON text (for tests written as strings). */
int test_seccomp_from_text(const char *text, oci_seccomp *ret);
void test_seccomp_free(oci_seccomp *s);
