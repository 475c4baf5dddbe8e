"""What every target's warp-specialized persistent kernel does alike, whichever warps
run which `pipe.role`: the cluster's barrier start-up, the warp index, the launch.

Each target's `WarpSpecializedRoles` (sm90/, sm100/) adds its own warp assignment and
`threads`, the CTA's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cutlass.cute as cute
from cutlass.pipeline import pipeline_init_arrive, pipeline_init_wait

from pipeir.lower.cute.collectives import Collective


@dataclass(frozen=True)
class ClusterRoles(Collective):
    cluster: tuple[int, int]

    OPS = ("pipe.role",)

    @property
    def threads(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} says how many threads its CTA has")

    def barriers_initialised(self):
        """Publish this CTA's barrier initialisation to its cluster (no wait)."""
        pipeline_init_arrive(cluster_shape_mn=self.cluster, is_relaxed=True)

    def cluster_sync(self):
        """Wait until every CTA of the cluster initialised its barriers."""
        pipeline_init_wait(cluster_shape_mn=self.cluster)

    def warp(self):
        """This thread's warp index, uniform across the warp (the roles branch on it)."""
        return cute.arch.make_warp_uniform(cute.arch.warp_idx())

    def launch(self, kernel, grid, stream):
        cluster_m, cluster_n = self.cluster
        kernel.launch(grid=grid, block=[self.threads, 1, 1], cluster=(cluster_m, cluster_n, 1),
                      min_blocks_per_mp=1, stream=stream)
