// fold-static-full's interval reasoning on hand-written predicates. Kernel:
// M dynamic, N = K = 4096, tile 128x128x64, so k_tile_count = 64.
// fits(t) = t * 64 < 4096 (t < 64) and full(t) = (t + 1) * 64 <= 4096 (t < 64)
// both decrease in t: a predicate is folded to true when it holds at the
// operand's upper bound, to false when it fails at its lower bound, and kept
// otherwise -- in particular whenever the bound it would need is unknown.
// Each predicate guards a pipe.acc_init tagged with its name: a kept predicate
// keeps its scf.if, a true one leaves the bare acc_init, a false one leaves
// nothing.
//
// RUN: pipeir-opt --fold-static-full --pass-statistics %s > %t.once 2> %t.err
// RUN: filecheck %s --input-file %t.once
// RUN: filecheck %s --check-prefix=STATS --input-file %t.err
// RUN: pipeir-opt --fold-static-full %t.once > %t.twice
// RUN: diff %t.once %t.twice

// STATS:      fold-static-full: folded 4 'pipe.k_tile_fits'
// STATS-NEXT: fold-static-full: folded 5 'pipe.k_tile_full'
// STATS-NOT:  mn_tile_full

// CHECK-LABEL:  pipe.role consumer
// CHECK:          %c2 = arith.constant 2 : index
// Constants: fits(63) and full(63) hold, fits(64) and full(64) do not.
// CHECK-NEXT:     pipe.acc_init {tag = "fits_63"}
// CHECK-NEXT:     pipe.acc_init {tag = "full_63"}
// Unbounded above (first_work_tile, cluster rank: [0, ?)): both stay.
// CHECK-NEXT:     %e = pipe.k_tile_fits %first
// CHECK-NEXT:     scf.if %e {
// CHECK-NEXT:       pipe.acc_init {tag = "fits_first_work_tile"}
// CHECK-NEXT:     }
// CHECK-NEXT:     %f = pipe.k_tile_full %rank
// CHECK-NEXT:     scf.if %f {
// CHECK-NEXT:       pipe.acc_init {tag = "full_rank"}
// CHECK-NEXT:     }
// k_tile_count - 1 = 63: full. fits(k_tile_count = 64) folds to false.
// CHECK-NEXT:     pipe.acc_init {tag = "full_kt_minus_1"}
// i in [0, 63]: full(i) holds; i + 1 in [1, 64] and 2i in [0, 126] are
// undecided; i + 64 in [64, 127] never fits.
// CHECK-NEXT:     scf.for %i = %c0 to %kt step %c1 {
// CHECK-NEXT:       pipe.acc_init {tag = "full_i"}
// CHECK-NEXT:       %i1 = arith.addi %i, %c1 : index
// CHECK-NEXT:       %fi1 = pipe.k_tile_fits %i1
// CHECK-NEXT:       scf.if %fi1 {
// CHECK-NEXT:         pipe.acc_init {tag = "fits_i_plus_1"}
// CHECK-NEXT:       }
// CHECK-NEXT:       %ih = arith.muli %i, %c2 : index
// CHECK-NEXT:       %fih = pipe.k_tile_fits %ih
// CHECK-NEXT:       scf.if %fih {
// CHECK-NEXT:         pipe.acc_init {tag = "fits_2i"}
// CHECK-NEXT:       }
// CHECK-NEXT:     }
// t in [0, work_tile_count) with M dynamic: no upper bound, stays.
// CHECK-NEXT:     scf.for %t = %c0 to %count step %c1 {
// CHECK-NEXT:       %ft = pipe.k_tile_fits %t
// CHECK-NEXT:       scf.if %ft {
// CHECK-NEXT:         pipe.acc_init {tag = "fits_t_unbounded"}
// CHECK-NEXT:       }
// CHECK-NEXT:     }
// u in [100, ?): full(u) fails at the lower end, so it is false for every u;
// the loop is left with an empty body and removed.
// A loop whose step may be 0 (the cluster rank) bounds nothing: stays.
// CHECK-NEXT:     scf.for %v = %c0 to %c2 step %rank {
// CHECK-NEXT:       %fv = pipe.k_tile_fits %v
// CHECK-NEXT:       scf.if %fv {
// CHECK-NEXT:         pipe.acc_init {tag = "fits_v_unknown_step"}
// CHECK-NEXT:       }
// CHECK-NEXT:     }
// mn_tile_full with M dynamic: stays.
// CHECK-NEXT:     scf.for %w = %first to %count step %c1 {
// CHECK-NEXT:       %m, %n = pipe.tile_coords %w
// CHECK-NEXT:       %mn = pipe.mn_tile_full %m, %n
// CHECK-NEXT:       scf.if %mn {
// CHECK-NEXT:         pipe.acc_init {tag = "mn_full_dynamic_m"}
// CHECK-NEXT:       }
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NOT:    {{fits_64|full_64|fits_kt"|fits_i_plus_64|full_u_from_100}}

builtin.module {
  pipe.kernel @bounds attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: -1, 4096, 4096>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
    %p = pipe.pipeline stages(2)
    pipe.role producer warps(1) {
      %ps = pipe.init_state %p index(0) phase(1)
      pipe.producer_tail %p[%ps]
    }
    pipe.role consumer warps(8) {
      %kt = pipe.k_tile_count
      %first = pipe.first_work_tile
      %count = pipe.work_tile_count
      %rank = pipe.cta_rank_in_cluster
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c63 = arith.constant 63 : index
      %c64 = arith.constant 64 : index
      %c100 = arith.constant 100 : index
      %a = pipe.k_tile_fits %c63
      scf.if %a {
        pipe.acc_init {tag = "fits_63"}
      }
      %b = pipe.k_tile_fits %c64
      scf.if %b {
        pipe.acc_init {tag = "fits_64"}
      }
      %c = pipe.k_tile_full %c63
      scf.if %c {
        pipe.acc_init {tag = "full_63"}
      }
      %d = pipe.k_tile_full %c64
      scf.if %d {
        pipe.acc_init {tag = "full_64"}
      }
      %e = pipe.k_tile_fits %first
      scf.if %e {
        pipe.acc_init {tag = "fits_first_work_tile"}
      }
      %f = pipe.k_tile_full %rank
      scf.if %f {
        pipe.acc_init {tag = "full_rank"}
      }
      %last = arith.subi %kt, %c1 : index
      %g = pipe.k_tile_full %last
      scf.if %g {
        pipe.acc_init {tag = "full_kt_minus_1"}
      }
      %h = pipe.k_tile_fits %kt
      scf.if %h {
        pipe.acc_init {tag = "fits_kt"}
      }
      scf.for %i = %c0 to %kt step %c1 {
        %fi = pipe.k_tile_full %i
        scf.if %fi {
          pipe.acc_init {tag = "full_i"}
        }
        %i1 = arith.addi %i, %c1 : index
        %fi1 = pipe.k_tile_fits %i1
        scf.if %fi1 {
          pipe.acc_init {tag = "fits_i_plus_1"}
        }
        %ih = arith.muli %i, %c2 : index
        %fih = pipe.k_tile_fits %ih
        scf.if %fih {
          pipe.acc_init {tag = "fits_2i"}
        }
        %i64 = arith.addi %i, %c64 : index
        %fi64 = pipe.k_tile_fits %i64
        scf.if %fi64 {
          pipe.acc_init {tag = "fits_i_plus_64"}
        }
      }
      scf.for %t = %c0 to %count step %c1 {
        %ft = pipe.k_tile_fits %t
        scf.if %ft {
          pipe.acc_init {tag = "fits_t_unbounded"}
        }
      }
      scf.for %u = %c100 to %count step %c1 {
        %fu = pipe.k_tile_full %u
        scf.if %fu {
          pipe.acc_init {tag = "full_u_from_100"}
        }
      }
      scf.for %v = %c0 to %c2 step %rank {
        %fv = pipe.k_tile_fits %v
        scf.if %fv {
          pipe.acc_init {tag = "fits_v_unknown_step"}
        }
      }
      scf.for %w = %first to %count step %c1 {
        %m, %n = pipe.tile_coords %w
        %mn = pipe.mn_tile_full %m, %n
        scf.if %mn {
          pipe.acc_init {tag = "mn_full_dynamic_m"}
        }
      }
    }
  }
}
