// bf16-input instantiations of the small-n GEMM.
#include "gemm_decode.cuh"

namespace sparseflow {
void gemm_decode_bf16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
                      const DeviceInfo &device, cudaStream_t stream) {
  decode::dispatch<__nv_bfloat16>(output, layout, args, device, stream);
}

double gemm_decode_fill_bf16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
                             const DeviceInfo &device) {
  return decode::fill<__nv_bfloat16>(output, layout, args, device);
}
}  // namespace sparseflow
