// The pingpong consumer (pipeir-gen --pingpong) through the headline pipeline, with
// --verify-each: each consumer warpgroup takes its share of the CTA's work tiles, its
// ring state starts k_tile_count * warpgroup stages in and skips the other warpgroup's
// k-tiles after each tile, and its K loop and epilogue sit in its mma and epilogue turns.
//
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype fp8 --tile 128x128x128 --stages 4 --cluster 2x1 --pingpong --scale rowwise --bias --activation silu > %t.naive
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank --place-epilogue-loads --verify-each %t.naive | filecheck %s

// CHECK:      tile = array<i64: 128, 128, 128>
// CHECK-SAME: pingpong
// CHECK:      pipe.role producer warps(1)
// CHECK:        pipe.first_work_tile{{$}}
// CHECK:        pipe.work_tile_stride{{$}}
// CHECK:      pipe.role consumer warps(8)
// CHECK:        %[[START:.*]] = pipe.init_state %{{.*}} index(0) phase(0)
// CHECK:        %[[K:.*]] = pipe.k_tile_count
// CHECK:        %[[WG:.*]] = pipe.consumer_warpgroup
// CHECK:        %[[SKIP:.*]] = arith.muli %[[K]], %[[WG]] : index
// CHECK:        %[[MINE:.*]] = pipe.advance %[[START]] by(%[[SKIP]])
// CHECK:        %[[FIRST:.*]] = pipe.first_work_tile warpgroup
// CHECK:        %[[STRIDE:.*]] = pipe.work_tile_stride warpgroup
// CHECK:        scf.for %{{.*}} = %[[FIRST]] to %{{.*}} step %[[STRIDE]] iter_args(%{{.*}} = %[[MINE]])
// CHECK:          pipe.order_wait mma
// CHECK-NEXT:     pipe.acc_init
// CHECK:          pipe.wait
// CHECK:          pipe.order_signal mma
// CHECK-NEXT:     pipe.mma_wait pending(0)
// CHECK:          pipe.order_wait epilogue
// CHECK:          pipe.epilogue
// CHECK:          pipe.order_signal epilogue
// CHECK-NEXT:     %[[NEXT:.*]] = pipe.advance %{{.*}} by(%[[K]])
// CHECK-NEXT:     scf.yield %[[NEXT]] : !pipe.state
