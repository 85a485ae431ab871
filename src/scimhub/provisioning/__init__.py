"""The provisioning engine: keeps each application's users in step with the directory.

Level-triggered (DESIGN.md): directory and application changes mark link rows dirty in
the same transaction (``marks``); workers claim dirty links, compute the desired state,
call the target through a ``Connector`` and record the outcome and the log.
"""
