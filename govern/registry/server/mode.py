"""Router for `/mode`: READWRITE, READONLY, IMPORT, globally and per subject."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govern.registry.server.controller import Registry
from govern.registry.server.http import call, flag, json_response, read, read_json, subject_param


def _registry(request: Request) -> Registry:
    return request.app.state.registry


def _subject(request: Request) -> str | None:
    return subject_param(request) if "subject" in request.path_params else None


async def get_mode(request: Request) -> Response:
    result = await read(
        request,
        _registry(request).get_mode,
        _subject(request),
        default_to_global=flag(request, "defaultToGlobal"),
    )
    return json_response(request, result)


async def put_mode(request: Request) -> Response:
    body = await read_json(request)
    result = await call(_registry(request).set_mode, _subject(request), body, force=flag(request, "force"))
    return json_response(request, result)


async def delete_mode(request: Request) -> Response:
    result = await call(_registry(request).delete_mode, _subject(request))
    return json_response(request, result)


routes = [
    Route("/mode", get_mode, methods=["GET"]),
    Route("/mode", put_mode, methods=["PUT"]),
    Route("/mode", delete_mode, methods=["DELETE"]),
    Route("/mode/{subject}", get_mode, methods=["GET"]),
    Route("/mode/{subject}", put_mode, methods=["PUT"]),
    Route("/mode/{subject}", delete_mode, methods=["DELETE"]),
]
