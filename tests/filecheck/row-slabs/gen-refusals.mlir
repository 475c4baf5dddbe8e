// pipeir-gen refuses row_slabs where the target cannot build it, in one line.
// RUN: not pipeir-gen gemm --arch sm_100a --row-slabs 2>&1 | filecheck %s --check-prefix=SM100
// SM100: pipeir-gen: error: row_slabs is not built for sm_100a
// RUN: not pipeir-gen gemm --m dyn --row-slabs --cluster 2x1 2>&1 | filecheck %s --check-prefix=CLUSTER
// CLUSTER: pipeir-gen: error: row_slabs needs cluster 1x1, got 2x1: slab loads in clusters have not run on a GPU yet
