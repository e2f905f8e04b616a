#include "sha256.h"
#include <openssl/evp.h>
#include <stdio.h>

void sha256_buf(const void *data, size_t len, uint8_t out[32])
{
        unsigned int n = 32;
        EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
        uint8_t d[32];
        sha256_buf(data, len, d);
        for (int i = 0; i < 32; i++)
                snprintf(out + 2 * i, 3, "%02x", d[i]);
}
