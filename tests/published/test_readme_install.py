"""The README's "Install and use outside this repository" names files that exist: the Hub
definitions it adds from, and wheel patterns that match what `make dist` builds."""

from __future__ import annotations

import fnmatch
import re

from published.builds import Built
from testkit import ROOT

README = (ROOT / "README.md").read_text()
SECTION = README.split("## Install and use outside this repository", 1)[-1].split("\n## ", 1)[0]


def test_the_section_exists() -> None:
    assert "## Install and use outside this repository" in README
    assert "meltano add --plugin-type extractor" in SECTION


def test_every_definition_it_names_exists() -> None:
    named = set(re.findall(r"hub/extractors/tap-[a-z-]+--[a-z0-9-]+\.yml", SECTION))
    assert named
    assert [n for n in sorted(named) if not (ROOT / n).is_file()] == []


def test_every_wheel_pattern_it_names_matches_a_built_wheel(dists: dict[str, Built]) -> None:
    patterns = set(re.findall(r"dist/(tap_[a-z_]+-\*\.whl)", SECTION))
    assert patterns
    wheels = [built.wheel.name for built in dists.values()]
    assert [p for p in sorted(patterns) if len(fnmatch.filter(wheels, p)) != 1] == []
