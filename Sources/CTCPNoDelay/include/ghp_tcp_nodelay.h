#ifndef GHP_TCP_NODELAY_H
#define GHP_TCP_NODELAY_H

/* libgit2 1.5 sends a pack over git:// or ssh in many small writes (12 bytes, 2 bytes, one object
   each), and its sockets keep Nagle's algorithm on: each small write after the first waits for the
   server's delayed acknowledgement, about 40 ms, before it leaves. An uncontended write to a git
   daemon on loopback took ~95 ms, ~52 ms without the wait. libgit2 offers no option for it and its
   own socket stream cannot be wrapped, so ghp defines `connect` in the executable (the dynamic
   linker finds it before libc's) and sets TCP_NODELAY on every TCP socket before connecting it.
   Nothing else changes: the real connect is called with the same arguments. */

/* How many sockets were given TCP_NODELAY (for the tests). */
long ghp_tcp_nodelay_count(void);

#endif
