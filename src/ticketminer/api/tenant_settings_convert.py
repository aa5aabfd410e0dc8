"""Tenant settings between the wire and the domain."""

from __future__ import annotations

from ticketminer.api.convert import set_time, tenant_of
from ticketminer.domain.tenant_settings import TenantSettings
from ticketminer.domain.tenure import TenureBuckets
from ticketminer.v1 import ticketminer_pb2 as pb


def update_from_proto(
    req: pb.UpdateTenantSettingsRequest,
) -> tuple[TenantSettings, tuple[str, ...]]:
    """(the settings sent, the mask's paths); the service checks both."""
    sent = req.settings
    settings = TenantSettings(tenant_of(sent.tenant_id), tuple(sent.tenure_edges_days))
    return settings, tuple(dict.fromkeys(req.update_mask.paths))


def settings_to_proto(settings: TenantSettings, tenure: TenureBuckets) -> pb.TenantSettings:
    """`tenure` is the buckets in effect (the tenant's, else the server's)."""
    out = pb.TenantSettings(
        tenant_id=settings.tenant_id,
        tenure_edges_days=settings.tenure_edges_days,
        tenure_buckets=tenure.names,
    )
    set_time(out, "updated_at", settings.updated_at)
    return out
