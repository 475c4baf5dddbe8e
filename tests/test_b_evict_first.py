"""B's loads with an L2 evict-first policy (GemmConfig.b_evict_first, the kernel property
`b_evict_first`): the target's refusals, the property through the passes and the
verifier, the operand the mainloop hints (B is the MMA's A under swap_ab), and the
compiled kernels: B's TMA loads carry the policy operand, the others none, 0 spills."""

import re
from dataclasses import replace

import pytest
from kernel_stats import kernel_stats

from pipeir.analysis.protocol import verify_kernel
from pipeir.build import gemm
from pipeir.dialects import pipe
from pipeir.lower import lower_module
from pipeir.passes import HEADLINE_PIPELINE, run_passes
from pipeir.target.spec import ConfigError, GemmConfig
from pipeir.tune import describe, tuning_key

DECODE = GemmConfig(m=None, n=4096, k=4096, dtype="bf16", tile=(64, 64, 128), swap_ab=True, pingpong=True,
                    row_slabs=True, b_evict_first=True)
"""The decode heuristic's schedule (bf16) with B evict-first."""


@pytest.mark.parametrize(("fields", "message"), [
    (dict(arch="sm_100a", tile=(128, 128, 64), swap_ab=False, pingpong=False, row_slabs=False),
     "b_evict_first is not built for sm_100a"),
    (dict(b_evict_first=1), r"b_evict_first must be True, False or None \(free\), got 1"),
])
def test_refusals_are_one_line(fields, message) -> None:
    with pytest.raises(ConfigError, match=message):
        replace(DECODE, **fields).validate()


@pytest.mark.parametrize(("config", "operands"), [
    (DECODE, "('a',)"),
    (GemmConfig(m=None, n=4096, k=4096, tile=(128, 64, 64), cluster=(2, 1), b_evict_first=True), "('b',)"),
    (replace(DECODE, b_evict_first=False), "()"),
    (replace(DECODE, b_evict_first=None), "()"),
])
def test_the_property_is_the_configurations_and_names_b(config, operands) -> None:
    module = gemm(config)
    run_passes(module, HEADLINE_PIPELINE)
    (kernel,) = [op for op in module.walk() if isinstance(op, pipe.KernelOp)]
    assert kernel.loads_b_evict_first == bool(config.b_evict_first)
    assert kernel.spec.b_evict_first == bool(config.b_evict_first)
    verify_kernel(kernel)
    assert f"evict_first_operands={operands}" in lower_module(module)


HINTED_LOAD = re.compile(r"UTMALDG\S* \[UR\d+\], \[UR\d+\],( UR\d+,)? desc\[UR\d+\]")
"""A TMA load (multicast: with its mask register) with a cache-policy operand (desc[URZ]: none)."""


@pytest.mark.parametrize(("config", "hinted", "loads"), [
    # the weights' 2 boxes a k-tile hinted; the tokens' (whole, or slab boxes of 32, 16 and 8
    # rows, each 2 boxes) not
    (DECODE, 2, 2 + 4 * 2),
    # B multicast in a 2x1 cluster: each CTA's share of B's box hinted, A's not
    (GemmConfig(m=None, n=4096, k=4096, tile=(128, 64, 64), cluster=(2, 1), b_evict_first=True), 1, 2),
    (replace(DECODE, b_evict_first=False), 0, 2 + 4 * 2),
], ids=["decode-swap-slabs", "multicast-b", "without"])
def test_b_loads_carry_the_policy(config, hinted, loads, tmp_path) -> None:
    stats, sass = kernel_stats(config, tmp_path)
    assert stats["spills"] == 0 and stats["utmaldg"] == loads
    assert len(HINTED_LOAD.findall(sass)) == hinted
    if hinted:
        assert "0x12f00000" in sass  # the policy's upper word: evict-first, fraction 1


def test_evict_first_kernels_are_tuned_and_named_apart() -> None:
    assert tuning_key(DECODE, "H200") != tuning_key(replace(DECODE, b_evict_first=False), "H200")
    assert describe(DECODE).endswith("row_slabs b_evict_first")


def test_the_small_m_tuner_loads_the_weights_evict_first_unless_fixed() -> None:
    from pipeir.tune import bucket_candidates

    free = GemmConfig(m=None, n=4096, k=4096)
    for name in ("decode", "narrow", "medium"):
        found = bucket_candidates(free, name)
        assert found and all(c.b_evict_first for c in found)
        assert not any(c.b_evict_first for c in bucket_candidates(replace(free, b_evict_first=False), name))
    assert not any(c.b_evict_first for c in bucket_candidates(free, "wide"))
