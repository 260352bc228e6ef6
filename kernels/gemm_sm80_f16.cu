// fp16-input instantiations of the mma.sp GEMM (one translation unit per input type keeps
// parallel builds short).
#include "gemm_sm80.cuh"

namespace sparseflow {
void gemm_sm80_f16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args, int device,
                   cudaStream_t stream) {
  sm80::dispatch<__half>(output, layout, args, device, stream);
}
}  // namespace sparseflow
