// verify-pipeline accepts what pipeir-gen emits and what the headline passes
// make of it, and leaves the IR unchanged (it is an analysis).

// Static bf16 4096^3 on a 2x1 cluster: one problem size; both ranks of a
// cluster with 3, 2, 1 (the corner) and no work tiles.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --stages 4 --cluster 2x1 | pipeir-opt --verify-pipeline --fold-static-full --verify-pipeline --roll-producer --verify-pipeline --hoist-rank --verify-pipeline --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATIC
// STATIC-NOT: error
// STATIC:      verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)
// STATIC:      verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)
// STATIC:      roll-producer: @gemm: rolled 1 producer loop(s)
// STATIC:      verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)
// STATIC:      verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)

// Dynamic M, N, K on a 2x2 cluster: 3x3 work tiles, 24 K sizes (1..2S+2
// k-tiles, each whole and with a tail), CTAs with 3, 2, 1 and 0 work tiles:
// every rank at the first K, rank 0 at the others.
// RUN: pipeir-gen gemm --tile 128x128x64 --stages 5 --cluster 2x2 | pipeir-opt --verify-pipeline --roll-producer --verify-pipeline --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=DYNAMIC
// DYNAMIC-NOT: error
// DYNAMIC:     verify-pipeline: @gemm: protocol holds on 108 CTA launch(es) over 24 problem size(s)
// DYNAMIC:     verify-pipeline: @gemm: protocol holds on 108 CTA launch(es) over 24 problem size(s)

// Shared producer/consumer warps ('mainloop'), K tail.
// RUN: pipeir-gen gemm --m 1000 --n 1000 --k 1000 --stages 3 --cluster 1x2 --no-warp-specialize | pipeir-opt --verify-pipeline --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=MAINLOOP
// MAINLOOP-NOT: error
// MAINLOOP:    verify-pipeline: @gemm: protocol holds on {{[0-9]+}} CTA launch(es) over 1 problem size(s)

// The IR comes out as it went in.
// RUN: pipeir-gen gemm --m 256 --n 256 --k 256 --stages 2 > %t.mlir
// RUN: pipeir-opt %t.mlir > %t.before.mlir
// RUN: pipeir-opt --verify-pipeline %t.mlir | diff %t.before.mlir -
