"""Router for `/subjects`: list, versions, register, lookup, get, raw schema, referencedby, delete,
latest with metadata."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from govern.registry.errors import BadRequest
from govern.registry.server.controller import Registry
from govern.registry.server.http import (
    call,
    flag,
    json_response,
    media_type,
    page,
    read,
    read_json,
    subject_param,
)


def _registry(request: Request) -> Registry:
    return request.app.state.registry


async def list_subjects(request: Request) -> Response:
    q = request.query_params
    prefix = q.get("subjectPrefix", q.get("subject"))
    result = await read(
        request,
        _registry(request).list_subjects,
        prefix=prefix,
        deleted=flag(request, "deleted"),
        deleted_only=flag(request, "deletedOnly", "deleted_only"),
    )
    return json_response(request, page(request, result))


async def list_versions(request: Request) -> Response:
    result = await read(
        request,
        _registry(request).list_versions,
        subject_param(request),
        deleted=flag(request, "deleted"),
        deleted_only=flag(request, "deletedOnly", "deleted_only"),
        deleted_as_negative=flag(request, "deletedAsNegative"),
    )
    return json_response(request, page(request, result))


async def register(request: Request) -> Response:
    body = await read_json(request)
    result = await call(
        _registry(request).register,
        subject_param(request),
        body,
        normalize=flag(request, "normalize"),
        force=flag(request, "force"),
    )
    return json_response(request, result)


async def lookup(request: Request) -> Response:
    body = await read_json(request)
    result = await read(
        request,
        _registry(request).lookup,
        subject_param(request),
        body,
        normalize=flag(request, "normalize"),
        deleted=flag(request, "deleted"),
    )
    return json_response(request, result)


async def delete_subject(request: Request) -> Response:
    result = await call(
        _registry(request).delete_subject, subject_param(request), permanent=flag(request, "permanent")
    )
    return json_response(request, result)


async def get_version(request: Request) -> Response:
    result = await read(
        request,
        _registry(request).get_version,
        subject_param(request),
        request.path_params["version"],
        deleted=flag(request, "deleted"),
    )
    return json_response(request, result)


async def get_version_schema(request: Request) -> Response:
    text = await read(
        request,
        _registry(request).get_version_schema,
        subject_param(request),
        request.path_params["version"],
        deleted=flag(request, "deleted"),
    )
    return Response(text.encode(), media_type=media_type(request))


async def referenced_by(request: Request) -> Response:
    result = await read(
        request, _registry(request).referenced_by, subject_param(request), request.path_params["version"]
    )
    return json_response(request, page(request, result))


async def latest_with_metadata(request: Request) -> Response:
    keys, values = request.query_params.getlist("key"), request.query_params.getlist("value")
    if len(keys) != len(values):
        raise BadRequest("Give as many 'value' query parameters as 'key' ones")
    result = await read(
        request,
        _registry(request).latest_with_metadata,
        subject_param(request),
        dict(zip(keys, values, strict=True)),
        deleted=flag(request, "deleted"),
    )
    return json_response(request, result)


async def delete_version(request: Request) -> Response:
    result = await call(
        _registry(request).delete_version,
        subject_param(request),
        request.path_params["version"],
        permanent=flag(request, "permanent"),
    )
    return json_response(request, result)


routes = [
    Route("/subjects", list_subjects, methods=["GET"]),
    Route("/subjects/{subject}/versions", list_versions, methods=["GET"]),
    Route("/subjects/{subject}/versions", register, methods=["POST"]),
    Route("/subjects/{subject}/versions/{version}", get_version, methods=["GET"]),
    Route("/subjects/{subject}/versions/{version}", delete_version, methods=["DELETE"]),
    Route("/subjects/{subject}/versions/{version}/schema", get_version_schema, methods=["GET"]),
    Route("/subjects/{subject}/versions/{version}/referencedby", referenced_by, methods=["GET"]),
    Route("/subjects/{subject}/metadata", latest_with_metadata, methods=["GET"]),
    Route("/subjects/{subject}", lookup, methods=["POST"]),
    Route("/subjects/{subject}", delete_subject, methods=["DELETE"]),
]
