// Row slabs in a cluster: the narrow schedule's 1x2 cluster multicasts the weights (the
// MMA's A under swap_ab) to the CTAs of two M tiles, so the weights load whole and only
// the token tile (the MMA's B) loads by slabs. The second CTA of a cluster may lie
// wholly past M: it loads no slab, reports them all, and still issues its half of the
// weights' multicast. The protocol is the unclustered one, proved the same way.
//
// RUN: pipeir-gen gemm --m dyn --n 4096 --k 4096 --tile 64x64x128 --swap-ab --pingpong --cluster 1x2 --row-slabs --b-evict-first > %t.naive
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank --place-epilogue-loads --verify-pipeline %t.naive | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank --emit cute %t.naive | filecheck %s --check-prefix=CUTE

// CHECK:      cluster = array<i64: 1, 2>
// CHECK-SAME: swap_ab, pingpong, row_slabs, b_evict_first
// CUTE: MAINLOOP = TmaWgmmaMainloop({{.*}}cluster=(1, 2){{.*}}slab_operands=('b',), evict_first_operands=('a',))
