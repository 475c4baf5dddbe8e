// roll-producer on generated (naive) kernels, stages 1-4: the producer's
// unrolled prologue and its steady-state loop become ONE loop over k-tiles
// [0, k_tile_count) whose single issue block copies k-tile `iv` of A and of B.
// Each kernel is rolled straight from pipeir-gen (prologue guarded by
// k_tile_fits, steady guard full(k) & fits(k + stages)) and after
// fold-static-full (prologue unguarded, steady guard fits(k + stages)); the
// same checks (prefix CHECK, at the end of the file) apply to every run.
// Clusters 1x1 (no multicast) and 2x1 (B multicast: its copy takes the CTA rank).
// roll-producer-deep.mlir: stages 6, 8, 12; roll-producer-k.mlir: K tail,
// dynamic K, fewer k-tiles than stages, A multicast.
//
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x128x64 --stages 1 --cluster 1x1 > %t.s1.c11
// RUN: pipeir-opt --roll-producer %t.s1.c11 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s1.c11 | filecheck %s
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x128x64 --stages 1 --cluster 2x1 > %t.s1.c21
// RUN: pipeir-opt --roll-producer %t.s1.c21 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s1.c21 | filecheck %s
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x128x64 --stages 2 --cluster 1x1 > %t.s2.c11
// RUN: pipeir-opt --roll-producer %t.s2.c11 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s2.c11 | filecheck %s
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x128x64 --stages 2 --cluster 2x1 > %t.s2.c21
// RUN: pipeir-opt --roll-producer %t.s2.c21 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s2.c21 | filecheck %s
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x128x64 --stages 3 --cluster 1x1 > %t.s3.c11
// RUN: pipeir-opt --roll-producer %t.s3.c11 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s3.c11 | filecheck %s
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x128x64 --stages 3 --cluster 2x1 > %t.s3.c21
// RUN: pipeir-opt --roll-producer %t.s3.c21 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s3.c21 | filecheck %s
//
// Stages 4, cluster 2x1 also checks the statistics (one loop rolled, no remark)
// and idempotence (a second application prints the same text, "already rolled").
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x128x64 --stages 4 --cluster 1x1 > %t.s4.c11
// RUN: pipeir-opt --roll-producer %t.s4.c11 | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s4.c11 | filecheck %s
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x128x64 --stages 4 --cluster 2x1 > %t.s4.c21
// RUN: pipeir-opt --roll-producer --pass-statistics %t.s4.c21 > %t.once 2> %t.once.err
// RUN: filecheck %s --input-file %t.once
// RUN: filecheck %s --check-prefix=STATS --input-file %t.once.err
// RUN: pipeir-opt --fold-static-full --roll-producer %t.s4.c21 | filecheck %s
// RUN: pipeir-opt --roll-producer --pass-statistics %t.once > %t.twice 2> %t.twice.err
// RUN: diff %t.once %t.twice
// RUN: filecheck %s --check-prefix=AGAIN --input-file %t.twice.err
//
// STATS-NOT:  remark
// STATS:      roll-producer: @gemm: rolled 1 producer loop(s)
// STATS-NOT:  refused
// AGAIN-NOT:  remark
// AGAIN:      roll-producer: @gemm: already rolled

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
