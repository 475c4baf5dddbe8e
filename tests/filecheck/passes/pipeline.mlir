// The headline pipeline, --fold-static-full --roll-producer --hoist-rank, on
// the static-full bf16 4096^3 GEMM (default tile 128x256x64, 4 stages, cluster
// 2x1), with --verify-each. The result is the whole rolled kernel: the
// producer has ONE copy site per operand inside one K loop over
// [0, k_tile_count), the cluster rank is derived once before the work-tile
// loop (never inside a K loop), and no static-full predicate (k_tile_full,
// k_tile_fits, mn_tile_full) or scf.if is left anywhere.
//
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype bf16 --stages 4 --cluster 2x1 > %t.naive
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank --verify-each --pass-statistics %t.naive > %t.once 2> %t.err
// RUN: filecheck %s --input-file %t.once
// RUN: filecheck %s --check-prefix=PRODUCER --input-file %t.once
// RUN: filecheck %s --check-prefix=STATS --input-file %t.err
//
// Idempotence of the whole pipeline, here and on a K-tail 2x2 kernel, a
// dynamic-K kernel and a shared-warp (mainloop, never rolled) kernel.
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank %t.once > %t.twice
// RUN: diff %t.once %t.twice
// RUN: pipeir-gen gemm --m 4000 --n 4096 --k 4000 --tile 128x128x64 --stages 6 --cluster 2x2 | pipeir-opt --fold-static-full --roll-producer --hoist-rank > %t.ktail.once
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank %t.ktail.once > %t.ktail.twice
// RUN: diff %t.ktail.once %t.ktail.twice
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k dyn --stages 3 --cluster 1x2 | pipeir-opt --fold-static-full --roll-producer --hoist-rank > %t.kdyn.once
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank %t.kdyn.once > %t.kdyn.twice
// RUN: diff %t.kdyn.once %t.kdyn.twice
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --stages 4 --cluster 2x1 --no-warp-specialize | pipeir-opt --fold-static-full --roll-producer --hoist-rank 2>/dev/null > %t.shared.once
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank %t.shared.once 2>/dev/null > %t.shared.twice
// RUN: diff %t.shared.once %t.shared.twice
//
// The passes commute here: hoisting first (roll-producer then reuses the
// hoisted rank) gives the same text.
// RUN: pipeir-opt --hoist-rank --fold-static-full --roll-producer %t.naive > %t.hoistfirst
// RUN: diff %t.once %t.hoistfirst
//
// The serial consumer (--mma-in-flight 0) folds the same way: one wait / mma /
// mma_wait pending(0) / release per k-tile.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype bf16 --stages 4 --cluster 2x1 --mma-in-flight 0 | pipeir-opt --fold-static-full --roll-producer --hoist-rank --verify-each > %t.serial
// RUN: filecheck %s --check-prefix=SERIAL --input-file %t.serial
//
// The short form --roll-producer --hoist-rank (no fold) gives the same
// producer -- roll-producer proves the prologue guards itself -- but leaves
// the consumer's predicates (k_tile_full guard, mn_tile_full epilogue choice)
// to fold-static-full.
// RUN: pipeir-opt --roll-producer --hoist-rank --verify-each %t.naive > %t.short
// RUN: filecheck %s --check-prefix=PRODUCER --input-file %t.short
// RUN: filecheck %s --check-prefix=SHORT --input-file %t.short

// STATS:      fold-static-full: folded 4 'pipe.k_tile_fits'
// STATS-NEXT: fold-static-full: folded 3 'pipe.k_tile_full'
// STATS-NEXT: fold-static-full: folded 1 'pipe.mn_tile_full'
// STATS-NEXT: roll-producer: @gemm: rolled 1 producer loop(s)
// STATS-NEXT: hoist-rank: role 'producer': 1 rank derivation(s) -> 1 before the work-tile loop
// STATS-NOT:  remark

// CHECK-NOT:  pipe.k_tile_full
// CHECK-NOT:  pipe.k_tile_fits
// CHECK-NOT:  pipe.mn_tile_full
// CHECK-NOT:  scf.if
// CHECK:      [[P:%[0-9]+]] = pipe.pipeline stages(4)
// CHECK-NEXT: pipe.role producer warps(1) {
// CHECK-NEXT:   [[RANK:%[0-9]+]] = pipe.cta_rank_in_cluster
// CHECK-NEXT:   [[PS0:%[0-9]+]] = pipe.init_state [[P]] index(0) phase(1)
// CHECK-NEXT:   [[KT:%[0-9]+]] = pipe.k_tile_count
// CHECK-NEXT:   [[FIRST:%[0-9]+]] = pipe.first_work_tile
// CHECK-NEXT:   [[COUNT:%[0-9]+]] = pipe.work_tile_count
// CHECK-NEXT:   [[STRIDE:%[0-9]+]] = pipe.work_tile_stride
// CHECK-NEXT:   [[PEND:%[0-9]+]] = scf.for [[T:%[0-9]+]] = [[FIRST]] to [[COUNT]] step [[STRIDE]] iter_args([[PS:%[0-9]+]] = [[PS0]]) -> (!pipe.state) {
// CHECK-NEXT:     [[M:%[0-9]+]], [[N:%[0-9]+]] = pipe.tile_coords [[T]]
// CHECK-NEXT:     [[C0:%[0-9]+]] = arith.constant 0 : index
// CHECK-NEXT:     [[C1:%[0-9]+]] = arith.constant 1 : index
// CHECK-NEXT:     [[KEND:%[0-9]+]] = scf.for [[K:%[0-9]+]] = [[C0]] to [[KT]] step [[C1]] iter_args([[S:%[0-9]+]] = [[PS]]) -> (!pipe.state) {
// CHECK-NEXT:       pipe.acquire [[P]]{{\[}}[[S]]]
// CHECK-NEXT:       pipe.copy "a"[[[M]], [[K]]] into [[P]]{{\[}}[[S]]]{{$}}
// CHECK-NEXT:       pipe.copy "b"[[[N]], [[K]]] into [[P]]{{\[}}[[S]]] rank [[RANK]]{{$}}
// CHECK-NEXT:       pipe.commit [[P]]{{\[}}[[S]]]
// CHECK-NEXT:       [[NEXT:%[0-9]+]] = pipe.advance [[S]]
// CHECK-NEXT:       scf.yield [[NEXT]] : !pipe.state
// CHECK-NEXT:     }
// CHECK-NEXT:     scf.yield [[KEND]] : !pipe.state
// CHECK-NEXT:   }
// CHECK-NEXT:   pipe.producer_tail [[P]]{{\[}}[[PEND]]]
// CHECK-NEXT: }
// CHECK-NEXT: pipe.role consumer warps(8) {
// CHECK-NEXT:   [[CS0:%[0-9]+]] = pipe.init_state [[P]] index(0) phase(0)
// CHECK-NEXT:   [[CKT:%[0-9]+]] = pipe.k_tile_count
// CHECK-NEXT:   [[CFIRST:%[0-9]+]] = pipe.first_work_tile
// CHECK-NEXT:   [[CCOUNT:%[0-9]+]] = pipe.work_tile_count
// CHECK-NEXT:   [[CSTRIDE:%[0-9]+]] = pipe.work_tile_stride
// CHECK-NEXT:   scf.for [[CT:%[0-9]+]] = [[CFIRST]] to [[CCOUNT]] step [[CSTRIDE]] iter_args([[CS:%[0-9]+]] = [[CS0]]) -> (!pipe.state) {
// CHECK-NEXT:     [[CM:%[0-9]+]], [[CN:%[0-9]+]] = pipe.tile_coords [[CT]]
// CHECK-NEXT:     pipe.acc_init
// CHECK-NEXT:     pipe.wait [[P]]{{\[}}[[CS]]]
// CHECK-NEXT:     pipe.mma [[P]]{{\[}}[[CS]]]
// CHECK-NEXT:     [[R1:%[0-9]+]] = pipe.advance [[CS]]
// CHECK-NEXT:     [[D1:%[0-9]+]] = arith.constant 1 : index
// CHECK-NEXT:     %{{[0-9]+}}, [[REND:%[0-9]+]] = scf.for %{{[0-9]+}} = [[D1]] to [[CKT]] step [[D1]] iter_args([[R:%[0-9]+]] = [[R1]], [[L:%[0-9]+]] = [[CS]]) -> (!pipe.state, !pipe.state) {
// CHECK-NEXT:       pipe.wait [[P]]{{\[}}[[R]]]
// CHECK-NEXT:       pipe.mma [[P]]{{\[}}[[R]]]
// CHECK-NEXT:       pipe.mma_wait pending(1)
// CHECK-NEXT:       pipe.release [[P]]{{\[}}[[L]]]
// CHECK-NEXT:       [[RN:%[0-9]+]] = pipe.advance [[R]]
// CHECK-NEXT:       [[LN:%[0-9]+]] = pipe.advance [[L]]
// CHECK-NEXT:       scf.yield [[RN]], [[LN]] : !pipe.state, !pipe.state
// CHECK-NEXT:     }
// CHECK-NEXT:     pipe.mma_wait pending(0)
// CHECK-NEXT:     pipe.release [[P]]{{\[}}[[REND]]]
// CHECK-NEXT:     [[CEND:%[0-9]+]] = pipe.advance [[REND]]
// CHECK-NEXT:     pipe.epilogue [[CM]], [[CN]] masked(false)
// CHECK-NEXT:     scf.yield [[CEND]] : !pipe.state
// CHECK-NEXT:   }
// CHECK-NEXT: }
// CHECK-NOT:  pipe.k_tile_full
// CHECK-NOT:  pipe.k_tile_fits
// CHECK-NOT:  pipe.mn_tile_full
// CHECK-NOT:  scf.if

// The producer alone, as CHECK-COUNT / CHECK-NOT: exactly one copy site per
// operand, no rank derivation after the work-tile loop starts, no predicate.
// PRODUCER-LABEL:  pipe.role producer
// PRODUCER-NEXT:     [[R:%[0-9]+]] = pipe.cta_rank_in_cluster
// PRODUCER-NOT:      pipe.k_tile_f
// PRODUCER-NOT:      pipe.copy
// PRODUCER:          scf.for
// PRODUCER-NOT:      pipe.cta_rank_in_cluster
// PRODUCER-NOT:      pipe.copy
// PRODUCER:          scf.for [[K:%[0-9]+]] = %{{[0-9]+}} to %{{[0-9]+}} step
// PRODUCER-NOT:      pipe.cta_rank_in_cluster
// PRODUCER-NOT:      pipe.copy "b"
// PRODUCER-COUNT-1:  pipe.copy "a"[%{{[0-9]+}}, [[K]]]
// PRODUCER-NOT:      pipe.copy "a"
// PRODUCER-COUNT-1:  pipe.copy "b"[%{{[0-9]+}}, [[K]]] into %{{[0-9]+}}[%{{[0-9]+}}] rank [[R]]
// PRODUCER-NOT:      pipe.copy
// PRODUCER-NOT:      pipe.cta_rank_in_cluster
// PRODUCER-NOT:      pipe.k_tile_f
// PRODUCER-NOT:      scf.if
// PRODUCER-LABEL:  pipe.role consumer

// Without fold-static-full the consumer keeps its guards.
// SHORT-LABEL:  pipe.role consumer
// SHORT:          pipe.k_tile_full
// SHORT:          pipe.mn_tile_full
// SHORT:          masked(false)
// SHORT:          masked(true)

// SERIAL-LABEL: pipe.role consumer
// SERIAL-NOT:     scf.if
// SERIAL:         pipe.acc_init
// SERIAL-NEXT:    [[D0:%[0-9]+]] = arith.constant 0 : index
// SERIAL-NEXT:    [[D1:%[0-9]+]] = arith.constant 1 : index
// SERIAL-NEXT:    [[CEND:%[0-9]+]] = scf.for %{{[0-9]+}} = [[D0]] to %{{[0-9]+}} step [[D1]] iter_args([[W:%[0-9]+]] = %{{[0-9]+}}) -> (!pipe.state) {
// SERIAL-NEXT:      pipe.wait %{{[0-9]+}}{{\[}}[[W]]]
// SERIAL-NEXT:      pipe.mma %{{[0-9]+}}{{\[}}[[W]]]
// SERIAL-NEXT:      pipe.mma_wait pending(0)
// SERIAL-NEXT:      pipe.release %{{[0-9]+}}{{\[}}[[W]]]
// SERIAL-NEXT:      [[WN:%[0-9]+]] = pipe.advance [[W]]
// SERIAL-NEXT:      scf.yield [[WN]] : !pipe.state
// SERIAL-NEXT:    }
// SERIAL-NEXT:    pipe.epilogue %{{[0-9]+}}, %{{[0-9]+}} masked(false)
// SERIAL-NEXT:    scf.yield [[CEND]] : !pipe.state
