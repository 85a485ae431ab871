"""An application's attribute mapping: which directory property becomes which SCIM
attribute (RFC 7643 §4.1). A change sends every linked user again under the new mapping."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from scimhub.applications.mapping_rules import MAX_ENTRIES, SOURCES, mapping_from_json

from .deps import HubDep
from .shapes import Record

router = APIRouter(tags=["applications"])


class MappingEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    source: str = Field(description=f"A directory property: {', '.join(SOURCES)}")
    target: str = Field(
        description='A SCIM path: "title", "name.givenName", '
        '"emails[type eq \\"work\\"].value" or "urn:…:User:department"'
    )
    note: str = ""
    primary: bool = Field(False, description="The primary element of a multi-valued attribute")


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    entries: list[MappingEntryIn] = Field(max_length=MAX_ENTRIES)


class MappingEntryOut(Record):
    source: str
    target: str
    note: str
    primary: bool


class MappingOut(Record):
    app_id: str
    catalog_key: str
    is_default: bool = Field(description="True while the application uses its catalog default")
    entries: list[MappingEntryOut]


@router.get("/applications/{ref}/mapping", summary="The attribute mapping the users are sent with")
def get_mapping(hub: HubDep, ref: str) -> MappingOut:
    return MappingOut.model_validate(hub.mappings.get(ref))


@router.put(
    "/applications/{ref}/mapping",
    summary="Replace the attribute mapping (422 listing every problem if it is not valid)",
)
def set_mapping(hub: HubDep, ref: str, body: MappingIn) -> MappingOut:
    entries = mapping_from_json([e.model_dump() for e in body.entries])
    return MappingOut.model_validate(hub.mappings.set(ref, entries))


@router.delete("/applications/{ref}/mapping", summary="Go back to the catalog's default mapping")
def reset_mapping(hub: HubDep, ref: str) -> MappingOut:
    return MappingOut.model_validate(hub.mappings.reset(ref))
