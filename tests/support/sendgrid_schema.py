"""Request validators built from SendGrid's OpenAPI descriptions in tests/fixtures/sendgrid/.

The `$ref`s are inlined once at import (local refs only, the files have no cycles) and each
validator is compiled once. Mail Send bodies are checked either fully, or ("sample") with the
envelope checked fully and only a sample of the personalizations checked against their
sub-schema: full validation of a 1,000-personalization body costs tens of milliseconds.

One correction to the spec: top-level `custom_args` is typed `string` there, but the API and
the official client (`Mail.get()`) use an object of strings, like the personalization one.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from functools import cache
from itertools import islice
from typing import Any, Literal, TypeAlias

from jsonschema import (  # type: ignore[import-untyped]
    Draft202012Validator,
    FormatChecker,
    ValidationError,
)

from tests.support.paths import FIXTURES

__all__ = [
    "SPEC_DIR",
    "ApiError",
    "MailValidator",
    "Mode",
    "api_error",
    "load_spec",
    "request_schema",
    "scheduled_send_validator",
    "schema_errors",
]

SPEC_DIR = FIXTURES / "sendgrid"
MAIL_SPEC = "tsg_mail_v3.json"
SCHEDULED_SPEC = "tsg_scheduled_sends_v3.json"
MAX_ERRORS = 20
MAX_MESSAGE = 300

ApiError: TypeAlias = dict[str, Any]
Mode: TypeAlias = Literal["full", "sample"]

_CUSTOM_ARGS = {"type": "object", "additionalProperties": {"type": "string"}}
_FORMATS = FormatChecker(formats=("email",))


def api_error(message: str, field: str | None = None) -> ApiError:
    """One item of SendGrid's `errors` array."""
    return {"message": message, "field": field, "help": None}


@cache
def load_spec(name: str) -> dict[str, Any]:
    """One OpenAPI document of the fixtures directory, parsed."""
    with (SPEC_DIR / name).open(encoding="utf-8") as f:
        doc: dict[str, Any] = json.load(f)
    return doc


def _pointer(doc: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported: {ref}")
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def inline_refs(node: Any, doc: dict[str, Any]) -> Any:
    """`node` with every local `$ref` replaced by its target (siblings kept via allOf)."""
    if isinstance(node, list):
        return [inline_refs(item, doc) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = inline_refs(_pointer(doc, node["$ref"]), doc)
        siblings = {k: inline_refs(v, doc) for k, v in node.items() if k != "$ref"}
        return {**siblings, "allOf": [target]} if siblings else target
    return {key: inline_refs(value, doc) for key, value in node.items()}


def request_schema(spec: str, path: str, method: str) -> dict[str, Any]:
    """The resolved JSON request-body schema of one operation."""
    doc = load_spec(spec)
    operation = inline_refs(doc["paths"][path][method], doc)
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def mail_send_schema() -> dict[str, Any]:
    """The Mail Send body schema, with the top-level `custom_args` correction."""
    schema = request_schema(MAIL_SPEC, "/v3/mail/send", "post")
    props = schema["properties"]
    props["custom_args"] = {**_CUSTOM_ARGS, "description": props["custom_args"]["description"]}
    return schema


def _compile(schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_FORMATS)


def _field(error: ValidationError, prefix: tuple[str | int, ...] = ()) -> str | None:
    parts = [*prefix, *error.absolute_path]
    return ".".join(str(p) for p in parts) or None


def _to_api(
    errors: Iterator[ValidationError], prefix: tuple[str | int, ...] = ()
) -> list[ApiError]:
    out = []
    for error in islice(errors, MAX_ERRORS):
        out.append(api_error(error.message[:MAX_MESSAGE], _field(error, prefix)))
    return out


@cache
def _mail_validators() -> tuple[Draft202012Validator, Draft202012Validator, Draft202012Validator]:
    """(full body, envelope without personalization items, one personalization)."""
    full = mail_send_schema()
    personalizations = full["properties"]["personalizations"]
    envelope = {**full, "properties": {**full["properties"]}}
    envelope["properties"]["personalizations"] = {
        k: v for k, v in personalizations.items() if k != "items"
    }
    return _compile(full), _compile(envelope), _compile(personalizations["items"])


class MailValidator:
    """Checks Mail Send bodies against the spec, fully or by sample."""

    def __init__(self, mode: Mode = "full", sample_size: int = 8, seed: int | None = None) -> None:
        if mode not in ("full", "sample"):
            raise ValueError(f"validate must be 'full' or 'sample', not {mode!r}")
        self.mode: Mode = mode
        self.sample_size = sample_size
        self._random = random.Random(seed)
        self._full, self._envelope, self._item = _mail_validators()

    def errors(self, body: Any) -> list[ApiError]:
        """SendGrid-style errors for `body` (empty when valid)."""
        if self.mode == "full":
            return _to_api(self._full.iter_errors(body))
        errors = _to_api(self._envelope.iter_errors(body))
        if errors:
            return errors
        items: list[Any] = body["personalizations"]
        for index in self.sample_indices(len(items)):
            errors += _to_api(self._item.iter_errors(items[index]), ("personalizations", index))
        return errors[:MAX_ERRORS]

    def sample_indices(self, count: int) -> list[int]:
        """The first and last items, plus random others: `sample_size` in all."""
        if count <= self.sample_size:
            return list(range(count))
        middle = self._random.sample(range(1, count - 1), self.sample_size - 2)
        return [0, *sorted(middle), count - 1]


@cache
def scheduled_send_validator(method: Literal["post", "patch"]) -> Draft202012Validator:
    """Validator of the POST /v3/user/scheduled_sends or PATCH .../{batch_id} body."""
    path = "/v3/user/scheduled_sends" + ("/{batch_id}" if method == "patch" else "")
    return _compile(request_schema(SCHEDULED_SPEC, path, method))


def schema_errors(validator: Draft202012Validator, body: Any) -> list[ApiError]:
    """SendGrid-style errors of `body` against a compiled validator."""
    return _to_api(validator.iter_errors(body))
