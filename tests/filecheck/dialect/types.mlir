// !pipe.pipeline and !pipe.state are ordinary SSA types: they round-trip in
// function signatures, block arguments, call and scf.if results, outside any
// kernel. (pipe.advance is pure and needs no kernel; the stage events do.)

// RUN: pipeir-opt %s | pipeir-opt | filecheck %s
// RUN: pipeir-opt %s --print-op-generic | pipeir-opt | filecheck %s
// RUN: pipeir-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC

func.func private @issue(!pipe.pipeline, !pipe.state) -> !pipe.state

func.func @skip_or_issue(%ring: !pipe.pipeline, %state: !pipe.state, %skip: i1) -> (!pipe.state, !pipe.state) {
  %next = pipe.advance %state
  %after = scf.if %skip -> (!pipe.state) {
    scf.yield %state : !pipe.state
  } else {
    %issued = func.call @issue(%ring, %state) : (!pipe.pipeline, !pipe.state) -> !pipe.state
    scf.yield %issued : !pipe.state
  }
  func.return %next, %after : !pipe.state, !pipe.state
}

// CHECK:      func.func private @issue(!pipe.pipeline, !pipe.state) -> !pipe.state
// CHECK-NEXT: func.func @skip_or_issue(%ring: !pipe.pipeline, %state: !pipe.state, %skip: i1) -> (!pipe.state, !pipe.state) {
// CHECK-NEXT:   %next = pipe.advance %state
// CHECK-NEXT:   %after = scf.if %skip -> (!pipe.state) {
// CHECK-NEXT:     scf.yield %state : !pipe.state
// CHECK-NEXT:   } else {
// CHECK-NEXT:     %issued = func.call @issue(%ring, %state) : (!pipe.pipeline, !pipe.state) -> !pipe.state
// CHECK-NEXT:     scf.yield %issued : !pipe.state
// CHECK-NEXT:   }
// CHECK-NEXT:   func.return %next, %after : !pipe.state, !pipe.state
// CHECK-NEXT: }

// GENERIC:      "func.func"() <{sym_name = "issue", function_type = (!pipe.pipeline, !pipe.state) -> !pipe.state, sym_visibility = "private"}>
// GENERIC:      "func.func"() <{sym_name = "skip_or_issue", function_type = (!pipe.pipeline, !pipe.state, i1) -> (!pipe.state, !pipe.state)}>
// GENERIC-NEXT: ^bb0(%ring: !pipe.pipeline, %state: !pipe.state, %skip: i1):
// GENERIC-NEXT:   %next = "pipe.advance"(%state) : (!pipe.state) -> !pipe.state
// GENERIC:        }) : (i1) -> !pipe.state
// GENERIC-NEXT:   "func.return"(%next, %after) : (!pipe.state, !pipe.state) -> ()
