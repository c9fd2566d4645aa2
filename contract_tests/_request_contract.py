"""Does a request, as sent, match openapi.yaml? Checked here with jsonschema, independently of
the mock's own request validation (a shared mistake would hide in both otherwise)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ._suite import SPEC_PATH

_SPEC_URI = "urn:kucoin-futures:openapi"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecViolation(AssertionError):
    """A request the client sent does not match openapi.yaml."""


@attrs.frozen
class _Operation:
    method: str
    path_template: str
    pattern: re.Pattern[str]
    definition: Mapping[str, Any]
    pointer: str
    parameters: tuple[Mapping[str, Any], ...]


class RequestContract:
    """The request side of openapi.yaml: which requests a client may send."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._spec = spec
        self._registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, Resource.from_contents(dict(spec), default_specification=DRAFT202012)
        )
        self._operations = tuple(self._collect_operations())

    @property
    def spec(self) -> Mapping[str, Any]:
        return self._spec

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> RequestContract:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def check(self, request: httpx.Request) -> None:
        problems = self.violations(request)
        if problems:
            raise SpecViolation(
                f"{request.method} {request.url.path} breaks openapi.yaml: " + "; ".join(problems)
            )

    def violations(self, request: httpx.Request) -> list[str]:
        operation = self._find(request.method, request.url.path)
        if operation is None:
            return [f"no operation {request.method} {request.url.path} in openapi.yaml"]
        return [
            *self._parameter_violations(operation, request),
            *self._security_violations(operation, request.headers),
            *self._body_violations(operation, request),
        ]

    def _collect_operations(self) -> list[_Operation]:
        operations = []
        for template, item in self._spec.get("paths", {}).items():
            pattern = re.compile(
                "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            )
            shared = tuple(item.get("parameters", ()))
            escaped = template.replace("~", "~0").replace("/", "~1")
            for method in _METHODS:
                if method in item:
                    definition = item[method]
                    operations.append(
                        _Operation(
                            method=method.upper(),
                            path_template=template,
                            pattern=pattern,
                            definition=definition,
                            pointer=f"/paths/{escaped}/{method}",
                            parameters=(*shared, *definition.get("parameters", ())),
                        )
                    )
        return operations

    def _find(self, method: str, path: str) -> _Operation | None:
        for operation in self._operations:
            if operation.method == method.upper() and operation.pattern.match(path):
                return operation
        return None

    def _parameter_violations(self, operation: _Operation, request: httpx.Request) -> list[str]:
        problems = []
        declared_query = {p["name"] for p in operation.parameters if p.get("in") == "query"}
        for name in request.url.params:
            if name not in declared_query:
                problems.append(f"undeclared query parameter {name!r}")
        for parameter in operation.parameters:
            if not parameter.get("required"):
                continue
            if parameter.get("in") == "query" and parameter["name"] not in request.url.params:
                problems.append(f"required query parameter {parameter['name']!r} missing")
            if parameter.get("in") == "header" and parameter["name"] not in request.headers:
                problems.append(f"required header {parameter['name']!r} missing")
        return problems

    def _security_violations(self, operation: _Operation, headers: Mapping[str, str]) -> list[str]:
        requirements = operation.definition.get("security", self._spec.get("security", []))
        if not requirements:
            return []
        schemes = self._spec.get("components", {}).get("securitySchemes", {})
        missing_per_requirement = []
        for requirement in requirements:
            missing = [
                schemes[name]["name"]
                for name in requirement
                if schemes[name].get("in") == "header" and not headers.get(schemes[name]["name"])
            ]
            if not missing:
                return []
            missing_per_requirement.append(missing)
        fewest = min(missing_per_requirement, key=len)
        return [f"security header {name} missing or empty" for name in fewest]

    def _body_violations(self, operation: _Operation, request: httpx.Request) -> list[str]:
        body = request.content
        request_body = operation.definition.get("requestBody")
        if request_body is None:
            return [f"a body of {len(body)} bytes, but the operation takes none"] if body else []
        if not body:
            return ["the required request body is missing"] if request_body.get("required") else []
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        content = request_body.get("content", {})
        if media_type not in content:
            return [f"Content-Type {media_type!r} is not one of {sorted(content)}"]
        if media_type != "application/json":
            return []
        try:
            document = json.loads(body)
        except ValueError as exc:
            return [f"the body is not JSON: {exc}"]
        media_pointer = "/requestBody/content/" + media_type.replace("/", "~1") + "/schema"
        schema = {"$ref": f"{_SPEC_URI}#{operation.pointer}{media_pointer}"}
        validator = Draft202012Validator(schema, registry=self._registry)
        return [
            f"body at /{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(document)
        ]


class RequestRecorder:
    """An httpx `request` event hook keeping every request as sent (after signing)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)
