"""The sm_100a GEMM kernel module: the collectives configured from the kernel's spec,
the `@cute.jit` role functions generated from the IR, and the wiring.

    C[M, N] = A[M, K] @ B^T      A: (M, K) K-major; B: (N, K) K-major or (K, N);
                                 C: (M, N) row-major; fp32 accumulation in TMEM

The consumer role has two parties on Blackwell, each with its own persistent tile loop
(role-local scheduling): the MMA warp runs the whole role (`consumer`: its ring and K ops
issue UMMAs, its `pipe.epilogue` hands the accumulator over), and the epilogue warps run
the role's epilogue ops only (`consumer_epilogue`: the role with the ops of the mainloop,
and the loops and branches that hold nothing else, left out). Both are generated from
the same IR, so the two loops walk the same tiles in the same order.

Verified by compilation and static SASS only: no Blackwell GPU has run these kernels.
"""

from __future__ import annotations

from xdsl.dialects import scf
from xdsl.ir import Operation

from pipeir.dialects import pipe
from pipeir.lower.cute.collectives import Collective
from pipeir.lower.cute.emit import ROLE_ARGUMENTS, RoleEmitter, lowering_error
from pipeir.lower.cute.module import (
    epilogue_operands, gated_epilogue, generated_module, host_operands, role_function, roles_of,
)
from pipeir.lower.cute.schedulers import StaticPersistentScheduler
from pipeir.lower.cute.sm100.epilogue_tmem_tma_store import TmemTmaStoreEpilogue
from pipeir.lower.cute.sm100.mainloop_tma_umma import TmaUmmaMainloop
from pipeir.lower.cute.sm100.warp_specialized import WarpSpecializedRoles
from pipeir.target import target_for


def collectives(kernel: pipe.KernelOp) -> dict[str, Collective]:
    """The kernel's collectives, configured from its spec and roles, by module constant."""
    spec = kernel.spec
    target = target_for(spec.arch)
    roles = roles_of(kernel)
    epilogue_warps = roles["consumer"].warps.value.data
    return {
        "ROLES": WarpSpecializedRoles(
            producer_warps=roles["producer"].warps.value.data,
            mma_warps=target.MMA_WARPS,
            epilogue_warps=epilogue_warps,
            cluster=spec.cluster_shape,
        ),
        "MAINLOOP": TmaUmmaMainloop.of(
            spec, accumulator_stages=target.ACCUMULATOR_STAGES, epilogue_warps=epilogue_warps),
        "EPILOGUE": TmemTmaStoreEpilogue(
            c_dtype=spec.c_dtype,
            tile=spec.tile_shape,
            two_cta=target.two_cta(spec),
            epi_tile=target.epilogue_tile(spec),
            stages=target.epilogue_stages(spec),
            epilogue_warps=epilogue_warps,
            operands=epilogue_operands(kernel),
            gated=gated_epilogue(kernel),  # refused: sm_100a has no half-width store yet
        ),
        "SCHEDULER": StaticPersistentScheduler.of(spec, target),
    }


NO_STATE = "<a pipeline state of the MMA warp>"


class EpilogueProjection(RoleEmitter):
    """The consumer role as its epilogue warps run it: the ops of `kept_ops` (the
    epilogue's and the scheduler's), the arithmetic they read, and the loops and
    branches that hold them. Pipeline states are the MMA warp's: loops carry none here.
    Its epilogue bodies are named in `epilogue_functions`, the whole role's (so that each
    is defined once in the module)."""

    def __init__(self, role: pipe.RoleOp, kept_ops: set[str], epilogue_functions: dict[str, str]):
        super().__init__(role, epilogue_functions=epilogue_functions)
        self.kept: set[Operation] = set()
        for op in role.walk():
            if op.name in kept_ops:
                self.keep(op)

    def keep(self, op: Operation) -> None:
        """Keep `op`, the ops that compute its operands, and the ops that enclose it."""
        if op in self.kept or op is self.role:
            return
        self.kept.add(op)
        for operand in op.operands:
            if isinstance(operand.type, pipe.StateType):
                continue
            if isinstance(operand.owner, Operation):
                self.keep(operand.owner)
        parent = op.parent_op()
        if parent is not None:
            self.keep(parent)
        if isinstance(op, scf.ForOp | scf.IfOp):
            for inner in op.walk():
                if isinstance(inner, scf.YieldOp) and inner.parent_op() is op:
                    self.kept.add(inner)

    def block(self, block, depth: int) -> None:
        start = len(self.lines)
        for op in block.ops:
            if op in self.kept:
                self.rules[type(op)](op, depth)
        if len(self.lines) == start:
            self.statement(depth, "pass")

    def carried(self, op, inits, args, depth: int) -> None:
        """States are not carried in the epilogue warps' loops: no op here reads one."""
        for arg in args:
            self.names[arg] = NO_STATE

    def yield_states(self, op, depth: int) -> None:
        """No states to pass on."""

    def if_else(self, op: scf.IfOp, depth: int) -> None:
        if op.results:
            raise lowering_error(op, "an epilogue op under a branch that yields pipeline states")
        super().if_else(op, depth)


def epilogue_function(role: pipe.RoleOp, parts: dict[str, Collective], epilogue_functions: dict[str, str]) -> list[str]:
    """The epilogue warps' function; the epilogue bodies it calls are those of the whole
    role's function (`epilogue_functions`, source -> name), defined once before it."""
    kept = {*parts["EPILOGUE"].OPS, *parts["SCHEDULER"].OPS}
    return [
        "@cute.jit",
        f"def consumer_epilogue({', '.join(ROLE_ARGUMENTS)}):",
        f'    """`pipe.role "consumer" warps({role.warps.value.data})`, as its epilogue warps run it: '
        'the epilogue and scheduler ops."""',
        *EpilogueProjection(role, kept, epilogue_functions).lower(),
    ]


def lower_kernel(kernel: pipe.KernelOp) -> str:
    parts = collectives(kernel)
    spec = kernel.spec
    roles = {role.kind.data: role for role in kernel.roles}
    consumer = RoleEmitter(roles["consumer"])
    operand_parameters, operand_arguments = host_operands(kernel)
    b_layout = "(N, K) K-major" if spec.b_major == "k" else "(K, N) row-major"
    umma = "2-CTA UMMA (cta_group::2)" if parts["MAINLOOP"].two_cta else "1-CTA UMMA"
    return generated_module(
        kernel, parts,
        summary=[
            f"C[M, N] = A[M, K] @ B^T on {spec.arch} ({umma}, TMEM accumulators): A (M, K) K-major,",
            f"B {b_layout}, C (M, N) row-major, {spec.dtype} operands, {spec.c_dtype} output, fp32 accumulation.",
            "Compile-verified only: no Blackwell GPU has run pipeir's sm_100a kernels.",
        ],
        roles=[
            role_function(roles["producer"]),
            role_function(roles["consumer"], consumer),
            epilogue_function(roles["consumer"], parts, consumer.epilogue_functions),
        ],
        dispatch=[
            "    if ROLES.is_producer_warp(warp):",
            "        mainloop.prefetch_descriptors()",
            "        epilogue.prefetch_descriptor()",
            "        producer(mainloop, epilogue, scheduler)",
            "    if ROLES.is_mma_warp(warp):",
            "        mainloop.consumer_setup()",
            "        if mainloop.is_mma_leader():",
            "            consumer(mainloop, epilogue.handed_over_by(mainloop), scheduler)",
            "            mainloop.accumulator_tail()",
            "    if ROLES.is_epilogue_warp(warp):",
            "        mainloop.allocate_accumulators()",
            "        mainloop.consumer_setup()",
            "        epilogue.consumer_setup(mainloop)",
            "        consumer_epilogue(mainloop, epilogue, scheduler)",
            "        epilogue.finish()",
            "        mainloop.free_accumulators()",
        ],
        host=[
            f"def gemm_host(mA: cute.Tensor, mB: cute.Tensor, mC: cute.Tensor{operand_parameters}, "
            "stream: cuda.CUstream):",
            f"    kernel = gemm_kernel(*MAINLOOP.kernel_params(mA, mB), *EPILOGUE.kernel_params(mC{operand_arguments}))",
            "    ROLES.launch(kernel, SCHEDULER.grid(mC), stream)",
        ],
    )
