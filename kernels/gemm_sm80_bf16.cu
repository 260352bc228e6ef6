// bf16-input instantiations of the mma.sp GEMM.
#include "gemm_sm80.cuh"

namespace sparseflow {
void gemm_sm80_bf16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args, int device,
                    cudaStream_t stream) {
  sm80::dispatch<__nv_bfloat16>(output, layout, args, device, stream);
}
}  // namespace sparseflow
