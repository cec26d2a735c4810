#define _GNU_SOURCE
#include "ghp_tcp_nodelay.h"

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <sys/socket.h>

static atomic_long ghp_nodelay_sockets = 0;

long ghp_tcp_nodelay_count(void) { return atomic_load(&ghp_nodelay_sockets); }

/* Interposes libc's connect: same name, same signature. */
int connect(int fd, const struct sockaddr *address, socklen_t length) {
  typedef int (*connect_function)(int, const struct sockaddr *, socklen_t);
  static connect_function real = NULL;
  if (real == NULL) real = (connect_function)dlsym(RTLD_NEXT, "connect");
  if (real == NULL) {
    errno = ENOSYS;
    return -1;
  }
  if (address != NULL && (address->sa_family == AF_INET || address->sa_family == AF_INET6)) {
    int type = 0;
    socklen_t size = sizeof type;
    int one = 1;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0 && type == SOCK_STREAM &&
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0) {
      atomic_fetch_add(&ghp_nodelay_sockets, 1);
    }
  }
  return real(fd, address, length);
}
