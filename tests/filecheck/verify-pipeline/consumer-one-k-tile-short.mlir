// The consumer drains one k-tile fewer per work tile than the producer loads.
// Its first epilogue stores a product without the last k-tile (the protocol
// breaks too: the consumer ends while stages are full, and the producer's tail
// would wait forever for their release).
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
    %k_short = arith.subi %k_tiles, %c1 : index
    %end = scf.for %tile = %first to %tiles step %stride iter_args(%tile_state = %start) -> (!pipe.state) {
      %m, %n = pipe.tile_coords %tile
      pipe.acc_init
      %drained = scf.for %k = %c0 to %k_short step %c1 iter_args(%state = %tile_state) -> (!pipe.state) {
        pipe.wait %pipe[%state]
        pipe.mma %pipe[%state]
        pipe.mma_wait pending(0)
        pipe.release %pipe[%state]
        %next = pipe.advance %state
        scf.yield %next : !pipe.state
      }
// CHECK-NOT: Traceback
// CHECK: {{^.*}}consumer-one-k-tile-short.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: epilogue of tile (0, 0) stores a wrong product: k-tile(s) 3 of 4 are never multiplied; launch M=256 N=256 K=256, CTA 0 of 1 (rank 0){{.*}}
// CHECK-NOT: {{.}}
      pipe.epilogue %m, %n masked(false)
      scf.yield %drained : !pipe.state
    }
  }
}
