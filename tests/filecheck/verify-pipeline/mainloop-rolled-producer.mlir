// A shared-warp ('mainloop') kernel whose producer part was rolled into one
// loop over all k-tiles ahead of the consumer part. With 4 k-tiles and 2
// stages, the acquire of k-tile 2 needs stage 0 released, which only these same
// warps would do, later.
// RUN: not pipeir-opt --verify-pipeline %s 2>&1 | filecheck %s

pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 128, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %pipe = pipe.pipeline stages(2)
  pipe.role mainloop warps(8) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %k_tiles = pipe.k_tile_count
    %first = pipe.first_work_tile
    %tiles = pipe.work_tile_count
    %stride = pipe.work_tile_stride
    %produce = pipe.init_state %pipe index(0) phase(1)
    %consume = pipe.init_state %pipe index(0) phase(0)
    %produced, %consumed = scf.for %tile = %first to %tiles step %stride iter_args(%p_tile = %produce, %c_tile = %consume) -> (!pipe.state, !pipe.state) {
      %m, %n = pipe.tile_coords %tile
      pipe.acc_init
      %filled = scf.for %k = %c0 to %k_tiles step %c1 iter_args(%p = %p_tile) -> (!pipe.state) {
// CHECK-NOT: Traceback
// CHECK: {{^.*}}mainloop-rolled-producer.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: deadlock: mainloop blocks on acquire of stage 0 (phase 0) at k-tile 2 of tile (0, 0), which only its own later release of the stage could unblock; launch M=128 N=256 K=256, CTA 0 of 1 (rank 0); last events: M acquire s0 k0, M commit s0, M acquire s1 k1, M commit s1{{$}}
// CHECK-NOT: {{.}}
        pipe.acquire %pipe[%p]
        pipe.copy "a"[%m, %k] into %pipe[%p]
        pipe.copy "b"[%n, %k] into %pipe[%p]
        pipe.commit %pipe[%p]
        %p_next = pipe.advance %p
        scf.yield %p_next : !pipe.state
      }
      %drained = scf.for %k = %c0 to %k_tiles step %c1 iter_args(%c = %c_tile) -> (!pipe.state) {
        pipe.wait %pipe[%c]
        pipe.mma %pipe[%c]
        pipe.mma_wait pending(0)
        pipe.release %pipe[%c]
        %c_next = pipe.advance %c
        scf.yield %c_next : !pipe.state
      }
      pipe.epilogue %m, %n masked(false)
      scf.yield %filled, %drained : !pipe.state, !pipe.state
    }
    pipe.producer_tail %pipe[%produced]
  }
}
