// fp16-input instantiations of the Hopper wgmma.sp GEMM.
#include "gemm_sm90.cuh"

namespace sparseflow {
void gemm_sm90_f16(sf_dtype_t output, const GemmArgs &args, const DeviceInfo &device,
                   cudaStream_t stream) {
  sm90::dispatch<__half>(output, args, device, stream);
}
}  // namespace sparseflow
