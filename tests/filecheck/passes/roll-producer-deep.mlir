// roll-producer on deep rings: stages 6 (tile 128x128x64, the most that fit),
// 8 (tile 128x64x64) and 12 (tile 128x64x32, the dialect's maximum), clusters
// 1x1 and 2x1, with and without a preceding fold-static-full. Same checks as
// roll-producer.mlir: one rolled loop over [0, k_tile_count), one copy site
// per operand, using the loop's induction variable as k-tile.
//
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x128x64 --stages 6 --cluster 2x1 > %t.s6.c21
// RUN: pipeir-opt --roll-producer %t.s6.c21 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s6.c21 | filecheck %s
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x64x64 --stages 8 --cluster 1x1 > %t.s8.c11
// RUN: pipeir-opt --roll-producer %t.s8.c11 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s8.c11 | filecheck %s
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x64x64 --stages 8 --cluster 2x1 > %t.s8.c21
// RUN: pipeir-opt --roll-producer %t.s8.c21 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s8.c21 | filecheck %s
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x64x32 --stages 12 --cluster 1x1 > %t.s12.c11
// RUN: pipeir-opt --roll-producer %t.s12.c11 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s12.c11 | filecheck %s
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x64x32 --stages 12 --cluster 2x1 > %t.s12.c21
// RUN: pipeir-opt --roll-producer %t.s12.c21 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s12.c21 | filecheck %s
//
// Idempotence at 12 stages.
// RUN: pipeir-opt --roll-producer %t.s12.c21 > %t.once && pipeir-opt --roll-producer %t.once > %t.twice && diff %t.once %t.twice

// CHECK:        [[P:%[0-9]+]] = pipe.pipeline
// CHECK-LABEL:  pipe.role producer
// The k-tile count (at the top of the role, or -- when fold-static-full left
// none -- created just before the rolled loop) and the work-tile loop ...
// CHECK-DAG:      [[KT:%[0-9]+]] = pipe.k_tile_count
// CHECK-DAG:      scf.for %{{[0-9]+}} = %{{[0-9]+}} to %{{[0-9]+}} step %{{[0-9]+}} iter_args(%{{[0-9]+}} = %{{[0-9]+}}) -> (!pipe.state) {
// CHECK-DAG:        pipe.tile_coords
// ... which holds only the rolled K loop: [0, k_tile_count) step 1 ...
// CHECK-NOT:        {{pipe\.copy|pipe\.k_tile_f|scf\.}}
// CHECK:            [[C0:%[0-9]+]] = arith.constant 0 : index
// CHECK-NEXT:       [[C1:%[0-9]+]] = arith.constant 1 : index
// CHECK-NEXT:       [[END:%[0-9]+]] = scf.for [[K:%[0-9]+]] = [[C0]] to [[KT]] step [[C1]] iter_args([[S:%[0-9]+]] = %{{[0-9]+}}) -> (!pipe.state) {
// ... whose one issue block copies k-tile `iv` of each operand exactly once.
// CHECK-NEXT:         pipe.acquire [[P]]{{\[}}[[S]]]
// CHECK-NOT:          {{scf\.|pipe\.(acquire|commit|k_tile)|pipe\.copy "b"}}
// CHECK-COUNT-1:      pipe.copy "a"[%{{[0-9]+}}, [[K]]] into [[P]]{{\[}}[[S]]]
// CHECK-NOT:          {{scf\.|pipe\.(acquire|commit|k_tile)|pipe\.copy "a"}}
// CHECK-COUNT-1:      pipe.copy "b"[%{{[0-9]+}}, [[K]]] into [[P]]{{\[}}[[S]]]
// CHECK-NEXT:         pipe.commit [[P]]{{\[}}[[S]]]
// CHECK-NEXT:         [[NEXT:%[0-9]+]] = pipe.advance [[S]]
// CHECK-NEXT:         scf.yield [[NEXT]] : !pipe.state
// CHECK-NEXT:       }
// CHECK-NEXT:       scf.yield [[END]] : !pipe.state
// CHECK-NEXT:     }
// CHECK-NEXT:     pipe.producer_tail
// CHECK-NEXT:   }
// CHECK-LABEL:  pipe.role consumer
// CHECK-NOT:      pipe.copy
