// Input-dtype switch of the mma.sp GEMM: the one place that maps a runtime dtype to the
// translation unit holding its kernels.
#include "gemm_sm80.hpp"

namespace sparseflow {

void gemm_sm80_f16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args, int device,
                   cudaStream_t stream);
void gemm_sm80_bf16(sf_dtype_t output, sf_layout_t layout, const GemmArgs &args, int device,
                    cudaStream_t stream);

void gemm_sm80(sf_dtype_t input, sf_dtype_t output, sf_layout_t layout, const GemmArgs &args,
               int device, cudaStream_t stream) {
  if (input == SF_DTYPE_BF16)
    gemm_sm80_bf16(output, layout, args, device, stream);
  else
    gemm_sm80_f16(output, layout, args, device, stream);
}

}  // namespace sparseflow
