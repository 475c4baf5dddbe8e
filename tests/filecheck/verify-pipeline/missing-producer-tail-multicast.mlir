// B is multicast across the 2x1 cluster and the producer exits without a
// producer_tail: a peer CTA's release of a stage could arrive after this CTA has
// exited.
// RUN: not pipeir-opt --verify-pipeline %s 2>&1 | filecheck %s

pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 2, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %pipe = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %k_tiles = pipe.k_tile_count
    %first = pipe.first_work_tile
    %tiles = pipe.work_tile_count
    %stride = pipe.work_tile_stride
    %rank = pipe.cta_rank_in_cluster
    %start = pipe.init_state %pipe index(0) phase(1)
    %end = scf.for %tile = %first to %tiles step %stride iter_args(%tile_state = %start) -> (!pipe.state) {
      %m, %n = pipe.tile_coords %tile
      %filled = scf.for %k = %c0 to %k_tiles step %c1 iter_args(%state = %tile_state) -> (!pipe.state) {
        pipe.acquire %pipe[%state]
        pipe.copy "a"[%m, %k] into %pipe[%state]
        pipe.copy "b"[%n, %k] into %pipe[%state] rank %rank
// CHECK-NOT: Traceback
// CHECK: {{^.*}}missing-producer-tail-multicast.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: missing producer_tail: the producer multicasts 'b' to 2 CTAs but exits after this last commit without a producer_tail{{.*}}
// CHECK-NOT: {{.}}
        pipe.commit %pipe[%state]
        %next = pipe.advance %state
        scf.yield %next : !pipe.state
      }
      scf.yield %filled : !pipe.state
    }
  }
  pipe.role consumer warps(8) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %k_tiles = pipe.k_tile_count
    %first = pipe.first_work_tile
    %tiles = pipe.work_tile_count
    %stride = pipe.work_tile_stride
    %start = pipe.init_state %pipe index(0) phase(0)
    %end = scf.for %tile = %first to %tiles step %stride iter_args(%tile_state = %start) -> (!pipe.state) {
      %m, %n = pipe.tile_coords %tile
      pipe.acc_init
      %drained = scf.for %k = %c0 to %k_tiles step %c1 iter_args(%state = %tile_state) -> (!pipe.state) {
        pipe.wait %pipe[%state]
        pipe.mma %pipe[%state]
        pipe.mma_wait pending(0)
        pipe.release %pipe[%state]
        %next = pipe.advance %state
        scf.yield %next : !pipe.state
      }
      pipe.epilogue %m, %n masked(false)
      scf.yield %drained : !pipe.state
    }
  }
}
