"""The frame every target's generated kernel module shares: its docstring, imports,
module constants (the collectives), the role functions generated from the IR, the
`@cute.kernel` that builds the collectives' device views and dispatches the warps, the
`@cute.jit` host function and the compile entry points. A target's kernel module
(pipeir/lower/cute/<arch>/kernel.py) supplies only what differs: its summary line, its
role functions, its warp dispatch and its host call."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

from pipeir.dialects import epi, pipe
from pipeir.lower.cute.collectives import Collective
from pipeir.lower.cute.emit import ROLE_ARGUMENTS, RoleEmitter, lowering_error
from pipeir.lower.cute.epilogue_operands import operand_param
from pipeir.target import ConfigError, GatedActivation, target_for


def printable_symbol(name: str) -> str:
    """`name` as MLIR prints a symbol: bare when it is an identifier, else quoted with every
    quote and backslash escaped (so it cannot end the generated docstring)."""
    return name if name.isidentifier() else json.dumps(name)


def role_function(role: pipe.RoleOp, emitter: RoleEmitter | None = None) -> list[str]:
    """The role's `@cute.jit` function, after the epilogue bodies it calls (`emitter`: the
    walk to use, when the caller reads the names it gives those bodies)."""
    kind = role.kind.data
    emitter = emitter or RoleEmitter(role)
    body = emitter.lower()
    bodies = []
    for source, name in emitter.epilogue_functions.items():
        bodies += [source.replace("{name}", name), "", ""]
    return [
        *bodies,
        "@cute.jit",
        f"def {kind}({', '.join(ROLE_ARGUMENTS)}):",
        f'    """`pipe.role "{kind}" warps({role.warps.value.data})`."""',
        *body,
    ]


def kernel_signature(parts: dict[str, Collective]) -> list[str]:
    lines = []
    for constant, collective in parts.items():
        if collective.KERNEL_PARAMS:
            lines.append(f"    # {constant.lower()}: {type(collective).__name__}")
            lines += [f"    {name}: {annotation}," for name, annotation in collective.KERNEL_PARAMS]
    return lines


def params(collective: Collective) -> str:
    return ", ".join(name for name, _ in collective.KERNEL_PARAMS)


def roles_of(kernel: pipe.KernelOp) -> dict[str, pipe.RoleOp]:
    """The kernel's roles by kind; a kernel whose producer and consumer share warps (a
    `mainloop` role) is refused at that role: no target lowers it."""
    roles = {role.kind.data: role for role in kernel.roles}
    if "mainloop" in roles:
        raise lowering_error(
            roles["mainloop"],
            "kernels whose producer and consumer share warps are not lowered; build the "
            "warp-specialized form",
        )
    return roles


def epilogue_operands(kernel: pipe.KernelOp) -> tuple[tuple[str, str, str], ...]:
    """(name, broadcast, dtype) of the kernel's epilogue operands (`epi.operand`), in the
    order it takes them after C: the epilogue collective's `operands`."""
    return tuple((op.operand_name, str(op.broadcast_kind), op.dtype_name) for op in epi.declared_operands(kernel))


def gated_epilogue(kernel: pipe.KernelOp) -> bool:
    """Whether the kernel's epilogue gates column pairs (`epi.swiglu`): its C has half the
    product's columns. Refused with the op's location where the target has no such store
    (`target.GATED_EPILOGUE`) or the kernel is swap_ab (the target's rule, `check_gated`)."""
    gate = epi.gate_of(kernel)
    if gate is None:
        return False
    try:
        gated_spec = dataclasses.replace(kernel.spec, activation=str(GatedActivation.SWIGLU))
        target_for(kernel.spec.arch).check_gated(gated_spec)
    except ConfigError as error:
        raise lowering_error(gate, str(error)) from None
    return True


def host_operands(kernel: pipe.KernelOp) -> tuple[str, str]:
    """The epilogue operands of the host function, after mC: its parameters, and the
    arguments it passes on (`EPILOGUE.kernel_params(mC, ...)`)."""
    names = [operand_param(name) for name, _, _ in epilogue_operands(kernel)]
    return "".join(f", {name}: cute.Tensor" for name in names), "".join(f", {name}" for name in names)


def generated_module(kernel: pipe.KernelOp, parts: dict[str, Collective], summary: Sequence[str],
                     roles: Sequence[Sequence[str]], dispatch: Sequence[str], host: Sequence[str]) -> str:
    """The kernel module's source: `summary` lines in its docstring, the role functions
    `roles`, the warps' `dispatch` inside gemm_kernel (after the device views, the
    barriers' initialisation and `warp = ROLES.warp()`), and the `host` function's lines.
    Checked to be valid Python, so a generator bug shows here and not on the GPU."""
    spec = kernel.spec
    fused = any(op.computation is not None for op in kernel.walk() if isinstance(op, pipe.EpilogueOp))
    problem = tuple(None if d == pipe.DYNAMIC else d for d in kernel.product_shape)
    lines = [
        f'"""Generated by pipeir from `pipe.kernel @{printable_symbol(spec.name)}` -- do not edit.',
        "",
        *summary,
        '"""',
        "",
        "import cuda.bindings.driver as cuda",
        "",
        "import cutlass",
        "import cutlass.cute as cute",
        "",
        "from pipeir.lower.cute.host import compile_gemm, fake_gemm_arguments",
        *sorted({type(c).import_line() for c in parts.values()}),
        *(["from pipeir.lower.cute import epilogue_math"] if fused else []),
        "",
        f"PROBLEM = {problem}  # (M, N, K); None: known at run time",
        *[f"{constant} = {collective.constructor()}" for constant, collective in parts.items()],
    ]
    for role in roles:
        lines += ["", "", *role]
    lines += [
        "",
        "",
        "@cute.kernel",
        "def gemm_kernel(",
        *kernel_signature(parts),
        "):",
        "    smem = cutlass.memory.SmemAllocator()",
        f"    mainloop = MAINLOOP.device(smem, {params(parts['MAINLOOP'])})",
        f"    epilogue = EPILOGUE.device(smem, {params(parts['EPILOGUE'])})",
        f"    scheduler = SCHEDULER.device({', '.join(parts['SCHEDULER'].DEVICE_ARGUMENTS)})",
        "    ROLES.barriers_initialised()",
        "    ROLES.cluster_sync()",
        "    warp = ROLES.warp()",
        *dispatch,
        "",
        "",
        "@cute.jit",
        *host,
        "",
        "",
        "def make_fake_args():",
        '    """Shape-only arguments for cute.compile (no GPU needed)."""',
        f"    return fake_gemm_arguments(MAINLOOP, EPILOGUE, PROBLEM{', SCHEDULER' if parts['SCHEDULER'].KERNEL_PARAMS else ''})",
        "",
        "",
        'def compile_kernel(options="--enable-tvm-ffi", extra_options=""):',
        "    return compile_gemm(gemm_host, make_fake_args(), options, extra_options)",
    ]
    source = "\n".join(lines) + "\n"
    compile(source, f"<pipeir {spec.name}>", "exec")
    return source
