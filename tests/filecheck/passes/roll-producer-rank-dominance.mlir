// Regression test: a rolled loop must only use values defined before it.
// Here the copies of prologue block 1 and of the steady-state loop take their
// cluster rank from %r, derived at work-tile level BETWEEN prologue blocks 0
// and 1. roll-producer takes its copy template from the steady-state loop and
// inserts the rolled loop before prologue block 0. At commit 6317595 it reused
// %r there, before %r is defined (the verifier does not check dominance, so
// even --verify-each accepted it):
//   %s3 = scf.for ... { ... pipe.copy "b"[%n, %2] into %p[%3] rank %r ... }
//   %r = pipe.cta_rank_in_cluster
//
// Expected (any sound outcome passes): the rank operand of the rolled copy of
// B is defined before that copy: a fresh derivation inside the loop, a rank
// defined before the loop, or a refusal (IR unchanged).
//
// RUN: pipeir-opt --roll-producer %s | filecheck %s

// CHECK-LABEL: pipe.role producer
// CHECK:         [[R:%[a-z0-9]+]] = pipe.cta_rank_in_cluster
// CHECK:         pipe.copy "b"[%{{[a-z0-9]+}}, %{{[a-z0-9]+}}] into %p[%{{[a-z0-9]+}}] rank [[R]]
// CHECK-LABEL: pipe.role consumer

builtin.module {
  pipe.kernel @rank_between attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 2, 1>, problem = array<i64: 4096, 4096, 4096>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
    %p = pipe.pipeline stages(2)
    pipe.role producer warps(1) {
      %s0 = pipe.init_state %p index(0) phase(1)
      %kt = pipe.k_tile_count
      %first = pipe.first_work_tile
      %count = pipe.work_tile_count
      %stride = pipe.work_tile_stride
      %end = scf.for %t = %first to %count step %stride iter_args(%s = %s0) -> (!pipe.state) {
        %m, %n = pipe.tile_coords %t
        %c0 = arith.constant 0 : index
        %r0 = pipe.cta_rank_in_cluster
        %g0 = pipe.k_tile_fits %c0
        %s1 = scf.if %g0 -> (!pipe.state) {
          pipe.acquire %p[%s]
          pipe.copy "a"[%m, %c0] into %p[%s]
          pipe.copy "b"[%n, %c0] into %p[%s] rank %r0
          pipe.commit %p[%s]
          %x = pipe.advance %s
          scf.yield %x : !pipe.state
        } else {
          scf.yield %s : !pipe.state
        }
        %r = pipe.cta_rank_in_cluster
        %c1 = arith.constant 1 : index
        %g1 = pipe.k_tile_fits %c1
        %s2 = scf.if %g1 -> (!pipe.state) {
          pipe.acquire %p[%s1]
          pipe.copy "a"[%m, %c1] into %p[%s1]
          pipe.copy "b"[%n, %c1] into %p[%s1] rank %r
          pipe.commit %p[%s1]
          %x = pipe.advance %s1
          scf.yield %x : !pipe.state
        } else {
          scf.yield %s1 : !pipe.state
        }
        %lb = arith.constant 0 : index
        %step = arith.constant 1 : index
        %s3 = scf.for %k = %lb to %kt step %step iter_args(%ss = %s2) -> (!pipe.state) {
          %full = pipe.k_tile_full %k
          %two = arith.constant 2 : index
          %nk = arith.addi %k, %two : index
          %fits = pipe.k_tile_fits %nk
          %go = arith.andi %full, %fits : i1
          %sn = scf.if %go -> (!pipe.state) {
            pipe.acquire %p[%ss]
            pipe.copy "a"[%m, %nk] into %p[%ss]
            pipe.copy "b"[%n, %nk] into %p[%ss] rank %r
            pipe.commit %p[%ss]
            %x = pipe.advance %ss
            scf.yield %x : !pipe.state
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
