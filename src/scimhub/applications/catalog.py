"""The connector catalog: what each kind of application is and how it is provisioned.

Entries are data. The provisioning engine reads a connector's capabilities and its default
attribute mapping from here (a generic SCIM target refines its capabilities from its own
``/ServiceProviderConfig`` at activation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scimhub.problems import NotFound

__all__ = [
    "CATALOG",
    "ENTERPRISE_DEPARTMENT",
    "CatalogEntry",
    "Mapping",
    "Option",
    "Region",
    "catalog_entry",
    "search_catalog",
]

ENTERPRISE_DEPARTMENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"


@dataclass(frozen=True, slots=True)
class Region:
    key: str
    label: str
    base_url: str


@dataclass(frozen=True, slots=True)
class Mapping:
    """One directory property sent as one SCIM attribute (``target`` is a SCIM path).

    ``primary`` marks the element of a typed multi-valued attribute (``emails[type eq "work"]``)
    as the primary one (RFC 7643 §2.4).
    """

    source: str
    target: str
    note: str = ""
    primary: bool = False


@dataclass(frozen=True, slots=True)
class Option:
    """A provisioning choice the admin may make per application, with its default."""

    key: str
    label: str
    default: bool


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    key: str
    name: str
    description: str
    protocol: str
    regions: tuple[Region, ...]
    user_delete: bool  #: can the target delete users at all
    groups: bool  #: can the target hold groups at all
    patch: bool  #: PATCH supported (else PUT)
    reads_service_provider_config: bool
    mapping: tuple[Mapping, ...]
    options: tuple[Option, ...] = ()
    never_sent: tuple[str, ...] = ("roles", "manager")
    keywords: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    def region(self, key: str) -> Region | None:
        return next((r for r in self.regions if r.key == key), None)

    def default_options(self) -> dict[str, bool]:
        return {o.key: o.default for o in self.options}


#: The seed's Profit.co table. The work email is the primary email.
_PROFITCO_MAPPING = (
    Mapping("username", "userName", "an email address"),
    Mapping("email", 'emails[type eq "work"].value', "primary", primary=True),
    Mapping("firstname", "name.givenName"),
    Mapping("lastname", "name.familyName"),
    Mapping("state", "active", "ACTIVATED is true; SUSPENDED or out of scope is false"),
    Mapping("department", ENTERPRISE_DEPARTMENT),
    Mapping("jobTitle", "title"),
)

PROFITCO = CatalogEntry(
    key="profitco",
    name="Profit.co",
    description="OKR and performance management. Users are provisioned with SCIM 2.0.",
    protocol="SCIM 2.0",
    regions=(
        Region("default", "Default", "https://api.profit.co/app/rest/platform/auth/scim/v2"),
        Region(
            "eu",
            "European Union (EU)",
            "https://eu2-app.profit.co/app/rest/platform/auth/scim/v2",
        ),
    ),
    user_delete=False,
    groups=False,
    patch=True,
    reads_service_provider_config=False,
    mapping=_PROFITCO_MAPPING,
    keywords=("profit", "okr", "profitco"),
    notes=(
        "Profit.co does not support deletion of a user: deprovisioning sets active to false.",
        "Groups are not supported.",
        "roles and manager are never sent.",
        "To change the token: deactivate the IdM integration, update the token, activate again.",
    ),
)

GENERIC_SCIM = CatalogEntry(
    key="scim2",
    name="Generic SCIM 2.0",
    description="Any application with a SCIM 2.0 API (RFC 7643/7644) at a base URL you give.",
    protocol="SCIM 2.0",
    regions=(),
    user_delete=True,
    groups=True,
    patch=True,
    reads_service_provider_config=True,
    mapping=_PROFITCO_MAPPING,
    options=(
        Option("delete_users", "Delete users that leave scope (otherwise deactivate)", False),
        Option("push_groups", "Push bound user groups as SCIM groups (not available yet)", False),
    ),
    keywords=("scim", "generic", "custom", "rfc 7644"),
    notes=("Capabilities are read from the target's /ServiceProviderConfig when it serves one.",),
)

CATALOG: dict[str, CatalogEntry] = {e.key: e for e in (PROFITCO, GENERIC_SCIM)}


def catalog_entry(key: str) -> CatalogEntry:
    try:
        return CATALOG[key]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise NotFound(f"No connector '{key}' in the catalog (known: {known})") from None


def search_catalog(text: str = "") -> list[CatalogEntry]:
    """Entries whose name, key or keywords contain ``text`` (case-insensitive), by name."""
    needle = text.strip().casefold()
    found = [e for e in CATALOG.values() if not needle or needle in _haystack(e)]
    return sorted(found, key=lambda e: e.name.casefold())


def _haystack(entry: CatalogEntry) -> str:
    return " ".join((entry.name, entry.key, *entry.keywords)).casefold()
