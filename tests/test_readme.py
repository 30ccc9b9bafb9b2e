"""The README's quickstart is code a user will paste: it must run and print what it says."""

import re
from pathlib import Path

import torch

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_opens_with_the_two_setup_commands():
    first_block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


def test_readme_quickstart_runs(capsys):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    assert namespace["videos"].shape == (8, 3, 16, 112, 112)
    torch.testing.assert_close(namespace["soft_labels"].sum(1), torch.ones(8))
    assert "torch.Size([8, 3, 16, 112, 112]) torch.Size([8, 10])" in capsys.readouterr().out
