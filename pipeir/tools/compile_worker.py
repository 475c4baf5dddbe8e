"""A compiler process for the autotuner: reads a JSON list of {"config": GemmConfig as
a JSON object, "passes": [...]} on stdin, compiles each into pipeir's object cache,
and writes, per item as it finishes, a line of JSON: null or why it failed (the tuner
counts the lines to show its progress).

The tuner starts these with `python -m pipeir.tools.compile_worker` rather than through
multiprocessing, which would re-import the caller's main script in every worker.
"""

from __future__ import annotations

import json
import sys

from pipeir.target.spec import config_from_json

def main() -> int:
    from pipeir.tune import prepare

    for item in json.load(sys.stdin):
        print(json.dumps(prepare(config_from_json(item["config"]), tuple(item["passes"]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
