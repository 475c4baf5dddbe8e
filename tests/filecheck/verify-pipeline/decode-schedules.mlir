// The decode schedules (swap_ab: C^T = B @ A^T, the MMA's N is M; small MMA N tiles;
// deep rings) go through the headline passes, rolled, folded and hoisted like any
// kernel, and verify-pipeline proves each form. swap_ab changes which tensor each ring
// operand and the output are, not the ring protocol: the problem the proof simulates
// is the MMA's, [N, M, K].

// Static decode M = 16 on a 2x1 cluster (the small A multicast): the swapped problem
// is 8192x16 with a 128x32 tile, 10 stages.
// RUN: pipeir-gen gemm --m 16 --n 8192 --k 8192 --swap-ab --tile 128x32x64 --cluster 2x1 | pipeir-opt --verify-pipeline --fold-static-full --verify-pipeline --roll-producer --verify-pipeline --hoist-rank --verify-pipeline --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATIC
// RUN: pipeir-gen gemm --m 16 --n 8192 --k 8192 --swap-ab --tile 128x32x64 --cluster 2x1 | filecheck %s --check-prefix=STATIC_IR
// STATIC_IR:      problem = array<i64: 8192, 16, 8192>
// STATIC_IR-SAME: swap_ab
// STATIC_IR:      pipe.pipeline stages(10)
// STATIC-NOT: error
// STATIC:      verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)
// STATIC:      fold-static-full: folded
// STATIC:      verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)
// STATIC:      roll-producer: @gemm: rolled 1 producer loop(s)
// STATIC:      verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)
// STATIC:      hoist-rank: role 'producer': 1 rank derivation(s) -> 1 before the work-tile loop
// STATIC:      verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)

// Dynamic M (pipeir.matmul's kernel for every M of a class), fp8, a 128x16 tile and a
// 1x2 cluster.
// RUN: pipeir-gen gemm --n 4096 --k 4096 --dtype f8e4m3 --swap-ab --tile 128x16x128 --cluster 1x2 | pipeir-opt --verify-pipeline --roll-producer --hoist-rank --verify-pipeline --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=DYN_M
// DYN_M-NOT: error
// DYN_M:     verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)
// DYN_M:     roll-producer: @gemm: rolled 1 producer loop(s)
// DYN_M:     verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)

// Everything dynamic, 6 stages: every K from 1 to 2S+2 k-tiles, whole and with a tail.
// RUN: pipeir-gen gemm --swap-ab --tile 128x64x64 --stages 6 | pipeir-opt --verify-pipeline --roll-producer --verify-pipeline --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=DYNAMIC
// DYNAMIC-NOT: error
// DYNAMIC:     verify-pipeline: @gemm: protocol holds on 112 CTA launch(es) over 28 problem size(s)
// DYNAMIC:     roll-producer: @gemm: rolled 1 producer loop(s)
// DYNAMIC:     verify-pipeline: @gemm: protocol holds on 112 CTA launch(es) over 28 problem size(s)

// The naive small-N kernel without swap_ab (a 128x16 MMA tile over M x N).
// RUN: pipeir-gen gemm --m 100 --n 4096 --k 1000 --tile 128x16x64 --cluster 2x2 | pipeir-opt --verify-pipeline --fold-static-full --roll-producer --hoist-rank --verify-pipeline --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=SMALL_N
// SMALL_N-NOT: error
// SMALL_N:     verify-pipeline: @gemm: protocol holds on {{[0-9]+}} CTA launch(es) over 1 problem size(s)
// SMALL_N:     verify-pipeline: @gemm: protocol holds on {{[0-9]+}} CTA launch(es) over 1 problem size(s)

// swap_ab needs a K-major B (it becomes the MMA's A).
// RUN: not pipeir-gen gemm --swap-ab --b-major mn 2>&1 | filecheck %s --check-prefix=MN
// MN: pipeir-gen: error: swap_ab needs a K-major B: B becomes the MMA's A, which is read K-major
