// Verifier errors: pipeline events in the wrong role; ops outside a role or a kernel.
//
// pipeir-opt stops at the first error, so `--split-input-file` would check only
// the first case (and report chunk-relative lines). Instead each case is a
// `// ----- LABEL` section whose RUN line feeds pipeir-opt this file with every
// other section blanked out (awk), so line numbers stay those of this file: each
// check pins the error's line and column as well as its message, and that the
// error is the only line printed (no Python traceback).
// The verify-errors-*.mlir files together cover every verifier rule of
// pipeir/dialects/pipe.py.

// ----- ACQUIRE_IN_CONSUMER
// pipe.acquire is a producer event
// RUN: awk -v c=ACQUIRE_IN_CONSUMER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ACQUIRE_IN_CONSUMER
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %s = pipe.init_state %p index(0) phase(0)
// ACQUIRE_IN_CONSUMER-NOT: Traceback
// ACQUIRE_IN_CONSUMER: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.acquire' is a producer event but sits in a 'consumer' role (allowed roles: producer, mainloop){{$}}
// ACQUIRE_IN_CONSUMER-NOT: {{.}}
    pipe.acquire %p[%s]
  }
}

// ----- COMMIT_IN_CONSUMER
// pipe.commit is a producer event
// RUN: awk -v c=COMMIT_IN_CONSUMER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=COMMIT_IN_CONSUMER
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %s = pipe.init_state %p index(0) phase(0)
// COMMIT_IN_CONSUMER-NOT: Traceback
// COMMIT_IN_CONSUMER: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.commit' is a producer event but sits in a 'consumer' role (allowed roles: producer, mainloop){{$}}
// COMMIT_IN_CONSUMER-NOT: {{.}}
    pipe.commit %p[%s]
  }
}

// ----- TAIL_IN_CONSUMER
// pipe.producer_tail is a producer event
// RUN: awk -v c=TAIL_IN_CONSUMER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TAIL_IN_CONSUMER
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %s = pipe.init_state %p index(0) phase(0)
// TAIL_IN_CONSUMER-NOT: Traceback
// TAIL_IN_CONSUMER: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.producer_tail' is a producer event but sits in a 'consumer' role (allowed roles: producer, mainloop){{$}}
// TAIL_IN_CONSUMER-NOT: {{.}}
    pipe.producer_tail %p[%s]
  }
}

// ----- WAIT_IN_PRODUCER
// pipe.wait is a consumer event
// RUN: awk -v c=WAIT_IN_PRODUCER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=WAIT_IN_PRODUCER
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %s = pipe.init_state %p index(0) phase(0)
// WAIT_IN_PRODUCER-NOT: Traceback
// WAIT_IN_PRODUCER: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.wait' is a consumer event but sits in a 'producer' role (allowed roles: consumer, mainloop){{$}}
// WAIT_IN_PRODUCER-NOT: {{.}}
    pipe.wait %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- MMA_IN_PRODUCER
// pipe.mma is a consumer event
// RUN: awk -v c=MMA_IN_PRODUCER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MMA_IN_PRODUCER
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %s = pipe.init_state %p index(0) phase(0)
// MMA_IN_PRODUCER-NOT: Traceback
// MMA_IN_PRODUCER: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.mma' is a consumer event but sits in a 'producer' role (allowed roles: consumer, mainloop){{$}}
// MMA_IN_PRODUCER-NOT: {{.}}
    pipe.mma %p[%s]
    pipe.mma_wait pending(0)
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- RELEASE_IN_PRODUCER
// pipe.release is a consumer event
// RUN: awk -v c=RELEASE_IN_PRODUCER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=RELEASE_IN_PRODUCER
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %s = pipe.init_state %p index(0) phase(0)
// RELEASE_IN_PRODUCER-NOT: Traceback
// RELEASE_IN_PRODUCER: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.release' is a consumer event but sits in a 'producer' role (allowed roles: consumer, mainloop){{$}}
// RELEASE_IN_PRODUCER-NOT: {{.}}
    pipe.release %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- ACC_INIT_IN_PRODUCER
// the accumulators belong to the consumer
// RUN: awk -v c=ACC_INIT_IN_PRODUCER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ACC_INIT_IN_PRODUCER
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
// ACC_INIT_IN_PRODUCER-NOT: Traceback
// ACC_INIT_IN_PRODUCER: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.acc_init' is a consumer event but sits in a 'producer' role (allowed roles: consumer, mainloop){{$}}
// ACC_INIT_IN_PRODUCER-NOT: {{.}}
    pipe.acc_init
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- EPILOGUE_IN_PRODUCER
// the epilogue belongs to the consumer
// RUN: awk -v c=EPILOGUE_IN_PRODUCER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=EPILOGUE_IN_PRODUCER
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
// EPILOGUE_IN_PRODUCER-NOT: Traceback
// EPILOGUE_IN_PRODUCER: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.epilogue' is a consumer event but sits in a 'producer' role (allowed roles: consumer, mainloop){{$}}
// EPILOGUE_IN_PRODUCER-NOT: {{.}}
    pipe.epilogue %c0, %c0 masked(false)
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- ACQUIRE_OUTSIDE_ROLE
// stage events run in a role, not in the kernel body
// RUN: awk -v c=ACQUIRE_OUTSIDE_ROLE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ACQUIRE_OUTSIDE_ROLE
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
  %s = pipe.init_state %p index(0) phase(1)
// ACQUIRE_OUTSIDE_ROLE-NOT: Traceback
// ACQUIRE_OUTSIDE_ROLE: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.acquire' must be inside a 'pipe.role'{{$}}
// ACQUIRE_OUTSIDE_ROLE-NOT: {{.}}
  pipe.acquire %p[%s]
}

// ----- WAIT_OUTSIDE_KERNEL
// a pipe.wait in a plain function
// RUN: awk -v c=WAIT_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=WAIT_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// WAIT_OUTSIDE_KERNEL-NOT: Traceback
// WAIT_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.wait' must be inside a 'pipe.role'{{$}}
// WAIT_OUTSIDE_KERNEL-NOT: {{.}}
  pipe.wait %p[%s]
  func.return
}

// ----- ACC_INIT_OUTSIDE_KERNEL
// a pipe.acc_init in a plain function
// RUN: awk -v c=ACC_INIT_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ACC_INIT_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// ACC_INIT_OUTSIDE_KERNEL-NOT: Traceback
// ACC_INIT_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.acc_init' must be inside a 'pipe.role'{{$}}
// ACC_INIT_OUTSIDE_KERNEL-NOT: {{.}}
  pipe.acc_init
  func.return
}

// ----- CLUSTER_RANK_OUTSIDE_KERNEL
// pipe.cta_rank_in_cluster reads the kernel's configuration
// RUN: awk -v c=CLUSTER_RANK_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=CLUSTER_RANK_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// CLUSTER_RANK_OUTSIDE_KERNEL-NOT: Traceback
// CLUSTER_RANK_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.cta_rank_in_cluster' must be nested inside a 'pipe.kernel'{{$}}
// CLUSTER_RANK_OUTSIDE_KERNEL-NOT: {{.}}
  %r = pipe.cta_rank_in_cluster
  func.return
}

// ----- K_TILE_COUNT_OUTSIDE_KERNEL
// pipe.k_tile_count reads the kernel's configuration
// RUN: awk -v c=K_TILE_COUNT_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=K_TILE_COUNT_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// K_TILE_COUNT_OUTSIDE_KERNEL-NOT: Traceback
// K_TILE_COUNT_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.k_tile_count' must be nested inside a 'pipe.kernel'{{$}}
// K_TILE_COUNT_OUTSIDE_KERNEL-NOT: {{.}}
  %r = pipe.k_tile_count
  func.return
}

// ----- WORK_TILE_COUNT_OUTSIDE_KERNEL
// pipe.work_tile_count reads the kernel's configuration
// RUN: awk -v c=WORK_TILE_COUNT_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=WORK_TILE_COUNT_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// WORK_TILE_COUNT_OUTSIDE_KERNEL-NOT: Traceback
// WORK_TILE_COUNT_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.work_tile_count' must be nested inside a 'pipe.kernel'{{$}}
// WORK_TILE_COUNT_OUTSIDE_KERNEL-NOT: {{.}}
  %r = pipe.work_tile_count
  func.return
}

// ----- FIRST_WORK_TILE_OUTSIDE_KERNEL
// pipe.first_work_tile reads the kernel's configuration
// RUN: awk -v c=FIRST_WORK_TILE_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=FIRST_WORK_TILE_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// FIRST_WORK_TILE_OUTSIDE_KERNEL-NOT: Traceback
// FIRST_WORK_TILE_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.first_work_tile' must be nested inside a 'pipe.kernel'{{$}}
// FIRST_WORK_TILE_OUTSIDE_KERNEL-NOT: {{.}}
  %r = pipe.first_work_tile
  func.return
}

// ----- WORK_TILE_STRIDE_OUTSIDE_KERNEL
// pipe.work_tile_stride reads the kernel's configuration
// RUN: awk -v c=WORK_TILE_STRIDE_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=WORK_TILE_STRIDE_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// WORK_TILE_STRIDE_OUTSIDE_KERNEL-NOT: Traceback
// WORK_TILE_STRIDE_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.work_tile_stride' must be nested inside a 'pipe.kernel'{{$}}
// WORK_TILE_STRIDE_OUTSIDE_KERNEL-NOT: {{.}}
  %r = pipe.work_tile_stride
  func.return
}

// ----- TILE_COORDS_OUTSIDE_KERNEL
// pipe.tile_coords reads the kernel's configuration
// RUN: awk -v c=TILE_COORDS_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TILE_COORDS_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// TILE_COORDS_OUTSIDE_KERNEL-NOT: Traceback
// TILE_COORDS_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.tile_coords' must be nested inside a 'pipe.kernel'{{$}}
// TILE_COORDS_OUTSIDE_KERNEL-NOT: {{.}}
  %m, %n = pipe.tile_coords %i
  func.return
}

// ----- K_TILE_FITS_OUTSIDE_KERNEL
// pipe.k_tile_fits reads the kernel's configuration
// RUN: awk -v c=K_TILE_FITS_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=K_TILE_FITS_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// K_TILE_FITS_OUTSIDE_KERNEL-NOT: Traceback
// K_TILE_FITS_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.k_tile_fits' must be nested inside a 'pipe.kernel'{{$}}
// K_TILE_FITS_OUTSIDE_KERNEL-NOT: {{.}}
  %r = pipe.k_tile_fits %i
  func.return
}

// ----- K_TILE_FULL_OUTSIDE_KERNEL
// pipe.k_tile_full reads the kernel's configuration
// RUN: awk -v c=K_TILE_FULL_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=K_TILE_FULL_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// K_TILE_FULL_OUTSIDE_KERNEL-NOT: Traceback
// K_TILE_FULL_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.k_tile_full' must be nested inside a 'pipe.kernel'{{$}}
// K_TILE_FULL_OUTSIDE_KERNEL-NOT: {{.}}
  %r = pipe.k_tile_full %i
  func.return
}

// ----- MN_TILE_FULL_OUTSIDE_KERNEL
// pipe.mn_tile_full reads the kernel's configuration
// RUN: awk -v c=MN_TILE_FULL_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MN_TILE_FULL_OUTSIDE_KERNEL
func.func @f(%p: !pipe.pipeline, %s: !pipe.state, %i: index) {
// MN_TILE_FULL_OUTSIDE_KERNEL-NOT: Traceback
// MN_TILE_FULL_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.mn_tile_full' must be nested inside a 'pipe.kernel'{{$}}
// MN_TILE_FULL_OUTSIDE_KERNEL-NOT: {{.}}
  %r = pipe.mn_tile_full %i, %i
  func.return
}
