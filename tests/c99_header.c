/* The public header compiled as strict C99 (-std=c99 -pedantic -Werror) and used from C. */
#include <stdio.h>
#include <string.h>

#include "sparseflow/sparseflow.h"

int main(void) {
  float m[8] = {1.f, -3.f, 2.f, 0.5f, 4.f, 4.f, -4.f, 1.f};
  size_t bytes = 0;
  sf_status_t status;
  if (sf_version_number() != SF_VERSION_NUMBER) {
    printf("header %d, library %d\n", SF_VERSION_NUMBER, sf_version_number());
    return 1;
  }
  status = sf_prune(SF_MEMORY_HOST, SF_DTYPE_F32, 2, 4, m, 4, m, 4, NULL);
  if (status != SF_SUCCESS || m[0] != 0.f || m[1] != -3.f || m[6] != 0.f || m[5] != 4.f) {
    printf("prune: %s (%s)\n", sf_status_string(status), sf_last_error_message());
    return 1;
  }
  status = sf_compressed_size(SF_DTYPE_F16, 3, 33, &bytes);
  if (status != SF_ERROR_K_GRANULARITY || strstr(sf_last_error_message(), "multiple of 32") == NULL) {
    printf("expected a granularity error, got %s\n", sf_status_string(status));
    return 1;
  }
  printf("%s\n", sf_build_info());
  return 0;
}
