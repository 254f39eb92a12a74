"""Build each tap's wheel and sdist, as they will be published.

``python scripts/build_dists.py [FOLDER]`` (default: dist/, what ``make dist`` runs) removes the
taps' earlier builds from FOLDER, runs ``uv build --package <tap>`` for each tap, and checks that
each wheel and sdist holds the LICENSE and carries the version of the tap's pyproject.toml. The
packaging tests build through this script too, into a folder of their own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: --no-sources: built without this workspace's [tool.uv.sources], as anyone else builds them.
UV_BUILD = [sys.executable, "-m", "uv", "build", "--quiet", "--no-sources"]


def taps() -> list[str]:
    return sorted(p.name for p in ROOT.glob("tap-*") if (p / "pyproject.toml").exists())


def version(tap: str) -> str:
    return str(tomllib.loads((ROOT / tap / "pyproject.toml").read_text())["project"]["version"])


def artifacts(folder: Path, tap: str) -> tuple[Path, Path]:
    """The tap's wheel and sdist in ``folder`` (file names as PEP 427 and 625 spell them)."""
    stem = f"{tap.replace('-', '_')}-{version(tap)}"
    return folder / f"{stem}-py3-none-any.whl", folder / f"{stem}.tar.gz"


def problems(wheel: Path, sdist: Path) -> list[str]:
    """What a built package lacks: the LICENSE (both), the CHANGELOG (sdist)."""
    found = []
    license_text = (ROOT / "LICENSE").read_text()
    with zipfile.ZipFile(wheel) as archive:
        licenses = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        if not licenses or archive.read(licenses[0]).decode() != license_text:
            found.append(f"{wheel.name} lacks the LICENSE")
    with tarfile.open(sdist) as archive:
        top = sdist.name.removesuffix(".tar.gz")
        for name in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"):
            if f"{top}/{name}" not in archive.getnames():
                found.append(f"{sdist.name} lacks {name}")
    return found


def build(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for tap in taps():
        for old in folder.glob(f"{tap.replace('-', '_')}-*"):
            old.unlink()
    built: list[Path] = []
    found: list[str] = []
    for tap in taps():
        subprocess.run(
            [*UV_BUILD, "--package", tap, "--out-dir", str(folder)], cwd=ROOT, check=True
        )
        wheel, sdist = artifacts(folder, tap)
        missing = [p.name for p in (wheel, sdist) if not p.exists()]
        if missing:
            raise SystemExit(f"{tap}: uv build did not write {missing} (version {version(tap)})")
        found += problems(wheel, sdist)
        built += [wheel, sdist]
    if found:
        raise SystemExit("\n".join(found))
    return built


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/build_dists.py")
    parser.add_argument("folder", nargs="?", default=str(ROOT / "dist"), type=Path)
    args = parser.parse_args(argv)
    for path in build(args.folder):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
