"""GET /openapi.json: an OpenAPI 3.1 description of the gateway, generated from the
service and message descriptors (what grpcurl learns from reflection): every RPC a
POST path, schemas keyed by the JSON names, enums as their names."""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from ticketminer.api.handlers import SERVICE
from ticketminer.http.gateway import NDJSON, PROTO, service_rpcs

ERROR_SCHEMA = "connect.error"
_F = FieldDescriptor
_INT64 = (_F.TYPE_INT64, _F.TYPE_SINT64, _F.TYPE_SFIXED64, _F.TYPE_UINT64, _F.TYPE_FIXED64)
_INT32 = (_F.TYPE_INT32, _F.TYPE_SINT32, _F.TYPE_SFIXED32)
_UINT32 = (_F.TYPE_UINT32, _F.TYPE_FIXED32)
# Well-known types have a JSON form of their own in the canonical mapping.
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?\d+(\.\d+)?s$"},
    "google.protobuf.FieldMask": {
        "type": "string",
        "description": "comma-separated field paths, e.g. 'timeZone,businessHours'",
    },
    "google.protobuf.Empty": {"type": "object"},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


class _Schemas:
    """Component schemas for the messages and enums reachable from the RPCs."""

    def __init__(self) -> None:
        self.out: dict[str, Any] = {}

    def message(self, desc: Descriptor) -> dict[str, Any]:
        if desc.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[desc.full_name])
        if desc.full_name not in self.out:
            self.out[desc.full_name] = {}  # placeholder first: messages may recurse
            self.out[desc.full_name] = {
                "type": "object",
                "title": desc.name,
                "properties": {f.json_name: self._field(f) for f in desc.fields},
                "additionalProperties": False,
            }
        return _ref(desc.full_name)

    def enum(self, desc: EnumDescriptor) -> dict[str, Any]:
        self.out.setdefault(
            desc.full_name,
            {"type": "string", "title": desc.name, "enum": [v.name for v in desc.values]},
        )
        return _ref(desc.full_name)

    def _field(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value = field.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self._single(value)}
        single = self._single(field)
        if field.is_repeated:
            return {"type": "array", "items": single}
        return single

    def _single(self, field: FieldDescriptor) -> dict[str, Any]:
        t = field.type
        if t == _F.TYPE_MESSAGE:
            return self.message(field.message_type)
        if t == _F.TYPE_ENUM:
            return self.enum(field.enum_type)
        if t in _INT64:  # written as strings; numbers are accepted too
            return {"type": ["string", "integer"], "format": "int64"}
        if t in _INT32:
            return {"type": "integer", "format": "int32"}
        if t in _UINT32:
            return {"type": "integer", "format": "int64", "minimum": 0}
        if t in (_F.TYPE_DOUBLE, _F.TYPE_FLOAT):
            return {"type": "number"}
        if t == _F.TYPE_BOOL:
            return {"type": "boolean"}
        if t == _F.TYPE_BYTES:
            return {"type": "string", "contentEncoding": "base64"}
        return {"type": "string"}


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A Connect error (https://connectrpc.com/docs/protocol#error-end-stream)",
        "properties": {
            "code": {"type": "string", "examples": ["invalid_argument", "unauthenticated"]},
            "message": {"type": "string"},
            "details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "examples": ["google.rpc.BadRequest"]},
                        "value": {"type": "string", "contentEncoding": "base64"},
                        "debug": {"type": "object"},
                    },
                    "required": ["type", "value"],
                },
            },
        },
        "required": ["code"],
    }


def openapi_document(version: str = "1") -> dict[str, Any]:
    schemas = _Schemas()
    error = {
        "description": "A Connect error; the HTTP status follows the code",
        "content": {"application/json": {"schema": _ref(ERROR_SCHEMA)}},
    }
    paths: dict[str, Any] = {}
    for rpc in service_rpcs():
        request = schemas.message(rpc.input.DESCRIPTOR)
        response = schemas.message(rpc.output.DESCRIPTOR)
        if rpc.client_streaming:
            body = {
                "application/json": {"schema": {"type": "array", "items": request}},
                NDJSON: {"schema": request},
            }
            note = (
                "A client stream: send a JSON array of request messages, or NDJSON (one "
                "request message per line); a bad item is reported, not fatal."
            )
        else:
            body = {
                "application/json": {"schema": request},
                PROTO: {"schema": {"type": "string", "contentMediaType": PROTO}},
            }
            note = "The request and response messages in protobuf's canonical JSON mapping."
        paths[rpc.path] = {
            "post": {
                "operationId": rpc.name,
                "tags": [SERVICE.full_name],
                "description": note,
                "requestBody": {"required": True, "content": body},
                "responses": {
                    "200": {
                        "description": rpc.output.DESCRIPTOR.name,
                        "content": {"application/json": {"schema": response}},
                    },
                    "default": error,
                },
            }
        }
    components = {
        "schemas": {**schemas.out, ERROR_SCHEMA: _error_schema()},
        "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{SERVICE.full_name} over HTTP/JSON (Connect protocol)",
            "version": version,
            "description": (
                "Every RPC of the gRPC service as POST /<service>/<method> with the request "
                "message as JSON (protobuf field names are accepted too); errors are Connect "
                "error JSON. With --auth keys send 'Authorization: Bearer <API key>'."
            ),
        },
        "paths": paths,
        "components": components,
        "security": [{"apiKey": []}, {}],
    }
