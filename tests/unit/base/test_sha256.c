/* SHA-256 against the FIPS 180-4 / NIST example vectors, and the
 * streaming interface against one-shot hashing at every split point. */
#include "base/sha256.h"
#include <stdio.h>
#include <string.h>

static int failures;

static void check(const char *name, const char *got, const char *want)
{
        if (strcmp(got, want) != 0) {
                printf("not ok - %s: got %s want %s\n", name, got, want);
                failures++;
        } else
                printf("ok - %s\n", name);
}

int main(void)
{
        char hex[SHA256_HEX_LEN + 1];
        sha256_hex("", 0, hex);
        check("empty", hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        sha256_hex("abc", 3, hex);
        check("abc", hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        sha256_hex(two, strlen(two), hex);
        check("two blocks", hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        static char million[1000000];
        memset(million, 'a', sizeof(million));
        sha256_hex(million, sizeof(million), hex);
        check("million a", hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        uint8_t one[32], split[32];
        sha256_buf(two, strlen(two), one);
        for (size_t cut = 0; cut <= strlen(two); cut++) {
                sha256_ctx c;
                sha256_init(&c);
                sha256_update(&c, two, cut);
                sha256_update(&c, two + cut, strlen(two) - cut);
                sha256_final(&c, split);
                if (memcmp(one, split, 32) != 0) {
                        printf("not ok - split at %zu\n", cut);
                        failures++;
                }
        }
        printf("ok - streaming splits\n1..5\n");
        return failures ? 1 : 0;
}
