"""A sample of the bad-input benchmark (benchmarks/fuzz_inputs.py): every generated malformed stack file,
playlist, segment and HTTP answer ends in a clear one-line error or a finding, never anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.fuzz_inputs import run
from fixtures.aws.stack_file import StackFileError, load_stack_file


@pytest.mark.takes(7)
def test_a_sample_of_bad_input_ends_in_clear_errors_and_findings_only() -> None:
    tally = run(examples=150, random_seed=8216)
    unexpected = {k: v for k, v in tally.outcomes.items() if k.endswith("unexpected")}
    assert not unexpected, tally.unexpected
    assert tally.outcomes["stack file: clear error"] > 0 and tally.outcomes["playlist: clear error"] > 0


def test_a_control_character_in_a_stack_file_is_one_clear_line(tmp_path: Path) -> None:
    """Found by the fuzzer: PyYAML's reader error spans two lines."""
    path = tmp_path / "stack.yaml"
    path.write_text("name: x\x1b\n")
    with pytest.raises(StackFileError) as error:
        load_stack_file(path)
    assert "not valid YAML at character 7" in str(error.value) and "0x1b" in str(error.value)
    assert "\n" not in str(error.value)
