"""meltano.yml declares each extractor, and each tap's README lists its settings, as the tap
does: names, kinds, defaults, labels, descriptions, secrets and capabilities come from the tap's
``--about --format=json`` through scripts/plugin_settings.py, so they never drift apart."""

from __future__ import annotations

import subprocess
import sys

import yaml
from testkit import ROOT, tap_executable

SCRIPT = ROOT / "scripts" / "plugin_settings.py"


def test_meltano_yml_and_the_readme_tables_agree_with_every_tap_about() -> None:
    check = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout[-4000:] + check.stderr[-2000:]


def test_every_secret_setting_is_sensitive_in_meltano_yml() -> None:
    """Independent of the generator: a secret the tap declares is never a plain setting."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    for plugin in project["plugins"]["extractors"]:
        if "inherit_from" in plugin:  # a partition: its base's settings, none of its own
            assert "settings" not in plugin, plugin["name"]
            continue
        about = subprocess.run(
            [tap_executable(plugin["name"]), "--about", "--format=json"],
            capture_output=True,
            text=True,
            check=True,
        )
        secrets = {
            name
            for name, prop in yaml.safe_load(about.stdout)["settings"]["properties"].items()
            if prop.get("secret")
        }
        sensitive = {s["name"] for s in plugin["settings"] if s.get("sensitive")}
        assert secrets, plugin["name"]
        assert secrets == sensitive, plugin["name"]
