"""The README's library example runs as written and trains (no backpropagation)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs_and_trains(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1
    assert len(blocks[0].strip().splitlines()) <= 22  # a short example, not a tutorial
    namespace: dict = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    history = namespace["result"].history
    assert history.num_grads == 0  # node perturbation: no backward pass
    assert max(history.validation) > 0.85  # from chance (10%) on held-out digits
    assert "without backprop" in capsys.readouterr().out
