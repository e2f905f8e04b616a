/* SHA-256 through OpenSSL's EVP (SHA-NI where the CPU has it). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#define SHA256_HEX_LEN 64
void sha256_buf(const void *data, size_t len, uint8_t out[32]);
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
