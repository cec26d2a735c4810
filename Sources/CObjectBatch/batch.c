#define _GNU_SOURCE
#include "ghp_object_batch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

typedef struct {
  git_odb_backend parent;
  char *objects;
  int *pending; /* the files written since the last flush, still open */
  size_t count, capacity;
} ghp_batch;

/* Past this many open files a flush is made early: it only costs one more fsync. */
#define GHP_BATCH_MAX_OPEN 256

static int batch_error(const char *what, const char *path) {
  char message[1200];
  snprintf(message, sizeof message, "%s '%s': %s", what, path, strerror(errno));
  git_error_set_str(GIT_ERROR_OS, message);
  return -1;
}

static int write_all(int fd, const unsigned char *bytes, size_t length) {
  while (length > 0) {
    ssize_t written = write(fd, bytes, length);
    if (written < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    bytes += written;
    length -= (size_t)written;
  }
  return 0;
}

/* Deflates the object's header and content into `fd`, as a loose object is stored. */
static int deflate_into(int fd, const char *header, size_t header_length, const void *data, size_t length) {
  z_stream stream;
  memset(&stream, 0, sizeof stream);
  if (deflateInit(&stream, Z_BEST_SPEED) != Z_OK) return -1;
  unsigned char out[16384];
  int result = 0;
  const unsigned char *parts[2] = {(const unsigned char *)header, (const unsigned char *)data};
  size_t sizes[2] = {header_length, length};
  for (int part = 0; part < 2 && result == 0; part++) {
    const unsigned char *next = parts[part];
    size_t left = sizes[part];
    int last = part == 1;
    do {
      uInt chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
      stream.next_in = (Bytef *)next;
      stream.avail_in = chunk;
      next += chunk;
      left -= chunk;
      int flush = (last && left == 0) ? Z_FINISH : Z_NO_FLUSH;
      do {
        stream.next_out = out;
        stream.avail_out = sizeof out;
        int code = deflate(&stream, flush);
        if (code == Z_STREAM_ERROR) {
          result = -1;
          break;
        }
        if (write_all(fd, out, sizeof out - stream.avail_out) < 0) {
          result = -1;
          break;
        }
      } while (stream.avail_out == 0 && result == 0);
    } while (left > 0 && result == 0);
  }
  deflateEnd(&stream);
  return result;
}

static int remember(ghp_batch *batch, int fd) {
  if (batch->count == batch->capacity) {
    size_t capacity = batch->capacity ? batch->capacity * 2 : 16;
    int *grown = realloc(batch->pending, capacity * sizeof(int));
    if (grown == NULL) {
      close(fd);
      git_error_set_oom();
      return -1;
    }
    batch->pending = grown;
    batch->capacity = capacity;
  }
  batch->pending[batch->count++] = fd;
  if (batch->count >= GHP_BATCH_MAX_OPEN) return ghp_object_batch_flush(&batch->parent);
  return 0;
}

static int batch_write(git_odb_backend *backend, const git_oid *oid, const void *data, size_t length,
                       git_object_t type) {
  ghp_batch *batch = (ghp_batch *)backend;
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, oid);
  size_t base = strlen(batch->objects);
  char *folder = malloc(base + 4);
  char *path = malloc(base + 4 + GIT_OID_HEXSZ + 1);
  char *temporary = malloc(base + 4 + 32);
  if (folder == NULL || path == NULL || temporary == NULL) {
    free(folder);
    free(path);
    free(temporary);
    git_error_set_oom();
    return -1;
  }
  snprintf(folder, base + 4, "%s/%.2s", batch->objects, hex);
  snprintf(path, base + 4 + GIT_OID_HEXSZ + 1, "%s/%s", folder, hex + 2);
  snprintf(temporary, base + 4 + 32, "%s/tmp_obj_XXXXXX", folder);
  int result = -1;
  int fd = -1;
  if (mkdir(folder, 0777) != 0 && errno != EEXIST) {
    batch_error("cannot create the object directory", folder);
    goto done;
  }
  fd = mkstemp(temporary);
  if (fd < 0) {
    batch_error("cannot create an object file in", folder);
    goto done;
  }
  (void)fchmod(fd, 0444);
  char header[64];
  int header_length = snprintf(header, sizeof header, "%s %zu", git_object_type2string(type), length) + 1;
  if (deflate_into(fd, header, (size_t)header_length, data, length) < 0) {
    batch_error("cannot write the object file", temporary);
    goto failed;
  }
  /* Starts writing the file out now; the flush waits for it. */
  (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  if (rename(temporary, path) != 0) {
    batch_error("cannot move the object file to", path);
    goto failed;
  }
  result = remember(batch, fd);
  fd = -1;
  goto done;
failed:
  unlink(temporary);
done:
  if (fd >= 0) close(fd);
  free(folder);
  free(path);
  free(temporary);
  return result;
}

int ghp_object_batch_add(git_odb_backend *backend, int fd) { return remember((ghp_batch *)backend, fd); }

int ghp_object_batch_flush(git_odb_backend *backend) {
  ghp_batch *batch = (ghp_batch *)backend;
  int result = 0;
  for (size_t i = 0; i < batch->count; i++) {
    if (sync_file_range(batch->pending[i], 0, 0,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0 &&
        result == 0) {
      result = batch_error("cannot write out", "an object file");
    }
  }
  /* One full fsync: its journal commit holds every file's name and size, and its disk cache flush
     the data written out above. */
  if (batch->count > 0 && result == 0 && fsync(batch->pending[batch->count - 1]) != 0) {
    result = batch_error("cannot fsync", "an object file");
  }
  for (size_t i = 0; i < batch->count; i++) close(batch->pending[i]);
  batch->count = 0;
  return result;
}

static void batch_free(git_odb_backend *backend) {
  ghp_batch *batch = (ghp_batch *)backend;
  /* Whatever was written and never flushed is put on disk before its descriptors go. */
  if (batch->count > 0) (void)ghp_object_batch_flush(backend);
  free(batch->pending);
  free(batch->objects);
  free(batch);
}

int ghp_object_batch_new(git_odb_backend **out, const char *objects_dir) {
  ghp_batch *batch = calloc(1, sizeof *batch);
  if (batch == NULL) {
    git_error_set_oom();
    return -1;
  }
  batch->objects = strdup(objects_dir);
  if (batch->objects == NULL) {
    free(batch);
    git_error_set_oom();
    return -1;
  }
  size_t length = strlen(batch->objects);
  while (length > 1 && batch->objects[length - 1] == '/') batch->objects[--length] = 0;
  batch->parent.version = GIT_ODB_BACKEND_VERSION;
  batch->parent.write = batch_write;
  batch->parent.free = batch_free;
  *out = &batch->parent;
  return 0;
}
