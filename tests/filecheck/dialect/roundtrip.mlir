// Round trip of every `pipe` op and type through the custom and the generic form.
//
// A warp-specialized, persistent sm_90a kernel in the form pipeir's builder emits:
// a TMA producer warp and two MMA consumer warpgroups walk the same work tiles;
// each role threads its own !pipe.state through scf.for iter_args and scf.if
// results. B is multicast to the two CTAs of the 2x1 cluster (copies of B carry
// the CTA's rank), A is not; K is known only at run time.

// RUN: pipeir-opt %s | pipeir-opt | filecheck %s
// RUN: pipeir-opt %s --print-op-generic | pipeir-opt | filecheck %s
// RUN: pipeir-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC
// RUN: pipeir-opt %s --print-op-generic | pipeir-opt --print-op-generic | filecheck %s --check-prefix=GENERIC

pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 2, 1>, problem = array<i64: 4096, 4096, -1>, a_major = #pipe<major k>, b_major = #pipe<major mn>} {
  %pipe = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %rank = pipe.cta_rank_in_cluster
    %k_tiles = pipe.k_tile_count
    %first = pipe.first_work_tile
    %tiles = pipe.work_tile_count
    %stride = pipe.work_tile_stride
    %start = pipe.init_state %pipe index(0) phase(1)
    %end = scf.for %tile = %first to %tiles step %stride iter_args(%tile_state = %start) -> (!pipe.state) {
      %m, %n = pipe.tile_coords %tile
      %filled = scf.for %i = %c0 to %c4 step %c1 iter_args(%fill_state = %tile_state) -> (!pipe.state) {
        %fits = pipe.k_tile_fits %i
        %after_fill = scf.if %fits -> (!pipe.state) {
          pipe.acquire %pipe[%fill_state]
          pipe.copy "a"[%m, %i] into %pipe[%fill_state]
          pipe.copy "b"[%n, %i] into %pipe[%fill_state] rank %rank
          pipe.commit %pipe[%fill_state]
          %next_fill = pipe.advance %fill_state
          scf.yield %next_fill : !pipe.state
        } else {
          scf.yield %fill_state : !pipe.state
        }
        scf.yield %after_fill : !pipe.state
      }
      %steady = scf.for %k = %c0 to %k_tiles step %c1 iter_args(%state = %filled) -> (!pipe.state) {
        %full = pipe.k_tile_full %k
        %next_k = arith.addi %k, %c4 : index
        %next_fits = pipe.k_tile_fits %next_k
        %refill = arith.andi %full, %next_fits : i1
        %after = scf.if %refill -> (!pipe.state) {
          pipe.acquire %pipe[%state]
          pipe.copy "a"[%m, %next_k] into %pipe[%state]
          pipe.copy "b"[%n, %next_k] into %pipe[%state] rank %rank
          pipe.commit %pipe[%state]
          %next = pipe.advance %state
          scf.yield %next : !pipe.state
        } else {
          scf.yield %state : !pipe.state
        }
        scf.yield %after : !pipe.state
      }
      scf.yield %steady : !pipe.state
    }
    pipe.producer_tail %pipe[%end]
  }
  pipe.role consumer warps(8) {
    %zero = arith.constant 0 : index
    %one = arith.constant 1 : index
    %num_k = pipe.k_tile_count
    %first_tile = pipe.first_work_tile
    %num_tiles = pipe.work_tile_count
    %tile_stride = pipe.work_tile_stride
    %c_start = pipe.init_state %pipe index(0) phase(0)
    %c_end = scf.for %out_tile = %first_tile to %num_tiles step %tile_stride iter_args(%c_tile_state = %c_start) -> (!pipe.state) {
      %tm, %tn = pipe.tile_coords %out_tile
      pipe.acc_init
      %drained = scf.for %kk = %zero to %num_k step %one iter_args(%c_state = %c_tile_state) -> (!pipe.state) {
        pipe.wait %pipe[%c_state]
        pipe.mma %pipe[%c_state]
        pipe.mma_wait pending(0)
        pipe.release %pipe[%c_state]
        %c_next = pipe.advance %c_state
        scf.yield %c_next : !pipe.state
      }
      %interior = pipe.mn_tile_full %tm, %tn
      scf.if %interior {
        pipe.epilogue %tm, %tn masked(false)
      } else {
        pipe.epilogue %tm, %tn masked(true)
      }
      scf.yield %drained : !pipe.state
    }
  }
}

// The custom form prints back exactly as written above.
// CHECK-LABEL: pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 2, 1>, problem = array<i64: 4096, 4096, -1>, a_major = #pipe<major k>, b_major = #pipe<major mn>} {
// CHECK-NEXT:  %pipe = pipe.pipeline stages(4)
// CHECK-NEXT:  pipe.role producer warps(1) {
// CHECK-NEXT:  %c0 = arith.constant 0 : index
// CHECK-NEXT:  %c1 = arith.constant 1 : index
// CHECK-NEXT:  %c4 = arith.constant 4 : index
// CHECK-NEXT:  %rank = pipe.cta_rank_in_cluster
// CHECK-NEXT:  %k_tiles = pipe.k_tile_count
// CHECK-NEXT:  %first = pipe.first_work_tile
// CHECK-NEXT:  %tiles = pipe.work_tile_count
// CHECK-NEXT:  %stride = pipe.work_tile_stride
// CHECK-NEXT:  %start = pipe.init_state %pipe index(0) phase(1)
// CHECK-NEXT:  %end = scf.for %tile = %first to %tiles step %stride iter_args(%tile_state = %start) -> (!pipe.state) {
// CHECK-NEXT:  %m, %n = pipe.tile_coords %tile
// CHECK-NEXT:  %filled = scf.for %i = %c0 to %c4 step %c1 iter_args(%fill_state = %tile_state) -> (!pipe.state) {
// CHECK-NEXT:  %fits = pipe.k_tile_fits %i
// CHECK-NEXT:  %after_fill = scf.if %fits -> (!pipe.state) {
// CHECK-NEXT:  pipe.acquire %pipe[%fill_state]
// CHECK-NEXT:  pipe.copy "a"[%m, %i] into %pipe[%fill_state]
// CHECK-NEXT:  pipe.copy "b"[%n, %i] into %pipe[%fill_state] rank %rank
// CHECK-NEXT:  pipe.commit %pipe[%fill_state]
// CHECK-NEXT:  %next_fill = pipe.advance %fill_state
// CHECK-NEXT:  scf.yield %next_fill : !pipe.state
// CHECK-NEXT:  } else {
// CHECK-NEXT:  scf.yield %fill_state : !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  scf.yield %after_fill : !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  %steady = scf.for %k = %c0 to %k_tiles step %c1 iter_args(%state = %filled) -> (!pipe.state) {
// CHECK-NEXT:  %full = pipe.k_tile_full %k
// CHECK-NEXT:  %next_k = arith.addi %k, %c4 : index
// CHECK-NEXT:  %next_fits = pipe.k_tile_fits %next_k
// CHECK-NEXT:  %refill = arith.andi %full, %next_fits : i1
// CHECK-NEXT:  %after = scf.if %refill -> (!pipe.state) {
// CHECK-NEXT:  pipe.acquire %pipe[%state]
// CHECK-NEXT:  pipe.copy "a"[%m, %next_k] into %pipe[%state]
// CHECK-NEXT:  pipe.copy "b"[%n, %next_k] into %pipe[%state] rank %rank
// CHECK-NEXT:  pipe.commit %pipe[%state]
// CHECK-NEXT:  %next = pipe.advance %state
// CHECK-NEXT:  scf.yield %next : !pipe.state
// CHECK-NEXT:  } else {
// CHECK-NEXT:  scf.yield %state : !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  scf.yield %after : !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  scf.yield %steady : !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  pipe.producer_tail %pipe[%end]
// CHECK-NEXT:  }
// CHECK-NEXT:  pipe.role consumer warps(8) {
// CHECK-NEXT:  %zero = arith.constant 0 : index
// CHECK-NEXT:  %one = arith.constant 1 : index
// CHECK-NEXT:  %num_k = pipe.k_tile_count
// CHECK-NEXT:  %first_tile = pipe.first_work_tile
// CHECK-NEXT:  %num_tiles = pipe.work_tile_count
// CHECK-NEXT:  %tile_stride = pipe.work_tile_stride
// CHECK-NEXT:  %c_start = pipe.init_state %pipe index(0) phase(0)
// CHECK-NEXT:  %c_end = scf.for %out_tile = %first_tile to %num_tiles step %tile_stride iter_args(%c_tile_state = %c_start) -> (!pipe.state) {
// CHECK-NEXT:  %tm, %tn = pipe.tile_coords %out_tile
// CHECK-NEXT:  pipe.acc_init
// CHECK-NEXT:  %drained = scf.for %kk = %zero to %num_k step %one iter_args(%c_state = %c_tile_state) -> (!pipe.state) {
// CHECK-NEXT:  pipe.wait %pipe[%c_state]
// CHECK-NEXT:  pipe.mma %pipe[%c_state]
// CHECK-NEXT:  pipe.mma_wait pending(0)
// CHECK-NEXT:  pipe.release %pipe[%c_state]
// CHECK-NEXT:  %c_next = pipe.advance %c_state
// CHECK-NEXT:  scf.yield %c_next : !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  %interior = pipe.mn_tile_full %tm, %tn
// CHECK-NEXT:  scf.if %interior {
// CHECK-NEXT:  pipe.epilogue %tm, %tn masked(false)
// CHECK-NEXT:  } else {
// CHECK-NEXT:  pipe.epilogue %tm, %tn masked(true)
// CHECK-NEXT:  }
// CHECK-NEXT:  scf.yield %drained : !pipe.state
// CHECK-NEXT:  }
// CHECK-NEXT:  }
// CHECK-NEXT:  }
// CHECK-NEXT:  }
// CHECK-NOT:   {{.}}

// The generic form: every pipe op with its properties, operand and result types.
// GENERIC:     "pipe.kernel"() <{sym_name = "gemm", arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 2, 1>, problem = array<i64: 4096, 4096, -1>, a_major = #pipe<major k>, b_major = #pipe<major mn>}> ({
// GENERIC:     %pipe = "pipe.pipeline"() <{stages = 4 : index}> : () -> !pipe.pipeline
// GENERIC:     "pipe.role"() <{kind = #pipe<role_kind producer>, warps = 1 : index}> ({
// GENERIC:     %rank = "pipe.cta_rank_in_cluster"() : () -> index
// GENERIC:     %k_tiles = "pipe.k_tile_count"() : () -> index
// GENERIC:     %first = "pipe.first_work_tile"() : () -> index
// GENERIC:     %tiles = "pipe.work_tile_count"() : () -> index
// GENERIC:     %stride = "pipe.work_tile_stride"() : () -> index
// GENERIC:     %start = "pipe.init_state"(%pipe) <{index = 0 : index, phase = 1 : index}> : (!pipe.pipeline) -> !pipe.state
// GENERIC:     ^bb0(%tile: index, %tile_state: !pipe.state):
// GENERIC:     %m, %n = "pipe.tile_coords"(%tile) : (index) -> (index, index)
// GENERIC:     ^bb0(%i: index, %fill_state: !pipe.state):
// GENERIC:     %fits = "pipe.k_tile_fits"(%i) : (index) -> i1
// GENERIC:     "pipe.acquire"(%pipe, %fill_state) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.copy"(%m, %i, %pipe, %fill_state) <{operand = "a"}> {operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>} : (index, index, !pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.copy"(%n, %i, %pipe, %fill_state, %rank) <{operand = "b"}> {operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>} : (index, index, !pipe.pipeline, !pipe.state, index) -> ()
// GENERIC:     "pipe.commit"(%pipe, %fill_state) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     %next_fill = "pipe.advance"(%fill_state) : (!pipe.state) -> !pipe.state
// GENERIC:     "scf.yield"(%next_fill) : (!pipe.state) -> ()
// GENERIC:     "scf.yield"(%fill_state) : (!pipe.state) -> ()
// GENERIC:     }) : (i1) -> !pipe.state
// GENERIC:     "scf.yield"(%after_fill) : (!pipe.state) -> ()
// GENERIC:     }) : (index, index, index, !pipe.state) -> !pipe.state
// GENERIC:     ^bb0(%k: index, %state: !pipe.state):
// GENERIC:     %full = "pipe.k_tile_full"(%k) : (index) -> i1
// GENERIC:     %next_fits = "pipe.k_tile_fits"(%next_k) : (index) -> i1
// GENERIC:     "pipe.acquire"(%pipe, %state) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.copy"(%m, %next_k, %pipe, %state) <{operand = "a"}> {operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>} : (index, index, !pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.copy"(%n, %next_k, %pipe, %state, %rank) <{operand = "b"}> {operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>} : (index, index, !pipe.pipeline, !pipe.state, index) -> ()
// GENERIC:     "pipe.commit"(%pipe, %state) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     %next = "pipe.advance"(%state) : (!pipe.state) -> !pipe.state
// GENERIC:     "scf.yield"(%next) : (!pipe.state) -> ()
// GENERIC:     "scf.yield"(%state) : (!pipe.state) -> ()
// GENERIC:     }) : (i1) -> !pipe.state
// GENERIC:     "scf.yield"(%after) : (!pipe.state) -> ()
// GENERIC:     }) : (index, index, index, !pipe.state) -> !pipe.state
// GENERIC:     "scf.yield"(%steady) : (!pipe.state) -> ()
// GENERIC:     }) : (index, index, index, !pipe.state) -> !pipe.state
// GENERIC:     "pipe.producer_tail"(%pipe, %end) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.role"() <{kind = #pipe<role_kind consumer>, warps = 8 : index}> ({
// GENERIC:     %num_k = "pipe.k_tile_count"() : () -> index
// GENERIC:     %first_tile = "pipe.first_work_tile"() : () -> index
// GENERIC:     %num_tiles = "pipe.work_tile_count"() : () -> index
// GENERIC:     %tile_stride = "pipe.work_tile_stride"() : () -> index
// GENERIC:     %c_start = "pipe.init_state"(%pipe) <{index = 0 : index, phase = 0 : index}> : (!pipe.pipeline) -> !pipe.state
// GENERIC:     ^bb0(%out_tile: index, %c_tile_state: !pipe.state):
// GENERIC:     %tm, %tn = "pipe.tile_coords"(%out_tile) : (index) -> (index, index)
// GENERIC:     "pipe.acc_init"() : () -> ()
// GENERIC:     ^bb0(%kk: index, %c_state: !pipe.state):
// GENERIC:     "pipe.wait"(%pipe, %c_state) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.mma"(%pipe, %c_state) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     "pipe.mma_wait"() <{pending = 0 : index}> : () -> ()
// GENERIC:     "pipe.release"(%pipe, %c_state) : (!pipe.pipeline, !pipe.state) -> ()
// GENERIC:     %c_next = "pipe.advance"(%c_state) : (!pipe.state) -> !pipe.state
// GENERIC:     "scf.yield"(%c_next) : (!pipe.state) -> ()
// GENERIC:     }) : (index, index, index, !pipe.state) -> !pipe.state
// GENERIC:     %interior = "pipe.mn_tile_full"(%tm, %tn) : (index, index) -> i1
// GENERIC:     "pipe.epilogue"(%tm, %tn) <{masked = false}> : (index, index) -> ()
// GENERIC:     "pipe.epilogue"(%tm, %tn) <{masked = true}> : (index, index) -> ()
// GENERIC:     "scf.yield"(%drained) : (!pipe.state) -> ()
// GENERIC:     }) : (index, index, index, !pipe.state) -> !pipe.state
