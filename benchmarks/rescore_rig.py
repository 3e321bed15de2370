"""Score a rig result folder's titlefetch runs twice: as the rig does, and with error pages'
titles set aside.

The shared rig's expected titles give nginx's 404 pages none, while titlefetch reports an
error page's own title beside its `http_4xx`/`http_5xx` error (docs/titles.md). This rescoring
blanks the title of every jsonl record with such an error and scores again with the rig's own
`score()`, so that the two counts show the difference is those pages and nothing else:

    python benchmarks/rescore_rig.py /tmp/tfbench/results/20261202-082429
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

_RIG_LIB = Path(__file__).resolve().parents[2] / "shared" / "bench" / "lib"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="a rig result folder (TFBENCH_WORK/results/STAMP)")
    parser.add_argument("--work", default="/tmp/tfbench", help="the rig's work folder")
    args = parser.parse_args()
    sys.path.insert(0, str(_RIG_LIB))
    import bench  # the rig's own scorer

    corpus = os.path.join(args.work, "corpus")
    expected = bench.load_expected(os.path.join(corpus, "expected.jsonl"))
    scores: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for out in sorted(glob.glob(os.path.join(args.results, "*.out"))):
        workload, rest = os.path.basename(out).split(".", 1)
        tool = rest.rsplit(".", 2)[0]
        if not tool.startswith("titlefetch"):
            continue
        urls = Path(corpus, f"urls-{workload}.txt").read_text(encoding="utf-8").split()
        raw, _ = bench.score(urls, expected, out)
        blanked = _without_error_titles(out)
        aside, _ = bench.score(urls, expected, blanked)
        os.unlink(blanked)
        scores[(workload, tool)].append((raw, aside))
    for (workload, tool), runs in sorted(scores.items()):
        raw = ", ".join(f"{r:.2%}" for r, _ in runs)
        aside = ", ".join(f"{a:.2%}" for _, a in runs)
        print(f"{workload:8} {tool:15} as the rig counts: {raw}; error pages set aside: {aside}")


def _without_error_titles(out: str) -> str:
    with (
        open(out, encoding="utf-8", errors="replace") as source,
        tempfile.NamedTemporaryFile("w", suffix=".out", delete=False, encoding="utf-8") as copy,
    ):
        for line in source:
            if line.lstrip().startswith("{"):
                record = json.loads(line)
                if (record.get("error") or {}).get("kind", "").startswith("http_"):
                    record["title"] = None
                line = json.dumps(record, ensure_ascii=False) + "\n"
            copy.write(line)
    return copy.name


if __name__ == "__main__":
    main()
