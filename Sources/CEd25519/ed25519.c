#include "ghp_ed25519.h"

#include <openssl/evp.h>

int ghp_ed25519_public_key(const uint8_t seed[32], uint8_t public_key[32]) {
  EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
  if (key == NULL) return -1;
  size_t length = 32;
  int ok = EVP_PKEY_get_raw_public_key(key, public_key, &length) == 1 && length == 32;
  EVP_PKEY_free(key);
  return ok ? 0 : -1;
}

int ghp_ed25519_sign(const uint8_t seed[32], const uint8_t *message, size_t length, uint8_t signature[64]) {
  EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
  EVP_MD_CTX *context = EVP_MD_CTX_new();
  size_t size = 64;
  int ok = key != NULL && context != NULL && EVP_DigestSignInit(context, NULL, NULL, NULL, key) == 1 &&
           EVP_DigestSign(context, signature, &size, message, length) == 1 && size == 64;
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);
  return ok ? 0 : -1;
}

int ghp_ed25519_verify(const uint8_t public_key[32], const uint8_t *message, size_t length,
                       const uint8_t signature[64]) {
  EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, public_key, 32);
  EVP_MD_CTX *context = EVP_MD_CTX_new();
  int valid = key != NULL && context != NULL && EVP_DigestVerifyInit(context, NULL, NULL, NULL, key) == 1 &&
              EVP_DigestVerify(context, signature, 64, message, length) == 1;
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);
  return valid ? 1 : 0;
}

int ghp_sha512(const uint8_t *data, size_t length, uint8_t digest[64]) {
  unsigned int size = 0;
  return EVP_Digest(data, length, digest, &size, EVP_sha512(), NULL) == 1 && size == 64 ? 0 : -1;
}
