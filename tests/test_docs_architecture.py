"""docs/architecture.md names files and figures; they must exist and agree with what the page points to."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "architecture.md").read_text()


def test_every_file_the_page_names_exists():
    paths = set(re.findall(r"`((?:videoaug|tests|docs)/[\w/.*-]+?)(?::[^`]*)?`", PAGE))
    assert len(paths) >= 10
    missing = [p for p in paths if not (list(ROOT.glob(p)) if "*" in p else (ROOT / p).exists())]
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


def test_the_kornia_table_quotes_the_recorded_run():
    records = json.loads((ROOT / "docs" / "bench-kornia.json").read_text())["records"]
    seconds = {(r["pipeline"], r["impl"]): r["extra"]["cpu_seconds"] for r in records}
    rows = {p for p, _ in seconds}
    assert len(rows) == 8
    for pipeline in rows:
        ratio = seconds[(pipeline, "kornia")] / seconds[(pipeline, "videoaug")]
        quoted = f"{ratio:.2f}" if ratio < 10 else f"{ratio:.1f}"
        assert re.search(rf", {re.escape(quoted)} \|", PAGE), (pipeline, quoted)  # run 2 is the JSON's run
