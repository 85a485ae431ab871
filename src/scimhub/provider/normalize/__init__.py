"""Tolerance for real IdP clients, in one place.

Microsoft Entra ID, Okta and JumpCloud send requests that bend RFC 7643/7644. Each
rule below rewrites such a request into its strict RFC form before the core sees
it; handlers and the protocol core never branch on the client. Rules are named for
the deviation and only rewrite what strict validation would reject, so a request
that is already valid passes through unchanged. tests/interop/ replays each client
(request ids refer to the research notes cited there).

Rule (module)                                             Clients known to need it
--------------------------------------------------------  ---------------------------------
``op`` values and PatchOp member names in any case        Entra ID (E13-E29: "Replace")
  (patch)
booleans sent as strings, ``"False"``, ``"True"``         Entra ID (E15a active, E11
  (values)                                                  roles[].primary)
path-less add/replace whose value has dotted or URN-      Entra ID (E18, E19, Validator)
  qualified keys, ``name.givenName``,
  ``urn:...:enterprise:2.0:User:department`` (names)
extension attribute named without its URN: top-level      Entra ID (E9 body, E20a path
  ``department``/``manager``, path ``manager``,             ``manager``, E7 filter)
  filter ``manager eq ...`` (names, filters)
a bare id for a single-valued reference (``value`` +       Entra ID (E20b)
  ``$ref``): manager ``"value": "<id>"`` means
  ``{"value": "<id>"}``; ``""`` or ``{"value": ""}``
  clears it, an add/replace of it becomes a remove
  (values, patch)
remove of a multi-valued attribute with an array of ids   Entra ID (E29a), JumpCloud (J12)
  removes only those values (patch)
schema URNs unknown here and carrying no data are         Entra ID (E9 "...:2.0User", E24
  dropped from ``schemas`` (names)                          Microsoft ADSCIM Group URN)
attributes this resource type lacks, sent with no data    Okta (O12/O15 ``groups: []``
  (``groups: []`` to a profile without groups) (init)       against a users-only profile)
a single object where an array is expected (values)       none captured yet (defensive)
create/replace body without ``schemas`` (init)            none captured yet (defensive)
PATCH without the PatchOp ``schemas`` URN (patch)         none captured yet (defensive)
``attr[filter].sub op value`` in a query filter;          Entra ID (E6 work email match,
  bare (unquoted) comparison values (filters)               E5, E7)

Already handled by the strict core, so no rule here: ``null`` values and read-only
attributes (``id``, ``meta``, ``groups``) in bodies, ``"$ref": null`` in members, ``id``
in a path-less replace value (Okta O22), redundant member adds, and
``roles[primary eq "True"]`` value filters. ``roles`` values holding JSON text (Entra
E21) are valid strings and are stored as sent, not parsed.

:func:`query_filter` is applied by whoever reads a query's ``filter`` parameter.
"""

from __future__ import annotations

from typing import Any

from scimhub.scim.schema import ResourceType

from .filters import query_filter
from .names import declared_schemas, expand_keys, is_known
from .patch import patch_body
from .values import carries_data

__all__ = ["patch_body", "query_filter", "resource_body"]


def resource_body(body: Any, rtype: ResourceType) -> Any:
    """Normalise a POST/PUT body; anything not a JSON object is left to strict validation."""
    if not isinstance(body, dict):
        return body
    out = {
        key: value
        for key, value in expand_keys(body, rtype).items()
        if is_known(key, rtype) or carries_data(value)
    }
    if "schemas" in out:
        out["schemas"] = declared_schemas(out["schemas"], out, rtype)
    else:
        out["schemas"] = [rtype.schema.id, *(k for k in out if rtype.extension(k))]
    return out
