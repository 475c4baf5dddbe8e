// Builder output (pipeir-gen gemm --m 128 --n 256 --k 640 --stages 3) with the
// prologue guard of k-tile 1 replaced by `false` and its else branch advancing
// the state anyway: the producer skips stage 1 on its first pass, fills stage 2,
// wraps to stage 0, and then meets stage 1 with phase 0 -- a pass it never made.
// The consumer waits for stage 1's first fill, the producer for its first
// release: neither can go on.
// RUN: not pipeir-opt --verify-pipeline %s 2>&1 | filecheck %s

builtin.module {
  pipe.kernel @gemm attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 128, 256, 640>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
    %0 = pipe.pipeline stages(3)
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
        %16 = arith.constant false
        %17 = scf.if %16 -> (!pipe.state) {
          pipe.acquire %0[%13]
          pipe.copy "a"[%9, %15] into %0[%13]
          pipe.copy "b"[%10, %15] into %0[%13]
          pipe.commit %0[%13]
          %18 = pipe.advance %13
          scf.yield %18 : !pipe.state
        } else {
          %skipped = pipe.advance %13
          scf.yield %skipped : !pipe.state
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
        %23 = arith.constant 0 : index
        %24 = arith.constant 1 : index
        %25 = scf.for %26 = %23 to %2 step %24 iter_args(%27 = %21) -> (!pipe.state) {
          %28 = pipe.k_tile_full %26
          %29 = arith.constant 3 : index
          %30 = arith.addi %26, %29 : index
          %31 = pipe.k_tile_fits %30
          %32 = arith.andi %28, %31 : i1
          %33 = scf.if %32 -> (!pipe.state) {
// CHECK-NOT: Traceback
// CHECK: {{^.*}}stage-gap-prologue.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: deadlock: producer blocks on acquire of stage 1 (phase 0) at k-tile 4 of tile (0, 0), consumer blocks on wait of stage 1 (phase 0) at k-tile 1 of tile (0, 0); launch M=128 N=256 K=640, CTA 0 of 1 (rank 0); last events: {{.*}}P acquire s0 k3, P commit s0{{$}}
// CHECK-NOT: {{.}}
            pipe.acquire %0[%27]
            pipe.copy "a"[%9, %30] into %0[%27]
            pipe.copy "b"[%10, %30] into %0[%27]
            pipe.commit %0[%27]
            %34 = pipe.advance %27
            scf.yield %34 : !pipe.state
          } else {
            scf.yield %27 : !pipe.state
          }
          scf.yield %33 : !pipe.state
        }
        scf.yield %25 : !pipe.state
      }
      pipe.producer_tail %0[%6]
    }
    pipe.role consumer warps(8) {
      %35 = pipe.init_state %0 index(0) phase(0)
      %36 = pipe.k_tile_count
      %37 = pipe.first_work_tile
      %38 = pipe.work_tile_count
      %39 = pipe.work_tile_stride
      %40 = scf.for %41 = %37 to %38 step %39 iter_args(%42 = %35) -> (!pipe.state) {
        %43, %44 = pipe.tile_coords %41
        pipe.acc_init
        %45 = arith.constant 0 : index
        %46 = arith.constant 1 : index
        %47 = scf.for %48 = %45 to %36 step %46 iter_args(%49 = %42) -> (!pipe.state) {
          %50 = pipe.k_tile_full %48
          scf.if %50 {
            pipe.wait %0[%49]
            pipe.mma %0[%49]
            pipe.mma_wait pending(0)
            pipe.release %0[%49]
          }
          %51 = pipe.advance %49
          scf.yield %51 : !pipe.state
        }
        %52 = pipe.mn_tile_full %43, %44
        scf.if %52 {
          pipe.epilogue %43, %44 masked(false)
        } else {
          pipe.epilogue %43, %44 masked(true)
        }
        scf.yield %47 : !pipe.state
      }
    }
  }
}
