#define _GNU_SOURCE
#include "ghp_process.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Set by the keeper's signal handlers; acted on by its main flow (a sweep reads /proc). */
static volatile sig_atomic_t ghp_keeper_stop = 0;

static void ghp_keeper_signalled(int signal) { ghp_keeper_stop = signal; }

/* The parent and process group of `pid`, from /proc/<pid>/stat; 0 when it is gone. */
static int ghp_parent_and_group(pid_t pid, pid_t *parent, pid_t *group) {
  char path[64], buffer[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (n <= 0) return 0;
  buffer[n] = 0;
  char *close_paren = strrchr(buffer, ')');
  if (!close_paren) return 0;
  char state;
  int ppid, pgrp;
  if (sscanf(close_paren + 1, " %c %d %d", &state, &ppid, &pgrp) != 3) return 0;
  if (state == 'Z') return 0;
  *parent = ppid;
  *group = pgrp;
  return 1;
}

/* Kills every process in the keeper's group but itself, then, round after round, its children:
   as a subreaper it inherits every orphan below it (a daemon that called setsid included), so
   nothing the agent started outlives the attempt. */
static void ghp_keeper_sweep(void) {
  pid_t self = getpid();
  /* As a subreaper, the keeper is the parent of whatever is left below it, so having no child at
     all (not even a zombie) means nothing is: the common case, told by one call instead of a read
     of every process's /proc/<pid>/stat. */
  if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD) return;
  for (int round = 0; round < 200; round++) {
    int found = 0;
    DIR *folder = opendir("/proc");
    if (!folder) return;
    struct dirent *entry;
    while ((entry = readdir(folder)) != NULL) {
      char *end;
      long pid = strtol(entry->d_name, &end, 10);
      if (*end != 0 || pid <= 0 || pid == self) continue;
      pid_t parent = 0, group = 0;
      if (!ghp_parent_and_group((pid_t)pid, &parent, &group)) continue;
      if (parent == self || group == self) {
        kill((pid_t)pid, SIGKILL);
        found++;
      }
    }
    closedir(folder);
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (!found) return;
    usleep(5000);
  }
}

static void ghp_keeper_orphaned(int signal) {
  (void)signal;
  ghp_keeper_sweep();
  _exit(137);
}

/* Marks (or closes) every descriptor from `first` on. */
static void ghp_close_from(int first, int cloexec) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)first, ~0U, cloexec ? CLOSE_RANGE_CLOEXEC : 0) == 0) return;
#endif
  for (int fd = first; fd < 65536; fd++) {
    if (cloexec) fcntl(fd, F_SETFD, FD_CLOEXEC);
    else close(fd);
  }
}

static void ghp_report(int fd, int stage, int error) {
  int words[2] = {stage, error};
  ssize_t ignored = write(fd, words, sizeof words);
  (void)ignored;
}

pid_t ghp_spawn_supervised(const char *path, char *const argv[], char *const envp[], const char *dir, int in_fd,
                           int out_fd, int report_fd) {
  pid_t supervisor = getpid();
  pid_t keeper = fork();
  if (keeper < 0) return -errno;
  if (keeper > 0) {
    /* Both sides set the group, so that it exists before either goes on. */
    setpgid(keeper, keeper);
    return keeper;
  }
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_IGN;
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGHUP, &action, NULL);
  action.sa_handler = SIG_DFL;
  sigaction(SIGCHLD, &action, NULL);
  sigaction(SIGPIPE, &action, NULL);
  /* SIGUSR2: the supervisor died (the parent-death signal); SIGUSR1: the supervisor ends the
     attempt. Either way the keeper kills everything below it, then exits. */
  action.sa_handler = ghp_keeper_signalled;
  sigaction(SIGUSR2, &action, NULL);
  sigaction(SIGUSR1, &action, NULL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  prctl(PR_SET_NAME, "ghp-keeper", 0, 0, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGUSR2);
  if (getppid() != supervisor) ghp_keeper_orphaned(0);

  pid_t agent = fork();
  if (agent < 0) _exit(127);
  if (agent == 0) {
    action.sa_handler = SIG_DFL;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    sigaction(SIGUSR2, &action, NULL);
    sigaction(SIGUSR1, &action, NULL);
    if (in_fd != 0) dup2(in_fd, 0);
    if (out_fd != 1) dup2(out_fd, 1);
    if (out_fd != 2) dup2(out_fd, 2);
    ghp_close_from(3, 1);
    /* report_fd stays open until exec closes it. */
    fcntl(report_fd, F_SETFD, FD_CLOEXEC);
    if (chdir(dir) != 0) {
      ghp_report(report_fd, 1, errno);
      _exit(126);
    }
    execve(path, argv, envp);
    ghp_report(report_fd, 2, errno);
    _exit(127);
  }
  ghp_close_from(3, 0);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
  }
  int status = 0;
  while (waitpid(agent, &status, 0) < 0) {
    if (errno != EINTR) _exit(127);
    if (ghp_keeper_stop) ghp_keeper_orphaned(0);
  }
  /* The agent ended: what it left running dies with the attempt. */
  ghp_keeper_sweep();
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
  _exit(127);
}

int ghp_reap_supervised(pid_t keeper, int *status) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  if (waitid(P_PID, (id_t)keeper, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return -1;
  if (info.si_pid == 0) return 0;
  kill(-keeper, SIGKILL);
  int raw = 0;
  while (waitpid(keeper, &raw, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(raw)) *status = WEXITSTATUS(raw);
  else if (WIFSIGNALED(raw)) *status = 128 + WTERMSIG(raw);
  else *status = 127;
  return 1;
}

int ghp_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return (int)syscall(SYS_pidfd_open, pid, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}

int ghp_wait_readable(int fd, int timeout_ms) {
  struct pollfd entry = {.fd = fd, .events = POLLIN, .revents = 0};
  return poll(&entry, 1, timeout_ms);
}

int ghp_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

static int ghp_child_pipe[2] = {-1, -1};

static void ghp_on_child(int signal) {
  (void)signal;
  int saved = errno;
  char byte = 1;
  ssize_t ignored = write(ghp_child_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved;
}

int ghp_child_signal_fd(void) {
  if (ghp_child_pipe[0] >= 0) return ghp_child_pipe[0];
  if (pipe2(ghp_child_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = ghp_on_child;
  action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&action.sa_mask);
  sigaction(SIGCHLD, &action, NULL);
  return ghp_child_pipe[0];
}

void ghp_child_signal_drain(void) {
  char buffer[256];
  if (ghp_child_pipe[0] < 0) return;
  while (read(ghp_child_pipe[0], buffer, sizeof buffer) > 0) {
  }
}
