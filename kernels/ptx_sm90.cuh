// PTX wrappers of the Hopper instructions (wgmma, mbarrier, the tensor memory accelerator), one
// per instruction form. Only code compiled for sm_90a may call them (wgmma needs the
// arch-specific target).
#pragma once

#include <cstdint>

#include "ptx.cuh"

namespace sparseflow::ptx {

// mbarrier in shared memory (a 64-bit word, by its shared-space address).
__device__ __forceinline__ void mbarrier_init(uint32_t bar, uint32_t arrivals) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(arrivals) : "memory");
}
// Makes barrier initialisation visible to the async proxy (the tensor memory accelerator).
__device__ __forceinline__ void fence_mbarrier_init() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}
__device__ __forceinline__ void mbarrier_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
// Arrives and adds `bytes` to the transactions the current phase waits for.
__device__ __forceinline__ void mbarrier_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes)
               : "memory");
}
// Arrives on the barrier at address `bar` of block `cta` of the cluster (this block's own
// included). The kernels arrive so to hand a stage back once the wgmma groups reading it have
// completed (wgmma.wait_group), which orders those reads before the producers' next TMA writes:
// no release at cluster scope is needed, and it would cost one (`.release.cluster` compiles to
// MEMBAR.ALL.GPU, which made the paired sm90 kernel 1.7-2.8x slower on the H100).
__device__ __forceinline__ void mbarrier_arrive_cluster(uint32_t bar, uint32_t cta) {
  asm volatile(
      "{\n"
      ".reg .b32 remote;\n"
      "mapa.shared::cluster.u32 remote, %0, %1;\n"
      "mbarrier.arrive.shared::cluster.b64 _, [remote];\n"
      "}\n" ::"r"(bar),
      "r"(cta)
      : "memory");
}
// Stores `value` at address `dst` of this block's shared memory, moved to block `cta` of the
// cluster, without waiting: its 16 bytes complete on the barrier at address `bar` of that block.
__device__ __forceinline__ void st_async_cluster(uint32_t dst, float4 value, uint32_t bar,
                                                 uint32_t cta) {
  asm volatile(
      "{\n"
      ".reg .b32 remote_dst, remote_bar;\n"
      "mapa.shared::cluster.u32 remote_dst, %0, %5;\n"
      "mapa.shared::cluster.u32 remote_bar, %6, %5;\n"
      "st.async.shared::cluster.mbarrier::complete_tx::bytes.v4.f32 [remote_dst], "
      "{%1, %2, %3, %4}, [remote_bar];\n"
      "}\n" ::"r"(dst),
      "f"(value.x), "f"(value.y), "f"(value.z), "f"(value.w), "r"(cta), "r"(bar)
      : "memory");
}
// Waits until the phase of parity `parity` has completed.
__device__ __forceinline__ void mbarrier_wait(uint32_t bar, uint32_t parity) {
  uint32_t done = 0;
  do {
    asm volatile(
        "{\n"
        ".reg .pred complete;\n"
        "mbarrier.try_wait.parity.shared::cta.b64 complete, [%1], %2;\n"
        "selp.u32 %0, 1, 0, complete;\n"
        "}\n"
        : "=r"(done)
        : "r"(bar), "r"(parity)
        : "memory");
  } while (!done);
}

// Tensor memory accelerator: copies the box at coordinates (inner, outer) of the 2-D tensor map
// into shared memory at `dst`, completing its bytes on barrier `bar`.
__device__ __forceinline__ void tma_load_2d(uint32_t dst, const void *tensor_map, int inner,
                                            int outer, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes "
      "[%0], [%1, {%2, %3}], [%4];\n" ::"r"(dst),
      "l"(tensor_map), "r"(inner), "r"(outer), "r"(bar)
      : "memory");
}

// The same box copied into shared memory at `dst` of every block of the cluster in `cta_mask`,
// each block's bytes completing on its own barrier at address `bar`.
__device__ __forceinline__ void tma_load_2d_multicast(uint32_t dst, const void *tensor_map,
                                                      int inner, int outer, uint32_t bar,
                                                      uint16_t cta_mask) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes"
      ".multicast::cluster [%0], [%1, {%2, %3}], [%4], %5;\n" ::"r"(dst),
      "l"(tensor_map), "r"(inner), "r"(outer), "r"(bar), "h"(cta_mask)
      : "memory");
}

// Orders this thread's earlier register accesses before the warpgroup's next wgmma.
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
// Waits until at most `pending` committed wgmma groups of the warpgroup are in flight.
template <int pending>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(pending) : "memory");
}

// Moves the warpgroup's per-thread register budget to `count` (a multiple of 8, 24-256): the
// producer warpgroup gives registers back so the consumers may hold more than an even share.
template <int count>
__device__ __forceinline__ void setmaxnreg_dec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(count));
}
template <int count>
__device__ __forceinline__ void setmaxnreg_inc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(count));
}

// Keeps a value in its register up to this point: wgmma reads its register operands (the
// accumulators, the sparse metadata) after issue, until the group that read them completes, so
// the compiler must not give those registers to anything else before the wait that retires it.
__device__ __forceinline__ void keep_in_register(uint32_t &value) {
  asm volatile("" : "+r"(value));
}
__device__ __forceinline__ void keep_in_register(float &value) { asm volatile("" : "+f"(value)); }

// Stores four 8 x 8 matrices of 16-bit values, transposed, to shared memory: register k holds
// this thread's pair of matrix k in the mma fragment layout (row lane / 4, columns 2 (lane % 4)
// and + 1); lane 8k + r gives the address of stored row r of matrix k, which receives the
// matrix's column r (its 8 rows, 16 bytes).
__device__ __forceinline__ void stmatrix_x4_trans(uint32_t address, uint32_t r0, uint32_t r1,
                                                  uint32_t r2, uint32_t r3) {
  asm volatile("stmatrix.sync.aligned.m8n8.x4.trans.shared.b16 [%0], {%1, %2, %3, %4};\n"
               ::"r"(address), "r"(r0), "r"(r1), "r"(r2), "r"(r3)
               : "memory");
}

// Shared-memory matrix descriptor of a K-major operand tile whose rows are `row_bytes` (128 or
// 64) long and swizzled at that width: groups of 8 rows 8 * row_bytes apart (stride byte offset),
// the leading byte offset unused by these layouts (encoded as 1), base offset 0 (the tile starts
// on an 8 * row_bytes boundary). Swizzle mode 1 is 128 bytes, 2 is 64 bytes.
template <int row_bytes>
__device__ __forceinline__ uint64_t k_major_swizzled_descriptor(uint32_t smem_address) {
  static_assert(row_bytes == 128 || row_bytes == 64, "128- or 64-byte swizzle");
  constexpr uint64_t mode = row_bytes == 128 ? 1 : 2;
  return static_cast<uint64_t>((smem_address & 0x3ffff) >> 4) | (uint64_t{1} << 16) |
         (uint64_t{8 * row_bytes >> 4} << 32) | (mode << 62);
}

// D += A * B for a 2:4-sparse 64 x 32 A (its 64 x 16 kept values) and a 32 x N B, both from
// shared memory through K-major descriptors, fp32 accumulators (N / 2 per thread); metadata from
// lanes 0 and 1 of each quad (selector 0; warp w of the warpgroup supplies rows 16w .. 16w+15),
// scale-d = 1 (accumulate), no negation, no transpose. One asm template per N, instantiated for
// both input types (the type is part of the instruction name).
#define SF_WGMMA_SP_ASM(SHAPE, TYPE, REGISTERS, DESCRIPTORS_METADATA, SCALE, ...)                 \
  asm volatile("{\n"                                                                              \
               ".reg .pred accumulate;\n"                                                         \
               "setp.ne.b32 accumulate, " SCALE ", 0;\n"                                          \
               "wgmma.mma_async.sp.sync.aligned." SHAPE ".f32." TYPE "." TYPE " {" REGISTERS      \
               "}, " DESCRIPTORS_METADATA ", 0, accumulate, 1, 1, 0, 0;\n"                        \
               "}\n"                                                                              \
               : __VA_ARGS__                                                                      \
               : "l"(a_descriptor), "l"(b_descriptor), "r"(metadata), "r"(1))

// Accumulator registers d[32q] .. d[32q + 31] as asm operands %32q .. %(32q + 31) and their
// operand list: n64 takes block 0, n128 blocks 0-1, n192 blocks 0-2, n256 blocks 0-3.
#define SF_WGMMA_SP_D0_31_REGISTERS                                                               \
  "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, "                                            \
  "%12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, "                                  \
  "%24, %25, %26, %27, %28, %29, %30, %31"

#define SF_WGMMA_SP_D0_31_OPERANDS                                                                \
  "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]),                         \
  "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),                       \
  "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]),                   \
  "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),                   \
  "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]),                   \
  "+f"(d[30]), "+f"(d[31])

#define SF_WGMMA_SP_D32_63_REGISTERS                                                              \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, "                                  \
  "%44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, "                                  \
  "%56, %57, %58, %59, %60, %61, %62, %63"

#define SF_WGMMA_SP_D32_63_OPERANDS                                                               \
  "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]),                   \
  "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]),                   \
  "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]),                   \
  "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),                   \
  "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]),                   \
  "+f"(d[62]), "+f"(d[63])

#define SF_WGMMA_SP_D64_95_REGISTERS                                                              \
  "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, "                                  \
  "%76, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, "                                  \
  "%88, %89, %90, %91, %92, %93, %94, %95"

#define SF_WGMMA_SP_D64_95_OPERANDS                                                               \
  "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]),                   \
  "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]),                   \
  "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]),                   \
  "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),                   \
  "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]),                   \
  "+f"(d[94]), "+f"(d[95])

#define SF_WGMMA_SP_D96_127_REGISTERS                                                             \
  "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, "                          \
  "%108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, "                      \
  "%120, %121, %122, %123, %124, %125, %126, %127"

#define SF_WGMMA_SP_D96_127_OPERANDS                                                              \
  "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]),                 \
  "+f"(d[102]), "+f"(d[103]), "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]),             \
  "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]),             \
  "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),             \
  "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]),             \
  "+f"(d[126]), "+f"(d[127])

#define SF_WGMMA_SP_N256(TYPE)                                                                    \
  SF_WGMMA_SP_ASM("m64n256k32", TYPE,                                                             \
                  SF_WGMMA_SP_D0_31_REGISTERS ", " SF_WGMMA_SP_D32_63_REGISTERS ", "              \
                  SF_WGMMA_SP_D64_95_REGISTERS ", " SF_WGMMA_SP_D96_127_REGISTERS,                \
                  "%128, %129, %130", "%131", SF_WGMMA_SP_D0_31_OPERANDS,                         \
                  SF_WGMMA_SP_D32_63_OPERANDS, SF_WGMMA_SP_D64_95_OPERANDS,                       \
                  SF_WGMMA_SP_D96_127_OPERANDS)

#define SF_WGMMA_SP_N192(TYPE)                                                                    \
  SF_WGMMA_SP_ASM("m64n192k32", TYPE,                                                             \
                  SF_WGMMA_SP_D0_31_REGISTERS ", " SF_WGMMA_SP_D32_63_REGISTERS ", "              \
                  SF_WGMMA_SP_D64_95_REGISTERS,                                                   \
                  "%96, %97, %98", "%99", SF_WGMMA_SP_D0_31_OPERANDS,                             \
                  SF_WGMMA_SP_D32_63_OPERANDS, SF_WGMMA_SP_D64_95_OPERANDS)

#define SF_WGMMA_SP_N128(TYPE)                                                                    \
  SF_WGMMA_SP_ASM("m64n128k32", TYPE,                                                             \
                  SF_WGMMA_SP_D0_31_REGISTERS ", " SF_WGMMA_SP_D32_63_REGISTERS,                  \
                  "%64, %65, %66", "%67", SF_WGMMA_SP_D0_31_OPERANDS, SF_WGMMA_SP_D32_63_OPERANDS)

#define SF_WGMMA_SP_N64(TYPE)                                                                     \
  SF_WGMMA_SP_ASM("m64n64k32", TYPE, SF_WGMMA_SP_D0_31_REGISTERS, "%32, %33, %34", "%35",         \
                  SF_WGMMA_SP_D0_31_OPERANDS)

__device__ __forceinline__ void wgmma_sp(F16, float (&d)[128], uint64_t a_descriptor,
                                         uint64_t b_descriptor, uint32_t metadata) {
  SF_WGMMA_SP_N256("f16");
}
__device__ __forceinline__ void wgmma_sp(BF16, float (&d)[128], uint64_t a_descriptor,
                                         uint64_t b_descriptor, uint32_t metadata) {
  SF_WGMMA_SP_N256("bf16");
}
__device__ __forceinline__ void wgmma_sp(F16, float (&d)[96], uint64_t a_descriptor,
                                         uint64_t b_descriptor, uint32_t metadata) {
  SF_WGMMA_SP_N192("f16");
}
__device__ __forceinline__ void wgmma_sp(BF16, float (&d)[96], uint64_t a_descriptor,
                                         uint64_t b_descriptor, uint32_t metadata) {
  SF_WGMMA_SP_N192("bf16");
}
__device__ __forceinline__ void wgmma_sp(F16, float (&d)[64], uint64_t a_descriptor,
                                         uint64_t b_descriptor, uint32_t metadata) {
  SF_WGMMA_SP_N128("f16");
}
__device__ __forceinline__ void wgmma_sp(BF16, float (&d)[64], uint64_t a_descriptor,
                                         uint64_t b_descriptor, uint32_t metadata) {
  SF_WGMMA_SP_N128("bf16");
}
__device__ __forceinline__ void wgmma_sp(F16, float (&d)[32], uint64_t a_descriptor,
                                         uint64_t b_descriptor, uint32_t metadata) {
  SF_WGMMA_SP_N64("f16");
}
__device__ __forceinline__ void wgmma_sp(BF16, float (&d)[32], uint64_t a_descriptor,
                                         uint64_t b_descriptor, uint32_t metadata) {
  SF_WGMMA_SP_N64("bf16");
}

#undef SF_WGMMA_SP_N64
#undef SF_WGMMA_SP_N128
#undef SF_WGMMA_SP_N192
#undef SF_WGMMA_SP_N256
#undef SF_WGMMA_SP_D0_31_OPERANDS
#undef SF_WGMMA_SP_D0_31_REGISTERS
#undef SF_WGMMA_SP_D32_63_OPERANDS
#undef SF_WGMMA_SP_D32_63_REGISTERS
#undef SF_WGMMA_SP_D64_95_OPERANDS
#undef SF_WGMMA_SP_D64_95_REGISTERS
#undef SF_WGMMA_SP_D96_127_OPERANDS
#undef SF_WGMMA_SP_D96_127_REGISTERS
#undef SF_WGMMA_SP_ASM

}  // namespace sparseflow::ptx
