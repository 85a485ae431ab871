"""Catalog endpoints: find connectors by name."""

from __future__ import annotations

from fastapi import APIRouter

from scimhub.applications.catalog import catalog_entry, search_catalog

from .shapes import Record

router = APIRouter(tags=["catalog"])


class RegionOut(Record):
    key: str
    label: str
    base_url: str


class MappingOut(Record):
    source: str
    target: str
    note: str


class OptionOut(Record):
    key: str
    label: str
    default: bool


class CatalogEntryOut(Record):
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


@router.get("/catalog", summary="Search the connector catalog by name")
def search(q: str = "") -> list[CatalogEntryOut]:
    return [CatalogEntryOut.model_validate(e) for e in search_catalog(q)]


@router.get("/catalog/{key}", summary="One catalog entry")
def show(key: str) -> CatalogEntryOut:
    return CatalogEntryOut.model_validate(catalog_entry(key))
