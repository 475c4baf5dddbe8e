// pipeir-gen --b-evict-first: the kernel property b_evict_first, through the headline
// passes, and the mainloop collective's evict-first operand (the MMA's A under swap_ab);
// refused in one line where the target cannot build it.
// RUN: pipeir-gen gemm --m dyn --n 4096 --k 4096 --tile 64x64x128 --swap-ab --pingpong --row-slabs --b-evict-first > %t.naive
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank --place-epilogue-loads --verify-pipeline %t.naive | filecheck %s
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank --emit cute %t.naive | filecheck %s --check-prefix=CUTE
// RUN: not pipeir-gen gemm --arch sm_100a --b-evict-first 2>&1 | filecheck %s --check-prefix=SM100

// CHECK:      pipe.kernel @gemm
// CHECK-SAME: swap_ab, pingpong, row_slabs, b_evict_first
// CUTE: MAINLOOP = TmaWgmmaMainloop({{.*}}slab_operands=('b',), evict_first_operands=('a',))
// SM100: pipeir-gen: error: b_evict_first is not built for sm_100a
