"""scimhub: a self-hosted identity lifecycle hub and SCIM 2.0 service provider."""

__version__ = "0.1.0"
