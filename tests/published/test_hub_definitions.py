"""hub/extractors/ holds one Meltano Hub definition per tap: made from the tap's own
``--about --format=json`` (scripts/hub_definitions.py, so it never drifts), complete and valid by
the Hub's rules (its schema, a copy in hub/schemas/; its file naming and formatting), and in
agreement with the extractors of meltano.yml, except for where the package comes from."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from published.cases import TAPS
from published.hub_schema import problems
from testkit import ROOT, tap_executable

LISTING = yaml.safe_load((ROOT / "hub" / "listing.yml").read_text())
VARIANT = LISTING["variant"]
#: What the issue found missing, and a Hub page shows: each must be there and not empty.
LISTED_FIELDS = (
    "variant",
    "quality",
    "maintenance_status",
    "label",
    "description",
    "repo",
    "docs",
    "keywords",
    "logo_url",
    "domain_url",
    "capabilities",
    "settings",
    "settings_group_validation",
    "pip_url",
    "executable",
    "namespace",
)


def definition_file(tap: str) -> Path:
    return ROOT / "hub" / "extractors" / f"{tap}--{VARIANT}.yml"


def definition(tap: str) -> dict[str, Any]:
    return dict(yaml.safe_load(definition_file(tap).read_text()))


def about(tap: str) -> dict[str, Any]:
    out = subprocess.run(
        [tap_executable(tap), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def meltano_yml_extractor(tap: str) -> dict[str, Any]:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    (entry,) = [e for e in project["plugins"]["extractors"] if e["name"] == tap]
    return dict(entry)


def test_the_definitions_agree_with_every_tap_about() -> None:
    check = subprocess.run(
        [sys.executable, "-m", "scripts.hub_definitions", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout[-4000:] + check.stderr[-2000:]


def test_one_definition_per_tap_named_after_its_name_and_variant() -> None:
    files = sorted(p.name for p in (ROOT / "hub" / "extractors").iterdir())
    assert files == [f"{tap}--{VARIANT}.yml" for tap in TAPS]
    for tap in TAPS:
        found = definition(tap)
        # The Hub keeps it as _data/meltano/extractors/<name>/<variant>.yml and checks the name.
        assert (found["name"], found["variant"]) == (tap, VARIANT)


@pytest.mark.parametrize("tap", TAPS)
def test_the_definition_passes_the_hub_schema(tap: str) -> None:
    assert problems(definition(tap)) == []


def test_the_hub_schema_check_refuses_what_the_hub_refuses() -> None:
    """meltano.yml's own entries lack what the Hub requires; a wrong enum value is named."""
    # (Less its env, the project's own logging config: a Hub definition has no env.)
    ours = {k: v for k, v in meltano_yml_extractor(TAPS[0]).items() if k != "env"}
    assert problems(ours) == [
        "(top): 'quality' is a required property",
        "(top): 'variant' is a required property",
    ]
    broken = definition(TAPS[0])
    broken["quality"] = "platinum"
    broken["settings"][0]["kind"] = "text"
    broken["settings"][0]["secret"] = True
    found = problems(broken)
    assert any(line.startswith("quality: 'platinum' is not one of") for line in found), found
    assert any(line.startswith("settings/0/kind: 'text' is not one of") for line in found), found
    assert any(line.startswith("settings/0: Additional properties") for line in found), found


@pytest.mark.parametrize("tap", TAPS)
def test_the_definition_has_what_a_hub_listing_shows(tap: str) -> None:
    found = definition(tap)
    assert [f for f in LISTED_FIELDS if not found.get(f)] == []
    assert found["quality"] == LISTING["quality"]
    assert found["maintenance_status"] == LISTING["maintenance_status"]
    assert "meltano_sdk" in found["keywords"]  # the Hub's mark of a tap built on the SDK
    for setting in found["settings"]:
        assert {"name", "kind", "label", "description"} <= set(setting), setting["name"]


@pytest.mark.parametrize("tap", TAPS)
def test_every_secret_of_the_tap_is_sensitive(tap: str) -> None:
    """Independent of the generator: what the tap calls secret, the definition hides."""
    secrets = {n for n, p in about(tap)["settings"]["properties"].items() if p.get("secret")}
    sensitive = {s["name"] for s in definition(tap)["settings"] if s.get("sensitive")}
    assert secrets
    assert sensitive == secrets


@pytest.mark.parametrize("tap", TAPS)
def test_the_definition_agrees_with_meltano_yml(tap: str) -> None:
    hub, ours = definition(tap), meltano_yml_extractor(tap)
    assert {s["name"]: s for s in hub["settings"]} == {s["name"]: s for s in ours["settings"]}
    assert set(hub["capabilities"]) == set(ours["capabilities"])
    assert {frozenset(g) for g in hub["settings_group_validation"]} == {
        frozenset(g) for g in ours["settings_group_validation"]
    }
    for key in ("name", "namespace", "executable"):
        assert hub[key] == ours[key]
    # This repository installs its checkout; anyone else the published package.
    assert ours["pip_url"] == f"-e ./{tap}"
    project = tomllib.loads((ROOT / tap / "pyproject.toml").read_text())["project"]
    assert hub["pip_url"] == project["name"]


@pytest.mark.parametrize("tap", TAPS)
def test_the_package_names_the_repository_and_docs_of_the_listing(tap: str) -> None:
    urls = tomllib.loads((ROOT / tap / "pyproject.toml").read_text())["project"]["urls"]
    found = definition(tap)
    assert urls["Repository"] == urls["Homepage"] == found["repo"] == LISTING["repo"]
    assert urls["Documentation"] == found["docs"] == LISTING["docs"].format(tap=tap)
    assert urls["Changelog"] == f"{LISTING['repo']}/blob/main/{tap}/CHANGELOG.md"


def _mappings(node: yaml.Node) -> list[yaml.MappingNode]:
    found = [node] if isinstance(node, yaml.MappingNode) else []
    children: list[Any] = []
    if isinstance(node, yaml.MappingNode):
        children = [v for _, v in node.value]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    for child in children:
        found += _mappings(child)
    return found


@pytest.mark.parametrize("tap", TAPS)
def test_the_file_is_as_the_hub_formatter_leaves_it(tap: str) -> None:
    """The Hub's yamllint (key-ordering, no flow mappings, no document start) and hub-utils'
    formatter (settings by name, capabilities and each group sorted)."""
    text = definition_file(tap).read_text()
    assert not text.startswith("---")
    root = yaml.compose(text)
    for mapping in _mappings(root):
        keys = [k.value for k, _ in mapping.value]
        assert keys == sorted(keys), keys
        assert not mapping.flow_style
    found = definition(tap)
    names = [s["name"] for s in found["settings"]]
    assert names == sorted(names)
    assert found["capabilities"] == sorted(found["capabilities"])
    assert all(group == sorted(group) for group in found["settings_group_validation"])
