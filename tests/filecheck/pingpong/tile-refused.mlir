// A pingpong kernel's tile is one warpgroup's: 128x256 needs 256 accumulators a thread.
// RUN: not pipeir-opt %s 2>&1 | filecheck %s
// CHECK: error: 'pipe.kernel' @gemm: tile 128x256x64 cannot be built with pingpong on sm_90a: one MMA warpgroup holds the whole tile

pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 128, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>, pingpong} {
  %pipe = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}
