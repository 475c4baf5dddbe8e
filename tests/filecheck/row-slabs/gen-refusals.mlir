// pipeir-gen refuses row_slabs where the target cannot build it, in one line.
// RUN: not pipeir-gen gemm --arch sm_100a --row-slabs 2>&1 | filecheck %s --check-prefix=SM100
// SM100: pipeir-gen: error: row_slabs is not built for sm_100a
