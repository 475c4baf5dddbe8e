// Round trip of a kernel without warp specialization: one `mainloop` role runs
// both the producer and the consumer events, so it threads two !pipe.state
// values (the fill position and the drain position) through the same loops.
// sm_100a with UMMA, fp8 operands, a 2x2 cluster (A and B both multicast,
// so every copy carries the CTA's rank) and a problem shape known only at run time.

// RUN: pipeir-opt %s | pipeir-opt | filecheck %s
// RUN: pipeir-opt %s --print-op-generic | pipeir-opt | filecheck %s
// RUN: pipeir-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC
// RUN: pipeir-opt %s --print-op-generic | pipeir-opt --print-op-generic | filecheck %s --check-prefix=GENERIC

pipe.kernel @gemm_fp8 attributes {arch = #pipe<arch sm_100a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = f16, tile = array<i64: 128, 128, 128>, cluster = array<i64: 2, 2>, problem = array<i64: -1, -1, -1>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %ring = pipe.pipeline stages(6)
  pipe.role mainloop warps(4) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c6 = arith.constant 6 : index
    %rank = pipe.cta_rank_in_cluster
    %k_tiles = pipe.k_tile_count
    %first = pipe.first_work_tile
    %tiles = pipe.work_tile_count
    %stride = pipe.work_tile_stride
    %produce = pipe.init_state %ring index(0) phase(1)
    %consume = pipe.init_state %ring index(0) phase(0)
    %produced, %consumed = scf.for %tile = %first to %tiles step %stride iter_args(%p_tile = %produce, %c_tile = %consume) -> (!pipe.state, !pipe.state) {
      %m, %n = pipe.tile_coords %tile
      pipe.acc_init
      %primed = scf.for %i = %c0 to %c6 step %c1 iter_args(%p_fill = %p_tile) -> (!pipe.state) {
        %fits = pipe.k_tile_fits %i
        %p_after = scf.if %fits -> (!pipe.state) {
          pipe.acquire %ring[%p_fill]
          pipe.copy "a"[%m, %i] into %ring[%p_fill] rank %rank
          pipe.copy "b"[%n, %i] into %ring[%p_fill] rank %rank
          pipe.commit %ring[%p_fill]
          %p_next = pipe.advance %p_fill
          scf.yield %p_next : !pipe.state
        } else {
          scf.yield %p_fill : !pipe.state
        }
        scf.yield %p_after : !pipe.state
      }
      %p_done, %c_done = scf.for %k = %c0 to %k_tiles step %c1 iter_args(%p = %primed, %c = %c_tile) -> (!pipe.state, !pipe.state) {
        pipe.wait %ring[%c]
        pipe.mma %ring[%c]
        pipe.mma_wait pending(0)
        pipe.release %ring[%c]
        %c_next = pipe.advance %c
        %refill_k = arith.addi %k, %c6 : index
        %refill = pipe.k_tile_fits %refill_k
        %p_refilled = scf.if %refill -> (!pipe.state) {
          pipe.acquire %ring[%p]
          pipe.copy "a"[%m, %refill_k] into %ring[%p] rank %rank
          pipe.copy "b"[%n, %refill_k] into %ring[%p] rank %rank
          pipe.commit %ring[%p]
          %p_step = pipe.advance %p
          scf.yield %p_step : !pipe.state
        } else {
          scf.yield %p : !pipe.state
        }
        scf.yield %p_refilled, %c_next : !pipe.state, !pipe.state
      }
      %interior = pipe.mn_tile_full %m, %n
      scf.if %interior {
        pipe.epilogue %m, %n masked(false)
      } else {
        pipe.epilogue %m, %n masked(true)
      }
      scf.yield %p_done, %c_done : !pipe.state, !pipe.state
    }
    pipe.producer_tail %ring[%produced]
  }
}

// The custom form prints back exactly as written above.
// CHECK-LABEL: pipe.kernel @gemm_fp8 attributes {arch = #pipe<arch sm_100a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = f16, tile = array<i64: 128, 128, 128>, cluster = array<i64: 2, 2>, problem = array<i64: -1, -1, -1>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
// CHECK-NEXT:  %ring = pipe.pipeline stages(6)
// CHECK-NEXT:  pipe.role mainloop warps(4) {
// CHECK-NEXT:  %c0 = arith.constant 0 : index
// CHECK-NEXT:  %c1 = arith.constant 1 : index
// CHECK-NEXT:  %c6 = arith.constant 6 : index
// CHECK-NEXT:  %rank = pipe.cta_rank_in_cluster
// CHECK-NEXT:  %k_tiles = pipe.k_tile_count
// CHECK-NEXT:  %first = pipe.first_work_tile
// CHECK-NEXT:  %tiles = pipe.work_tile_count
// CHECK-NEXT:  %stride = pipe.work_tile_stride
// CHECK-NEXT:  %produce = pipe.init_state %ring index(0) phase(1)
// CHECK-NEXT:  %consume = pipe.init_state %ring index(0) phase(0)
// CHECK-NEXT:  %produced, %consumed = scf.for %tile = %first to %tiles step %stride iter_args(%p_tile = %produce, %c_tile = %consume) -> (!pipe.state, !pipe.state) {
// CHECK-NEXT:  %m, %n = pipe.tile_coords %tile
// CHECK-NEXT:  pipe.acc_init
// CHECK-NEXT:  %primed = scf.for %i = %c0 to %c6 step %c1 iter_args(%p_fill = %p_tile) -> (!pipe.state) {
// CHECK-NEXT:  %fits = pipe.k_tile_fits %i
// CHECK-NEXT:  %p_after = scf.if %fits -> (!pipe.state) {
// CHECK-NEXT:  pipe.acquire %ring[%p_fill]
// CHECK-NEXT:  pipe.copy "a"[%m, %i] into %ring[%p_fill] rank %rank
// CHECK-NEXT:  pipe.copy "b"[%n, %i] into %ring[%p_fill] rank %rank
// CHECK-NEXT:  pipe.commit %ring[%p_fill]
// CHECK-NEXT:  %p_next = pipe.advance %p_fill
// CHECK-NEXT:  scf.yield %p_next : !pipe.state
// CHECK-NEXT:  } else {
// CHECK-NEXT:  scf.yield %p_fill : !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  scf.yield %p_after : !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  %p_done, %c_done = scf.for %k = %c0 to %k_tiles step %c1 iter_args(%p = %primed, %c = %c_tile) -> (!pipe.state, !pipe.state) {
// CHECK-NEXT:  pipe.wait %ring[%c]
// CHECK-NEXT:  pipe.mma %ring[%c]
// CHECK-NEXT:  pipe.mma_wait pending(0)
// CHECK-NEXT:  pipe.release %ring[%c]
// CHECK-NEXT:  %c_next = pipe.advance %c
// CHECK-NEXT:  %refill_k = arith.addi %k, %c6 : index
// CHECK-NEXT:  %refill = pipe.k_tile_fits %refill_k
// CHECK-NEXT:  %p_refilled = scf.if %refill -> (!pipe.state) {
// CHECK-NEXT:  pipe.acquire %ring[%p]
// CHECK-NEXT:  pipe.copy "a"[%m, %refill_k] into %ring[%p] rank %rank
// CHECK-NEXT:  pipe.copy "b"[%n, %refill_k] into %ring[%p] rank %rank
// CHECK-NEXT:  pipe.commit %ring[%p]
// CHECK-NEXT:  %p_step = pipe.advance %p
// CHECK-NEXT:  scf.yield %p_step : !pipe.state
// CHECK-NEXT:  } else {
// CHECK-NEXT:  scf.yield %p : !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  scf.yield %p_refilled, %c_next : !pipe.state, !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  %interior = pipe.mn_tile_full %m, %n
// CHECK-NEXT:  scf.if %interior {
// CHECK-NEXT:  pipe.epilogue %m, %n masked(false)
// CHECK-NEXT:  } else {
// CHECK-NEXT:  pipe.epilogue %m, %n masked(true)
// CHECK-NEXT:  }
// CHECK-NEXT:  scf.yield %p_done, %c_done : !pipe.state, !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  pipe.producer_tail %ring[%produced]
// CHECK-NEXT:  }
// CHECK-NEXT:  }
// CHECK-NEXT:  }
// CHECK-NOT:   {{.}}

// The generic form: every pipe op with its properties, operand and result types.
// GENERIC:     "pipe.kernel"() <{sym_name = "gemm_fp8", arch = #pipe<arch sm_100a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = f16, tile = array<i64: 128, 128, 128>, cluster = array<i64: 2, 2>, problem = array<i64: -1, -1, -1>, a_major = #pipe<major k>, b_major = #pipe<major k>}> ({
// GENERIC:     %ring = "pipe.pipeline"() <{stages = 6 : index}> : () -> !pipe.pipeline
// GENERIC:     "pipe.role"() <{kind = #pipe<role_kind mainloop>, warps = 4 : index}> ({
// GENERIC:     %rank = "pipe.cta_rank_in_cluster"() : () -> index
// GENERIC:     %k_tiles = "pipe.k_tile_count"() : () -> index
// GENERIC:     %first = "pipe.first_work_tile"() : () -> index
// GENERIC:     %tiles = "pipe.work_tile_count"() : () -> index
// GENERIC:     %stride = "pipe.work_tile_stride"() : () -> index
// GENERIC:     %produce = "pipe.init_state"(%ring) <{index = 0 : index, phase = 1 : index}> : (!pipe.pipeline) -> !pipe.state
// GENERIC:     %consume = "pipe.init_state"(%ring) <{index = 0 : index, phase = 0 : index}> : (!pipe.pipeline) -> !pipe.state
// GENERIC:     ^bb0(%tile: index, %p_tile: !pipe.state, %c_tile: !pipe.state):
// GENERIC:     %m, %n = "pipe.tile_coords"(%tile) : (index) -> (index, index)
// GENERIC:     "pipe.acc_init"() : () -> ()
// GENERIC:     ^bb0(%i: index, %p_fill: !pipe.state):
// GENERIC:     %fits = "pipe.k_tile_fits"(%i) : (index) -> i1
// GENERIC:     "pipe.acquire"(%ring, %p_fill) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.copy"(%m, %i, %ring, %p_fill, %rank) <{operand = "a"}> {operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>} : (index, index, !pipe.pipeline, !pipe.state, index) -> ()
// GENERIC:     "pipe.copy"(%n, %i, %ring, %p_fill, %rank) <{operand = "b"}> {operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>} : (index, index, !pipe.pipeline, !pipe.state, index) -> ()
// GENERIC:     "pipe.commit"(%ring, %p_fill) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     %p_next = "pipe.advance"(%p_fill) : (!pipe.state) -> !pipe.state
// GENERIC:     "scf.yield"(%p_next) : (!pipe.state) -> ()
// GENERIC:     "scf.yield"(%p_fill) : (!pipe.state) -> ()
// GENERIC:     }) : (i1) -> !pipe.state
// GENERIC:     "scf.yield"(%p_after) : (!pipe.state) -> ()
// GENERIC:     }) : (index, index, index, !pipe.state) -> !pipe.state
// GENERIC:     ^bb0(%k: index, %p: !pipe.state, %c: !pipe.state):
// GENERIC:     "pipe.wait"(%ring, %c) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.mma"(%ring, %c) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.mma_wait"() <{pending = 0 : index}> : () -> ()
// GENERIC:     "pipe.release"(%ring, %c) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     %c_next = "pipe.advance"(%c) : (!pipe.state) -> !pipe.state
// GENERIC:     %refill = "pipe.k_tile_fits"(%refill_k) : (index) -> i1
// GENERIC:     "pipe.acquire"(%ring, %p) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.copy"(%m, %refill_k, %ring, %p, %rank) <{operand = "a"}> {operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>} : (index, index, !pipe.pipeline, !pipe.state, index) -> ()
// GENERIC:     "pipe.copy"(%n, %refill_k, %ring, %p, %rank) <{operand = "b"}> {operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>} : (index, index, !pipe.pipeline, !pipe.state, index) -> ()
// GENERIC:     "pipe.commit"(%ring, %p) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     %p_step = "pipe.advance"(%p) : (!pipe.state) -> !pipe.state
// GENERIC:     "scf.yield"(%p_step) : (!pipe.state) -> ()
// GENERIC:     "scf.yield"(%p) : (!pipe.state) -> ()
// GENERIC:     }) : (i1) -> !pipe.state
// GENERIC:     "scf.yield"(%p_refilled, %c_next) : (!pipe.state, !pipe.state) -> ()
// GENERIC:     }) : (index, index, index, !pipe.state, !pipe.state) -> (!pipe.state, !pipe.state)
// GENERIC:     %interior = "pipe.mn_tile_full"(%m, %n) : (index, index) -> i1
// GENERIC:     "pipe.epilogue"(%m, %n) <{masked = false}> : (index, index) -> ()
// GENERIC:     "pipe.epilogue"(%m, %n) <{masked = true}> : (index, index) -> ()
// GENERIC:     "scf.yield"(%p_done, %c_done) : (!pipe.state, !pipe.state) -> ()
// GENERIC:     }) : (index, index, index, !pipe.state, !pipe.state) -> (!pipe.state, !pipe.state)
// GENERIC:     "pipe.producer_tail"(%ring, %produced) : (!pipe.pipeline, !pipe.state) -> ()
