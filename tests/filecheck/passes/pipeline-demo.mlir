// `make demo` runs the headline pipeline on examples/gemm_bf16_4096_naive.mlir.
// That file says it is the output of the pipeir-gen command below; the
// pipeline must give the same text on both (and so the output that
// pipeline.mlir checks in full).
//
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype bf16 --tile 128x256x64 --stages 4 --cluster 2x1 | pipeir-opt --fold-static-full --roll-producer --hoist-rank > %t.gen
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank %S/../../../examples/gemm_bf16_4096_naive.mlir > %t.demo
// RUN: diff %t.gen %t.demo
