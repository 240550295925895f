"""The fenced code blocks of README.md and docs/*.md, and the markers that say how each is run.

A marker is an HTML comment on the lines right above a block (readers of the rendered page
do not see it), ``key: value`` pairs separated by ``;``:

- ``<!-- as: operator -->`` runs a ``graphql`` block as that persona (the local part of a demo
  e-mail, a partner application's client id, or ``anonymous``); several such lines run it
  once per line. ``expect: FORBIDDEN`` lists the error codes the text says it shows (at least
  one error, and no other code); ``variables: site`` names variables the test provides;
  ``equal: a.b = c.d`` asserts two values of the answer are equal. A ``subscription`` block
  runs over WebSocket: its first event, once the ``site`` of its variables changes.
- ``<!-- run -->`` runs a ``sh`` block (a ``python`` block: with this checkout's Python, which
  must exit 0); ``<!-- not run: why -->`` accounts for a block that no
  test can run (it blocks, or it needs hosts that exist only in production).

Blocks of other languages show configuration or output and are not commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNABLE = frozenset({"graphql", "sh", "python"})
SHOWN = frozenset({"json", "yaml", "nginx", "http", "text"})

FENCE = re.compile(r"^\s*```(?P<language>\S*)\s*$")
MARKER = re.compile(r"^\s*<!--(?P<body>.*)-->\s*$")


@dataclass(frozen=True)
class Block:
    path: str
    line: int
    language: str
    code: str
    markers: tuple[dict[str, str], ...]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def not_run(self) -> str | None:
        return next((m["not run"] for m in self.markers if "not run" in m), None)


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def parse_marker(body: str) -> dict[str, str]:
    pairs = (part.partition(":") for part in body.split(";") if part.strip())
    return {key.strip(): value.strip() for key, _, value in pairs}


def blocks_of(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
        markers: list[dict[str, str]] = []
        above = index - 1
        while above >= 0 and (comment := MARKER.match(lines[above])):
            markers.insert(0, parse_marker(comment["body"]))
            above -= 1
        indent = len(lines[index]) - len(lines[index].lstrip())
        code = "\n".join(line[indent:] for line in lines[index + 1 : end])
        relative = str(path.relative_to(ROOT))
        found.append(Block(relative, index + 1, opening["language"], code, tuple(markers)))
        index = end + 1
    return found


def all_blocks() -> list[Block]:
    return [block for path in documents() for block in blocks_of(path)]


def unaccounted(block: Block) -> str | None:
    """Why ``block`` is neither run nor marked as not run, or None when it is accounted for."""
    if block.language in SHOWN:
        return None
    if block.language not in RUNNABLE:
        known = ", ".join(sorted(RUNNABLE | SHOWN))
        return f"{block.where}: a block of language {block.language!r} (one of {known})"
    if block.not_run is not None:
        return None if block.not_run else f"{block.where}: `not run` without a reason"
    key = "as" if block.language == "graphql" else "run"
    if not any(key in marker for marker in block.markers):
        return f"{block.where}: no `<!-- {key}… -->` and no `<!-- not run: why -->`"
    return None


def outside_blocks(path: Path) -> str:
    return re.sub(r"^\s*```.*?^\s*```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def broken_references(path: Path) -> list[str]:
    """Links of ``path`` to a file or heading that does not exist, and `dir/file.py`-like paths
    in its text that are not in the repository."""
    text = outside_blocks(path)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        name, _, fragment = target.partition("#")
        linked = (path.parent / name).resolve() if name else path
        if not linked.exists():
            broken.append(f"{path.name}: link to a missing file {target}")
        elif fragment and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.*)$", outside_blocks(linked), flags=re.M)
            if fragment not in {anchor(heading) for heading in headings}:
                broken.append(f"{path.name}: link to a missing heading {target}")
    for mentioned in re.findall(r"`([\w.-]+/[\w./-]+\.(?:py|md|mjs))`", text):
        if not (ROOT / mentioned).exists():
            broken.append(f"{path.name}: {mentioned} is not in the repository")
    return broken
