// A pingpong consumer without its mma turn: warpgroup 1's waits could then run a lap
// ahead of warpgroup 0's on the same stages and pass on an earlier fill of the same
// phase parity. The verifier requires every wait inside its warpgroup's mma turn.
// RUN: not pipeir-opt --verify-pipeline %s 2>&1 | filecheck %s
// CHECK: error: wait of consumer.wg0 outside its mma turn (no order_wait mma before it, or after its order_signal)

builtin.module {
  pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 512, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>, pingpong} {
    %0 = pipe.pipeline stages(2)
    pipe.role producer warps(1) {
      %1 = pipe.init_state %0 index(0) phase(1)
      %2 = pipe.k_tile_count
      %3 = pipe.first_work_tile
      %4 = pipe.work_tile_count
      %5 = pipe.work_tile_stride
      %6 = scf.for %7 = %3 to %4 step %5 iter_args(%8 = %1) -> (!pipe.state) {
        %9, %10 = pipe.tile_coords %7
        %11 = arith.constant 0 : index
        %12 = pipe.k_tile_fits %11
        %13 = scf.if %12 -> (!pipe.state) {
          pipe.acquire %0[%8]
          pipe.copy "a"[%9, %11] into %0[%8]
          pipe.copy "b"[%10, %11] into %0[%8]
          pipe.commit %0[%8]
          %14 = pipe.advance %8
          scf.yield %14 : !pipe.state
        } else {
          scf.yield %8 : !pipe.state
        }
        %15 = arith.constant 1 : index
        %16 = pipe.k_tile_fits %15
        %17 = scf.if %16 -> (!pipe.state) {
          pipe.acquire %0[%13]
          pipe.copy "a"[%9, %15] into %0[%13]
          pipe.copy "b"[%10, %15] into %0[%13]
          pipe.commit %0[%13]
          %18 = pipe.advance %13
          scf.yield %18 : !pipe.state
        } else {
          scf.yield %13 : !pipe.state
        }
        %19 = arith.constant 0 : index
        %20 = arith.constant 1 : index
        %21 = scf.for %22 = %19 to %2 step %20 iter_args(%23 = %17) -> (!pipe.state) {
          %24 = pipe.k_tile_full %22
          %25 = arith.constant 2 : index
          %26 = arith.addi %22, %25 : index
          %27 = pipe.k_tile_fits %26
          %28 = arith.andi %24, %27 : i1
          %29 = scf.if %28 -> (!pipe.state) {
            pipe.acquire %0[%23]
            pipe.copy "a"[%9, %26] into %0[%23]
            pipe.copy "b"[%10, %26] into %0[%23]
            pipe.commit %0[%23]
            %30 = pipe.advance %23
            scf.yield %30 : !pipe.state
          } else {
            scf.yield %23 : !pipe.state
          }
          scf.yield %29 : !pipe.state
        }
        scf.yield %21 : !pipe.state
      }
      pipe.producer_tail %0[%6]
    }
    pipe.role consumer warps(8) {
      %31 = pipe.init_state %0 index(0) phase(0)
      %32 = pipe.k_tile_count
      %33 = pipe.consumer_warpgroup
      %34 = arith.muli %32, %33 : index
      %35 = pipe.advance %31 by(%34)
      %36 = pipe.first_work_tile warpgroup
      %37 = pipe.work_tile_count
      %38 = pipe.work_tile_stride warpgroup
      %39 = scf.for %40 = %36 to %37 step %38 iter_args(%41 = %35) -> (!pipe.state) {
        %42, %43 = pipe.tile_coords %40
        pipe.acc_init
        %44 = arith.constant 0 : index
        %45 = arith.constant 1 : index
        %46 = scf.for %47 = %44 to %32 step %45 iter_args(%48 = %41) -> (!pipe.state) {
          %49 = pipe.k_tile_full %47
          scf.if %49 {
            pipe.wait %0[%48]
            pipe.mma %0[%48]
            pipe.mma_wait pending(0)
            pipe.release %0[%48]
          }
          %50 = pipe.advance %48
          scf.yield %50 : !pipe.state
        }
        pipe.order_signal mma
        pipe.order_wait epilogue
        %51 = pipe.mn_tile_full %42, %43
        scf.if %51 {
          pipe.epilogue %42, %43 masked(false)
        } else {
          pipe.epilogue %42, %43 masked(true)
        }
        pipe.order_signal epilogue
        %52 = pipe.advance %46 by(%32)
        scf.yield %52 : !pipe.state
      }
    }
  }
}
