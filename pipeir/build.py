"""Build GEMM kernels in the *naive* form a straightforward code generator emits.

Per work tile the producer runs an unrolled prologue of `stages` guarded
issue blocks (acquire / copy A / copy B / commit), then a steady-state loop
that issues k-tile `k + stages` under re-computed full-tile and next-tile
predicates; the consumer guards every K iteration with a full-tile predicate;
every multicast copy re-derives the CTA's cluster rank right where it is used.
The passes in pipeir.passes turn this into the rolled form.

The consumer has two shapes (GemmConfig.mma_in_flight, docs/dialect.md):
0, serial: per k-tile wait; mma; mma_wait pending(0); release.
1, overlapped: k-tile 0's batch is issued before the K loop; each iteration
issues k-tile k's batch, waits until only it is in flight, and releases the
stage of k-tile k - 1, so the read and release state chains run one stage apart.

A pingpong kernel (GemmConfig.pingpong) runs the consumer role once per MMA warpgroup:
warpgroup w takes the CTA's work tiles w, w + 2, ... (`pipe.first_work_tile warpgroup`,
`pipe.work_tile_stride warpgroup`), its ring state starts w tiles' k-tiles in
(`pipe.advance %s by(%n)`) and skips the other warpgroup's k-tiles after each tile, and
`pipe.order_wait` / `pipe.order_signal` make the warpgroups take turns: one issues its
tile's MMAs while the other runs its epilogue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.builder import ImplicitBuilder
from xdsl.dialects import arith, builtin, scf
from xdsl.dialects.builtin import IndexType
from xdsl.ir import Block, Region, SSAValue

from pipeir.dialects import epi, pipe
from pipeir.dialects.epi import Broadcast
from pipeir.target import Scale, target_for
from pipeir.target.spec import GemmConfig


def _index(value: int) -> SSAValue:
    return arith.ConstantOp.from_int_and_width(value, IndexType()).result


def _if(cond: SSAValue, state: SSAValue, then: Callable[[SSAValue], SSAValue]) -> SSAValue:
    """scf.if cond -> state: run `then` on the state, else pass it through."""
    then_block = Block()
    with ImplicitBuilder(then_block):
        scf.YieldOp(then(state))
    else_block = Block()
    with ImplicitBuilder(else_block):
        scf.YieldOp(state)
    return scf.IfOp(cond, [pipe.StateType()], [then_block], [else_block]).results[0]


def _for(
    lb: SSAValue,
    ub: SSAValue,
    step: SSAValue,
    states: Sequence[SSAValue],
    body: Callable[[SSAValue, Sequence[SSAValue]], Sequence[SSAValue]],
) -> Sequence[SSAValue]:
    block = Block(arg_types=[IndexType(), *[s.type for s in states]])
    with ImplicitBuilder(block):
        scf.YieldOp(*body(block.args[0], block.args[1:]))
    return scf.ForOp(lb, ub, step, states, block).results


class _GemmBuilder:
    def __init__(self, config: GemmConfig, kernel: pipe.KernelOp, pipeline: SSAValue):
        self.config = config
        self.kernel = kernel
        self.pipeline = pipeline
        self.stages = config.stage_count
        self.target = target_for(config.arch)

    def role(self, kind: str) -> pipe.RoleOp:
        return pipe.RoleOp(kind, self.target.role_warps(kind))

    def issue(self, state: SSAValue, tile: dict[str, SSAValue], k_tile: SSAValue) -> SSAValue:
        """acquire / copy A / copy B / commit of one k-tile; returns the next state.
        `tile` holds each operand's tile coordinate, and the work unit's K split under
        split-K."""
        pipe.AcquireOp(self.pipeline, state)
        for operand in pipe.OPERANDS:
            rank = pipe.ClusterRankOp().result if self.kernel.mcast_of(operand) > 1 else None
            pipe.CopyOp(operand, tile[operand], k_tile, self.pipeline, state, rank, tile.get("split"))
        pipe.CommitOp(self.pipeline, state)
        return pipe.AdvanceOp(state).result

    def produce_tile(self, state: SSAValue, tile: dict[str, SSAValue], k_tiles: SSAValue) -> SSAValue:
        for i in range(self.stages):
            k_tile = _index(i)
            fits = pipe.KTileFitsOp(k_tile).result
            state = _if(fits, state, lambda s, k=k_tile: self.issue(s, tile, k))

        def steady(k: SSAValue, states: Sequence[SSAValue]) -> Sequence[SSAValue]:
            full = pipe.KTileFullOp(k).result
            next_k = arith.AddiOp(k, _index(self.stages)).result
            next_fits = pipe.KTileFitsOp(next_k).result
            go = arith.AndIOp(full, next_fits).result
            return [_if(go, states[0], lambda s: self.issue(s, tile, next_k))]

        return _for(_index(0), k_tiles, _index(1), [state], steady)[0]

    def guarded(self, k: SSAValue, body: Callable[[], None]) -> None:
        """`body` under the k-tile's full-tile guard; the same body runs for a partial
        k-tile unless K is statically a whole number of tiles (fold-static-full then
        drops the guard)."""
        full = pipe.KTileFullOp(k).result
        regions = []
        for _ in range(1 if self.config.static_full_k else 2):
            block = Block()
            with ImplicitBuilder(block):
                body()
                scf.YieldOp()
            regions.append(Region(block))
        scf.IfOp(full, [], *regions)

    def consume_k_tile(self, k: SSAValue, state: SSAValue) -> SSAValue:
        """Serial consumer step: wait; mma; mma_wait pending(0); release; advance."""

        def step() -> None:
            pipe.WaitOp(self.pipeline, state)
            pipe.MmaOp(self.pipeline, state)
            pipe.MmaWaitOp(0)
            pipe.ReleaseOp(self.pipeline, state)

        self.guarded(k, step)
        return pipe.AdvanceOp(state).result

    def consume_serial(self, k_tiles: SSAValue, state: SSAValue, issued: Callable[[], None]) -> SSAValue:
        (state,) = _for(_index(0), k_tiles, _index(1), [state], lambda k, c: [self.consume_k_tile(k, c[0])])
        issued()
        return state

    def consume_overlapped(self, k_tiles: SSAValue, state: SSAValue, issued: Callable[[], None]) -> SSAValue:
        """One MMA batch stays in flight across the wait for the next stage: k-tile 0
        is issued before the loop (K >= 1), and iteration k releases k-tile k - 1's
        stage once only k-tile k's batch is running. `issued` runs once the tile's last
        batch is issued, before the drain."""

        def issue(read: SSAValue) -> None:
            pipe.WaitOp(self.pipeline, read)
            pipe.MmaOp(self.pipeline, read)

        self.guarded(_index(0), lambda: issue(state))
        read = pipe.AdvanceOp(state).result

        def step(k: SSAValue, chains: Sequence[SSAValue]) -> Sequence[SSAValue]:
            read, release = chains

            def overlap() -> None:
                issue(read)
                pipe.MmaWaitOp(1)
                pipe.ReleaseOp(self.pipeline, release)

            self.guarded(k, overlap)
            return [pipe.AdvanceOp(read).result, pipe.AdvanceOp(release).result]

        one = _index(1)
        _, release = _for(one, k_tiles, one, [read, state], step)
        issued()
        pipe.MmaWaitOp(0)
        pipe.ReleaseOp(self.pipeline, release)
        return pipe.AdvanceOp(release).result

    def epilogue(self, m: SSAValue, n: SSAValue) -> None:
        full = pipe.MnTileFullOp(m, n).result
        blocks = []
        for masked in (False, True):
            block = Block()
            with ImplicitBuilder(block):
                pipe.EpilogueOp(m, n, masked, epilogue_region(self.config))
                scf.YieldOp()
            blocks.append(Region(block))
        scf.IfOp(full, [], *blocks)

    def reduced_epilogue(self, m: SSAValue, n: SSAValue, split: SSAValue) -> None:
        """Split-K: the unit's partial goes to the tile's reduction; the unit that
        completes it runs the epilogue."""
        last = pipe.SplitReduceOp(m, n, split).last
        block = Block()
        with ImplicitBuilder(block):
            self.epilogue(m, n)
            scf.YieldOp()
        scf.IfOp(last, [], Region(block))

    def tile_loop(
        self,
        states: Sequence[SSAValue],
        body: Callable[[dict[str, SSAValue | None], Sequence[SSAValue]], Sequence[SSAValue]],
        per_warpgroup: bool = False,
    ) -> Sequence[SSAValue]:
        """The persistent loop over work tiles (work units under split-K; this consumer
        warpgroup's share of them when `per_warpgroup`); `body` gets the unit's
        coordinates: A's tile row ("a"), B's tile column ("b") and the K split ("split",
        None without split-K)."""
        first = pipe.FirstWorkTileOp(per_warpgroup).result
        count = pipe.WorkTileCountOp().result
        stride = pipe.WorkTileStrideOp(per_warpgroup).result

        def per_tile(tile: SSAValue, carried: Sequence[SSAValue]) -> Sequence[SSAValue]:
            coords = pipe.TileCoordsOp(tile)
            split = pipe.KSplitOp(tile).result if self.config.split_k_count > 1 else None
            return body({"a": coords.m, "b": coords.n, "split": split}, carried)

        return _for(first, count, stride, states, per_tile)

    def producer_role(self) -> None:
        role = self.role("producer")
        with ImplicitBuilder(role.body):
            start = pipe.InitStateOp(self.pipeline, 0, 1).result
            k_tiles = pipe.KTileCountOp().result
            (end,) = self.tile_loop([start], lambda unit, s: [self.produce_tile(s[0], unit, k_tiles)])
            pipe.ProducerTailOp(self.pipeline, end)

    def consumer_role(self) -> None:
        role = self.role("consumer")
        pingpong = bool(self.config.pingpong)
        with ImplicitBuilder(role.body):
            start = pipe.InitStateOp(self.pipeline, 0, 0).result
            k_tiles = pipe.KTileCountOp().result
            if pingpong:
                # The producer fills the ring with the CTA's tiles in order: warpgroup w's
                # first tile is the CTA's w-th, after w tiles' k-tiles.
                warpgroup = pipe.ConsumerWarpgroupOp().result
                start = pipe.AdvanceOp(start, arith.MuliOp(k_tiles, warpgroup).result).result

            def tile(unit: dict[str, SSAValue | None], s: Sequence[SSAValue]) -> Sequence[SSAValue]:
                if pingpong:
                    pipe.OrderWaitOp(pipe.OrderPhase.MMA)
                pipe.AccInitOp()
                consume = self.consume_overlapped if self.config.mma_in_flight_count else self.consume_serial
                # The other warpgroup's MMAs may start once this tile's are issued.
                issued = (lambda: pipe.OrderSignalOp(pipe.OrderPhase.MMA)) if pingpong else (lambda: None)
                state = consume(k_tiles, s[0], issued)
                if pingpong:  # the staging buffers are the warpgroups' in turn
                    pipe.OrderWaitOp(pipe.OrderPhase.EPILOGUE)
                    self.epilogue(unit["a"], unit["b"])
                    pipe.OrderSignalOp(pipe.OrderPhase.EPILOGUE)
                elif unit["split"] is None:
                    self.epilogue(unit["a"], unit["b"])
                else:
                    self.reduced_epilogue(unit["a"], unit["b"], unit["split"])
                if pingpong:
                    # Past the stages of the other warpgroup's next tile (sm_90a has two).
                    state = pipe.AdvanceOp(state, k_tiles).result
                return [state]

            self.tile_loop([start], tile, per_warpgroup=pingpong)

    def mainloop_role(self) -> None:
        """Producer and consumer in the same warps (no warp specialization): the
        consumer drains k-tile k, then the same warps refill its stage with
        k-tile k + stages."""
        role = self.role("mainloop")
        with ImplicitBuilder(role.body):
            produced = pipe.InitStateOp(self.pipeline, 0, 1).result
            consumed = pipe.InitStateOp(self.pipeline, 0, 0).result
            k_tiles = pipe.KTileCountOp().result

            def tile(unit: dict[str, SSAValue | None], s: Sequence[SSAValue]) -> Sequence[SSAValue]:
                pipe.AccInitOp()
                p_state = s[0]
                tile_of = unit
                for i in range(self.stages):
                    k_tile = _index(i)
                    fits = pipe.KTileFitsOp(k_tile).result
                    p_state = _if(fits, p_state, lambda st, k=k_tile: self.issue(st, tile_of, k))

                def k_step(k: SSAValue, st: Sequence[SSAValue]) -> Sequence[SSAValue]:
                    c_next = self.consume_k_tile(k, st[1])
                    next_k = arith.AddiOp(k, _index(self.stages)).result
                    next_fits = pipe.KTileFitsOp(next_k).result
                    p_next = _if(next_fits, st[0], lambda x: self.issue(x, tile_of, next_k))
                    return [p_next, c_next]

                result = _for(_index(0), k_tiles, _index(1), [p_state, s[1]], k_step)
                self.epilogue(unit["a"], unit["b"])  # split_k needs warp specialization (the target's rule)
                return list(result)

            (p_end, _) = self.tile_loop([produced, consumed], tile)
            pipe.ProducerTailOp(self.pipeline, p_end)


def epilogue_operands(config: GemmConfig) -> list[tuple[str, Broadcast, str]]:
    """(name, broadcast, dtype) of the epilogue operands `config`'s kernel takes, in
    order: scale_a, scale_b, bias."""
    operands = []
    if config.scale is not None:
        rowwise = config.scale == Scale.ROWWISE
        operands.append(("scale_a", Broadcast.M if rowwise else Broadcast.SCALAR, "f32"))
        operands.append(("scale_b", Broadcast.N if rowwise else Broadcast.SCALAR, "f32"))
    if config.bias:
        operands.append(("bias", Broadcast.N, config.c_dtype))
    return operands


def epilogue_region(config: GemmConfig) -> Region | None:
    """activation(acc * scale_a * scale_b + bias), SwiGLU's gate (`epi.swiglu`) for a gated
    activation, with each load per subtile (the safe placement; --place-epilogue-loads may
    hoist them); None for the plain conversion."""
    if not config.has_epilogue:
        return None
    block = Block()
    with ImplicitBuilder(block):
        value = epi.AccOp().result
        for name, broadcast, _ in epilogue_operands(config):
            loaded = epi.LoadOp(name, broadcast).result
            value = (epi.AddOp if name == "bias" else epi.MulOp)(value, loaded).result
        if config.gated:
            value = epi.SwigluOp(value).result
        elif config.activation is not None:
            value = epi.ActivationOp(config.activation, value).result
        epi.YieldOp(value)
    return Region(block)


def gemm(config: GemmConfig) -> builtin.ModuleOp:
    """The naive-form `pipe` kernel for `config` (raises ConfigError if invalid)."""
    config.validate()
    kernel = pipe.KernelOp(
        config.name,
        arch=config.arch,
        a_dtype=config.dtype,
        b_dtype=config.dtype,
        c_dtype=config.c_dtype,
        tile=config.tile_shape,
        cluster=config.cluster_shape,
        problem=config.mma_shape,
        b_major=config.b_major,
        raster=config.raster,
        raster_group=config.raster_group,
        swap_ab=config.swap_ab,
        split_k=config.split_k,
        pingpong=bool(config.pingpong),
        row_slabs=bool(config.row_slabs),
        b_evict_first=bool(config.b_evict_first),
    )
    with ImplicitBuilder(kernel.body):
        for operand in epilogue_operands(config):
            epi.OperandOp(*operand)
        pipeline = pipe.PipelineOp(config.stage_count).result
        builder = _GemmBuilder(config, kernel, pipeline)
        if config.warp_specialize:
            builder.producer_role()
            builder.consumer_role()
        else:
            builder.mainloop_role()
    module = builtin.ModuleOp([kernel])
    module.verify()
    return module
