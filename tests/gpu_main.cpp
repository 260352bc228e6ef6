// main() of the GPU test programs: with fewer usable CUDA devices than the program needs
// (SF_TEST_MIN_DEVICES, default 1) it reports itself skipped to CTest (exit code 77,
// SKIP_RETURN_CODE) instead of passing.
#include <cuda_runtime_api.h>

#include <cstdio>

#ifndef SF_TEST_MIN_DEVICES
#define SF_TEST_MIN_DEVICES 1
#endif

int sf_run_catch(int argc, char **argv);

int main(int argc, char **argv) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count < SF_TEST_MIN_DEVICES) {
    std::printf("SKIPPED: %d usable CUDA device(s) (%s), %d needed; these GPU tests did not run\n",
                status == cudaSuccess ? count : 0,
                status != cudaSuccess ? cudaGetErrorString(status) : "device count",
                SF_TEST_MIN_DEVICES);
    return 77;
  }
  return sf_run_catch(argc, argv);
}
