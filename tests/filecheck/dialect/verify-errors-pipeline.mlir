// Verifier errors of pipe.pipeline, pipe.role and pipe.init_state.
//
// pipeir-opt stops at the first error, so `--split-input-file` would check only
// the first case (and report chunk-relative lines). Instead each case is a
// `// ----- LABEL` section whose RUN line feeds pipeir-opt this file with every
// other section blanked out (awk), so line numbers stay those of this file: each
// check pins the error's line and column as well as its message, and that the
// error is the only line printed (no Python traceback).
// The verify-errors-*.mlir files together cover every verifier rule of
// pipeir/dialects/pipe.py.

// ----- STAGES_LOW
// at least one stage
// RUN: awk -v c=STAGES_LOW 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=STAGES_LOW
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
// STAGES_LOW-NOT: Traceback
// STAGES_LOW: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.pipeline': stages must be in 1..12, got 0{{$}}
// STAGES_LOW-NOT: {{.}}
  %p = pipe.pipeline stages(0) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- STAGES_HIGH
// at most twelve stages
// RUN: awk -v c=STAGES_HIGH 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=STAGES_HIGH
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
// STAGES_HIGH-NOT: Traceback
// STAGES_HIGH: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.pipeline': stages must be in 1..12, got 13{{$}}
// STAGES_HIGH-NOT: {{.}}
  %p = pipe.pipeline stages(13) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- PRODUCER_NOT_TMA
// the ring is filled by TMA
// RUN: awk -v c=PRODUCER_NOT_TMA 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PRODUCER_NOT_TMA
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
// PRODUCER_NOT_TMA-NOT: Traceback
// PRODUCER_NOT_TMA: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.pipeline': producer must be 'tma', got 'cp_async'{{$}}
// PRODUCER_NOT_TMA-NOT: {{.}}
  %p = pipe.pipeline stages(4) "cp_async" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- HOLDS_ONE
// a stage holds both operands
// RUN: awk -v c=HOLDS_ONE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=HOLDS_ONE
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
// HOLDS_ONE-NOT: Traceback
// HOLDS_ONE: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.pipeline': holds must be ["a", "b"], got ['a']{{$}}
// HOLDS_ONE-NOT: {{.}}
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- HOLDS_ORDER
// holds lists A then B
// RUN: awk -v c=HOLDS_ORDER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=HOLDS_ORDER
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
// HOLDS_ORDER-NOT: Traceback
// HOLDS_ORDER: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.pipeline': holds must be ["a", "b"], got ['b', 'a']{{$}}
// HOLDS_ORDER-NOT: {{.}}
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["b", "a"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- CONSUMER_SM90
// sm_90a drains the ring with wgmma
// RUN: awk -v c=CONSUMER_SM90 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=CONSUMER_SM90
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
// CONSUMER_SM90-NOT: Traceback
// CONSUMER_SM90: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.pipeline': consumer 'umma' does not run on sm_90a (expected 'wgmma'){{$}}
// CONSUMER_SM90-NOT: {{.}}
  %p = pipe.pipeline stages(4) "tma" -> "umma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- CONSUMER_SM100
// sm_100a drains the ring with umma
// RUN: awk -v c=CONSUMER_SM100 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=CONSUMER_SM100
pipe.kernel @k attributes {arch = "sm_100a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
// CONSUMER_SM100-NOT: Traceback
// CONSUMER_SM100: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.pipeline': consumer 'wgmma' does not run on sm_100a (expected 'umma'){{$}}
// CONSUMER_SM100-NOT: {{.}}
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- STAGE_BYTES
// stage_bytes = tile_k * (tile_m * bytes(A) + tile_n * bytes(B))
// RUN: awk -v c=STAGE_BYTES 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=STAGE_BYTES
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
// STAGE_BYTES-NOT: Traceback
// STAGE_BYTES: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.pipeline': stage_bytes (16384) must equal the A and B tile bytes of the kernel's tile shape (32768){{$}}
// STAGE_BYTES-NOT: {{.}}
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(16384) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- MCAST
// mcast is [cluster_n, cluster_m]
// RUN: awk -v c=MCAST 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MCAST
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 2, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
// MCAST-NOT: Traceback
// MCAST: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.pipeline': mcast must be [cluster_n, cluster_m] = [1, 2] for cluster 2x1, got [2, 1]{{$}}
// MCAST-NOT: {{.}}
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 2, 1>}
  pipe.role "producer" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- ROLE_KIND
// unknown role kind (reported by the role, not as a role count)
// RUN: awk -v c=ROLE_KIND 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLE_KIND
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
// ROLE_KIND-NOT: Traceback
// ROLE_KIND: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.role': kind must be one of producer, consumer, mainloop, got 'loader'{{$}}
// ROLE_KIND-NOT: {{.}}
  pipe.role "loader" warps(1) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- ROLE_WARPS
// a role runs on at least one warp
// RUN: awk -v c=ROLE_WARPS 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLE_WARPS
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
// ROLE_WARPS-NOT: Traceback
// ROLE_WARPS: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.role' producer: warps must be positive, got 0{{$}}
// ROLE_WARPS-NOT: {{.}}
  pipe.role "producer" warps(0) {
  ^bb0:
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- ROLE_OUTSIDE_KERNEL
// pipe.role lives in a pipe.kernel
// RUN: awk -v c=ROLE_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLE_OUTSIDE_KERNEL
// ROLE_OUTSIDE_KERNEL-NOT: Traceback
// ROLE_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.role' expects parent op 'pipe.kernel'{{$}}
// ROLE_OUTSIDE_KERNEL-NOT: {{.}}
pipe.role "producer" warps(1) {
^bb0:
}

// ----- PIPELINE_OUTSIDE_KERNEL
// pipe.pipeline lives in a pipe.kernel
// RUN: awk -v c=PIPELINE_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PIPELINE_OUTSIDE_KERNEL
// PIPELINE_OUTSIDE_KERNEL-NOT: Traceback
// PIPELINE_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.pipeline' expects parent op 'pipe.kernel'{{$}}
// PIPELINE_OUTSIDE_KERNEL-NOT: {{.}}
%p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}

// ----- INIT_INDEX
// the first stage index is below the stage count
// RUN: awk -v c=INIT_INDEX 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=INIT_INDEX
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
// INIT_INDEX-NOT: Traceback
// INIT_INDEX: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.init_state': stage index 4 is out of range for a 4-stage pipeline{{$}}
// INIT_INDEX-NOT: {{.}}
    %s = pipe.init_state %p index(4) phase(1)
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}

// ----- INIT_PHASE
// a phase is one bit
// RUN: awk -v c=INIT_PHASE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=INIT_PHASE
pipe.kernel @k attributes {arch = "sm_90a", a_dtype = "f16", b_dtype = "f16", c_dtype = "f16", acc_dtype = "f32", tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = "k", b_major = "k"} {
  %p = pipe.pipeline stages(4) "tma" -> "wgmma" holds ["a", "b"] bytes(32768) {mcast = array<i64: 1, 1>}
  pipe.role "producer" warps(1) {
// INIT_PHASE-NOT: Traceback
// INIT_PHASE: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.init_state': phase must be 0 or 1, got 2{{$}}
// INIT_PHASE-NOT: {{.}}
    %s = pipe.init_state %p index(0) phase(2)
  }
  pipe.role "consumer" warps(8) {
  ^bb0:
  }
}
