#ifndef GHP_CLIBGIT2_SHIM_H
#define GHP_CLIBGIT2_SHIM_H

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

/* git_libgit2_opts is variadic, which Swift cannot call: one small wrapper per
   option ghp sets. */
static inline int ghp_git_enable_fsync_gitdir(int enabled) {
  return git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
}

/* Writes every object held by a mempack backend into the repository as one pack (one fsync for the
   pack and one for its index, instead of one per loose object), then empties the backend. The
   writepack's methods are C function pointers, simplest to call from C. */
static inline int ghp_mempack_flush(git_repository *repo, git_odb_backend *mempack) {
  git_buf pack = {0};
  git_odb *odb = NULL;
  git_odb_writepack *writer = NULL;
  git_indexer_progress stats = {0};
  int error = git_mempack_dump(&pack, repo, mempack);
  if (!error) error = git_repository_odb(&odb, repo);
  if (!error) error = git_odb_write_pack(&writer, odb, NULL, NULL);
  if (!error) error = writer->append(writer, pack.ptr, pack.size, &stats);
  if (!error) error = writer->commit(writer, &stats);
  if (writer) writer->free(writer);
  git_odb_free(odb);
  git_buf_dispose(&pack);
  if (!error) error = git_mempack_reset(mempack);
  return error;
}

#endif
