"""The SCIM 2.0 service provider (RFC 7643/7644): multi-tenant /Users and /Groups."""

from .app import create_app

__all__ = ["create_app"]
