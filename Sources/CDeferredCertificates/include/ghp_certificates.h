#ifndef GHP_CERTIFICATES_H
#define GHP_CERTIFICATES_H

/* libgit2 1.5 built with mbedTLS (Debian's) parses every certificate of its compiled-in bundle
   (/etc/ssl/certs/ca-certificates.crt, ~140 certificates, ~6 ms) inside git_libgit2_init, and no
   option turns that off. ghp defines mbedtls_x509_crt_parse_file itself (the executable's
   definition comes first in the dynamic linker's lookup) and, while deferring, only notes the file
   asked for: local commands never pay for it. The first network step loads it for real.

   With a libgit2 built on OpenSSL or another TLS stream, nothing calls these and nothing changes. */

/* From now on, a certificate file libgit2 asks mbedTLS to parse is noted, not parsed. */
void ghp_certificates_defer(void);

/* Stops deferring. Returns the file libgit2 asked for while deferring (to be given to
   GIT_OPT_SET_SSL_CERT_LOCATIONS), or NULL when it asked for none. */
const char *ghp_certificates_stop_deferring(void);

#endif
