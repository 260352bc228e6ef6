// fp16-input instantiations of the small-n GEMM.
#include "gemm_decode.cuh"

namespace sparseflow {
void gemm_decode_f16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
                     const DeviceInfo &device, cudaStream_t stream) {
  decode::dispatch<__half>(output, layout, args, device, stream);
}

double gemm_decode_fill_f16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
                            const DeviceInfo &device) {
  return decode::fill<__half>(output, layout, args, device);
}
}  // namespace sparseflow
