// pipeir-gen refuses pingpong where the target cannot build it, in one line.
// RUN: not pipeir-gen gemm --arch sm_100a --pingpong 2>&1 | filecheck %s --check-prefix=SM100
// SM100: pipeir-gen: error: pingpong is not built for sm_100a: its consumer warpgroups share every tile
// RUN: not pipeir-gen gemm --pingpong --split-k 2 2>&1 | filecheck %s --check-prefix=SPLIT
// SPLIT: pipeir-gen: error: pingpong is not built with split_k
// RUN: not pipeir-gen gemm --pingpong --no-warp-specialize 2>&1 | filecheck %s --check-prefix=WS
// WS: pipeir-gen: error: pingpong needs warp specialization
