// The optional `raster` property survives printing and re-parsing in both forms,
// and a kernel without it prints without it (raster along M is the default).
// RUN: pipeir-opt %s | pipeir-opt | filecheck %s
// RUN: pipeir-opt %s --print-op-generic | pipeir-opt | filecheck %s

// CHECK-LABEL: pipe.kernel @along_n attributes {
// CHECK-SAME:    b_major = #pipe<major k>, raster = #pipe<raster n>} {
pipe.kernel @along_n attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>, raster = #pipe<raster n>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// CHECK-LABEL: pipe.kernel @default_order attributes {
// CHECK-SAME:    b_major = #pipe<major k>} {
pipe.kernel @default_order attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// The optional `swap_ab` unit property (the kernel computes C^T = B @ A^T) survives
// printing and re-parsing in both forms.
// CHECK-LABEL: pipe.kernel @swapped attributes {
// CHECK-SAME:    problem = array<i64: 4096, -1, 4096>
// CHECK-SAME:    swap_ab} {
pipe.kernel @swapped attributes {arch = #pipe<arch sm_90a>, a_dtype = bf16, b_dtype = bf16, c_dtype = bf16, tile = array<i64: 128, 32, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 4096, -1, 4096>, a_major = #pipe<major k>, b_major = #pipe<major k>, swap_ab} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}
