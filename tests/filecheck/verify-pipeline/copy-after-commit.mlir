// The producer keeps a second cursor for its commits. Both cursors name the
// same stage, so the commit through %done closes the fill of %state, and the
// copy after it lands in a stage the consumer may already be reading. Each op
// is well placed for its own SSA state; only the simulation sees the order.
// RUN: not pipeir-opt --verify-pipeline %s 2>&1 | filecheck %s

pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 128, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %pipe = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %k_tiles = pipe.k_tile_count
    %first = pipe.first_work_tile
    %tiles = pipe.work_tile_count
    %stride = pipe.work_tile_stride
    %start = pipe.init_state %pipe index(0) phase(1)
    %commits = pipe.init_state %pipe index(0) phase(1)
    %end, %end_commits = scf.for %tile = %first to %tiles step %stride iter_args(%tile_state = %start, %tile_commits = %commits) -> (!pipe.state, !pipe.state) {
      %m, %n = pipe.tile_coords %tile
      %filled, %committed = scf.for %k = %c0 to %k_tiles step %c1 iter_args(%state = %tile_state, %done = %tile_commits) -> (!pipe.state, !pipe.state) {
        pipe.acquire %pipe[%state]
        pipe.copy "a"[%m, %k] into %pipe[%state]
        pipe.copy "b"[%n, %k] into %pipe[%state]
        pipe.commit %pipe[%done]
// CHECK-NOT: Traceback
// CHECK: {{^.*}}copy-after-commit.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: copy of 'b' (k-tile 0) into stage 0 after its commit: copies must sit between the acquire and the commit of their stage{{.*}}
// CHECK-NOT: {{.}}
        pipe.copy "b"[%n, %k] into %pipe[%state]
        pipe.commit %pipe[%state]
        %next = pipe.advance %state
        %next_done = pipe.advance %done
        scf.yield %next, %next_done : !pipe.state, !pipe.state
      }
      scf.yield %filled, %committed : !pipe.state, !pipe.state
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
