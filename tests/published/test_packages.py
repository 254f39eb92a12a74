"""Each tap builds a wheel and an sdist (``uv build`` builds the wheel from the sdist, so the sdist
is proven to build too), with its version in one place, its CHANGELOG and the repository's
Apache-2.0 LICENSE."""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
import tomllib
import zipfile
from email.message import Message
from email.parser import Parser

import pytest
from published.builds import Built
from published.cases import TAPS
from testkit import ROOT, tap_executable

LICENSE = (ROOT / "LICENSE").read_text()


def project(tap: str) -> dict:
    return dict(tomllib.loads((ROOT / tap / "pyproject.toml").read_text())["project"])


def wheel_metadata(built: Built) -> Message:
    with zipfile.ZipFile(built.wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode())


def test_the_repository_is_apache_2_licensed() -> None:
    assert LICENSE.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in LICENSE
    assert "END OF TERMS AND CONDITIONS" in LICENSE


@pytest.mark.parametrize("tap", TAPS)
def test_the_version_is_in_one_place(tap: str, dists: dict[str, Built]) -> None:
    version = project(tap)["version"]
    assert "version" not in project(tap).get("dynamic", [])
    # No second copy written in the code (the SDK reads the installed package's version; a
    # __version__ may do the same through importlib.metadata).
    package = ROOT / tap / tap.replace("-", "_")
    pinned = re.compile(r"^__version__\s*=\s*[\"']", re.M)
    assert [p for p in package.rglob("*.py") if pinned.search(p.read_text())] == []
    about = subprocess.run(
        [tap_executable(tap), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(about.stdout)["version"] == version
    assert wheel_metadata(dists[tap])["Version"] == version
    assert dists[tap].wheel.name == f"{tap.replace('-', '_')}-{version}-py3-none-any.whl"
    assert dists[tap].sdist.name == f"{tap.replace('-', '_')}-{version}.tar.gz"


@pytest.mark.parametrize("tap", TAPS)
def test_the_changelog_starts_with_the_current_version(tap: str) -> None:
    changelog = (ROOT / tap / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## (\S+)", changelog, re.M)
    assert releases, "CHANGELOG.md has no release heading (## <version> ...)"
    assert releases[0] == project(tap)["version"]


@pytest.mark.parametrize("tap", TAPS)
def test_the_packages_hold_the_license(tap: str, dists: dict[str, Built]) -> None:
    assert (ROOT / tap / "LICENSE").read_text() == LICENSE
    metadata = wheel_metadata(dists[tap])
    assert metadata["License-Expression"] == "Apache-2.0"
    with zipfile.ZipFile(dists[tap].wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(name).decode() == LICENSE
    top = dists[tap].sdist.name.removesuffix(".tar.gz")
    with tarfile.open(dists[tap].sdist) as archive:
        names = set(archive.getnames())
        assert {f"{top}/{n}" for n in ("LICENSE", "CHANGELOG.md", "README.md")} <= names
        member = archive.extractfile(f"{top}/LICENSE")
        assert member is not None
        assert member.read().decode() == LICENSE


@pytest.mark.parametrize("tap", TAPS)
def test_the_wheel_holds_the_tap_and_its_schemas(tap: str, dists: dict[str, Built]) -> None:
    """Everything under the package folder, data files included (a stream's schema file left
    out of the wheel would only fail once installed elsewhere)."""
    package = ROOT / tap / tap.replace("-", "_")
    wanted = {
        str(p.relative_to(package.parent))
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(dists[tap].wheel) as archive:
        assert wanted <= set(archive.namelist())
    metadata = wheel_metadata(dists[tap])
    entry = f"{tap} = {tap.replace('-', '_')}.tap:"
    with zipfile.ZipFile(dists[tap].wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        assert entry in archive.read(name).decode()
    assert metadata["Name"] == tap
