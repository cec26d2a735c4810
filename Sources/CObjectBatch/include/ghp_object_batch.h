#ifndef GHP_OBJECT_BATCH_H
#define GHP_OBJECT_BATCH_H

#include <git2.h>
#include <git2/sys/odb_backend.h>

/* An object database backend that writes loose objects as git does (zlib, objects/xx/yyyy, by a
   temporary file and a rename) but flushes them together, as git's core.fsyncMethod=batch: each
   file's writeback is started when it is written, and ghp_object_batch_flush waits for all of them
   and then makes one fsync, whose journal commit and disk cache flush cover them all. libgit2's own
   loose backend fsyncs every object file and its directory: 14 of the 18 fsyncs of a claim.

   It only writes: reads and existence checks fall through to the repository's other backends. */

/* A new backend writing below `objects_dir` (the repository's objects directory). Owned by the
   object database it is added to. */
int ghp_object_batch_new(git_odb_backend **out, const char *objects_dir);

/* Waits until every object written through `backend` since the last flush is on disk. */
int ghp_object_batch_flush(git_odb_backend *backend);

/* Adds an open file, written and its writeback started, to those the next flush puts on disk (and
   closes). On failure the file is closed. */
int ghp_object_batch_add(git_odb_backend *backend, int fd);

/* Moves the loose ref `name` (`refs/...`) of `repo` to `target` if it names `expected` now (NULL:
   if it does not exist), as git does, with the fewest fsyncs: its lock file (`<ref>.lock`, made
   exclusively, so git and libgit2 writers wait for it) holds the new id and is flushed by one
   fsync together with every object written through `batch` since its last flush, so the ref never
   names an object that is not on disk; it is then renamed over the ref and the ref's folder
   fsynced; then git's reflog line is appended, not flushed. 0; GIT_ELOCKED when the lock file
   exists; GIT_EMODIFIED or GIT_EEXISTS when the ref is not at `expected`; or -1. */
int ghp_ref_compare_and_swap(git_repository *repo, git_odb_backend *batch, const char *name, const git_oid *target,
                             const git_oid *expected, const char *message);

#endif
