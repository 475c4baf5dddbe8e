// Regression test: a refused producer must be left exactly as it was. At
// commit 6317595 roll-producer looked up the role's k-tile count at the top of
// the role and CREATED one there when the role defined it elsewhere (here:
// inside the work-tile loop) -- before knowing whether it would roll -- so a
// refusal left `%0 = pipe.k_tile_count` as the producer role's first op.
//
// Input: the guard_full producer of roll-producer-refused.mlir (prologue block
// 1 guarded by k_tile_full, K = 100), with `%kt = pipe.k_tile_count` moved
// into the work-tile loop. Expected: the remark, and the IR unchanged.
//
// RUN: pipeir-opt %s > %t.ref
// RUN: pipeir-opt --roll-producer %s > %t.out 2> %t.err
// RUN: filecheck %s --input-file %t.err
// RUN: diff %t.ref %t.out

// CHECK: {{.*}}roll-producer-refused-count.mlir:21:5: remark: roll-producer: not rolled: prologue block 1 is guarded by something other than 'k-tile 1 fits in K'

builtin.module {
  pipe.kernel @guard_full attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 4096, 4096, 100>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
    %p = pipe.pipeline stages(2)
    pipe.role producer warps(1) {
      %s0 = pipe.init_state %p index(0) phase(1)
      %first = pipe.first_work_tile
      %count = pipe.work_tile_count
      %stride = pipe.work_tile_stride
      %end = scf.for %t = %first to %count step %stride iter_args(%s = %s0) -> (!pipe.state) {
        %m, %n = pipe.tile_coords %t
        %kt = pipe.k_tile_count
        %c0 = arith.constant 0 : index
        %c1 = arith.constant 1 : index
        %c2 = arith.constant 2 : index
        %g0 = pipe.k_tile_fits %c0
        %s1 = scf.if %g0 -> (!pipe.state) {
          pipe.acquire %p[%s]
          pipe.copy "a"[%m, %c0] into %p[%s]
          pipe.copy "b"[%n, %c0] into %p[%s]
          pipe.commit %p[%s]
          %x0 = pipe.advance %s
          scf.yield %x0 : !pipe.state
        } else {
          scf.yield %s : !pipe.state
        }
        %g1 = pipe.k_tile_full %c1
        %s2 = scf.if %g1 -> (!pipe.state) {
          pipe.acquire %p[%s1]
          pipe.copy "a"[%m, %c1] into %p[%s1]
          pipe.copy "b"[%n, %c1] into %p[%s1]
          pipe.commit %p[%s1]
          %x1 = pipe.advance %s1
          scf.yield %x1 : !pipe.state
        } else {
          scf.yield %s1 : !pipe.state
        }
        %s3 = scf.for %k = %c0 to %kt step %c1 iter_args(%ss = %s2) -> (!pipe.state) {
          %nk = arith.addi %k, %c2 : index
          %full = pipe.k_tile_full %k
          %nfits = pipe.k_tile_fits %nk
          %go = arith.andi %full, %nfits : i1
          %sn = scf.if %go -> (!pipe.state) {
            pipe.acquire %p[%ss]
            pipe.copy "a"[%m, %nk] into %p[%ss]
            pipe.copy "b"[%n, %nk] into %p[%ss]
            pipe.commit %p[%ss]
            %y = pipe.advance %ss
            scf.yield %y : !pipe.state
          } else {
            scf.yield %ss : !pipe.state
          }
          scf.yield %sn : !pipe.state
        }
        scf.yield %s3 : !pipe.state
      }
      pipe.producer_tail %p[%end]
    }
    pipe.role consumer warps(8) {
      %c = pipe.init_state %p index(0) phase(0)
    }
  }
}
