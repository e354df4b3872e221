"""Router for `/compatibility`: test a schema against one version or against the subject's level."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govern.registry.server.controller import Registry
from govern.registry.server.http import call, flag, json_response, read_json, subject_param


def _registry(request: Request) -> Registry:
    return request.app.state.registry


async def check(request: Request) -> Response:
    body = await read_json(request)
    result = await call(
        _registry(request).check_compatibility,
        subject_param(request),
        request.path_params.get("version"),
        body,
        normalize=flag(request, "normalize"),
        verbose=flag(request, "verbose"),
    )
    return json_response(request, result)


routes = [
    Route("/compatibility/subjects/{subject}/versions", check, methods=["POST"]),
    Route("/compatibility/subjects/{subject}/versions/{version}", check, methods=["POST"]),
]
