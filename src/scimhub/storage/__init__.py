"""Storage plumbing: engines, tables, migrations and the SCIM filter compiler."""
