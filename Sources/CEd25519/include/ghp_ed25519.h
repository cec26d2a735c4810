#ifndef GHP_ED25519_H
#define GHP_ED25519_H

#include <stddef.h>
#include <stdint.h>

/* Ed25519 (RFC 8032) and SHA-512 through OpenSSL's libcrypto, which libgit2's ssh transport
   already loads: the agents' commit signatures need nothing more, and a second crypto library in
   ghp would pull full Foundation into every command's start-up. Each returns 0 on success. */

/* The public key of the private key `seed` (32 bytes). */
int ghp_ed25519_public_key(const uint8_t seed[32], uint8_t public_key[32]);

/* The 64-byte signature of `message` by `seed`. */
int ghp_ed25519_sign(const uint8_t seed[32], const uint8_t *message, size_t length, uint8_t signature[64]);

/* 1 when `signature` is `public_key`'s signature of `message`, else 0. */
int ghp_ed25519_verify(const uint8_t public_key[32], const uint8_t *message, size_t length,
                       const uint8_t signature[64]);

/* SHA-512 of `data`. */
int ghp_sha512(const uint8_t *data, size_t length, uint8_t digest[64]);

#endif
