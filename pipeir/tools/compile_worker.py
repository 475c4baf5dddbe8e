"""A compiler process for the autotuner: reads a JSON list of {"config": GemmConfig as
a JSON object, "passes": [...]} on stdin, compiles each into pipeir's object cache,
and writes a JSON list with, per item, null or why it failed.

The tuner starts these with `python -m pipeir.tools.compile_worker` rather than through
multiprocessing, which would re-import the caller's main script in every worker.
"""

from __future__ import annotations

import json
import sys

from pipeir.target.spec import config_from_json

def main() -> int:
    from pipeir.tune import prepare

    results = [prepare(config_from_json(item["config"]), tuple(item["passes"])) for item in json.load(sys.stdin)]
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
