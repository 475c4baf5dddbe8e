// Issue 13's held-out kernel: builder output (pipeir-gen gemm --m 128 --n 256
// --stages 4 --mma-in-flight 0, K dynamic) whose prologue guard for k-tile 1 tests
// k_tile_full where it needs k_tile_fits. With a partial second k-tile
// (K = 1.5 k-tiles) the producer never loads it and the consumer waits forever.
// The verifier used to try only 0.5 and S + 0.5 k-tiles as K tails, and accepted
// this kernel (fuzz seed 0, case 756 was one like it); every k-tile count
// 1..2S+2 with and without a tail is simulated now.
// RUN: not pipeir-opt --verify-pipeline %s 2>&1 | filecheck %s

builtin.module {
  pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 128, 256, -1>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
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
          pipe.copy "b"[%10, %11] into %0[%8]
          pipe.commit %0[%8]
          %14 = pipe.advance %8
          scf.yield %14 : !pipe.state
        } else {
          scf.yield %8 : !pipe.state
        }
        %15 = arith.constant 1 : index
        %16 = pipe.k_tile_full %15
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
        %19 = arith.constant 2 : index
        %20 = pipe.k_tile_fits %19
        %21 = scf.if %20 -> (!pipe.state) {
          pipe.acquire %0[%17]
          pipe.copy "a"[%9, %19] into %0[%17]
          pipe.copy "b"[%10, %19] into %0[%17]
          pipe.commit %0[%17]
          %22 = pipe.advance %17
          scf.yield %22 : !pipe.state
        } else {
          scf.yield %17 : !pipe.state
        }
        %23 = arith.constant 3 : index
        %24 = pipe.k_tile_fits %23
        %25 = scf.if %24 -> (!pipe.state) {
          pipe.acquire %0[%21]
          pipe.copy "a"[%9, %23] into %0[%21]
          pipe.copy "b"[%10, %23] into %0[%21]
          pipe.commit %0[%21]
          %26 = pipe.advance %21
          scf.yield %26 : !pipe.state
        } else {
          scf.yield %21 : !pipe.state
        }
        %27 = arith.constant 0 : index
        %28 = arith.constant 1 : index
        %29 = scf.for %30 = %27 to %2 step %28 iter_args(%31 = %25) -> (!pipe.state) {
          %32 = pipe.k_tile_full %30
          %33 = arith.constant 4 : index
          %34 = arith.addi %30, %33 : index
          %35 = pipe.k_tile_fits %34
          %36 = arith.andi %32, %35 : i1
          %37 = scf.if %36 -> (!pipe.state) {
            pipe.acquire %0[%31]
            pipe.copy "a"[%9, %34] into %0[%31]
            pipe.copy "b"[%10, %34] into %0[%31]
            pipe.commit %0[%31]
            %38 = pipe.advance %31
            scf.yield %38 : !pipe.state
          } else {
            scf.yield %31 : !pipe.state
          }
          scf.yield %37 : !pipe.state
        }
        scf.yield %29 : !pipe.state
      }
      pipe.producer_tail %0[%6]
    }
    pipe.role consumer warps(8) {
      %39 = pipe.init_state %0 index(0) phase(0)
      %40 = pipe.k_tile_count
      %41 = pipe.first_work_tile
      %42 = pipe.work_tile_count
      %43 = pipe.work_tile_stride
      %44 = scf.for %45 = %41 to %42 step %43 iter_args(%46 = %39) -> (!pipe.state) {
        %47, %48 = pipe.tile_coords %45
        pipe.acc_init
        %49 = arith.constant 0 : index
        %50 = arith.constant 1 : index
        %51 = scf.for %52 = %49 to %40 step %50 iter_args(%53 = %46) -> (!pipe.state) {
          %54 = pipe.k_tile_full %52
          scf.if %54 {
            pipe.wait %0[%53]
            pipe.mma %0[%53]
            pipe.mma_wait pending(0)
            pipe.release %0[%53]
          } else {
// CHECK-NOT: Traceback
// CHECK: {{^.*}}prologue-guard-k-tile-full.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: deadlock: producer has finished, consumer blocks on wait of stage 1 (phase 0) at k-tile 1 of tile (0, 0); launch M=128 N=256 K=96, CTA 0 of 1 (rank 0){{.*}}
// CHECK-NOT: {{.}}
            pipe.wait %0[%53]
            pipe.mma %0[%53]
            pipe.mma_wait pending(0)
            pipe.release %0[%53]
          }
          %55 = pipe.advance %53
          scf.yield %55 : !pipe.state
        }
        %56 = pipe.mn_tile_full %47, %48
        scf.if %56 {
          pipe.epilogue %47, %48 masked(false)
        } else {
          pipe.epilogue %47, %48 masked(true)
        }
        scf.yield %51 : !pipe.state
      }
    }
  }
}
