#ifndef GHP_PROCESS_H
#define GHP_PROCESS_H

#include <sys/types.h>

/* Starts a supervised worker for `ghp run`, in C because the child side of fork may only make
   async-signal-safe calls.

   A keeper process leads a new process group, asks the kernel for a signal when the caller (this
   thread) dies and then kills its whole group, and runs `path` as its own child in that group with
   stdin from `in_fd`, stdout and stderr to `out_fd`, in `dir`, with every other descriptor closed.
   The keeper ignores SIGINT and SIGTERM (the group's signals are for the agent) and exits with the
   agent's status (128 + signal when killed by one). It is a subreaper: when the agent ends, on
   SIGUSR1, or when the caller dies, it kills its group and every descendant (one that called
   setsid or double-forked included) before it exits. When chdir or execve fails, the child writes
   two ints to `report_fd` (a close-on-exec pipe): the stage (1 chdir, 2 exec) and errno; a
   successful exec closes it unwritten.

   Returns the keeper's pid (also the group id), or -errno when fork fails. */
pid_t ghp_spawn_supervised(const char *path, char *const argv[], char *const envp[], const char *dir, int in_fd,
                           int out_fd, int report_fd);

/* Reaps a keeper that has exited: 0 when it still runs; 1 when it exited, with *status its exit
   code. Before the keeper is reaped, what is left of its group (processes the agent started) is
   killed, while the group id cannot yet name another group. -1 with errno on error. */
int ghp_reap_supervised(pid_t keeper, int *status);

/* A descriptor that becomes readable whenever a child of this process ends (a SIGCHLD handler
   writes a byte to a non-blocking pipe), so that a loop waiting in poll() wakes at once. Installed
   once; later calls return the same descriptor. Read it empty with ghp_child_signal_drain. */
int ghp_child_signal_fd(void);
void ghp_child_signal_drain(void);

/* pipe2(fds, O_CLOEXEC), which Swift's Glibc module does not declare. */
int ghp_pipe_cloexec(int fds[2]);

/* A descriptor that becomes readable when `pid` (a child) ends, or -1 (kernels before 5.3). */
int ghp_pidfd_open(pid_t pid);

/* poll(2) on one descriptor for reading: 1 when readable, 0 on timeout, -1 (EINTR on a signal). */
int ghp_wait_readable(int fd, int timeout_ms);

#endif
