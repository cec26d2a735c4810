#define _GNU_SOURCE
#include "ghp_object_batch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int ref_error(const char *what, const char *path) {
  char message[1200];
  snprintf(message, sizeof message, "%s '%s': %s", what, path, strerror(errno));
  git_error_set_str(GIT_ERROR_OS, message);
  return -1;
}

/* Creates the folders above `path` (its last component excluded). */
static int make_parents(char *path, size_t from) {
  for (char *slash = strchr(path + from, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
    *slash = 0;
    int made = mkdir(path, 0777);
    int failed = made != 0 && errno != EEXIST;
    *slash = '/';
    if (failed) return -1;
  }
  return 0;
}

/* fsyncs the folder holding `path`. */
static int sync_folder(const char *path) {
  char *folder = strdup(path);
  if (folder == NULL) {
    git_error_set_oom();
    return -1;
  }
  char *slash = strrchr(folder, '/');
  if (slash != NULL) *slash = 0;
  int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int result = 0;
  if (fd < 0 || fsync(fd) != 0) result = ref_error("cannot fsync the folder", folder);
  if (fd >= 0) close(fd);
  free(folder);
  return result;
}

/* Whether libgit2 would write a reflog for `name`: core.logAllRefUpdates (unset: not bare) for a
   branch, or a reflog that is there already. */
static int wants_reflog(git_repository *repo, const char *log_path, const char *name) {
  if (access(log_path, F_OK) == 0) return 1;
  git_config *config = NULL;
  int wanted = !git_repository_is_bare(repo);
  if (git_repository_config_snapshot(&config, repo) == 0) {
    const char *text = NULL;
    int flag = 0;
    if (git_config_get_string(&text, config, "core.logallrefupdates") == 0 && text != NULL &&
        strcasecmp(text, "always") == 0) {
      wanted = 2;
    } else if (git_config_get_bool(&flag, config, "core.logallrefupdates") == 0) {
      wanted = flag;
    }
    git_config_free(config);
  }
  if (wanted == 2) return 1;
  return wanted && (strncmp(name, "refs/heads/", 11) == 0 || strcmp(name, "HEAD") == 0);
}

/* Appends git's reflog line for the move; best effort, and never flushed: the reflog is a
   convenience for people, not part of the record. */
static void append_reflog(git_repository *repo, const char *common, const char *name, const git_oid *old,
                          const git_oid *new, const char *message) {
  size_t length = strlen(common) + strlen(name) + 16;
  char *path = malloc(length);
  if (path == NULL) return;
  snprintf(path, length, "%s/logs/%s", common, name);
  if (!wants_reflog(repo, path, name) || make_parents(path, strlen(common) + 1) != 0) {
    free(path);
    return;
  }
  git_signature *who = NULL;
  if (git_signature_default(&who, repo) != 0 && git_signature_now(&who, "unknown", "unknown") != 0) {
    free(path);
    return;
  }
  char old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(old_hex, sizeof old_hex, old);
  git_oid_tostr(new_hex, sizeof new_hex, new);
  int offset = who->when.offset;
  char sign = offset < 0 ? '-' : '+';
  if (offset < 0) offset = -offset;
  size_t text_length = strlen(message) + strlen(who->name) + strlen(who->email) + 2 * GIT_OID_HEXSZ + 64;
  char *line = malloc(text_length);
  if (line != NULL) {
    /* The message without its trailing white space, as libgit2 writes it. */
    int kept = (int)strlen(message);
    while (kept > 0 && (message[kept - 1] == '\n' || message[kept - 1] == ' ' || message[kept - 1] == '\t')) kept--;
    int written = snprintf(line, text_length, "%s %s %s <%s> %lld %c%02d%02d\t%.*s\n", old_hex, new_hex, who->name,
                           who->email, (long long)who->when.time, sign, offset / 60, offset % 60, kept, message);
    /* One line per move: a message's own line breaks become spaces, as libgit2 makes them. */
    for (int i = 0; i < written - 1; i++) {
      if (line[i] == '\n') line[i] = ' ';
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd >= 0) {
      (void)!write(fd, line, (size_t)written);
      close(fd);
    }
    free(line);
  }
  git_signature_free(who);
  free(path);
}

/* When this repository's HEAD is `name` (a branch checked out here), its reflog gets the move too,
   as libgit2 and git write it. */
static void append_head_reflog(git_repository *repo, const char *name, const git_oid *old, const git_oid *new,
                               const char *message) {
  git_reference *head = NULL;
  if (git_reference_lookup(&head, repo, "HEAD") != 0) return;
  int checked_out = git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
                    strcmp(git_reference_symbolic_target(head), name) == 0;
  git_reference_free(head);
  if (!checked_out) return;
  char *gitdir = strdup(git_repository_path(repo));
  if (gitdir == NULL) return;
  size_t length = strlen(gitdir);
  while (length > 1 && gitdir[length - 1] == '/') gitdir[--length] = 0;
  append_reflog(repo, gitdir, "HEAD", old, new, message);
  free(gitdir);
}

int ghp_ref_compare_and_swap(git_repository *repo, git_odb_backend *batch, const char *name, const git_oid *target,
                             const git_oid *expected, const char *message) {
  const char *common = git_repository_commondir(repo);
  size_t base = strlen(common);
  while (base > 1 && common[base - 1] == '/') base--;
  size_t length = base + strlen(name) + 8;
  char *ref = malloc(length);
  char *lock = malloc(length);
  char *root = strndup(common, base);
  if (ref == NULL || lock == NULL || root == NULL) {
    free(ref);
    free(lock);
    free(root);
    git_error_set_oom();
    return -1;
  }
  snprintf(ref, length, "%s/%s", root, name);
  snprintf(lock, length, "%s/%s.lock", root, name);
  int result = -1;
  int fd = -1;
  if (make_parents(lock, base + 1) != 0) {
    ref_error("cannot create the folder of", lock);
    goto done;
  }
  fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    if (errno == EEXIST) {
      char text[1200];
      snprintf(text, sizeof text, "failed to lock file '%s' for writing: the lock file exists", lock);
      git_error_set_str(GIT_ERROR_REFERENCE, text);
      result = GIT_ELOCKED;
    } else {
      ref_error("cannot create the lock file", lock);
    }
    goto done;
  }
  /* With the lock held the ref cannot move: read what it is now, loose or packed. */
  git_reference *current = NULL;
  int found = git_reference_lookup(&current, repo, name);
  git_oid old;
  memset(&old, 0, sizeof old);
  if (found == 0) {
    int direct = git_reference_type(current) == GIT_REFERENCE_DIRECT;
    if (direct) git_oid_cpy(&old, git_reference_target(current));
    git_reference_free(current);
    if (!direct || expected == NULL || !git_oid_equal(&old, expected)) {
      git_error_set_str(GIT_ERROR_REFERENCE, expected == NULL ? "the reference exists already"
                                                              : "the reference was moved meanwhile");
      result = expected == NULL ? GIT_EEXISTS : GIT_EMODIFIED;
      goto unlock;
    }
  } else if (found == GIT_ENOTFOUND) {
    if (expected != NULL) {
      git_error_set_str(GIT_ERROR_REFERENCE, "the reference was removed meanwhile");
      result = GIT_EMODIFIED;
      goto unlock;
    }
  } else {
    result = found;
    goto unlock;
  }
  char hex[GIT_OID_HEXSZ + 2];
  git_oid_tostr(hex, GIT_OID_HEXSZ + 1, target);
  hex[GIT_OID_HEXSZ] = '\n';
  if (write(fd, hex, GIT_OID_HEXSZ + 1) != GIT_OID_HEXSZ + 1) {
    ref_error("cannot write the lock file", lock);
    goto unlock;
  }
  (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  /* The lock file joins the objects written since the last flush: one fsync puts them all on disk
     before the ref is renamed to name them. The batch closes it. */
  if (ghp_object_batch_add(batch, fd) != 0) {
    fd = -1;
    goto unlock;
  }
  fd = -1;
  if (ghp_object_batch_flush(batch) != 0) goto unlock;
  /* As git does, the reflog line is written while the lock is held, before the ref moves. */
  append_reflog(repo, root, name, &old, target, message);
  append_head_reflog(repo, name, &old, target, message);
  if (rename(lock, ref) != 0) {
    ref_error("cannot rename the lock file to", ref);
    goto unlock;
  }
  /* The rename itself is on disk once the ref's folder is: then the move is reported. */
  if (sync_folder(ref) != 0) goto done;
  result = 0;
  goto done;
unlock:
  if (fd >= 0) close(fd);
  fd = -1;
  unlink(lock);
done:
  if (fd >= 0) close(fd);
  free(ref);
  free(lock);
  free(root);
  return result;
}
