"""Summarise a py-spy profile in raw (collapsed stack) format: where the CPU goes.

Record one with py-spy (pip install py-spy), for example on the rig's small workload:

    ip netns exec tfbench .venv/bin/py-spy record --gil --function --nonblocking -r 250 \\
        --format raw -o /tmp/prof.txt -- .venv/bin/titlefetch --format jsonl --workers 64 \\
        /tmp/tfbench/corpus/urls-small.txt > /dev/null
    .venv/bin/python benchmarks/pyspy_summary.py /tmp/prof.txt --top 15

Prints the top functions by own samples (the frame on top of the stack) and by cumulative
samples (anywhere on the stack), and own samples grouped by library; with `--part REGEX`,
also the samples with a matching frame anywhere on the stack (for the Dask client's part of
titlefetch: `--part 'distributed/|tornado/|asyncio/|run/(batching|lanes|cluster|feeds)'
--but 'run/dispatch'`, leaving out the run's own work that a result's callback does), as CPU
ms per URL given `--rate` and `--urls`. With `--gil`, py-spy
keeps only samples of the thread holding the GIL, so the shares are shares of the CPU the
interpreter used.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# First match wins: path fragment -> group name.
GROUPS = (
    ("titlefetch/fetch", "titlefetch.fetch"),
    ("titlefetch/titles", "titlefetch.titles"),
    ("titlefetch/scheduler", "titlefetch.scheduler"),
    ("titlefetch/output", "titlefetch.output"),
    ("titlefetch/", "titlefetch (other)"),
    ("requests/", "requests"),
    ("urllib3/", "urllib3"),
    ("http/client", "http.client"),
    ("email/", "email (header parsing)"),
    ("bs4/", "bs4"),
    ("html/parser", "html.parser"),
    ("_markupbase", "html.parser"),
    ("concurrent/futures", "concurrent.futures"),
    ("threading", "threading"),
    ("queue", "queue"),
    ("json/", "json"),
    ("socket", "socket"),
    ("ssl", "ssl"),
    ("encodings/", "codecs"),
    ("charset_normalizer", "charset_normalizer"),
    ("idna", "idna"),
    ("urllib/", "urllib.parse"),
    ("dataclasses", "dataclasses"),
    ("multiprocessing", "multiprocessing"),
    ("re/", "re"),
)
_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def parse(path: Path) -> Counter[tuple[str, ...]]:
    """Stacks (outermost frame first) and their sample counts."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            frames = tuple(_short(frame) for frame in stack.split(";"))
            stacks[frames] += int(count)
    return stacks


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    file = match["file"]
    for marker in ("site-packages/", "lib/python3", "src/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{match['name']} ({file})"


def group_of(frame: str) -> str:
    for fragment, name in GROUPS:
        if fragment in frame:
            return name
    return "other"


def summarise(stacks: Counter[tuple[str, ...]], top: int) -> str:
    total = sum(stacks.values()) or 1
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    for frames, count in stacks.items():
        own[frames[-1]] += count
        groups[group_of(frames[-1])] += count
        for frame in set(frames):
            cumulative[frame] += count
    lines = [f"{total} samples"]
    for title, counter in (("own", own), ("cumulative", cumulative), ("own, by library", groups)):
        lines.append(f"\n== top by {title}")
        for frame, count in counter.most_common(top):
            lines.append(f"{100 * count / total:6.1f}% {count:7} {frame}")
    return "\n".join(lines)


def part(
    stacks: Counter[tuple[str, ...]],
    pattern: str,
    *,
    but: str,
    rate: float,
    urls: int,
    cpu: float = 0.0,
    top: int = 0,
) -> str:
    """The samples with a frame matching `pattern` and no frame matching `but` at or below
    (called from) the first of those: their share, and CPU ms per URL, from the share and
    the process's `cpu` seconds if given (py-spy's samples of the thread holding the GIL
    count time the thread was waiting for a core too, which a busy machine inflates), else
    from the sampling `rate`; with `top`, the part's largest pieces by the innermost of its
    frames and the frame that one called."""
    all_samples = sum(stacks.values()) or 1
    found, unless = re.compile(pattern), re.compile(but or "(?!)")
    pieces: Counter[str] = Counter()
    for frames, n in stacks.items():
        inside = [i for i, frame in enumerate(frames) if found.search(frame)]
        if not inside or any(map(unless.search, frames[inside[0] :])):
            continue
        last = inside[-1]
        pieces[" > ".join(_name(frame) for frame in frames[last : last + 2])] += n
    count = sum(pieces.values())
    line = f"\n== part /{pattern}/ but /{but}/: {100 * count / all_samples:.1f}% ({count} samples)"
    per_sample = 0.0
    if cpu and urls:
        per_sample = 1000 * cpu / all_samples / urls
        line += f", {per_sample * count:.4f} ms per URL of {cpu:.2f} s CPU"
    elif rate and urls:
        per_sample = 1000 / rate / urls
        line += f", {per_sample * count:.4f} ms per URL"
    for piece, n in pieces.most_common(top):
        line += f"\n{per_sample * n:8.4f} {n:6} {piece}"
    return line


def _name(frame: str) -> str:
    match = _FRAME.match(frame)
    return match.group("name") if match else frame


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, help="py-spy --format raw output")
    parser.add_argument("--top", type=int, default=15, help="rows per table")
    parser.add_argument("--part", help="also: the samples with a frame matching this regex")
    parser.add_argument("--but", default="", help="leaving out samples with a frame matching this")
    parser.add_argument("--rate", type=float, default=0, help="py-spy's samples a second")
    parser.add_argument("--urls", type=int, default=0, help="URLs of the run, for ms per URL")
    parser.add_argument(
        "--cpu", type=float, default=0, help="the process's CPU seconds, for ms per URL (better)"
    )
    args = parser.parse_args(argv)
    stacks = parse(args.profile)
    print(summarise(stacks, args.top))
    if args.part:
        print(
            part(
                stacks,
                args.part,
                but=args.but,
                rate=args.rate,
                urls=args.urls,
                cpu=args.cpu,
                top=args.top,
            )
        )


if __name__ == "__main__":
    main()
