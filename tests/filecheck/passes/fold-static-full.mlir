// fold-static-full on generated kernels (tile 128x256x64, 4 stages,
// cluster 2x1: B is multicast). It folds pipe.k_tile_fits / pipe.k_tile_full /
// pipe.mn_tile_full where interval bounds of the operand (from constants,
// scf.for bounds and the static problem shape) decide them, then drops the
// scf.if guards and the andi conjuncts they decided.
// fold-static-full-bounds.mlir covers the interval reasoning on hand-written IR.
//
// Static-full 4096^3: every guard but the steady loop's next-tile predicate
// fits(k + 4) is decided. Producer: the four prologue blocks lose their
// guards; the steady loop keeps only fits(k + 4). Consumer (overlapped: k-tile
// 0 peeled, then wait / mma / mma_wait pending(1) / release of the previous
// stage): no predicate and no scf.if left; the epilogue is the unmasked one only.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x256x64 --stages 4 --cluster 2x1 > %t.full
// RUN: pipeir-opt --fold-static-full --pass-statistics %t.full > %t.full.once 2> %t.full.err
// RUN: filecheck %s --check-prefix=FULL --input-file %t.full.once
// RUN: filecheck %s --check-prefix=FULL-STATS --input-file %t.full.err
// RUN: pipeir-opt --fold-static-full %t.full.once > %t.full.twice
// RUN: diff %t.full.once %t.full.twice
//
// Dynamic K: no k-tile predicate can be decided -- every k_tile_fits (4 in the
// prologue, 1 in the steady loop) and every k_tile_full (steady loop and
// consumer, with both consumer branches) stays. M and N are static full, so
// only mn_tile_full folds.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k dyn --tile 128x256x64 --stages 4 --cluster 2x1 > %t.kdyn
// RUN: pipeir-opt --fold-static-full --pass-statistics %t.kdyn > %t.kdyn.once 2> %t.kdyn.err
// RUN: filecheck %s --check-prefix=KDYN --input-file %t.kdyn.once
// RUN: filecheck %s --check-prefix=KDYN-STATS --input-file %t.kdyn.err
// RUN: pipeir-opt --fold-static-full %t.kdyn.once > %t.kdyn.twice
// RUN: diff %t.kdyn.once %t.kdyn.twice
//
// K tail (K = 4000, tile_k 64: 63 k-tiles, the last one partial), with the
// serial consumer (--mma-in-flight 0): the prologue fits-predicates are proven
// (k-tile i < 4 <= 63) and folded, but the full-tile predicates stay guarded:
// the steady loop keeps full(k) & fits(k + 4) and the consumer keeps
// pipe.k_tile_full with both of its branches.
// With the overlapped consumer (the default) the peeled k-tile 0 is proven
// full and loses its guard; the loop's guard stays.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4000 --tile 128x256x64 --stages 4 --cluster 2x1 | pipeir-opt --fold-static-full | filecheck %s --check-prefix=KTAIL-OVERLAP
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4000 --tile 128x256x64 --stages 4 --cluster 2x1 --mma-in-flight 0 > %t.ktail
// RUN: pipeir-opt --fold-static-full --pass-statistics %t.ktail > %t.ktail.once 2> %t.ktail.err
// RUN: filecheck %s --check-prefix=KTAIL --input-file %t.ktail.once
// RUN: filecheck %s --check-prefix=KTAIL-STATS --input-file %t.ktail.err
// RUN: pipeir-opt --fold-static-full %t.ktail.once > %t.ktail.twice
// RUN: diff %t.ktail.once %t.ktail.twice
//
// M edge (M = 4000) and N edge (N = 1000): the last tile row / column is
// partial, so pipe.mn_tile_full and both epilogues (masked(false) and
// masked(true)) stay; K is static full, so every k-tile predicate folds.
// RUN: pipeir-gen gemm --m 4000 --n 4096 --k 4096 --tile 128x256x64 --stages 4 --cluster 2x1 | pipeir-opt --fold-static-full | filecheck %s --check-prefix=EDGE
// RUN: pipeir-gen gemm --m 4096 --n 1000 --k 4096 --tile 128x256x64 --stages 4 --cluster 2x1 | pipeir-opt --fold-static-full | filecheck %s --check-prefix=EDGE
//
// Nothing static: nothing folds, the IR is unchanged (compared with a plain
// round trip) and the statistics say so.
// RUN: pipeir-gen gemm --m dyn --n dyn --k dyn --tile 128x256x64 --stages 4 --cluster 2x1 > %t.dyn
// RUN: pipeir-opt %t.dyn > %t.dyn.ref
// RUN: pipeir-opt --fold-static-full --pass-statistics %t.dyn > %t.dyn.out 2> %t.dyn.err
// RUN: diff %t.dyn.ref %t.dyn.out
// RUN: filecheck %s --check-prefix=NOFOLD-STATS --input-file %t.dyn.err

// FULL-STATS:      fold-static-full: folded 4 'pipe.k_tile_fits'
// FULL-STATS-NEXT: fold-static-full: folded 3 'pipe.k_tile_full'
// FULL-STATS-NEXT: fold-static-full: folded 1 'pipe.mn_tile_full'

// FULL-LABEL:  pipe.role producer
// FULL:          [[KT:%[0-9]+]] = pipe.k_tile_count
// FULL:          pipe.tile_coords
// FULL-NOT:        scf.if
// FULL-NEXT:    [[K0:%[0-9]+]] = arith.constant 0 : index
// FULL-NEXT:    pipe.acquire
// FULL-NEXT:    pipe.copy "a"[%{{[0-9]+}}, [[K0]]]
// FULL-NEXT:    pipe.cta_rank_in_cluster
// FULL-NEXT:    pipe.copy "b"[%{{[0-9]+}}, [[K0]]]
// FULL-NEXT:    pipe.commit
// FULL-NEXT:    pipe.advance
// FULL-NEXT:    [[K1:%[0-9]+]] = arith.constant 1 : index
// FULL-NEXT:    pipe.acquire
// FULL-NEXT:    pipe.copy "a"[%{{[0-9]+}}, [[K1]]]
// FULL-NEXT:    pipe.cta_rank_in_cluster
// FULL-NEXT:    pipe.copy "b"[%{{[0-9]+}}, [[K1]]]
// FULL-NEXT:    pipe.commit
// FULL-NEXT:    pipe.advance
// FULL-NEXT:    [[K2:%[0-9]+]] = arith.constant 2 : index
// FULL-NEXT:    pipe.acquire
// FULL-NEXT:    pipe.copy "a"[%{{[0-9]+}}, [[K2]]]
// FULL-NEXT:    pipe.cta_rank_in_cluster
// FULL-NEXT:    pipe.copy "b"[%{{[0-9]+}}, [[K2]]]
// FULL-NEXT:    pipe.commit
// FULL-NEXT:    pipe.advance
// FULL-NEXT:    [[K3:%[0-9]+]] = arith.constant 3 : index
// FULL-NEXT:    pipe.acquire
// FULL-NEXT:    pipe.copy "a"[%{{[0-9]+}}, [[K3]]]
// FULL-NEXT:    pipe.cta_rank_in_cluster
// FULL-NEXT:    pipe.copy "b"[%{{[0-9]+}}, [[K3]]]
// FULL-NEXT:    pipe.commit
// FULL-NEXT:    pipe.advance
// FULL-NEXT:    arith.constant 0 : index
// FULL-NEXT:    arith.constant 1 : index
// FULL-NEXT:    scf.for [[K:%[0-9]+]] = %{{[0-9]+}} to [[KT]] step %{{[0-9]+}} iter_args(
// FULL-NEXT:      [[STAGES:%[0-9]+]] = arith.constant 4 : index
// FULL-NEXT:      [[NK:%[0-9]+]] = arith.addi [[K]], [[STAGES]] : index
// FULL-NEXT:      [[GO:%[0-9]+]] = pipe.k_tile_fits [[NK]]
// FULL-NEXT:      scf.if [[GO]] -> (!pipe.state) {
// FULL-NEXT:        pipe.acquire
// FULL-NEXT:        pipe.copy "a"[%{{[0-9]+}}, [[NK]]]
// FULL-NOT:        pipe.k_tile_f
// FULL-LABEL:  pipe.role consumer
// FULL:          [[M:%[0-9]+]], [[N:%[0-9]+]] = pipe.tile_coords
// FULL-NOT:        pipe.k_tile_f
// FULL-NOT:        scf.if
// FULL:          pipe.acc_init
// FULL-NEXT:     pipe.wait %{{[0-9]+}}{{\[}}[[S0:%[0-9]+]]]
// FULL-NEXT:     pipe.mma %{{[0-9]+}}{{\[}}[[S0]]]
// FULL-NEXT:     [[R0:%[0-9]+]] = pipe.advance [[S0]]
// FULL-NEXT:     [[ONE:%[0-9]+]] = arith.constant 1 : index
// FULL-NEXT:     %{{[0-9]+}}, [[LEND:%[0-9]+]] = scf.for %{{[0-9]+}} = [[ONE]] to %{{[0-9]+}} step [[ONE]] iter_args([[R:%[0-9]+]] = [[R0]], [[L:%[0-9]+]] = [[S0]]) -> (!pipe.state, !pipe.state) {
// FULL-NEXT:       pipe.wait %{{[0-9]+}}{{\[}}[[R]]]
// FULL-NEXT:       pipe.mma %{{[0-9]+}}{{\[}}[[R]]]
// FULL-NEXT:       pipe.mma_wait pending(1)
// FULL-NEXT:       pipe.release %{{[0-9]+}}{{\[}}[[L]]]
// FULL-NEXT:       pipe.advance [[R]]
// FULL-NEXT:       pipe.advance [[L]]
// FULL-NEXT:       scf.yield
// FULL-NEXT:     }
// FULL-NEXT:     pipe.mma_wait pending(0)
// FULL-NEXT:     pipe.release %{{[0-9]+}}{{\[}}[[LEND]]]
// FULL-NEXT:     pipe.advance [[LEND]]
// FULL-NEXT:     pipe.epilogue [[M]], [[N]] masked(false)
// FULL-NEXT:     scf.yield
// FULL-NOT:      pipe.epilogue
// FULL-NOT:      pipe.mn_tile_full
// FULL-NOT:        scf.if

// KDYN-STATS:      fold-static-full: folded 1 'pipe.mn_tile_full'
// KDYN-STATS-NOT:  k_tile

// KDYN-LABEL:  pipe.role producer
// KDYN:          [[KT:%[0-9]+]] = pipe.k_tile_count
// KDYN:          pipe.tile_coords
// KDYN-NEXT:    [[K0:%[0-9]+]] = arith.constant 0 : index
// KDYN-NEXT:    [[G0:%[0-9]+]] = pipe.k_tile_fits [[K0]]
// KDYN-NEXT:    scf.if [[G0]] -> (!pipe.state) {
// KDYN-NEXT:      pipe.acquire
// KDYN-NEXT:      pipe.copy "a"[%{{[0-9]+}}, [[K0]]]
// KDYN-NEXT:      pipe.cta_rank_in_cluster
// KDYN-NEXT:      pipe.copy "b"[%{{[0-9]+}}, [[K0]]]
// KDYN-NEXT:      pipe.commit
// KDYN-NEXT:      [[A0:%[0-9]+]] = pipe.advance
// KDYN-NEXT:      scf.yield [[A0]] : !pipe.state
// KDYN-NEXT:    } else {
// KDYN-NEXT:      scf.yield
// KDYN-NEXT:    }
// KDYN-NEXT:    [[K1:%[0-9]+]] = arith.constant 1 : index
// KDYN-NEXT:    [[G1:%[0-9]+]] = pipe.k_tile_fits [[K1]]
// KDYN-NEXT:    scf.if [[G1]] -> (!pipe.state) {
// KDYN-NEXT:      pipe.acquire
// KDYN-NEXT:      pipe.copy "a"[%{{[0-9]+}}, [[K1]]]
// KDYN-NEXT:      pipe.cta_rank_in_cluster
// KDYN-NEXT:      pipe.copy "b"[%{{[0-9]+}}, [[K1]]]
// KDYN-NEXT:      pipe.commit
// KDYN-NEXT:      [[A1:%[0-9]+]] = pipe.advance
// KDYN-NEXT:      scf.yield [[A1]] : !pipe.state
// KDYN-NEXT:    } else {
// KDYN-NEXT:      scf.yield
// KDYN-NEXT:    }
// KDYN-NEXT:    [[K2:%[0-9]+]] = arith.constant 2 : index
// KDYN-NEXT:    [[G2:%[0-9]+]] = pipe.k_tile_fits [[K2]]
// KDYN-NEXT:    scf.if [[G2]] -> (!pipe.state) {
// KDYN-NEXT:      pipe.acquire
// KDYN-NEXT:      pipe.copy "a"[%{{[0-9]+}}, [[K2]]]
// KDYN-NEXT:      pipe.cta_rank_in_cluster
// KDYN-NEXT:      pipe.copy "b"[%{{[0-9]+}}, [[K2]]]
// KDYN-NEXT:      pipe.commit
// KDYN-NEXT:      [[A2:%[0-9]+]] = pipe.advance
// KDYN-NEXT:      scf.yield [[A2]] : !pipe.state
// KDYN-NEXT:    } else {
// KDYN-NEXT:      scf.yield
// KDYN-NEXT:    }
// KDYN-NEXT:    [[K3:%[0-9]+]] = arith.constant 3 : index
// KDYN-NEXT:    [[G3:%[0-9]+]] = pipe.k_tile_fits [[K3]]
// KDYN-NEXT:    scf.if [[G3]] -> (!pipe.state) {
// KDYN-NEXT:      pipe.acquire
// KDYN-NEXT:      pipe.copy "a"[%{{[0-9]+}}, [[K3]]]
// KDYN-NEXT:      pipe.cta_rank_in_cluster
// KDYN-NEXT:      pipe.copy "b"[%{{[0-9]+}}, [[K3]]]
// KDYN-NEXT:      pipe.commit
// KDYN-NEXT:      [[A3:%[0-9]+]] = pipe.advance
// KDYN-NEXT:      scf.yield [[A3]] : !pipe.state
// KDYN-NEXT:    } else {
// KDYN-NEXT:      scf.yield
// KDYN-NEXT:    }
// KDYN-NEXT:    arith.constant 0 : index
// KDYN-NEXT:    arith.constant 1 : index
// KDYN-NEXT:    scf.for [[K:%[0-9]+]] = %{{[0-9]+}} to [[KT]] step %{{[0-9]+}} iter_args(
// KDYN-NEXT:      [[ISF:%[0-9]+]] = pipe.k_tile_full [[K]]
// KDYN-NEXT:      [[STAGES:%[0-9]+]] = arith.constant 4 : index
// KDYN-NEXT:      [[NK:%[0-9]+]] = arith.addi [[K]], [[STAGES]] : index
// KDYN-NEXT:      [[FITS:%[0-9]+]] = pipe.k_tile_fits [[NK]]
// KDYN-NEXT:      [[GO:%[0-9]+]] = arith.andi [[ISF]], [[FITS]] : i1
// KDYN-NEXT:      scf.if [[GO]] -> (!pipe.state) {
// KDYN-NEXT:        pipe.acquire
// KDYN-NEXT:        pipe.copy "a"[%{{[0-9]+}}, [[NK]]]
// KDYN-LABEL:  pipe.role consumer
// KDYN:          [[M:%[0-9]+]], [[N:%[0-9]+]] = pipe.tile_coords
// KDYN-NEXT:     pipe.acc_init
// KDYN-NEXT:     [[K0:%[0-9]+]] = arith.constant 0 : index
// KDYN-NEXT:     [[KF0:%[0-9]+]] = pipe.k_tile_full [[K0]]
// KDYN-NEXT:     scf.if [[KF0]] {
// KDYN-NEXT:       pipe.wait %{{[0-9]+}}{{\[}}[[S0:%[0-9]+]]]
// KDYN-NEXT:       pipe.mma %{{[0-9]+}}{{\[}}[[S0]]]
// KDYN-NEXT:     } else {
// KDYN-NEXT:       pipe.wait %{{[0-9]+}}{{\[}}[[S0]]]
// KDYN-NEXT:       pipe.mma %{{[0-9]+}}{{\[}}[[S0]]]
// KDYN-NEXT:     }
// KDYN-NEXT:     [[R0:%[0-9]+]] = pipe.advance [[S0]]
// KDYN-NEXT:     [[ONE:%[0-9]+]] = arith.constant 1 : index
// KDYN-NEXT:     %{{[0-9]+}}, [[LEND:%[0-9]+]] = scf.for [[KC:%[0-9]+]] = [[ONE]] to %{{[0-9]+}} step [[ONE]] iter_args([[R:%[0-9]+]] = [[R0]], [[L:%[0-9]+]] = [[S0]]) -> (!pipe.state, !pipe.state) {
// KDYN-NEXT:       [[KF:%[0-9]+]] = pipe.k_tile_full [[KC]]
// KDYN-NEXT:       scf.if [[KF]] {
// KDYN-NEXT:         pipe.wait %{{[0-9]+}}{{\[}}[[R]]]
// KDYN-NEXT:         pipe.mma %{{[0-9]+}}{{\[}}[[R]]]
// KDYN-NEXT:         pipe.mma_wait pending(1)
// KDYN-NEXT:         pipe.release %{{[0-9]+}}{{\[}}[[L]]]
// KDYN-NEXT:       } else {
// KDYN-NEXT:         pipe.wait %{{[0-9]+}}{{\[}}[[R]]]
// KDYN-NEXT:         pipe.mma %{{[0-9]+}}{{\[}}[[R]]]
// KDYN-NEXT:         pipe.mma_wait pending(1)
// KDYN-NEXT:         pipe.release %{{[0-9]+}}{{\[}}[[L]]]
// KDYN-NEXT:       }
// KDYN-NEXT:       pipe.advance [[R]]
// KDYN-NEXT:       pipe.advance [[L]]
// KDYN-NEXT:       scf.yield
// KDYN-NEXT:     }
// KDYN-NEXT:     pipe.mma_wait pending(0)
// KDYN-NEXT:     pipe.release %{{[0-9]+}}{{\[}}[[LEND]]]
// KDYN-NEXT:     pipe.advance [[LEND]]
// KDYN-NEXT:     pipe.epilogue [[M]], [[N]] masked(false)
// KDYN-NEXT:     scf.yield
// KDYN-NOT:      pipe.epilogue
// KDYN-NOT:      pipe.mn_tile_full

// KTAIL-STATS:     fold-static-full: folded 4 'pipe.k_tile_fits'
// KTAIL-STATS-NEXT: fold-static-full: folded 1 'pipe.mn_tile_full'
// KTAIL-STATS-NOT: k_tile_full

// KTAIL-LABEL:  pipe.role producer
// KTAIL:          [[KT:%[0-9]+]] = pipe.k_tile_count
// KTAIL:          pipe.tile_coords
// KTAIL-NOT:       pipe.k_tile_f
// KTAIL-NEXT:    [[K0:%[0-9]+]] = arith.constant 0 : index
// KTAIL-NEXT:    pipe.acquire
// KTAIL-NEXT:    pipe.copy "a"[%{{[0-9]+}}, [[K0]]]
// KTAIL-NEXT:    pipe.cta_rank_in_cluster
// KTAIL-NEXT:    pipe.copy "b"[%{{[0-9]+}}, [[K0]]]
// KTAIL-NEXT:    pipe.commit
// KTAIL-NEXT:    pipe.advance
// KTAIL-NEXT:    [[K1:%[0-9]+]] = arith.constant 1 : index
// KTAIL-NEXT:    pipe.acquire
// KTAIL-NEXT:    pipe.copy "a"[%{{[0-9]+}}, [[K1]]]
// KTAIL-NEXT:    pipe.cta_rank_in_cluster
// KTAIL-NEXT:    pipe.copy "b"[%{{[0-9]+}}, [[K1]]]
// KTAIL-NEXT:    pipe.commit
// KTAIL-NEXT:    pipe.advance
// KTAIL-NEXT:    [[K2:%[0-9]+]] = arith.constant 2 : index
// KTAIL-NEXT:    pipe.acquire
// KTAIL-NEXT:    pipe.copy "a"[%{{[0-9]+}}, [[K2]]]
// KTAIL-NEXT:    pipe.cta_rank_in_cluster
// KTAIL-NEXT:    pipe.copy "b"[%{{[0-9]+}}, [[K2]]]
// KTAIL-NEXT:    pipe.commit
// KTAIL-NEXT:    pipe.advance
// KTAIL-NEXT:    [[K3:%[0-9]+]] = arith.constant 3 : index
// KTAIL-NEXT:    pipe.acquire
// KTAIL-NEXT:    pipe.copy "a"[%{{[0-9]+}}, [[K3]]]
// KTAIL-NEXT:    pipe.cta_rank_in_cluster
// KTAIL-NEXT:    pipe.copy "b"[%{{[0-9]+}}, [[K3]]]
// KTAIL-NEXT:    pipe.commit
// KTAIL-NEXT:    pipe.advance
// KTAIL-NEXT:    arith.constant 0 : index
// KTAIL-NEXT:    arith.constant 1 : index
// KTAIL-NEXT:    scf.for [[K:%[0-9]+]] = %{{[0-9]+}} to [[KT]] step %{{[0-9]+}} iter_args(
// KTAIL-NEXT:      [[ISF:%[0-9]+]] = pipe.k_tile_full [[K]]
// KTAIL-NEXT:      [[STAGES:%[0-9]+]] = arith.constant 4 : index
// KTAIL-NEXT:      [[NK:%[0-9]+]] = arith.addi [[K]], [[STAGES]] : index
// KTAIL-NEXT:      [[FITS:%[0-9]+]] = pipe.k_tile_fits [[NK]]
// KTAIL-NEXT:      [[GO:%[0-9]+]] = arith.andi [[ISF]], [[FITS]] : i1
// KTAIL-NEXT:      scf.if [[GO]] -> (!pipe.state) {
// KTAIL-NEXT:        pipe.acquire
// KTAIL-NEXT:        pipe.copy "a"[%{{[0-9]+}}, [[NK]]]
// KTAIL-LABEL:  pipe.role consumer
// KTAIL:          [[M:%[0-9]+]], [[N:%[0-9]+]] = pipe.tile_coords
// KTAIL:          scf.for [[KC:%[0-9]+]] = %{{[0-9]+}} to %{{[0-9]+}} step %{{[0-9]+}} iter_args([[SC:%[0-9]+]] = %{{[0-9]+}}) -> (!pipe.state) {
// KTAIL-NEXT:       [[KF:%[0-9]+]] = pipe.k_tile_full [[KC]]
// KTAIL-NEXT:       scf.if [[KF]] {
// KTAIL-NEXT:         pipe.wait %{{[0-9]+}}{{\[}}[[SC]]]
// KTAIL-NEXT:         pipe.mma %{{[0-9]+}}{{\[}}[[SC]]]
// KTAIL-NEXT:         pipe.mma_wait pending(0)
// KTAIL-NEXT:         pipe.release %{{[0-9]+}}{{\[}}[[SC]]]
// KTAIL-NEXT:       } else {
// KTAIL-NEXT:         pipe.wait %{{[0-9]+}}{{\[}}[[SC]]]
// KTAIL-NEXT:         pipe.mma %{{[0-9]+}}{{\[}}[[SC]]]
// KTAIL-NEXT:         pipe.mma_wait pending(0)
// KTAIL-NEXT:         pipe.release %{{[0-9]+}}{{\[}}[[SC]]]
// KTAIL-NEXT:       }
// KTAIL-NEXT:       pipe.advance [[SC]]
// KTAIL-NEXT:       scf.yield
// KTAIL-NEXT:     }
// KTAIL-NEXT:     pipe.epilogue [[M]], [[N]] masked(false)
// KTAIL-NEXT:     scf.yield
// KTAIL-NOT:      pipe.epilogue
// KTAIL-NOT:      pipe.mn_tile_full

// KTAIL-OVERLAP-LABEL: pipe.role consumer
// KTAIL-OVERLAP:       pipe.acc_init
// KTAIL-OVERLAP-NEXT:  pipe.wait
// KTAIL-OVERLAP-NEXT:  pipe.mma
// KTAIL-OVERLAP-NEXT:  pipe.advance
// KTAIL-OVERLAP-NEXT:  arith.constant 1 : index
// KTAIL-OVERLAP-NEXT:  scf.for [[KC:%[0-9]+]] =
// KTAIL-OVERLAP-NEXT:    [[KF:%[0-9]+]] = pipe.k_tile_full [[KC]]
// KTAIL-OVERLAP-NEXT:    scf.if [[KF]] {
// KTAIL-OVERLAP:         } else {
// KTAIL-OVERLAP:         pipe.mma_wait pending(1)
// KTAIL-OVERLAP:       pipe.mma_wait pending(0)

// EDGE-LABEL:      pipe.role producer
// EDGE-NOT:        pipe.k_tile_full
// EDGE-COUNT-1:    pipe.k_tile_fits
// EDGE-NOT:        pipe.k_tile_f
// EDGE-LABEL:      pipe.role consumer
// EDGE-NOT:        pipe.k_tile_f
// EDGE:            [[M:%[0-9]+]], [[N:%[0-9]+]] = pipe.tile_coords
// EDGE-NOT:        pipe.k_tile_f
// EDGE-NOT:        scf.if
// EDGE:            scf.for
// EDGE-NEXT:       pipe.wait
// EDGE-NEXT:       pipe.mma
// EDGE-NEXT:       pipe.mma_wait pending(1)
// EDGE-NEXT:       pipe.release
// EDGE:            pipe.mma_wait pending(0)
// EDGE-NEXT:       pipe.release %{{[0-9]+}}{{\[}}[[LEND:%[0-9]+]]]
// EDGE-NEXT:       pipe.advance [[LEND]]
// EDGE-NEXT:     [[MN:%[0-9]+]] = pipe.mn_tile_full [[M]], [[N]]
// EDGE-NEXT:     scf.if [[MN]] {
// EDGE-NEXT:       pipe.epilogue [[M]], [[N]] masked(false)
// EDGE-NEXT:     } else {
// EDGE-NEXT:       pipe.epilogue [[M]], [[N]] masked(true)
// EDGE-NEXT:     }
// EDGE-NEXT:     scf.yield

// NOFOLD-STATS: fold-static-full: no predicate is decided by the static shape
