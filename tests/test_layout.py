"""The layout's promises: checks are pure, and the quick start is exactly two commands."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETWORK_MODULES = {"socket", "requests", "urllib", "http", "boto3", "botocore", "ssl"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_checks_import_nothing_from_fixtures_and_nothing_that_reaches_the_network() -> None:
    offenders = {}
    for path in sorted((ROOT / "checks").glob("*.py")):
        bad = {
            name
            for name in _imports(path)
            if name.split(".")[0] in NETWORK_MODULES | {"fixtures", "scenarios", "pytest"}
        }
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_readme_quick_start_holds_exactly_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", section, re.DOTALL)
    assert block, "the Quick start section has no fenced code block"
    commands = [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2, commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].strip() in ci.splitlines(), "CI must call the second quick-start command verbatim"
