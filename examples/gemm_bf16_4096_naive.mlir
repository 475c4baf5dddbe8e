// The naive form of a bf16 4096^3 GEMM, tile 128x256x64, 4 stages, cluster 2x1, as emitted by
// pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype bf16 --tile 128x256x64 --stages 4 --cluster 2x1
builtin.module {
  pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 2, 1>, problem = array<i64: 4096, 4096, 4096>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
    %0 = pipe.pipeline stages(4)
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
          %14 = pipe.cta_rank_in_cluster
          pipe.copy "b"[%10, %11] into %0[%8] rank %14
          pipe.commit %0[%8]
          %15 = pipe.advance %8
          scf.yield %15 : !pipe.state
        } else {
          scf.yield %8 : !pipe.state
        }
        %16 = arith.constant 1 : index
        %17 = pipe.k_tile_fits %16
        %18 = scf.if %17 -> (!pipe.state) {
          pipe.acquire %0[%13]
          pipe.copy "a"[%9, %16] into %0[%13]
          %19 = pipe.cta_rank_in_cluster
          pipe.copy "b"[%10, %16] into %0[%13] rank %19
          pipe.commit %0[%13]
          %20 = pipe.advance %13
          scf.yield %20 : !pipe.state
        } else {
          scf.yield %13 : !pipe.state
        }
        %21 = arith.constant 2 : index
        %22 = pipe.k_tile_fits %21
        %23 = scf.if %22 -> (!pipe.state) {
          pipe.acquire %0[%18]
          pipe.copy "a"[%9, %21] into %0[%18]
          %24 = pipe.cta_rank_in_cluster
          pipe.copy "b"[%10, %21] into %0[%18] rank %24
          pipe.commit %0[%18]
          %25 = pipe.advance %18
          scf.yield %25 : !pipe.state
        } else {
          scf.yield %18 : !pipe.state
        }
        %26 = arith.constant 3 : index
        %27 = pipe.k_tile_fits %26
        %28 = scf.if %27 -> (!pipe.state) {
          pipe.acquire %0[%23]
          pipe.copy "a"[%9, %26] into %0[%23]
          %29 = pipe.cta_rank_in_cluster
          pipe.copy "b"[%10, %26] into %0[%23] rank %29
          pipe.commit %0[%23]
          %30 = pipe.advance %23
          scf.yield %30 : !pipe.state
        } else {
          scf.yield %23 : !pipe.state
        }
        %31 = arith.constant 0 : index
        %32 = arith.constant 1 : index
        %33 = scf.for %34 = %31 to %2 step %32 iter_args(%35 = %28) -> (!pipe.state) {
          %36 = pipe.k_tile_full %34
          %37 = arith.constant 4 : index
          %38 = arith.addi %34, %37 : index
          %39 = pipe.k_tile_fits %38
          %40 = arith.andi %36, %39 : i1
          %41 = scf.if %40 -> (!pipe.state) {
            pipe.acquire %0[%35]
            pipe.copy "a"[%9, %38] into %0[%35]
            %42 = pipe.cta_rank_in_cluster
            pipe.copy "b"[%10, %38] into %0[%35] rank %42
            pipe.commit %0[%35]
            %43 = pipe.advance %35
            scf.yield %43 : !pipe.state
          } else {
            scf.yield %35 : !pipe.state
          }
          scf.yield %41 : !pipe.state
        }
        scf.yield %33 : !pipe.state
      }
      pipe.producer_tail %0[%6]
    }
    pipe.role consumer warps(8) {
      %44 = pipe.init_state %0 index(0) phase(0)
      %45 = pipe.k_tile_count
      %46 = pipe.first_work_tile
      %47 = pipe.work_tile_count
      %48 = pipe.work_tile_stride
      %49 = scf.for %50 = %46 to %47 step %48 iter_args(%51 = %44) -> (!pipe.state) {
        %52, %53 = pipe.tile_coords %50
        pipe.acc_init
        %54 = arith.constant 0 : index
        %55 = pipe.k_tile_full %54
        scf.if %55 {
          pipe.wait %0[%51]
          pipe.mma %0[%51]
        }
        %56 = pipe.advance %51
        %57 = arith.constant 1 : index
        %58, %59 = scf.for %60 = %57 to %45 step %57 iter_args(%61 = %56, %62 = %51) -> (!pipe.state, !pipe.state) {
          %63 = pipe.k_tile_full %60
          scf.if %63 {
            pipe.wait %0[%61]
            pipe.mma %0[%61]
            pipe.mma_wait pending(1)
            pipe.release %0[%62]
          }
          %64 = pipe.advance %61
          %65 = pipe.advance %62
          scf.yield %64, %65 : !pipe.state, !pipe.state
        }
        pipe.mma_wait pending(0)
        pipe.release %0[%59]
        %66 = pipe.advance %59
        %67 = pipe.mn_tile_full %52, %53
        scf.if %67 {
          pipe.epilogue %52, %53 masked(false)
        } else {
          pipe.epilogue %52, %53 masked(true)
        }
        scf.yield %66 : !pipe.state
      }
    }
  }
}
