"""The README's shell commands: every one is run by the self-tests as printed, from outside the checkout."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# README commands that run the whole local drill: tests/test_drill_runs.py runs each of them whole from outside the
# checkout (the printed words, then its -n and segment length), and holds every scenario's verdict and figures to
# the edge's own record. The README
# test (tests/test_readme_commands.py) leaves them to it rather than running a narrowed copy of each again.
WHOLE_DRILL_COMMANDS = {
    "L=1 scaled knobs": "./drill -n 6",
    "L=2 AWS whole-second knobs": "./drill",
    "L=1 routing kvs": "./drill --routing kvs",
    "L=1 routing path-prefix": "./drill --routing path-prefix",
    "mediapackage-v2 mqar": "./drill --origin-kind mediapackage-v2 --selection-criteria media-quality-based",
}


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", readme, re.DOTALL):
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command:
                commands.append(command)
    return commands


def readme_command(printed: str) -> list[str]:
    """The words of a command the README prints exactly so, with ./drill the checkout's by its absolute path."""
    if printed not in readme_commands():
        pytest.fail(f"README.md no longer prints {printed!r}; the test running it needs the new command")
    words = shlex.split(printed)
    words[0] = str(ROOT / "drill")
    return words
