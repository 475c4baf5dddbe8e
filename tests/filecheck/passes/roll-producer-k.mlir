// roll-producer beyond static-full K. The naive producer issues k-tile i < n
// (n = stages) iff it fits in K, then k + n for k in [0, k_tile_count) iff that
// fits; together that is every k-tile 0 .. k_tile_count - 1 in order, whatever
// K is -- TMA zero-fills the partial last k-tile -- so these roll too.
// Same checks as roll-producer.mlir.
//
// K tail: 4000 = 62.5 k-tiles of 64. fold-static-full folds the prologue
// guards (k-tile i < 63 always fits) and keeps the steady guard.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4000 --tile 128x128x64 --stages 4 --cluster 2x1 > %t.ktail
// RUN: pipeir-opt --roll-producer %t.ktail > %t.ktail.once
// RUN: filecheck %s --input-file %t.ktail.once
// RUN: pipeir-opt --fold-static-full --roll-producer %t.ktail | filecheck %s
// RUN: pipeir-gen gemm --m 4000 --n 1000 --k 4000 --tile 128x64x32 --stages 12 --cluster 1x1 > %t.ktail12
// RUN: pipeir-opt --roll-producer %t.ktail12 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.ktail12 | filecheck %s
//
// Dynamic K: no guard can be folded; roll-producer proves the sequence itself.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k dyn --tile 128x128x64 --stages 4 --cluster 2x1 > %t.kdyn
// RUN: pipeir-opt --roll-producer %t.kdyn > %t.kdyn.once
// RUN: filecheck %s --input-file %t.kdyn.once
// RUN: pipeir-opt --fold-static-full --roll-producer %t.kdyn | filecheck %s
// RUN: pipeir-gen gemm --m dyn --n dyn --k dyn --tile 128x64x32 --stages 12 --cluster 1x1 > %t.alldyn
// RUN: pipeir-opt --roll-producer %t.alldyn | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.alldyn | filecheck %s
//
// Fewer k-tiles than stages: K = 100 is 2 k-tiles (the second partial), 4
// stages. fold-static-full deletes prologue blocks 2 and 3 and the whole
// steady-state loop (k + 4 never fits); roll-producer then rolls a prologue
// without a steady loop, which it may since k_tile_count <= 2 is proven (it
// re-creates the k_tile_count that the fold left unused).
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 100 --tile 128x128x64 --stages 4 --cluster 2x1 > %t.kshort
// RUN: pipeir-opt --roll-producer %t.kshort | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.kshort | filecheck %s
//
// A multicast (1x2) and both multicast (2x2): every copy keeps a rank.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x128x64 --stages 4 --cluster 1x2 > %t.c12
// RUN: pipeir-opt --roll-producer %t.c12 > %t.c12.out
// RUN: filecheck %s --input-file %t.c12.out
// RUN: filecheck %s --check-prefix=RANKA --input-file %t.c12.out
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x256x64 --stages 4 --cluster 2x2 > %t.c22
// RUN: pipeir-opt --fold-static-full --roll-producer %t.c22 > %t.c22.out
// RUN: filecheck %s --input-file %t.c22.out
// RUN: filecheck %s --check-prefix=RANKAB --input-file %t.c22.out
// RANKA:       pipe.copy "a"{{.*}} rank %{{[0-9]+}}
// RANKA-NOT:   pipe.copy "b"{{.*}} rank
// RANKAB:      pipe.copy "a"{{.*}} rank %{{[0-9]+}}
// RANKAB:      pipe.copy "b"{{.*}} rank %{{[0-9]+}}
//
// Idempotence on the K-tail and dynamic-K kernels.
// RUN: pipeir-opt --roll-producer %t.ktail.once > %t.ktail.twice && diff %t.ktail.once %t.ktail.twice
// RUN: pipeir-opt --roll-producer %t.kdyn.once > %t.kdyn.twice && diff %t.kdyn.once %t.kdyn.twice

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
