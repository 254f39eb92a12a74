"""Meltano Hub's own check of a plugin definition, on the copy of its schemas in hub/schemas/
(no network): JSON Schema draft 7, each schema registered under its ``$id``, as the Hub's
``utility_scripts/plugin_definitions/plugin_schema_validate.py`` does."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from testkit import ROOT

SCHEMAS = ROOT / "hub" / "schemas"


def extractor_validator() -> Draft7Validator:
    resources = []
    for folder in ("common", "plugin_definitions"):
        for path in sorted((SCHEMAS / folder).glob("*.json")):
            schema = json.loads(path.read_text())
            resources.append(
                (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7))
            )
    root = json.loads((SCHEMAS / "plugin_definitions" / "extractors.schema.json").read_text())
    return Draft7Validator(root, registry=Registry().with_resources(resources))


def problems(definition: dict[str, Any]) -> list[str]:
    """Every way the definition breaks the Hub's schema, each with where ('' when none)."""
    return sorted(
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in extractor_validator().iter_errors(definition)
    )
