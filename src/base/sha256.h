/* SHA-256 for small inputs: cache keys, state hashes, hash chains.
 * A portable implementation, so that programs which only hash a few
 * kilobytes (cella-runtime on every start) do not load libcrypto, whose
 * relocation alone costs more than the hashing. Bulk content (image
 * layers) belongs to OpenSSL's EVP with SHA-NI in the image layer. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

typedef struct sha256_ctx {
        uint32_t h[8];
        uint64_t len;
        uint8_t buf[64];
        size_t fill;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
void sha256_final(sha256_ctx *c, uint8_t out[32]);
void sha256_buf(const void *data, size_t len, uint8_t out[32]);
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
