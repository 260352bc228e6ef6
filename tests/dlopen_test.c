/* Loads the library with dlopen (as a Python or server process would), resolves the C API by
 * name and runs a host prune -> compress -> decompress round trip through it. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparseflow/sparseflow.h"

typedef int (*version_fn)(void);
typedef sf_status_t (*prune_fn)(sf_memory_t, sf_dtype_t, int64_t, int64_t, const void *, int64_t,
                                void *, int64_t, sf_stream_t);
typedef sf_status_t (*size_fn)(sf_dtype_t, int64_t, int64_t, size_t *);
typedef sf_status_t (*compress_fn)(sf_memory_t, sf_dtype_t, int64_t, int64_t, const void *,
                                   int64_t, void *, size_t, sf_compressed_header_t *, sf_stream_t);
typedef sf_status_t (*decompress_fn)(sf_memory_t, const sf_compressed_header_t *, const void *,
                                     size_t, void *, int64_t, sf_stream_t);

int main(int argc, char **argv) {
  enum { ROWS = 5, COLS = 64 };
  uint16_t m[ROWS * COLS], back[ROWS * COLS];
  void *lib, *blob;
  size_t bytes = 0;
  sf_compressed_header_t header;
  int i;
  if (argc != 2) {
    fprintf(stderr, "usage: %s path/to/libsparseflow.so\n", argv[0]);
    return 2;
  }
  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  version_fn version = (version_fn)dlsym(lib, "sf_version_number");
  prune_fn prune = (prune_fn)dlsym(lib, "sf_prune");
  size_fn size = (size_fn)dlsym(lib, "sf_compressed_size");
  compress_fn compress = (compress_fn)dlsym(lib, "sf_compress");
  decompress_fn decompress = (decompress_fn)dlsym(lib, "sf_decompress");
  if (!version || !prune || !size || !compress || !decompress) {
    fprintf(stderr, "dlsym failed: %s\n", dlerror());
    return 1;
  }
  if (version() != SF_VERSION_NUMBER) return 1;
  for (i = 0; i < ROWS * COLS; ++i) m[i] = (uint16_t)(0x3c00 + (i * 37) % 512); /* fp16 in [1, 2) */
  if (prune(SF_MEMORY_HOST, SF_DTYPE_F16, ROWS, COLS, m, COLS, m, COLS, NULL) != SF_SUCCESS) return 1;
  if (size(SF_DTYPE_F16, ROWS, COLS, &bytes) != SF_SUCCESS) return 1;
  blob = aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (blob == NULL) return 1;
  if (compress(SF_MEMORY_HOST, SF_DTYPE_F16, ROWS, COLS, m, COLS, blob, bytes, &header, NULL) !=
      SF_SUCCESS)
    return 1;
  if (decompress(SF_MEMORY_HOST, &header, blob, bytes, back, COLS, NULL) != SF_SUCCESS) return 1;
  if (memcmp(m, back, sizeof m) != 0) {
    fprintf(stderr, "round trip through dlopen differs\n");
    return 1;
  }
  free(blob);
  dlclose(lib);
  printf("dlopen round trip ok\n");
  return 0;
}
