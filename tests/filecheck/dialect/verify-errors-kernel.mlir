// Verifier errors of pipe.kernel: target, dtypes, shapes, layouts, role and pipeline counts.
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
// arch must be sm_90a or sm_100a
// RUN: awk -v c=ARCH 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ARCH
// ARCH-NOT: Traceback
// ARCH: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: arch must be one of sm_90a, sm_100a, got 'sm_80'{{$}}
// ARCH-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_80", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- A_DTYPE
// A operand dtype
// RUN: awk -v c=A_DTYPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=A_DTYPE
// A_DTYPE-NOT: Traceback
// A_DTYPE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: a_dtype must be one of f16, bf16, f8e4m3, f8e5m2, got 'f32'{{$}}
// A_DTYPE-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f32", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- B_DTYPE
// B operand dtype
// RUN: awk -v c=B_DTYPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=B_DTYPE
// B_DTYPE-NOT: Traceback
// B_DTYPE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: b_dtype must be one of f16, bf16, f8e4m3, f8e5m2, got 'i8'{{$}}
// B_DTYPE-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "i8", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- MIXED_WIDTH
// 8-bit A with 16-bit B
// RUN: awk -v c=MIXED_WIDTH 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MIXED_WIDTH
// MIXED_WIDTH-NOT: Traceback
// MIXED_WIDTH: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: a_dtype and b_dtype must both be 8-bit or both be 16-bit{{$}}
// MIXED_WIDTH-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f8e4m3", b_dtype = "bf16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- C_DTYPE
// output dtype
// RUN: awk -v c=C_DTYPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=C_DTYPE
// C_DTYPE-NOT: Traceback
// C_DTYPE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: c_dtype must be one of f16, bf16, got 'f32'{{$}}
// C_DTYPE-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f32", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- ACC_DTYPE
// accumulator dtype
// RUN: awk -v c=ACC_DTYPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ACC_DTYPE
// ACC_DTYPE-NOT: Traceback
// ACC_DTYPE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: acc_dtype must be 'f32', got 'f16'{{$}}
// ACC_DTYPE-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f16", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- TILE_RANK
// tile needs three sizes
// RUN: awk -v c=TILE_RANK 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TILE_RANK
// TILE_RANK-NOT: Traceback
// TILE_RANK: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: tile must be three positive sizes [m, n, k], got [128, 128]{{$}}
// TILE_RANK-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- TILE_ZERO
// tile sizes must be positive
// RUN: awk -v c=TILE_ZERO 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TILE_ZERO
// TILE_ZERO-NOT: Traceback
// TILE_ZERO: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: tile must be three positive sizes [m, n, k], got [128, 0, 64]{{$}}
// TILE_ZERO-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 0, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- CLUSTER_SHAPE
// unsupported cluster shape
// RUN: awk -v c=CLUSTER_SHAPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=CLUSTER_SHAPE
// CLUSTER_SHAPE-NOT: Traceback
// CLUSTER_SHAPE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: cluster must be one of [1, 1], [2, 1], [1, 2], [2, 2], got [4, 1]{{$}}
// CLUSTER_SHAPE-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 4, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- CLUSTER_RANK
// cluster needs two sizes
// RUN: awk -v c=CLUSTER_RANK 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=CLUSTER_RANK
// CLUSTER_RANK-NOT: Traceback
// CLUSTER_RANK: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: cluster must be one of [1, 1], [2, 1], [1, 2], [2, 2], got [2, 1, 1]{{$}}
// CLUSTER_RANK-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 2, 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- PROBLEM_ZERO
// problem sizes are positive or -1
// RUN: awk -v c=PROBLEM_ZERO 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PROBLEM_ZERO
// PROBLEM_ZERO-NOT: Traceback
// PROBLEM_ZERO: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: problem must be [M, N, K] with positive sizes or -1 (dynamic), got [256, 0, 256]{{$}}
// PROBLEM_ZERO-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 0, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- PROBLEM_NEGATIVE
// -1 is the only negative size
// RUN: awk -v c=PROBLEM_NEGATIVE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PROBLEM_NEGATIVE
// PROBLEM_NEGATIVE-NOT: Traceback
// PROBLEM_NEGATIVE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: problem must be [M, N, K] with positive sizes or -1 (dynamic), got [-2, 256, 256]{{$}}
// PROBLEM_NEGATIVE-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: -2, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- PROBLEM_RANK
// problem needs three sizes
// RUN: awk -v c=PROBLEM_RANK 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PROBLEM_RANK
// PROBLEM_RANK-NOT: Traceback
// PROBLEM_RANK: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: problem must be [M, N, K] with positive sizes or -1 (dynamic), got [256, 256]{{$}}
// PROBLEM_RANK-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- A_MAJOR
// A must be K-major
// RUN: awk -v c=A_MAJOR 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=A_MAJOR
// A_MAJOR-NOT: Traceback
// A_MAJOR: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: a_major must be 'k', got 'mn'{{$}}
// A_MAJOR-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "mn", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- B_MAJOR
// B is K-major or MN-major
// RUN: awk -v c=B_MAJOR 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=B_MAJOR
// B_MAJOR-NOT: Traceback
// B_MAJOR: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: b_major must be 'k' or 'mn', got 'n'{{$}}
// B_MAJOR-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "n"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- B_MAJOR_FP8
// 8-bit B cannot be MN-major
// RUN: awk -v c=B_MAJOR_FP8 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=B_MAJOR_FP8
// B_MAJOR_FP8-NOT: Traceback
// B_MAJOR_FP8: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: 8-bit B must be K-major (b_major = 'k'){{$}}
// B_MAJOR_FP8-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f8e5m2", b_dtype = "f8e5m2", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "mn"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- RASTER
// the persistent schedule walks tiles along M or along N
// RUN: awk -v c=RASTER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=RASTER
// RASTER-NOT: Traceback
// RASTER: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: raster must be 'm' or 'n', got 'k'{{$}}
// RASTER-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k", raster = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- MAINLOOP_NOT_ALONE
// a mainloop role must be the only role
// RUN: awk -v c=MAINLOOP_NOT_ALONE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MAINLOOP_NOT_ALONE
// MAINLOOP_NOT_ALONE-NOT: Traceback
// MAINLOOP_NOT_ALONE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: a 'mainloop' role (shared producer/consumer warps) must be the only role{{$}}
// MAINLOOP_NOT_ALONE-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "mainloop" warps(8) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- ROLES_MISSING
// a consumer role is missing
// RUN: awk -v c=ROLES_MISSING 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLES_MISSING
// ROLES_MISSING-NOT: Traceback
// ROLES_MISSING: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: needs exactly one 'producer' and one 'consumer' role, got ['producer']{{$}}
// ROLES_MISSING-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
}

// ----- ROLES_DUPLICATE
// two producer roles
// RUN: awk -v c=ROLES_DUPLICATE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLES_DUPLICATE
// ROLES_DUPLICATE-NOT: Traceback
// ROLES_DUPLICATE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: needs exactly one 'producer' and one 'consumer' role, got ['producer', 'consumer', 'producer']{{$}}
// ROLES_DUPLICATE-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
  pipe.role "producer" warps(1) {
  ^bb0:
  }
}

// ----- ROLES_NONE
// no role at all
// RUN: awk -v c=ROLES_NONE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLES_NONE
// ROLES_NONE-NOT: Traceback
// ROLES_NONE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: needs exactly one 'producer' and one 'consumer' role, got []{{$}}
// ROLES_NONE-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
}

// ----- PIPELINE_NONE
// no pipe.pipeline
// RUN: awk -v c=PIPELINE_NONE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PIPELINE_NONE
// PIPELINE_NONE-NOT: Traceback
// PIPELINE_NONE: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: needs exactly one 'pipe.pipeline', got 0{{$}}
// PIPELINE_NONE-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- PIPELINE_TWO
// two pipe.pipeline ops
// RUN: awk -v c=PIPELINE_TWO 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PIPELINE_TWO
// PIPELINE_TWO-NOT: Traceback
// PIPELINE_TWO: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.kernel' @k: needs exactly one 'pipe.pipeline', got 2{{$}}
// PIPELINE_TWO-NOT: {{.}}
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  %q = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}
