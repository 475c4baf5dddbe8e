// The pingpong ops' verifier rules: each needs a pingpong kernel and a consumer role.
// RUN: not pipeir-opt %s 2>&1 | filecheck %s
// CHECK: error: 'pipe.order_wait' needs a pingpong kernel (the 'pingpong' property): the consumer warpgroups of this kernel share every tile

pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 128, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %pipe = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    pipe.order_wait mma
  }
}
