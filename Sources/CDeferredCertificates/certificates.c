#define _GNU_SOURCE
#include "ghp_certificates.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>

struct mbedtls_x509_crt;

static atomic_int ghp_deferring = 0;
static char ghp_deferred_file[PATH_MAX];
static atomic_int ghp_has_deferred_file = 0;

void ghp_certificates_defer(void) { atomic_store(&ghp_deferring, 1); }

const char *ghp_certificates_stop_deferring(void) {
  atomic_store(&ghp_deferring, 0);
  return atomic_load(&ghp_has_deferred_file) ? ghp_deferred_file : NULL;
}

/* Interposes mbedTLS's own (libmbedx509): same name, same signature. */
int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path) {
  typedef int (*parse_file)(struct mbedtls_x509_crt *, const char *);
  static parse_file real = NULL;
  if (atomic_load(&ghp_deferring) && path != NULL && strlen(path) < sizeof ghp_deferred_file) {
    strcpy(ghp_deferred_file, path);
    atomic_store(&ghp_has_deferred_file, 1);
    return 0;
  }
  if (real == NULL) real = (parse_file)dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
  /* MBEDTLS_ERR_X509_FILE_IO_ERROR: what mbedTLS returns for a file it cannot read. */
  if (real == NULL) return -0x2900;
  return real(chain, path);
}
