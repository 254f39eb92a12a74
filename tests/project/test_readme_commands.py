"""Every shell block of every README (the root's and each tap's) is valid bash; the blocks marked
``<!-- runnable -->`` (on the line before the fence) run as written against the emulators and
exit 0; in the others, which need real credentials or a long time, every ``meltano`` and tap
command is one the pinned Meltano and the taps accept (each run with ``--help`` appended)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from testkit import ROOT, start_emulator

MARK = "<!-- runnable -->"
READMES = [ROOT / "README.md", *sorted(ROOT.glob("tap-*/README.md"))]
BIN = Path(sys.executable).parent
VENDOR_OF = {
    "tap-brightcove-audience": "brightcove",
    "tap-conviva-sessions": "conviva",
    "tap-vbrick-webcast": "vbrick",
    "tap-webcast-reporting": "webcasts",
}


@dataclass(frozen=True)
class Block:
    readme: Path
    line: int
    text: str
    runnable: bool

    @property
    def id(self) -> str:
        return f"{self.readme.relative_to(ROOT)}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for readme in READMES:
        lines = readme.read_text().splitlines()
        number = 0
        while number < len(lines):
            if lines[number].strip() in ("```sh", "```bash"):
                end = lines.index("```", number + 1)
                before = [line for line in lines[:number] if line.strip()]
                runnable = bool(before) and before[-1].strip() == MARK
                text = "\n".join(lines[number + 1 : end]) + "\n"
                found.append(Block(readme, number + 1, text, runnable))
                number = end
            number += 1
    return found


BLOCKS = blocks()


def shell_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a reader's shell has after `make plugins`: the workspace's tools on PATH; and a
    system database and output folder of the test's own, so the repository is left as it was."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TARGET_JSONL_DESTINATION_PATH": str(tmp_path),
        "UV_PYTHON_DOWNLOADS": "never",
        **extra,
    }


def test_the_readmes_have_runnable_blocks() -> None:
    marked = {b.readme for b in BLOCKS if b.runnable}
    assert marked == set(READMES)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.id)
def test_every_block_is_valid_bash(block: Block) -> None:
    done = subprocess.run(["bash", "-n"], input=block.text, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def commands(text: str) -> list[str]:
    """The meltano and tap commands of a block: each line's commands between ``&&``, ``|``,
    ``;`` and ``&``, up to a redirection, without a leading ``uv run``."""
    joined = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in joined.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words: list[str] = []
        redirected = False  # the word after < or > is a file, not an argument
        for token in [*lexer, ";"]:
            if token and set(token) <= set("&|;()"):  # the command ends here
                if words[:2] == ["uv", "run"]:
                    words = words[2:]
                if words and (words[0] == "meltano" or words[0] in VENDOR_OF):
                    found.append(shlex.join(words))
                words = []
            elif token and set(token) <= set("<>"):
                redirected = True
            elif redirected:
                redirected = False
            else:
                words.append(token)
    return found


CHECKED = sorted({c for b in BLOCKS if not b.runnable for c in commands(b.text)})


def test_the_unmarked_blocks_hold_commands_to_check() -> None:
    assert any(c.startswith("meltano config set ") for c in CHECKED)
    assert any(c.startswith("tap-") for c in CHECKED)


@pytest.mark.parametrize("command", CHECKED)
def test_the_unmarked_commands_are_accepted(command: str, tmp_path: Path) -> None:
    """``--help`` after the whole command: a wrong subcommand or option still fails (Meltano
    4.4.1 says ``No such command``), and nothing runs. In an empty folder, with the files a
    tap command names present (the SDK reads ``--config`` before it sees ``--help``)."""
    words = shlex.split(command)
    for word in words:
        if word.endswith(".json"):
            (tmp_path / word).write_text("{}")
    # `meltano invoke` hands what follows the plugin to the plugin: its --help goes first.
    args = [*words[:2], "--help", *words[2:]] if words[1:2] == ["invoke"] else [*words, "--help"]
    done = subprocess.run(
        args,
        cwd=tmp_path,
        env=shell_env(tmp_path, MELTANO_PROJECT_ROOT=str(ROOT)),  # some ask for a project first
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Usage:" in done.stdout


RUNNABLE = [b for b in BLOCKS if b.runnable]


@pytest.mark.e2e
@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.id)
def test_the_runnable_blocks_run(
    block: Block, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    extra: dict[str, str] = {}
    if "target-postgres" in block.text:  # a schema of the test's own (skips without a server)
        target = request.getfixturevalue("pg_target")
        extra["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"] = target.schema
    servers = []
    if "--environment=emulators" in block.text:
        for tap, vendor in VENDOR_OF.items():
            if re.search(rf"\b{tap}\b", block.text):
                servers.append(start_emulator(vendor))
                extra[f"{vendor.upper()}_EMULATOR_URL"] = servers[-1].url
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail"],
            input=block.text,
            cwd=ROOT,
            env=shell_env(tmp_path, **extra),
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        for server in servers:
            server.stop()
    assert done.returncode == 0, f"{block.id} exited {done.returncode}:\n{done.stderr[-3000:]}"
