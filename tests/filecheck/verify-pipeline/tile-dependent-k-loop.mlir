// The consumer takes one k-tile fewer on work tile 1 only. Such a kernel is not
// tile-uniform: its work tiles differ in more than their coordinates, so a few
// simulated CTAs could not stand for all of them. It is rejected where the work
// tile is used.
// RUN: not pipeir-opt --verify-pipeline %s 2>&1 | filecheck %s

pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %pipe = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %k_tiles = pipe.k_tile_count
    %first = pipe.first_work_tile
    %tiles = pipe.work_tile_count
    %stride = pipe.work_tile_stride
    %start = pipe.init_state %pipe index(0) phase(1)
    %end = scf.for %tile = %first to %tiles step %stride iter_args(%tile_state = %start) -> (!pipe.state) {
      %m, %n = pipe.tile_coords %tile
      %filled = scf.for %k = %c0 to %k_tiles step %c1 iter_args(%state = %tile_state) -> (!pipe.state) {
        pipe.acquire %pipe[%state]
        pipe.copy "a"[%m, %k] into %pipe[%state]
        pipe.copy "b"[%n, %k] into %pipe[%state]
        pipe.commit %pipe[%state]
        %next = pipe.advance %state
        scf.yield %next : !pipe.state
      }
      scf.yield %filled : !pipe.state
    }
    pipe.producer_tail %pipe[%end]
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
// CHECK-NOT: Traceback
// CHECK: {{^.*}}tile-dependent-k-loop.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: the work tile of the persistent loop is used by 'arith.cmpi': verify-pipeline proves only kernels whose work tiles differ in their coordinates alone{{.*}}
// CHECK-NOT: {{.}}
      %is_1 = arith.cmpi eq, %tile, %c1 : index
      %k_short = arith.subi %k_tiles, %c1 : index
      %k_here = arith.select %is_1, %k_short, %k_tiles : index
      %drained = scf.for %k = %c0 to %k_here step %c1 iter_args(%state = %tile_state) -> (!pipe.state) {
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
