#ifndef GHP_CLIBGIT2_SHIM_H
#define GHP_CLIBGIT2_SHIM_H

#include <git2.h>

/* git_libgit2_opts is variadic, which Swift cannot call: one small wrapper per
   option ghp sets. */
static inline int ghp_git_enable_fsync_gitdir(int enabled) {
  return git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
}

#endif
