// hoist-rank: a role derives the CTA's cluster rank once, as its first op --
// before the work-tile scf.for -- and every multicast copy uses that value; no
// pipe.cta_rank_in_cluster is left inside any scf.for (or scf.if). Roles that
// use no rank (the consumer; every role of a 1x1 cluster) get none.
//
// After the headline pipeline, cluster 2x1 (B multicast) and 2x2 (A and B):
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x256x64 --stages 4 --cluster 2x1 | pipeir-opt --fold-static-full --roll-producer --hoist-rank > %t.c21
// RUN: filecheck %s --check-prefix=C21 --input-file %t.c21
// RUN: pipeir-opt --hoist-rank %t.c21 > %t.c21.twice
// RUN: diff %t.c21 %t.c21.twice
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k dyn --tile 128x256x64 --stages 4 --cluster 2x2 | pipeir-opt --fold-static-full --roll-producer --hoist-rank --pass-statistics > %t.c22 2> %t.c22.err
// RUN: filecheck %s --check-prefix=C22 --input-file %t.c22
// RUN: filecheck %s --check-prefix=C22-STATS --input-file %t.c22.err
//
// Cluster 1x1: no multicast, no rank anywhere, and the statistics say so.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x256x64 --stages 4 --cluster 1x1 | pipeir-opt --fold-static-full --roll-producer --hoist-rank --pass-statistics > %t.c11 2> %t.c11.err
// RUN: filecheck %s --check-prefix=C11 --input-file %t.c11
// RUN: filecheck %s --check-prefix=C11-STATS --input-file %t.c11.err
//
// Naive input, no roll: the 4 prologue derivations (inside scf.if) and the
// steady-loop one (inside scf.for / scf.if) become one at the top of the role;
// all 5 copy sites of B use it.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4000 --tile 128x256x64 --stages 4 --cluster 2x1 > %t.naive
// RUN: pipeir-opt --hoist-rank --pass-statistics %t.naive > %t.naive.once 2> %t.naive.err
// RUN: filecheck %s --check-prefix=NAIVE --input-file %t.naive.once
// RUN: filecheck %s --check-prefix=NAIVE-STATS --input-file %t.naive.err
// RUN: pipeir-opt --hoist-rank %t.naive.once > %t.naive.twice
// RUN: diff %t.naive.once %t.naive.twice
//
// Shared warps (mainloop role, left unrolled by roll-producer): hoisted too.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --tile 128x256x64 --stages 4 --cluster 2x2 --no-warp-specialize | pipeir-opt --fold-static-full --roll-producer --hoist-rank 2>/dev/null | filecheck %s --check-prefix=SHARED

// C21-LABEL:  pipe.role producer
// C21-NEXT:     [[R:%[0-9]+]] = pipe.cta_rank_in_cluster
// C21-NOT:      pipe.cta_rank_in_cluster
// C21:          scf.for
// C21-NOT:      pipe.cta_rank_in_cluster
// C21:          scf.for [[K:%[0-9]+]] =
// C21-NEXT:       pipe.acquire
// C21-NEXT:       pipe.copy "a"[%{{[0-9]+}}, [[K]]] into %{{[0-9]+}}[%{{[0-9]+}}]{{$}}
// C21-NEXT:       pipe.copy "b"[%{{[0-9]+}}, [[K]]] into %{{[0-9]+}}[%{{[0-9]+}}] rank [[R]]{{$}}
// C21-NEXT:       pipe.commit
// C21-NOT:      pipe.cta_rank_in_cluster
// C21-LABEL:  pipe.role consumer
// C21-NOT:      pipe.cta_rank_in_cluster

// C22-LABEL:  pipe.role producer
// C22-NEXT:     [[R:%[0-9]+]] = pipe.cta_rank_in_cluster
// C22-NOT:      pipe.cta_rank_in_cluster
// C22:          scf.for
// C22-NOT:      pipe.cta_rank_in_cluster
// C22:          scf.for [[K:%[0-9]+]] =
// C22-NEXT:       pipe.acquire
// C22-NEXT:       pipe.copy "a"[%{{[0-9]+}}, [[K]]] into %{{[0-9]+}}[%{{[0-9]+}}] rank [[R]]{{$}}
// C22-NEXT:       pipe.copy "b"[%{{[0-9]+}}, [[K]]] into %{{[0-9]+}}[%{{[0-9]+}}] rank [[R]]{{$}}
// C22-NEXT:       pipe.commit
// C22-NOT:      pipe.cta_rank_in_cluster
// C22-LABEL:  pipe.role consumer
// C22-NOT:      pipe.cta_rank_in_cluster
// roll-producer keeps the template's placement: the rolled loop derives the
// rank once per multicast copy (2 here); both become the hoisted one.
// C22-STATS:  hoist-rank: role 'producer': 2 rank derivation(s) -> 1 before the work-tile loop
// C22-STATS-NOT: role 'consumer'

// C11-NOT:    pipe.cta_rank_in_cluster
// C11:        pipe.copy "a"[%{{[0-9]+}}, %{{[0-9]+}}] into %{{[0-9]+}}[%{{[0-9]+}}]{{$}}
// C11-NEXT:   pipe.copy "b"[%{{[0-9]+}}, %{{[0-9]+}}] into %{{[0-9]+}}[%{{[0-9]+}}]{{$}}
// C11-NOT:    pipe.cta_rank_in_cluster
// C11-STATS:  hoist-rank: no cluster-rank derivation found

// NAIVE-LABEL:  pipe.role producer
// NAIVE-NEXT:     [[R:%[0-9]+]] = pipe.cta_rank_in_cluster
// NAIVE-NOT:      pipe.cta_rank_in_cluster
// NAIVE:          scf.for
// NAIVE-NOT:      pipe.cta_rank_in_cluster
// NAIVE-COUNT-4:  pipe.copy "b"{{.*}} rank [[R]]{{$}}
// NAIVE-NOT:      pipe.cta_rank_in_cluster
// NAIVE:          scf.for
// NAIVE-NOT:      pipe.cta_rank_in_cluster
// NAIVE:          pipe.copy "b"{{.*}} rank [[R]]{{$}}
// NAIVE-NOT:      pipe.cta_rank_in_cluster
// NAIVE-LABEL:  pipe.role consumer
// NAIVE-NOT:      pipe.cta_rank_in_cluster
// NAIVE-STATS:  hoist-rank: role 'producer': 5 rank derivation(s) -> 1 before the work-tile loop

// SHARED-LABEL:  pipe.role mainloop
// SHARED-NEXT:     [[R:%[0-9]+]] = pipe.cta_rank_in_cluster
// SHARED-NOT:      pipe.cta_rank_in_cluster
// SHARED:          scf.for
// SHARED-NOT:      pipe.cta_rank_in_cluster
// SHARED-COUNT-10: pipe.copy {{"a"|"b"}}{{.*}} rank [[R]]{{$}}
// SHARED-NOT:      pipe.cta_rank_in_cluster
