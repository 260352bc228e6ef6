// main() of the GPU test program: without a usable CUDA device it reports itself skipped to
// CTest (exit code 77, SKIP_RETURN_CODE) instead of passing.
#include <cuda_runtime_api.h>

#include <cstdio>

int sf_run_catch(int argc, char **argv);

int main(int argc, char **argv) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    std::printf("SKIPPED: no usable CUDA device (%s); GPU tests did not run\n",
                status != cudaSuccess ? cudaGetErrorString(status) : "device count is 0");
    return 77;
  }
  return sf_run_catch(argc, argv);
}
