"""Every example in the OpenAPI document is valid against its own schema, and no operation
that answers JSON is left without one."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from evse_gateway.app import create_app
from evse_gateway.settings import GatewaySettings


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(GatewaySettings()).openapi()


def json_media(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            bodies = [("request", operation.get("requestBody", {}))] + [
                (status, answer)
                for status, answer in operation["responses"].items()
                if status.startswith("2")
            ]
            for where, body in bodies:
                media = body.get("content", {}).get("application/json")
                if media is not None and "$ref" in media.get("schema", {}):
                    found.append((f"{method.upper()} {path} {where}", media))
    return found


def test_every_json_body_and_answer_has_an_example(document: dict[str, Any]) -> None:
    missing = [where for where, media in json_media(document) if "example" not in media]
    assert missing == []


def test_every_example_is_valid_against_its_schema(document: dict[str, Any]) -> None:
    registry: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    for where, media in json_media(document):
        ref = "urn:openapi" + media["schema"]["$ref"]
        validator = jsonschema.Draft202012Validator({"$ref": ref}, registry=registry)
        errors = [error.message for error in validator.iter_errors(media["example"])]
        assert errors == [], where
