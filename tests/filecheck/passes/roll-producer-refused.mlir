// roll-producer must refuse a hand-written producer whose shape is close to
// the naive form but breaks one premise of the rewrite, print a remark at the
// producer role's location, report the refusal in --pass-statistics, and leave
// the IR exactly as it was (compared with a plain round trip of this file).
//
// RUN: pipeir-opt %s > %t.ref
// RUN: pipeir-opt --roll-producer --pass-statistics %s > %t.out 2> %t.err
// RUN: diff %t.ref %t.out
// RUN: filecheck %s --check-prefix=REMARK --input-file %t.err
// (The REMARK lines name the line of each kernel's `pipe.role producer`:
// update them if lines above a kernel are added or removed.)
//
// Shared warps (--no-warp-specialize: one 'mainloop' role both produces and
// consumes). A rolled producer loop would block in acquire on a stage that
// only these same warps can release -- deadlock -- so the kernel must stay
// unrolled: all stages + 1 = 5 copy sites per operand remain, the IR is
// unchanged, and the refusal is reported (remark at the role: line 4, col 5
// of the generated file; statistics line).
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x256x64 --stages 4 --cluster 2x1 --no-warp-specialize > %t.shared
// RUN: pipeir-opt %t.shared > %t.shared.ref
// RUN: pipeir-opt --roll-producer --pass-statistics %t.shared > %t.shared.out 2> %t.shared.err
// RUN: diff %t.shared.ref %t.shared.out
// RUN: filecheck %s --check-prefix=SHARED --input-file %t.shared.out
// RUN: filecheck %s --check-prefix=SHARED-B --input-file %t.shared.out
// RUN: filecheck %s --check-prefix=SHARED-ERR --input-file %t.shared.err
// The same through a pipe: the remark names <stdin>.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k dyn --tile 128x128x64 --stages 2 --cluster 1x1 --no-warp-specialize | pipeir-opt --fold-static-full --roll-producer 2>&1 >/dev/null | filecheck %s --check-prefix=SHARED-STDIN
//
// SHARED-LABEL:    pipe.role mainloop
// SHARED-COUNT-5:  pipe.copy "a"
// SHARED-NOT:      pipe.copy "a"
// SHARED-B-LABEL:  pipe.role mainloop
// SHARED-B-COUNT-5: pipe.copy "b"{{.*}} rank
// SHARED-B-NOT:    pipe.copy "b"
// SHARED-ERR:      {{.*}}.tmp.shared:4:5: remark: roll-producer: not rolled: producer and consumer share these warps ('mainloop' role), so a blocking acquire
// SHARED-ERR:      roll-producer: @gemm: refused: shared producer/consumer warps
// SHARED-ERR-NOT:  rolled 1
// SHARED-STDIN:    <stdin>:{{[0-9]+}}:{{[0-9]+}}: remark: roll-producer: not rolled: producer and consumer share
//
// REMARK: {{.*}}roll-producer-refused.mlir:64:5: remark: roll-producer: not rolled: prologue block 1 is guarded by something other than 'k-tile 1 fits in K'
// REMARK: {{.*}}roll-producer-refused.mlir:125:5: remark: roll-producer: not rolled: prologue block 1 is guarded by something other than 'k-tile 1 fits in K'
// REMARK: {{.*}}roll-producer-refused.mlir:186:5: remark: roll-producer: not rolled: prologue block 1 is guarded by something other than 'k-tile 1 fits in K'
// REMARK: {{.*}}roll-producer-refused.mlir:247:5: remark: roll-producer: not rolled: prologue block 0 copies k-tile 1
// REMARK: {{.*}}roll-producer-refused.mlir:308:5: remark: roll-producer: not rolled: steady-state loop does not copy k-tile k + 2
// REMARK: {{.*}}roll-producer-refused.mlir:369:5: remark: roll-producer: not rolled: steady-state guard is not 'k-tile k + 2 fits in K'
// REMARK: {{.*}}roll-producer-refused.mlir:428:5: remark: roll-producer: not rolled: steady-state loop does not run over [0, k_tile_count) step 1
// REMARK: {{.*}}roll-producer-refused.mlir:489:5: remark: roll-producer: not rolled: unguarded prologue block 1 may copy past the last k-tile
// REMARK: roll-producer: @guard_full: refused: prologue block 1 is guarded by something other than 'k-tile 1 fits in K'
// REMARK: roll-producer: @guard_other_tile: refused: prologue block 1 is guarded by something other than 'k-tile 1 fits in K'
// REMARK: roll-producer: @guard_true: refused: prologue block 1 is guarded by something other than 'k-tile 1 fits in K'
// REMARK: roll-producer: @swapped: refused: prologue block 0 copies k-tile 1
// REMARK: roll-producer: @steady_offset: refused: steady-state loop does not copy k-tile k + 2
// REMARK: roll-producer: @steady_full_only: refused: steady-state guard is not 'k-tile k + 2 fits in K'
// REMARK: roll-producer: @steady_from_one: refused: steady-state loop does not run over [0, k_tile_count) step 1
// REMARK: roll-producer: @unguarded_dyn: refused: unguarded prologue block 1 may copy past the last k-tile
// REMARK-NOT: producer loop(s)

builtin.module {
  // Prologue block 1 is guarded by 'k-tile 1 is FULL' instead of 'k-tile 1 fits'.
  // With K = 100 (2 k-tiles, the second partial) this producer issues only k-tile 0,
  // while a rolled loop would issue k-tiles 0 and 1: rolling would change it.
  pipe.kernel @guard_full attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 4096, 4096, 100>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
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
  // Prologue block 1 copies k-tile 1 but is guarded by 'k-tile 2 fits'.
  pipe.kernel @guard_other_tile attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 4096, 4096, 4096>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
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
        %g1 = pipe.k_tile_fits %c2
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
  // Prologue block 1 is guarded by a constant, not by a fits-predicate.
  pipe.kernel @guard_true attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 4096, 4096, 4096>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
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
        %g1 = arith.constant true
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
  // The prologue issues k-tile 1 before k-tile 0.
  pipe.kernel @swapped attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 4096, 4096, 4096>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
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
        %c1 = arith.constant 1 : index
        %c2 = arith.constant 2 : index
        %g0 = pipe.k_tile_fits %c1
        %s1 = scf.if %g0 -> (!pipe.state) {
          pipe.acquire %p[%s]
          pipe.copy "a"[%m, %c1] into %p[%s]
          pipe.copy "b"[%n, %c1] into %p[%s]
          pipe.commit %p[%s]
          %x0 = pipe.advance %s
          scf.yield %x0 : !pipe.state
        } else {
          scf.yield %s : !pipe.state
        }
        %g1 = pipe.k_tile_fits %c0
        %s2 = scf.if %g1 -> (!pipe.state) {
          pipe.acquire %p[%s1]
          pipe.copy "a"[%m, %c0] into %p[%s1]
          pipe.copy "b"[%n, %c0] into %p[%s1]
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
  // The steady-state loop issues k + 1 after a two-block prologue (k-tile 1 twice).
  pipe.kernel @steady_offset attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 4096, 4096, 4096>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
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
        %g1 = pipe.k_tile_fits %c1
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
          %nk = arith.addi %k, %c1 : index
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
  // The steady-state guard is only 'k is full': it does not stop k + 2 past the last k-tile.
  pipe.kernel @steady_full_only attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 4096, 4096, 100>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
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
        %g1 = pipe.k_tile_fits %c1
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
          %go = pipe.k_tile_full %k
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
  // The steady-state loop starts at k = 1 (k-tile 2 is never issued).
  pipe.kernel @steady_from_one attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 4096, 4096, 4096>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
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
        %g1 = pipe.k_tile_fits %c1
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
        %s3 = scf.for %k = %c1 to %kt step %c1 iter_args(%ss = %s2) -> (!pipe.state) {
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
  // Dynamic K: prologue block 1 is unguarded, but K may have a single k-tile.
  pipe.kernel @unguarded_dyn attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 4096, 4096, -1>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
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
        pipe.acquire %p[%s1]
        pipe.copy "a"[%m, %c1] into %p[%s1]
        pipe.copy "b"[%n, %c1] into %p[%s1]
        pipe.commit %p[%s1]
        %s2 = pipe.advance %s1
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
