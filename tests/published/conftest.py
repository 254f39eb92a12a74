"""The taps as published: their wheels and sdists, built once per test session by the script
`make dist` runs, into a folder of the session's own (a stale dist/ is never what is tested)."""

from __future__ import annotations

import pytest
from published.builds import Built, build
from published.cases import TAPS


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    return build(tmp_path_factory.mktemp("dist"), TAPS)
