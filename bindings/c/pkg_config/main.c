/* A C program built against the installed SparseFlow with pkg-config:
 *   cc -std=c11 main.c $(pkg-config --cflags --libs sparseflow) -o consumer
 * Host memory only (no CUDA header, no GPU needed): a bf16 matrix stored with a leading
 * dimension wider than its rows is pruned into a dense copy, compressed, and decompressed back
 * into a strided buffer; the round trip must be bit-exact and leave the padding alone. */
#include <sparseflow/sparseflow.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 33
#define COLS 96
#define LD 100 /* leading dimension of the strided buffers, >= COLS */
#define PAD 0xABCDu

static int fail(const char *what, sf_status_t status) {
  fprintf(stderr, "%s: %s (%d): %s\n", what, sf_status_string(status), (int)status,
          sf_last_error_message());
  return 1;
}

static uint16_t bf16(float value) { /* truncation is enough for test data */
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  return (uint16_t)(bits >> 16);
}

int main(void) {
  static uint16_t strided[ROWS * LD], pruned[ROWS * COLS], back[ROWS * LD];
  sf_compressed_header_t header;
  int64_t violations = -1;
  size_t bytes = 0;
  unsigned char *blob;
  sf_status_t s;
  int r, c;

  printf("SparseFlow %s (header %d.%d.%d)\n", sf_version_string(), SF_VERSION_MAJOR,
         SF_VERSION_MINOR, SF_VERSION_PATCH);
  if (sf_version_number() != SF_VERSION_NUMBER) {
    fprintf(stderr, "header %d, library %d\n", SF_VERSION_NUMBER, sf_version_number());
    return 1;
  }
  for (r = 0; r < ROWS; ++r)
    for (c = 0; c < LD; ++c)
      strided[r * LD + c] = c < COLS ? bf16((float)((r * 131 + c * 17) % 97) / 8.0f - 6.0f) : PAD;
  for (c = 0; c < ROWS * LD; ++c) back[c] = PAD;

  if ((s = sf_prune(SF_MEMORY_HOST, SF_DTYPE_BF16, ROWS, COLS, strided, LD, pruned, COLS, NULL)))
    return fail("sf_prune", s);
  if ((s = sf_check_2to4(SF_MEMORY_HOST, SF_DTYPE_BF16, ROWS, COLS, pruned, COLS, &violations,
                         NULL)))
    return fail("sf_check_2to4", s);
  if (violations != 0) {
    fprintf(stderr, "%lld groups still break 2:4 after sf_prune\n", (long long)violations);
    return 1;
  }
  if ((s = sf_compressed_size(SF_DTYPE_BF16, ROWS, COLS, &bytes)))
    return fail("sf_compressed_size", s);
  blob = aligned_alloc(16, (bytes + 15) / 16 * 16);
  if (blob == NULL) return 1;
  if ((s = sf_compress(SF_MEMORY_HOST, SF_DTYPE_BF16, ROWS, COLS, pruned, COLS, blob, bytes,
                       &header, NULL)))
    return fail("sf_compress", s);
  if ((s = sf_decompress(SF_MEMORY_HOST, &header, blob, bytes, back, LD, NULL)))
    return fail("sf_decompress", s);
  for (r = 0; r < ROWS; ++r) {
    if (memcmp(&back[r * LD], &pruned[r * COLS], COLS * sizeof(uint16_t)) != 0) {
      fprintf(stderr, "row %d differs after the round trip\n", r);
      return 1;
    }
    for (c = COLS; c < LD; ++c)
      if (back[r * LD + c] != PAD) {
        fprintf(stderr, "sf_decompress wrote past row %d\n", r);
        return 1;
      }
  }
  /* Errors are reported, not crashed on: a K that is not a multiple of 32. */
  s = sf_compressed_size(SF_DTYPE_BF16, ROWS, 40, &bytes);
  if (s != SF_ERROR_K_GRANULARITY) return fail("expected SF_ERROR_K_GRANULARITY", s);
  printf("refused as expected: %s\n", sf_last_error_message());
  free(blob);
  printf("pkg-config consumer: %d x %d bf16 (ld %d) pruned, compressed to %llu bytes, "
         "decompressed bit-exact (host memory)\n", ROWS, COLS, LD,
         (unsigned long long)header.total_bytes);
  return 0;
}
