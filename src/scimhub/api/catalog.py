"""Catalog endpoints: find connectors by name."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from scimhub.applications.catalog import CatalogEntry, catalog_entry, search_catalog

router = APIRouter(tags=["catalog"])


class RegionOut(BaseModel):
    key: str
    label: str
    base_url: str


class MappingOut(BaseModel):
    source: str
    target: str
    note: str


class OptionOut(BaseModel):
    key: str
    label: str
    default: bool


class CatalogEntryOut(BaseModel):
    key: str
    name: str
    description: str
    protocol: str
    regions: list[RegionOut]
    user_delete: bool
    groups: bool
    patch: bool
    reads_service_provider_config: bool
    mapping: list[MappingOut]
    options: list[OptionOut]
    never_sent: list[str]
    notes: list[str]

    @classmethod
    def of(cls, e: CatalogEntry) -> CatalogEntryOut:
        return cls(
            key=e.key,
            name=e.name,
            description=e.description,
            protocol=e.protocol,
            regions=[RegionOut(key=r.key, label=r.label, base_url=r.base_url) for r in e.regions],
            user_delete=e.user_delete,
            groups=e.groups,
            patch=e.patch,
            reads_service_provider_config=e.reads_service_provider_config,
            mapping=[MappingOut(source=m.source, target=m.target, note=m.note) for m in e.mapping],
            options=[OptionOut(key=o.key, label=o.label, default=o.default) for o in e.options],
            never_sent=list(e.never_sent),
            notes=list(e.notes),
        )


@router.get("/catalog", summary="Search the connector catalog by name")
def search(q: str = "") -> list[CatalogEntryOut]:
    return [CatalogEntryOut.of(e) for e in search_catalog(q)]


@router.get("/catalog/{key}", summary="One catalog entry")
def show(key: str) -> CatalogEntryOut:
    return CatalogEntryOut.of(catalog_entry(key))
