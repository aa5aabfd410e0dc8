"""Bearer API keys at the gRPC edge: who is calling (UNAUTHENTICATED otherwise), and
whether their key may write and may touch the request's tenant (PERMISSION_DENIED).

Services named in `open_services` (health and reflection by default) need no key,
so load balancers and grpcurl's `list` keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import grpc

from ticketminer.api.deserialize import RefusedRequest
from ticketminer.api.handler_wrap import wrap_handler
from ticketminer.domain.api_keys import ApiKey
from ticketminer.domain.model import DEFAULT_TENANT
from ticketminer.services.api_keys import ApiKeyService

# The methods that change stored data; every other method only reads.
WRITE_METHODS = frozenset(
    (
        "IngestTicket",
        "IngestTickets",
        "ReclusterIssues",
        "ScanAnomalies",
        "UpdateTenantSettings",
        "PutDigestSchedule",
        "DeleteDigestSchedule",
        "DeleteTicket",
        "DeleteCustomerData",
    )
)
MISSING = "missing API key: send the metadata 'authorization: Bearer <key>'"
INVALID = "invalid or revoked API key"

# The key of the call being served (it follows the call's worker thread), so a handler
# answering for many tenants (ListTenants) shows only the key's own.
_calling_key: ContextVar[ApiKey | None] = ContextVar("ticketminer_api_key", default=None)


def calling_key() -> ApiKey | None:
    """The API key of the current call; None when keys are off (`--auth off`)."""
    return _calling_key.get()


def _as(key: ApiKey, behavior: Callable[..., Any], request: Any, context: Any) -> Any:
    token = _calling_key.set(key)
    try:
        return behavior(request, context)
    finally:
        _calling_key.reset(token)


def request_tenant(request: Any) -> str | None:
    """The tenant a request names (its ticket's, its settings', its schedule's, or its
    own), if any."""
    fields = getattr(getattr(request, "DESCRIPTOR", None), "fields_by_name", {})
    for holder in ("ticket", "settings", "schedule"):
        if holder in fields:
            return getattr(request, holder).tenant_id or DEFAULT_TENANT
    if "tenant_id" in fields:
        return request.tenant_id or DEFAULT_TENANT
    return None  # a malformed request: the handler answers INVALID_ARGUMENT


class AuthInterceptor(grpc.ServerInterceptor):
    def __init__(self, keys: ApiKeyService, open_services: frozenset[str]) -> None:
        self._keys = keys
        self._open = open_services

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        handler = continuation(details)
        service, _, method = details.method.lstrip("/").rpartition("/")
        if handler is None or service in self._open:
            return handler
        metadata = dict(details.invocation_metadata or ())
        gate = _Gate(self._keys, str(metadata.get("authorization", "")), method)
        return wrap_handler(
            handler,
            unary_unary=gate.unary,
            unary_stream=gate.unary,
            stream_unary=gate.streamed,
            stream_stream=gate.streamed,
        )


class _Gate:
    """The checks of one call, run where a context exists to abort with."""

    def __init__(self, keys: ApiKeyService, authorization: str, method: str) -> None:
        self._keys, self._method = keys, method
        scheme, _, token = authorization.partition(" ")
        self._token = token.strip() if scheme.lower() == "bearer" else ""

    def _key(self, context: grpc.ServicerContext) -> ApiKey:
        if not self._token:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, MISSING)
        key = self._keys.authenticate(self._token)
        if key is None:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, INVALID)
        if not key.allows(write=self._method in WRITE_METHODS):
            context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"API key {key.key_id} is read-only; {self._method} writes",
            )
        return key

    @staticmethod
    def _refusal(key: ApiKey, request: Any) -> str | None:
        tenant = request_tenant(request)
        if tenant is not None and not key.allows_tenant(tenant):
            return f"API key {key.key_id} may not access tenant {tenant[:64]!r}"
        return None

    def _check_tenant(self, key: ApiKey, request: Any, context: grpc.ServicerContext) -> None:
        refusal = self._refusal(key, request)
        if refusal is not None:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, refusal)

    def unary(self, behavior: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(request: Any, context: grpc.ServicerContext) -> Any:
            key = self._key(context)
            self._check_tenant(key, request, context)
            return _as(key, behavior, request, context)

        return wrapper

    def streamed(self, behavior: Callable[..., Any]) -> Callable[..., Any]:
        """A foreign tenant's item in a request stream is refused on its own, as a
        rejected item with its reason; every other item is stored and counted."""

        def wrapper(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
            key = self._key(context)

            def checked() -> Iterator[Any]:
                for request in requests:
                    refusal = self._refusal(key, request)
                    if refusal is None:
                        yield request
                    else:
                        external_id = getattr(getattr(request, "ticket", None), "external_id", "")
                        yield RefusedRequest(external_id[:256], f"permission denied: {refusal}")

            return _as(key, behavior, checked(), context)

        return wrapper
