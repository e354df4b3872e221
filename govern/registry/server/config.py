"""Router for `/config`: global and per-subject compatibility level (and `normalize`)."""

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


async def get_config(request: Request) -> Response:
    result = await read(
        request,
        _registry(request).get_config,
        _subject(request),
        default_to_global=flag(request, "defaultToGlobal"),
    )
    return json_response(request, result)


async def put_config(request: Request) -> Response:
    body = await read_json(request)
    result = await call(_registry(request).set_config, _subject(request), body)
    return json_response(request, result)


async def delete_config(request: Request) -> Response:
    result = await call(_registry(request).delete_config, _subject(request))
    return json_response(request, result)


routes = [
    Route("/config", get_config, methods=["GET"]),
    Route("/config", put_config, methods=["PUT"]),
    Route("/config", delete_config, methods=["DELETE"]),
    Route("/config/{subject}", get_config, methods=["GET"]),
    Route("/config/{subject}", put_config, methods=["PUT"]),
    Route("/config/{subject}", delete_config, methods=["DELETE"]),
]
