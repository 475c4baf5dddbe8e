// The decode heuristic's schedule (pipeir.tune.heuristic_config): swap_ab under pingpong,
// so each consumer warpgroup computes a 64-row tile of the weights (B) by a 64-wide tile
// of M, with M known only at run time, the token rows past M not loaded (row slabs). The headline passes apply unchanged and the
// protocol verifier proves the two warpgroups' turns against the one ring; the rowwise
// scales are read transposed (scale_a, per row of C, runs along the tile's columns).
//
// RUN: pipeir-gen gemm --m dyn --n 4096 --k 4096 --dtype fp8 --tile 64x64x256 --swap-ab --pingpong --row-slabs --scale rowwise > %t.naive
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank --place-epilogue-loads --verify-each --verify-pipeline %t.naive | filecheck %s

// CHECK:      tile = array<i64: 64, 64, 256>
// CHECK-SAME: problem = array<i64: 4096, -1, 4096>
// CHECK-SAME: swap_ab, pingpong, row_slabs
// CHECK:      pipe.role producer warps(1)
// CHECK:      pipe.role consumer warps(8)
// CHECK:        pipe.first_work_tile warpgroup
// CHECK:          pipe.order_wait mma
// CHECK:          pipe.order_signal mma
// CHECK:          pipe.order_wait epilogue
// CHECK:            epi.load @scale_a broadcast(m)
// CHECK:            epi.load @scale_b broadcast(n)
// CHECK:          pipe.order_signal epilogue
