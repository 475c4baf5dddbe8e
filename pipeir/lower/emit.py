"""Lower verified `pipe` IR to CuTe DSL source.

The kernel frame (TMA atoms, shared memory, the PipelineTmaAsync ring, the
persistent tile scheduler, WGMMA setup, the TMA-store epilogue) comes from
`cute_frame`; this module turns each role's ops into the Python statements that
run before the work-tile loop and inside it. Every `scf.for` and `scf.if`
becomes a Python `for`/`if` of its own, so the generated source shows the IR's
control flow as it is: the naive prologue as `stages` guarded blocks, the
rolled producer as one loop.

Each role's chain of `!pipe.state` values maps onto one mutable CuTe
`PipelineState` (`producer_state` / `consumer_state`); the lowering checks that
the chain is linear (every use sees the latest position), which is what makes
that mapping exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects import arith, builtin, scf
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Block, Operation, SSAValue

from pipeir.dialects import pipe
from pipeir.ir import PipeirError, location_of
from pipeir.lower.cute_frame import HopperGemmConfig, emit_kernel_module

STATE_NAMES = {"producer": "producer_state", "consumer": "consumer_state"}
RANK_STATEMENT = "cute.arch.make_warp_uniform(cute.arch.block_idx_in_cluster())"
FRAME_PROVIDED = (
    pipe.InitStateOp,
    pipe.KTileCountOp,
    pipe.FirstWorkTileOp,
    pipe.WorkTileCountOp,
    pipe.WorkTileStrideOp,
)


def lowering_error(op: Operation, message: str) -> PipeirError:
    return PipeirError(location_of(op), f"cannot lower '{op.name}': {message}")


def frame_config(kernel: pipe.KernelOp, stages: int) -> HopperGemmConfig:
    if kernel.arch.data != "sm_90a":
        raise lowering_error(kernel, f"lowering to {kernel.arch.data} is not implemented (sm_90a only)")
    tm, tn, tk = kernel.tile_shape
    cm, cn = kernel.cluster_shape
    problem = kernel.problem_shape
    config = HopperGemmConfig(
        a_dtype=kernel.a_dtype.data,
        b_dtype=kernel.b_dtype.data,
        c_dtype=kernel.c_dtype.data,
        tile_m=tm,
        tile_n=tn,
        tile_k=tk,
        cluster_m=cm,
        cluster_n=cn,
        stages=stages,
        b_major="n" if kernel.b_major.data == "mn" else "k",
        mnk=None if pipe.DYNAMIC in problem else problem,
        raster_along_m=kernel.raster_order == "m",
        kernel_name=kernel.sym_name.data,
    )
    try:
        config.validate()
    except ValueError as error:
        raise lowering_error(kernel, f"the sm_90a kernel frame does not support it: {error}") from None
    return config


@dataclass
class RoleLowering:
    """Statements of one warp role: `setup` runs once, `body` per work tile."""

    role: pipe.RoleOp
    multicast: tuple[str, ...]
    setup: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    names: dict[SSAValue, str] = field(default_factory=dict)
    current_state: SSAValue | None = None
    hoisted_ranks: set[SSAValue] = field(default_factory=set)
    used_names: set[str] = field(default_factory=set)

    @property
    def kind(self) -> str:
        return self.role.kind.data

    def fresh(self, base: str) -> str:
        name, suffix = base, 1
        while name in self.used_names:
            suffix += 1
            name = f"{base}_{suffix}"
        self.used_names.add(name)
        return name

    # -- values ----------------------------------------------------------------
    def expr(self, value: SSAValue) -> str:
        if value in self.names:
            return self.names[value]
        op = value.owner
        match op:
            case arith.ConstantOp(value=IntegerAttr() as attr):
                data = attr.value.data
                return str(bool(data)) if attr.type == builtin.i1 else str(data)
            case arith.AddiOp():
                return f"({self.expr(op.lhs)} + {self.expr(op.rhs)})"
            case arith.SubiOp():
                return f"({self.expr(op.lhs)} - {self.expr(op.rhs)})"
            case arith.MuliOp():
                return f"({self.expr(op.lhs)} * {self.expr(op.rhs)})"
            case arith.AndIOp():
                return f"({self.expr(op.lhs)} and {self.expr(op.rhs)})"
            case arith.OrIOp():
                return f"({self.expr(op.lhs)} or {self.expr(op.rhs)})"
            case pipe.KTileCountOp():
                return "k_tile_count"
        raise lowering_error(op if isinstance(op, Operation) else self.role, "unsupported value")

    def use_state(self, op: Operation, state: SSAValue) -> str:
        if state is not self.current_state:
            raise lowering_error(
                op,
                "its pipeline state is not the role's latest ring position; the lowering "
                "maps each role's states onto one mutable PipelineState",
            )
        return STATE_NAMES[self.kind]

    # -- statements --------------------------------------------------------------
    def emit_block(self, block: Block, out: list[str], indent: int) -> None:
        start = len(out)
        for op in block.ops:
            self.emit_op(op, out, indent)
        if len(out) == start:
            out.append("    " * indent + "pass")

    def emit_op(self, op: Operation, out: list[str], indent: int) -> None:
        pad = "    " * indent
        match op:
            case arith.ConstantOp() | arith.AddiOp() | arith.SubiOp() | arith.MuliOp() | pipe.KTileCountOp():
                return  # inlined where used
            case arith.AndIOp() | arith.OrIOp():
                self.bind(op.result, "guard", self.expr(op.result), out, pad)
            case pipe.KTileFitsOp():
                self.bind(op.result, "k_tile_fits", f"{self.expr(op.k_tile)} * TILE_K < K", out, pad)
            case pipe.KTileFullOp():
                self.bind(op.result, "k_tile_full", f"({self.expr(op.k_tile)} + 1) * TILE_K <= K", out, pad)
            case pipe.ClusterRankOp():
                self.bind(op.result, "cta_rank_in_cluster", RANK_STATEMENT, out, pad)
            case pipe.AcquireOp():
                out.append(f"{pad}ab_pipeline.producer_acquire({self.use_state(op, op.state)})")
            case pipe.CopyOp():
                self.emit_copy(op, out, pad)
            case pipe.CommitOp():
                out.append(f"{pad}ab_pipeline.producer_commit({self.use_state(op, op.state)})")
            case pipe.WaitOp():
                out.append(f"{pad}ab_pipeline.consumer_wait({self.use_state(op, op.state)})")
            case pipe.MmaOp():
                out.append(
                    f"{pad}mma_k_tile(tiled_mma, accumulators, tCrA, tCrB, {self.use_state(op, op.state)}.index)"
                )
            case pipe.ReleaseOp():
                out.append(f"{pad}ab_pipeline.consumer_release({self.use_state(op, op.state)})")
            case pipe.AdvanceOp():
                out.append(f"{pad}{self.use_state(op, op.state)}.advance()")
                self.current_state = op.result
            case scf.ForOp():
                self.emit_for(op, out, indent)
            case scf.IfOp():
                self.emit_if(op, out, indent)
            case scf.YieldOp():
                for value in op.operands:
                    if isinstance(value.type, pipe.StateType):
                        self.use_state(op, value)
            case _:
                raise lowering_error(op, f"not expected inside a {self.kind} K loop")

    def bind(self, value: SSAValue, base: str, expression: str, out: list[str], pad: str) -> None:
        """Assign `expression` to a fresh, readable name that later uses of `value` print."""
        name = self.fresh(base)
        out.append(f"{pad}{name} = {expression}")
        self.names[value] = name

    def emit_copy(self, op: pipe.CopyOp, out: list[str], pad: str) -> None:
        operand = op.operand.data
        gmem, smem = ("tAgA", "tAsA") if operand == "a" else ("tBgB", "tBsB")
        if op.rank is None:
            mask = "0"
        elif op.rank in self.hoisted_ranks:
            mask = f"{operand}_mcast_mask"
        else:
            mask = f"{operand}_mcast_mask_for({self.expr(op.rank)})"
        state = self.use_state(op, op.state)
        out.append(
            f"{pad}cute.copy(tma_atom_{operand}, {gmem}[(None, {self.expr(op.k_tile)})], "
            f"{smem}[(None, {state}.index)], "
            f"tma_bar_ptr=ab_pipeline.producer_get_barrier({state}), mcast_mask={mask})"
        )

    def emit_for(self, op: scf.ForOp, out: list[str], indent: int) -> None:
        self.enter_states(op, op.iter_args, op.body.block.args[1:])
        iv = self.fresh("k_tile")
        self.names[op.body.block.args[0]] = iv
        out.append(
            f"{'    ' * indent}for {iv} in cutlass.range({self.expr(op.lb)}, {self.expr(op.ub)}, "
            f"{self.expr(op.step)}, unroll=1):"
        )
        self.emit_block(op.body.block, out, indent + 1)
        self.leave_states(op)

    def emit_if(self, op: scf.IfOp, out: list[str], indent: int) -> None:
        pad = "    " * indent
        entry = self.current_state
        out.append(f"{pad}if {self.expr(op.cond)}:")
        self.emit_block(op.true_region.block, out, indent + 1)
        if op.false_region.blocks and list(op.false_region.block.ops)[:-1]:
            self.current_state = entry
            out.append(f"{pad}else:")
            self.emit_block(op.false_region.block, out, indent + 1)
        elif op.false_region.blocks:
            self.current_state = entry
            self.emit_op(op.false_region.block.last_op, [], 0)
        self.leave_states(op)

    def enter_states(self, op: Operation, inits, args) -> None:
        for init, arg in zip(inits, args, strict=True):
            if isinstance(init.type, pipe.StateType):
                self.use_state(op, init)
                self.current_state = arg

    def leave_states(self, op: Operation) -> None:
        for result in op.results:
            if isinstance(result.type, pipe.StateType):
                self.current_state = result
            else:
                raise lowering_error(op, "only pipeline states may be carried through loops and ifs")

    # -- the role ------------------------------------------------------------------
    def lower(self) -> None:
        tile_loop = None
        for op in self.role.body.block.ops:
            if isinstance(op, pipe.InitStateOp):
                start = (0, 1 if self.kind == "producer" else 0)
                if (op.index.value.data, op.phase.value.data) != start:
                    raise lowering_error(
                        op,
                        f"a {self.kind} state must start at index {start[0]}, phase {start[1]} "
                        "(where CuTe's make_pipeline_state starts)",
                    )
                self.current_state = op.result
            elif isinstance(op, FRAME_PROVIDED):
                continue
            elif isinstance(op, pipe.ClusterRankOp):
                self.emit_op(op, self.setup, 0)
                for operand in self.multicast:
                    self.setup.append(
                        f"{operand}_mcast_mask = {operand}_mcast_mask_for({self.names[op.result]})"
                    )
                self.hoisted_ranks.add(op.result)
            elif isinstance(op, scf.ForOp) and isinstance(op.lb.owner, pipe.FirstWorkTileOp):
                tile_loop = op
                self.lower_tile(op)
            elif isinstance(op, pipe.ProducerTailOp) and op.state is self.current_state:
                continue
            else:
                raise lowering_error(op, f"not expected at the top of the {self.kind} role")
        if tile_loop is None:
            raise lowering_error(self.role, "the role has no persistent work-tile loop")

    def lower_tile(self, loop: scf.ForOp) -> None:
        self.enter_states(loop, loop.iter_args, loop.body.block.args[1:])
        ops = list(loop.body.block.ops)
        if not ops or not isinstance(ops[0], pipe.TileCoordsOp):
            raise lowering_error(loop, "the work-tile loop must start with 'pipe.tile_coords'")
        coords = ops[0]
        self.tile_coords = {"a": coords.m, "b": coords.n}
        for op in ops[1:]:
            if isinstance(op, pipe.AccInitOp) or is_epilogue(op) or isinstance(op, pipe.MnTileFullOp):
                continue  # the frame zeroes the accumulators and stores the tile
            for copy in [o for o in op.walk() if isinstance(o, pipe.CopyOp)]:
                if copy.tile is not self.tile_coords[copy.operand.data]:
                    raise lowering_error(copy, "a copy must load a tile of the current work tile")
            self.emit_op(op, self.body, 0)
        self.leave_states(loop)


def is_epilogue(op: Operation) -> bool:
    """`pipe.epilogue`, or the masked/unmasked choice between two of them (the
    frame's TMA store clips edge tiles, so both lower to the same store)."""
    if isinstance(op, pipe.EpilogueOp):
        return True
    return isinstance(op, scf.IfOp) and all(
        isinstance(o, (pipe.EpilogueOp, scf.YieldOp)) for r in op.regions for o in r.walk()
    )


def lower_kernel(kernel: pipe.KernelOp) -> str:
    roles = {role.kind.data: role for role in kernel.roles}
    if "mainloop" in roles:
        raise lowering_error(
            roles["mainloop"],
            "kernels whose producer and consumer share warps are not lowered; build "
            "the warp-specialized form",
        )
    (pipeline,) = kernel.pipelines
    lowered = {}
    for kind in ("producer", "consumer"):
        multicast = tuple(o for o in pipe.OPERANDS if pipeline.mcast_of(o) > 1)
        lowering = RoleLowering(roles[kind], multicast)
        lowering.lower()
        lowered[kind] = lowering
    return emit_kernel_module(
        frame_config(kernel, pipeline.stage_count),
        producer_body=lowered["producer"].body,
        consumer_body=lowered["consumer"].body,
        setup_producer=lowered["producer"].setup,
        setup_consumer=lowered["consumer"].setup,
    )


def lower_module(module: builtin.ModuleOp) -> str:
    kernels = [op for op in module.walk() if isinstance(op, pipe.KernelOp)]
    if len(kernels) != 1:
        raise PipeirError(location_of(module), f"expected one 'pipe.kernel' to lower, found {len(kernels)}")
    return lower_kernel(kernels[0])
