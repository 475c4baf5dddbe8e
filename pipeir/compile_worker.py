"""A compiler process for the autotuner: reads a JSON list of {"config": GemmConfig as
a JSON object, "passes": [...]} on stdin, compiles each into pipeir's object cache,
and writes a JSON list with, per item, null or why it failed.

The tuner starts these with `python -m pipeir.compile_worker` rather than through
multiprocessing, which would re-import the caller's main script in every worker.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from pipeir.build import GemmConfig

TUPLE_FIELDS = ("tile", "cluster")


def config_to_json(config: GemmConfig) -> dict:
    return dataclasses.asdict(config)


def config_from_json(fields: dict) -> GemmConfig:
    return GemmConfig(**{
        name: tuple(value) if name in TUPLE_FIELDS and value is not None else value
        for name, value in fields.items()
    })


def main() -> int:
    from pipeir.tune import prepare

    results = [prepare(config_from_json(item["config"]), tuple(item["passes"])) for item in json.load(sys.stdin)]
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
