"""The `scimhub` command line."""
