"""Router for the root resources: liveness `/`, `/contexts`, and the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from govern.registry.server.http import json_response
from govern.registry.server.openapi import document


async def root(request: Request) -> Response:
    return json_response(request, {})


async def contexts(request: Request) -> Response:
    return json_response(request, ["."])


async def openapi(request: Request) -> Response:
    return JSONResponse(document())


routes = [
    Route("/", root, methods=["GET", "POST"]),
    Route("/contexts", contexts, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]
