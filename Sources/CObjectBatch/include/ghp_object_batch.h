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

#endif
