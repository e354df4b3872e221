"""Router for `/schemas`: by id (JSON, raw, subjects, versions) and the supported types."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govern.registry.server.controller import SCHEMA_TYPES, Registry
from govern.registry.server.http import flag, int_param, json_response, media_type, page, read


def _registry(request: Request) -> Registry:
    return request.app.state.registry


async def by_id(request: Request) -> Response:
    result = await read(request, _registry(request).schema_by_id, int_param(request, "id"))
    return json_response(request, result)


async def raw_by_id(request: Request) -> Response:
    result = await read(request, _registry(request).schema_by_id, int_param(request, "id"))
    return Response(result["schema"].encode(), media_type=media_type(request))


async def subjects_by_id(request: Request) -> Response:
    result = await read(
        request, _registry(request).subjects_by_id, int_param(request, "id"), deleted=flag(request, "deleted")
    )
    return json_response(request, page(request, result))


async def versions_by_id(request: Request) -> Response:
    result = await read(
        request, _registry(request).versions_by_id, int_param(request, "id"), deleted=flag(request, "deleted")
    )
    return json_response(request, page(request, result))


async def types(request: Request) -> Response:
    return json_response(request, list(SCHEMA_TYPES))


routes = [
    Route("/schemas/types", types, methods=["GET"]),
    Route("/schemas/ids/{id}", by_id, methods=["GET"]),
    Route("/schemas/ids/{id}/schema", raw_by_id, methods=["GET"]),
    Route("/schemas/ids/{id}/subjects", subjects_by_id, methods=["GET"]),
    Route("/schemas/ids/{id}/versions", versions_by_id, methods=["GET"]),
]
