"""Applications: the connector catalog, application instances, group bindings and the
IdM (SCIM provisioning) integration lifecycle."""
