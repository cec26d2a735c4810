#ifndef GHP_CLIBGIT2_SHIM_H
#define GHP_CLIBGIT2_SHIM_H

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* git_libgit2_opts is variadic, which Swift cannot call: one small wrapper per
   option ghp sets. */
static inline int ghp_git_enable_fsync_gitdir(int enabled) {
  return git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
}

/* Keeps blobs up to `limit` bytes in each repository's object cache (libgit2 caches none by
   default): the state's small documents are read many times by one process. */
static inline int ghp_git_cache_blobs(size_t limit) {
  return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_BLOB, limit);
}

/* A handler that does nothing, installed without SA_RESTART: a signal sent to a thread blocked in
   libgit2's recv() or connect() makes that call fail with EINTR, so a network step on a silent
   server can be ended without ending the process (Swift cannot set sa_handler portably). */
static void ghp_interrupt_noop(int signal) { (void)signal; }
static inline int ghp_install_interrupt(int signal) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = ghp_interrupt_noop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  return sigaction(signal, &action, NULL);
}

/* Lets `signal` reach the calling thread (a worker thread of a runtime may block every signal). */
static inline int ghp_unblock_interrupt(int signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* The certificate authorities https remotes are checked against (a file of PEM certificates). */
static inline int ghp_git_set_ssl_cert_file(const char *file) {
  return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, NULL);
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

/* Network calls with their callbacks, in C because libgit2 reports through C function pointers.
   Both callbacks receive the same payload: one ghp_network_state per call.

   Credentials: ssh through the ssh agent; https with GHP_GIT_TOKEN (and GHP_GIT_USERNAME, default
   "x-access-token") from the environment. Each kind is offered once, so a refused credential is an
   error rather than an endless retry.

   A server's rejection of a pushed ref arrives only through push_update_reference, never as a
   failed git_remote_push: it is recorded in `rejected` and `message`; what the server's hooks
   printed ("remote: ...") arrives through sideband_progress and is kept in `server_said`.

   `deadline` (CLOCK_MONOTONIC seconds, 0 for none) bounds a transfer: every progress callback
   past it aborts the call, so a server that answers too slowly ends in an error, not a wait. */
typedef struct {
  int ssh_tried;
  int userpass_tried;
  int rejected;
  int timed_out;
  double deadline;
  char message[512];
  char server_said[1024];
} ghp_network_state;

static inline int ghp_past_deadline(ghp_network_state *state) {
  struct timespec now;
  if (state->deadline <= 0) return 0;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if ((double)now.tv_sec + (double)now.tv_nsec / 1e9 < state->deadline) return 0;
  state->timed_out = 1;
  git_error_set_str(GIT_ERROR_NET, "the server did not finish in time");
  return -1;
}

/* Whether a sideband chunk is receive-pack's progress ("Resolving deltas:  31% (76/245)\r"), which
   would fill `server_said` before the lines that say why a push was refused. */
static inline int ghp_is_progress(const char *text, int length) {
  static const char *const words[] = {"Resolving deltas", "Unpacking objects", "Checking connectivity"};
  for (size_t index = 0; index < sizeof words / sizeof *words; index++) {
    size_t size = strlen(words[index]);
    if ((size_t)length >= size && memcmp(text, words[index], size) == 0) return 1;
  }
  return 0;
}

static inline int ghp_sideband(const char *text, int length, void *payload) {
  ghp_network_state *state = (ghp_network_state *)payload;
  size_t used = strlen(state->server_said);
  size_t room = sizeof(state->server_said) - used - 1;
  if (length > 0 && room > 0 && !ghp_is_progress(text, length)) {
    size_t take = (size_t)length < room ? (size_t)length : room;
    memcpy(state->server_said + used, text, take);
    state->server_said[used + take] = 0;
  }
  return ghp_past_deadline(state);
}

static inline int ghp_transfer_progress(const git_indexer_progress *stats, void *payload) {
  (void)stats;
  return ghp_past_deadline((ghp_network_state *)payload);
}

static inline int ghp_push_progress(unsigned int current, unsigned int total, size_t bytes, void *payload) {
  (void)current; (void)total; (void)bytes;
  return ghp_past_deadline((ghp_network_state *)payload);
}

static inline int ghp_credentials(git_credential **out, const char *url, const char *username_from_url,
                                  unsigned int allowed_types, void *payload) {
  ghp_network_state *state = (ghp_network_state *)payload;
  (void)url;
  if ((allowed_types & GIT_CREDENTIAL_SSH_KEY) && !state->ssh_tried) {
    state->ssh_tried = 1;
    return git_credential_ssh_key_from_agent(out, username_from_url ? username_from_url : "git");
  }
  if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !state->userpass_tried) {
    const char *token = getenv("GHP_GIT_TOKEN");
    state->userpass_tried = 1;
    if (token) {
      const char *user = getenv("GHP_GIT_USERNAME");
      return git_credential_userpass_plaintext_new(out, user ? user : "x-access-token", token);
    }
  }
  git_error_set_str(GIT_ERROR_NET,
                    "authentication failed: no credential was accepted (ssh: is your key in ssh-agent? https: set GHP_GIT_TOKEN)");
  return GIT_EAUTH;
}

static inline int ghp_push_update_reference(const char *refname, const char *status, void *payload) {
  ghp_network_state *state = (ghp_network_state *)payload;
  if (status != NULL) {
    state->rejected = 1;
    snprintf(state->message, sizeof(state->message), "%s: %s", refname, status);
  }
  return 0;
}

/* An anonymous remote for a URL, made without reading url.*.insteadOf: that path compiles a regex
   for every remote made, which libgit2 1.5.1 leaks (~0.5 MiB a call in a long-lived server). */
static inline int ghp_anonymous_remote(git_remote **out, git_repository *repo, const char *url) {
  git_remote_create_options options;
  int error = git_remote_create_options_init(&options, GIT_REMOTE_CREATE_OPTIONS_VERSION);
  if (error) return error;
  options.repository = repo;
  options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  return git_remote_create_with_opts(out, url, &options);
}

/* Fetches the objects of one remote ref through an anonymous remote, with no local ref written at
   all (no remote-tracking ref, no FETCH_HEAD: no fsync, no lock, as writers on one machine fetch at
   once), and gives its id as the server advertised it: `found` is 0 when it has no such ref. */
static inline int ghp_fetch_tip(git_repository *repo, const char *url, const char *ref, const char *also,
                                git_oid *out, int *found, char **listing, ghp_network_state *state) {
  git_remote *remote = NULL;
  git_fetch_options options;
  const git_remote_head **heads = NULL;
  size_t count = 0, index;
  char *specs[] = {(char *)ref};
  git_strarray refspecs = {specs, 1};
  int error = ghp_anonymous_remote(&remote, repo, url);
  *found = 0;
  if (error) return error;
  git_fetch_options_init(&options, GIT_FETCH_OPTIONS_VERSION);
  options.callbacks.credentials = ghp_credentials;
  options.callbacks.sideband_progress = ghp_sideband;
  options.callbacks.transfer_progress = ghp_transfer_progress;
  options.callbacks.payload = state;
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  options.update_fetchhead = 0;
  if (!also) {
    error = git_remote_fetch(remote, &refspecs, &options, "ghp: fetch state");
    if (!error) error = git_remote_ls(&heads, &count, remote);
    for (index = 0; !error && index < count; index++) {
      if (strcmp(heads[index]->name, ref) == 0) {
        git_oid_cpy(out, &heads[index]->oid);
        *found = 1;
      }
    }
    git_remote_free(remote);
    return error;
  }
  /* With `also` (a prefix ending in '*', the agents' own liveness refs): one connection lists the
     server's refs, then downloads `ref` and every ref under the prefix, writing no local ref; each
     of those goes to `listing` (malloc'd, the caller frees it) as "<hex> <name>\n". */
  {
    size_t prefix = strlen(also) - 1, listing_size = 0, wanted = 1;
    char **names = NULL;
    git_strarray downloads;
    error = git_remote_connect(remote, GIT_DIRECTION_FETCH, &options.callbacks, &options.proxy_opts, NULL);
    if (!error) error = git_remote_ls(&heads, &count, remote);
    if (!error) names = calloc(count + 1, sizeof(char *));
    if (!error && !names) error = -1;
    if (!error) names[0] = (char *)ref;
    for (index = 0; !error && index < count; index++) {
      if (strcmp(heads[index]->name, ref) == 0) {
        git_oid_cpy(out, &heads[index]->oid);
        *found = 1;
      } else if (strncmp(heads[index]->name, also, prefix) == 0 ||
                 strcmp(heads[index]->name, "refs/ghp/sequencer") == 0) {
        size_t name_size = strlen(heads[index]->name);
        char *grown = realloc(*listing, listing_size + GIT_OID_HEXSZ + name_size + 3);
        if (!grown) {
          error = -1;
          break;
        }
        *listing = grown;
        git_oid_tostr(grown + listing_size, GIT_OID_HEXSZ + 1, &heads[index]->oid);
        grown[listing_size + GIT_OID_HEXSZ] = ' ';
        memcpy(grown + listing_size + GIT_OID_HEXSZ + 1, heads[index]->name, name_size);
        listing_size += GIT_OID_HEXSZ + 1 + name_size;
        grown[listing_size++] = '\n';
        grown[listing_size] = '\0';
        /* The server's mark that it lands operations (see `Ledger.sequence`) is listed, not fetched. */
        if (strncmp(heads[index]->name, also, prefix) == 0) names[wanted++] = (char *)heads[index]->name;
      }
    }
    if (!error && *found) {
      downloads.strings = names;
      downloads.count = wanted;
      error = git_remote_download(remote, &downloads, &options);
    }
    free(names);
    git_remote_disconnect(remote);
    git_remote_free(remote);
    return error;
  }
}

/* Pushes one refspec (never forced: no leading '+') to a URL; the server's verdict lands in state. */
static inline int ghp_push(git_repository *repo, const char *url, const char *refspec, ghp_network_state *state) {
  git_remote *remote = NULL;
  git_push_options options;
  char *specs[] = {(char *)refspec};
  git_strarray refspecs = {specs, 1};
  int error = ghp_anonymous_remote(&remote, repo, url);
  if (error) return error;
  git_push_options_init(&options, GIT_PUSH_OPTIONS_VERSION);
  options.callbacks.credentials = ghp_credentials;
  options.callbacks.push_update_reference = ghp_push_update_reference;
  options.callbacks.sideband_progress = ghp_sideband;
  options.callbacks.push_transfer_progress = ghp_push_progress;
  options.callbacks.payload = state;
  error = git_remote_push(remote, &refspecs, &options);
  git_remote_free(remote);
  return error;
}

/* Every object of the packs whose index files are given, written as one new pack in the
   repository's pack folder (through the repository's own object database, so nothing is lost
   however the packs overlap); its name (40 hex digits) goes to `name`. The old packs are left for
   the caller to remove. */
static inline int ghp_insert_into_pack(const git_oid *id, void *payload) {
  return git_packbuilder_insert((git_packbuilder *)payload, id, NULL);
}

static inline int ghp_consolidate_packs(git_repository *repo, const char **indexes, size_t count, char *name,
                                        size_t name_size) {
  git_odb *packs = NULL;
  git_packbuilder *builder = NULL;
  size_t index;
  int error = git_odb_new(&packs);
  for (index = 0; !error && index < count; index++) {
    git_odb_backend *backend = NULL;
    error = git_odb_backend_one_pack(&backend, indexes[index]);
    if (!error) error = git_odb_add_backend(packs, backend, 1);
  }
  if (!error) error = git_packbuilder_new(&builder, repo);
  if (!error) git_packbuilder_set_threads(builder, 1);
  if (!error) error = git_odb_foreach(packs, ghp_insert_into_pack, builder);
  if (!error) error = git_packbuilder_write(builder, NULL, 0, NULL, NULL);
  if (!error) snprintf(name, name_size, "%s", git_packbuilder_name(builder));
  git_packbuilder_free(builder);
  git_odb_free(packs);
  return error;
}

#endif
