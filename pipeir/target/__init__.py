"""Per-architecture targets: what each GPU can build (see pipeir/target/base.py)."""

from __future__ import annotations

from pipeir.target.base import (
    DTYPE_ALIASES, ELEMENT_TYPES, EPILOGUE_ACTIVATIONS, Activation, Arch, ConfigError, GatedActivation, GemmTarget,
    Major, Raster, Scale, dtype_name, is_gated,
)
from pipeir.target.sm90 import SM90
from pipeir.target.sm100 import SM100

__all__ = [
    "DTYPE_ALIASES", "ELEMENT_TYPES", "EPILOGUE_ACTIVATIONS", "TARGETS", "Activation", "Arch", "ConfigError",
    "GatedActivation", "GemmTarget", "Major", "Raster", "Scale", "dtype_name", "is_gated", "target_for",
]

TARGETS: dict[str, GemmTarget] = {target.ARCH: target for target in (SM90, SM100)}


def target_for(arch: str) -> GemmTarget:
    """The target of `arch` (an Arch or its name); ConfigError for an unknown one."""
    target = TARGETS.get(arch)
    if target is None:
        raise ConfigError(f"arch must be one of {', '.join(Arch)}, got '{arch}'")
    return target
