// An op the simulator has no meaning for: a located error, not a traceback.
// RUN: not pipeir-opt --verify-pipeline %s 2>&1 | filecheck %s

pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 128, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %pipe = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %k_tiles = pipe.k_tile_count
// CHECK-NOT: Traceback
// CHECK: {{^.*}}unsupported-op.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: cannot execute 'arith.divui' for M=128 N=256 K=256, CTA 0 of 1 (rank 0): {{.*}}arith.divui{{.*}}
// CHECK-NOT: {{.}}
    %half = arith.divui %k_tiles, %c2 : index
    %start = pipe.init_state %pipe index(0) phase(1)
    %end = scf.for %k = %c0 to %half step %c1 iter_args(%state = %start) -> (!pipe.state) {
      pipe.acquire %pipe[%state]
      pipe.copy "a"[%c0, %k] into %pipe[%state]
      pipe.copy "b"[%c0, %k] into %pipe[%state]
      pipe.commit %pipe[%state]
      %next = pipe.advance %state
      scf.yield %next : !pipe.state
    }
    pipe.producer_tail %pipe[%end]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}
