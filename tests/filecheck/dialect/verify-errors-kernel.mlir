// Verifier errors of pipe.kernel: the target's rules (dtypes, tiles, clusters, layouts,
// shared memory and ring depth, MMA batches in flight), shapes, role and pipeline counts.
//
// pipeir-opt stops at the first error, so `--split-input-file` would check only
// the first case (and report chunk-relative lines). Instead each case is a
// `// ----- LABEL` section whose RUN line feeds pipeir-opt this file with every
// other section blanked out (awk), so line numbers stay those of this file: each
// check pins the error's line and column as well as its message, and that the
// error is the only line printed (no Python traceback).
// The verify-errors-*.mlir files together cover every verifier rule of
// pipeir/dialects/pipe.py.

// ----- ARCH
// arch is an enum of the targets: another value does not parse
// RUN: awk -v c=ARCH 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ARCH
// ARCH-NOT: Traceback
// ARCH: {{^}}<stdin>:[[# @LINE + 2]]:{{[0-9]+}}: error: Expected `sm_90a`, or `sm_100a`.{{$}}
// ARCH-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_80>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- A_DTYPE
// A operand dtype
// RUN: awk -v c=A_DTYPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=A_DTYPE
// A_DTYPE-NOT: Traceback
// A_DTYPE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: a_dtype must be one of f16, bf16, f8E4M3FN, f8E5M2, f32, got f64{{$}}
// A_DTYPE-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f64, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- B_DTYPE
// B operand dtype
// RUN: awk -v c=B_DTYPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=B_DTYPE
// B_DTYPE-NOT: Traceback
// B_DTYPE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: b_dtype must be one of f16, bf16, f8E4M3FN, f8E5M2, f32, got i8{{$}}
// B_DTYPE-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = i8, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- MIXED_WIDTH
// A and B must have one dtype (the configuration has one)
// RUN: awk -v c=MIXED_WIDTH 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MIXED_WIDTH
// MIXED_WIDTH-NOT: Traceback
// MIXED_WIDTH: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: A and B must have one dtype on sm_90a, got f8e4m3 and bf16{{$}}
// MIXED_WIDTH-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = bf16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- C_DTYPE
// output dtype: the target's rule
// RUN: awk -v c=C_DTYPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=C_DTYPE
// C_DTYPE-NOT: Traceback
// C_DTYPE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: out dtype must be one of f16, bf16, f32 on sm_90a, got 'f8e4m3'{{$}}
// C_DTYPE-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f8E4M3FN, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- TILE_64
// 64x64x64: tile_m below two MMA warpgroups' 128 rows
// RUN: awk -v c=TILE_64 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TILE_64
// TILE_64-NOT: Traceback
// TILE_64: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: tile 64x64x64 cannot be built on sm_90a: tile_m must be 128 or 256 (two MMA warpgroups split M), tile_n 16, 32, 64, 128 or 256, and not 256x256 (too many accumulator registers){{$}}
// TILE_64-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 64, 64, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- TILE_256x256
// 256x256 needs more accumulator registers than two warpgroups have
// RUN: awk -v c=TILE_256x256 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TILE_256x256
// TILE_256x256-NOT: Traceback
// TILE_256x256: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: tile 256x256x64 cannot be built on sm_90a: tile_m must be 128 or 256 (two MMA warpgroups split M), tile_n 16, 32, 64, 128 or 256, and not 256x256 (too many accumulator registers){{$}}
// TILE_256x256-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 256, 256, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- TILE_K_ATOM
// tile_k is a whole number of MMA K atoms (16 for 16-bit dtypes)
// RUN: awk -v c=TILE_K_ATOM 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TILE_K_ATOM
// TILE_K_ATOM-NOT: Traceback
// TILE_K_ATOM: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: tile_k 40: must be a multiple of 16 (the wgmma K atom) with at most 256 bytes per row for bf16{{$}}
// TILE_K_ATOM-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 40>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- TILE_K_ROW
// at most 256 bytes of K per tile row
// RUN: awk -v c=TILE_K_ROW 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TILE_K_ROW
// TILE_K_ROW-NOT: Traceback
// TILE_K_ROW: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: tile_k 256: must be a multiple of 16 (the wgmma K atom) with at most 256 bytes per row for bf16{{$}}
// TILE_K_ROW-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 256>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(1)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- STAGES_SMEM
// 9 stages of 128x256x64 bf16 (48 KiB each) do not fit 227 KiB beside the epilogue
// RUN: awk -v c=STAGES_SMEM 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=STAGES_SMEM
// STAGES_SMEM-NOT: Traceback
// STAGES_SMEM: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: 9 stages of 49152 bytes do not fit the 232448-byte shared memory of sm_90a beside the epilogue's 32768 and the 1024-byte reserve: at most 4{{$}}
// STAGES_SMEM-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 256, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(9)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- STAGES_MAX
// at most 12 stages, however small
// RUN: awk -v c=STAGES_MAX 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=STAGES_MAX
// STAGES_MAX-NOT: Traceback
// STAGES_MAX: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: stages must be in 1..12, got 13{{$}}
// STAGES_MAX-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 64, 32>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(13)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- STAGES_ZERO
// a ring has a stage
// RUN: awk -v c=STAGES_ZERO 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=STAGES_ZERO
// STAGES_ZERO-NOT: Traceback
// STAGES_ZERO: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: stages must be in 1..12, got 0{{$}}
// STAGES_ZERO-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 64, 32>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(0)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- MMA_IN_FLIGHT_STAGES
// a batch in flight holds its stage: pending(1) needs 2+ stages
// RUN: awk -v c=MMA_IN_FLIGHT_STAGES 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MMA_IN_FLIGHT_STAGES
// MMA_IN_FLIGHT_STAGES-NOT: Traceback
// MMA_IN_FLIGHT_STAGES: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: mma_in_flight 1 needs more than 1 stage(s): the consumer holds the stage of every batch in flight besides the one it waits for, got 1{{$}}
// MMA_IN_FLIGHT_STAGES-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(1)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
    pipe.mma_wait pending(1)
  }
}

// ----- MMA_IN_FLIGHT_MAX
// sm_90a keeps at most one WGMMA batch in flight
// RUN: awk -v c=MMA_IN_FLIGHT_MAX 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MMA_IN_FLIGHT_MAX
// MMA_IN_FLIGHT_MAX-NOT: Traceback
// MMA_IN_FLIGHT_MAX: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: mma_in_flight must be in 0..1, got 2{{$}}
// MMA_IN_FLIGHT_MAX-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
    pipe.mma_wait pending(2)
  }
}

// ----- TILE_RANK
// tile needs three sizes
// RUN: awk -v c=TILE_RANK 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TILE_RANK
// TILE_RANK-NOT: Traceback
// TILE_RANK: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: tile must be three sizes [m, n, k], got [128, 128]{{$}}
// TILE_RANK-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- TILE_ZERO
// a tile the target cannot build
// RUN: awk -v c=TILE_ZERO 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TILE_ZERO
// TILE_ZERO-NOT: Traceback
// TILE_ZERO: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: tile 128x0x64 cannot be built on sm_90a: tile_m must be 128 or 256 (two MMA warpgroups split M), tile_n 16, 32, 64, 128 or 256, and not 256x256 (too many accumulator registers){{$}}
// TILE_ZERO-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 0, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- CLUSTER_SHAPE
// a cluster shape the target does not offer
// RUN: awk -v c=CLUSTER_SHAPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=CLUSTER_SHAPE
// CLUSTER_SHAPE-NOT: Traceback
// CLUSTER_SHAPE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: cluster 4x1 is not one of 1x1, 2x1, 1x2, 2x2 on sm_90a{{$}}
// CLUSTER_SHAPE-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 4, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- CLUSTER_RANK
// cluster needs two sizes
// RUN: awk -v c=CLUSTER_RANK 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=CLUSTER_RANK
// CLUSTER_RANK-NOT: Traceback
// CLUSTER_RANK: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: cluster must be two sizes [m, n], got [2, 1, 1]{{$}}
// CLUSTER_RANK-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 2, 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- PROBLEM_ZERO
// problem sizes are positive or -1
// RUN: awk -v c=PROBLEM_ZERO 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PROBLEM_ZERO
// PROBLEM_ZERO-NOT: Traceback
// PROBLEM_ZERO: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: problem must be [M, N, K] with positive sizes or -1 (dynamic), got [256, 0, 256]{{$}}
// PROBLEM_ZERO-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 0, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- PROBLEM_NEGATIVE
// -1 is the only negative size
// RUN: awk -v c=PROBLEM_NEGATIVE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PROBLEM_NEGATIVE
// PROBLEM_NEGATIVE-NOT: Traceback
// PROBLEM_NEGATIVE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: problem must be [M, N, K] with positive sizes or -1 (dynamic), got [-2, 256, 256]{{$}}
// PROBLEM_NEGATIVE-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: -2, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- PROBLEM_RANK
// problem needs three sizes
// RUN: awk -v c=PROBLEM_RANK 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PROBLEM_RANK
// PROBLEM_RANK-NOT: Traceback
// PROBLEM_RANK: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: problem must be [M, N, K] with positive sizes or -1 (dynamic), got [256, 256]{{$}}
// PROBLEM_RANK-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- A_MAJOR
// A must be K-major
// RUN: awk -v c=A_MAJOR 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=A_MAJOR
// A_MAJOR-NOT: Traceback
// A_MAJOR: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: A must be K-major on sm_90a, got a_major 'mn'{{$}}
// A_MAJOR-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major mn>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- B_MAJOR
// B is K-major or MN-major: another value does not parse
// RUN: awk -v c=B_MAJOR 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=B_MAJOR
// B_MAJOR-NOT: Traceback
// B_MAJOR: {{^}}<stdin>:[[# @LINE + 2]]:{{[0-9]+}}: error: Expected `k`, or `mn`.{{$}}
// B_MAJOR-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major n>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- B_MAJOR_FP8
// 8-bit B cannot be MN-major
// RUN: awk -v c=B_MAJOR_FP8 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=B_MAJOR_FP8
// B_MAJOR_FP8-NOT: Traceback
// B_MAJOR_FP8: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: 8-bit B must be K-major: wgmma reads f8e5m2 operands K-major only{{$}}
// B_MAJOR_FP8-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E5M2, b_dtype = f8E5M2, c_dtype = f16, tile = array<i64: 128, 128, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major mn>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- RASTER
// the persistent schedule walks tiles along M or along N: another value does not parse
// RUN: awk -v c=RASTER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=RASTER
// RASTER-NOT: Traceback
// RASTER: {{^}}<stdin>:[[# @LINE + 2]]:{{[0-9]+}}: error: Expected `m`, or `n`.{{$}}
// RASTER-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>, raster = #pipe<raster k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- MAINLOOP_NOT_ALONE
// a mainloop role must be the only role
// RUN: awk -v c=MAINLOOP_NOT_ALONE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MAINLOOP_NOT_ALONE
// MAINLOOP_NOT_ALONE-NOT: Traceback
// MAINLOOP_NOT_ALONE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: a 'mainloop' role (shared producer/consumer warps) must be the only role{{$}}
// MAINLOOP_NOT_ALONE-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role mainloop warps(8) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- ROLES_MISSING
// a consumer role is missing
// RUN: awk -v c=ROLES_MISSING 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLES_MISSING
// ROLES_MISSING-NOT: Traceback
// ROLES_MISSING: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: needs exactly one 'producer' and one 'consumer' role, got ['producer']{{$}}
// ROLES_MISSING-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
}

// ----- ROLES_DUPLICATE
// two producer roles
// RUN: awk -v c=ROLES_DUPLICATE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLES_DUPLICATE
// ROLES_DUPLICATE-NOT: Traceback
// ROLES_DUPLICATE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: needs exactly one 'producer' and one 'consumer' role, got ['producer', 'consumer', 'producer']{{$}}
// ROLES_DUPLICATE-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
  pipe.role producer warps(1) {
  ^bb0:
  }
}

// ----- ROLES_NONE
// no role at all
// RUN: awk -v c=ROLES_NONE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLES_NONE
// ROLES_NONE-NOT: Traceback
// ROLES_NONE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: needs exactly one 'producer' and one 'consumer' role, got []{{$}}
// ROLES_NONE-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
}

// ----- PIPELINE_NONE
// no pipe.pipeline
// RUN: awk -v c=PIPELINE_NONE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PIPELINE_NONE
// PIPELINE_NONE-NOT: Traceback
// PIPELINE_NONE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: needs exactly one 'pipe.pipeline', got 0{{$}}
// PIPELINE_NONE-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- PIPELINE_TWO
// two pipe.pipeline ops
// RUN: awk -v c=PIPELINE_TWO 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PIPELINE_TWO
// PIPELINE_TWO-NOT: Traceback
// PIPELINE_TWO: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: needs exactly one 'pipe.pipeline', got 2{{$}}
// PIPELINE_TWO-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  %q = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- SWAP_MN
// swap_ab makes B the MMA's A, which WGMMA reads K-major here
// RUN: awk -v c=SWAP_MN 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=SWAP_MN
// SWAP_MN-NOT: Traceback
// SWAP_MN: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: swap_ab needs a K-major B: B becomes the MMA's A, which is read K-major{{$}}
// SWAP_MN-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 32, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 16, 256>, a_major = #pipe<major k>, b_major = #pipe<major mn>, swap_ab} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}
