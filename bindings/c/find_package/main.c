/* A C program built against the installed SparseFlow through find_package(SparseFlow) and
 * SparseFlow::sparseflow. Host memory only (no CUDA header, no GPU needed): an fp16 matrix is
 * refused by sf_compress until it is 2:4, then pruned in place, checked, compressed and
 * decompressed; the round trip must be bit-exact. */
#include <sparseflow/sparseflow.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 20 /* not a multiple of 16: the compressed buffer pads rows */
#define COLS 64 /* a multiple of SF_K_GRANULARITY */

/* Prints the failing call, its status and the thread's message, and leaves main. */
#define CHECK(call)                                                                         \
  do {                                                                                      \
    sf_status_t status_ = (call);                                                           \
    if (status_ != SF_SUCCESS) {                                                            \
      fprintf(stderr, "%s: %s (%d): %s\n", #call, sf_status_string(status_), (int)status_, \
              sf_last_error_message());                                                     \
      return 1;                                                                             \
    }                                                                                       \
  } while (0)

int main(void) {
  static uint16_t weight[ROWS * COLS], dense[ROWS * COLS];
  sf_compressed_header_t header;
  int64_t violations = -1;
  size_t bytes = 0;
  void *blob;
  sf_status_t status;
  int i;

  printf("%s\n", sf_build_info());
  if (sf_version_number() != SF_VERSION_NUMBER) {
    fprintf(stderr, "header %d, library %d\n", SF_VERSION_NUMBER, sf_version_number());
    return 1;
  }
  /* fp16 values in (-2, 2), every third one negative, none zero. */
  for (i = 0; i < ROWS * COLS; ++i)
    weight[i] = (uint16_t)((0x3c00 + (i * 37) % 1024) | (i % 3 == 0 ? 0x8000 : 0));

  CHECK(sf_check_2to4(SF_MEMORY_HOST, SF_DTYPE_F16, ROWS, COLS, weight, COLS, &violations, NULL));
  if (violations != ROWS * COLS / 4) { /* no zeros: every group holds 4 non-zeros */
    fprintf(stderr, "sf_check_2to4 counted %lld groups\n", (long long)violations);
    return 1;
  }
  CHECK(sf_compressed_size(SF_DTYPE_F16, ROWS, COLS, &bytes));
  blob = aligned_alloc(16, (bytes + 15) / 16 * 16); /* compressed buffers are 16-byte aligned */
  if (blob == NULL) return 1;

  /* A dense matrix is refused, with a message that says why. */
  status = sf_compress(SF_MEMORY_HOST, SF_DTYPE_F16, ROWS, COLS, weight, COLS, blob, bytes, NULL,
                       NULL);
  if (status != SF_ERROR_NOT_2TO4 || strstr(sf_last_error_message(), "not 2:4") == NULL) {
    fprintf(stderr, "expected SF_ERROR_NOT_2TO4, got %d: %s\n", (int)status,
            sf_last_error_message());
    return 1;
  }
  printf("refused as expected: %s\n", sf_last_error_message());

  CHECK(sf_prune(SF_MEMORY_HOST, SF_DTYPE_F16, ROWS, COLS, weight, COLS, weight, COLS, NULL));
  printf("pruned %lld groups of 4 that held more than 2 non-zeros\n", (long long)violations);
  CHECK(sf_check_2to4(SF_MEMORY_HOST, SF_DTYPE_F16, ROWS, COLS, weight, COLS, &violations, NULL));
  if (violations != 0) {
    fprintf(stderr, "%lld groups still break 2:4 after sf_prune\n", (long long)violations);
    return 1;
  }
  CHECK(sf_compress(SF_MEMORY_HOST, SF_DTYPE_F16, ROWS, COLS, weight, COLS, blob, bytes, &header,
                    NULL));
  if (header.magic != SF_FORMAT_MAGIC || header.format_version != SF_FORMAT_VERSION ||
      header.rows != ROWS || header.cols != COLS || header.padded_rows != 32 ||
      header.total_bytes != bytes || memcmp(blob, &header, sizeof header) != 0) {
    fprintf(stderr, "unexpected header\n");
    return 1;
  }
  /* A host buffer is its own header. */
  CHECK(sf_compressed_validate((const sf_compressed_header_t *)blob));
  CHECK(sf_decompress(SF_MEMORY_HOST, (const sf_compressed_header_t *)blob, blob, bytes, dense,
                      COLS, NULL));
  if (memcmp(dense, weight, sizeof dense) != 0) {
    fprintf(stderr, "round trip differs\n");
    return 1;
  }
  free(blob);
  printf("find_package consumer: %d x %d fp16 pruned, compressed to %zu bytes, decompressed "
         "bit-exact (host memory)\n", ROWS, COLS, bytes);
  return 0;
}
