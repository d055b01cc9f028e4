"""Sources: one module per application type, turning REST answers into typed snapshots.

Each has `async fetch(client, app) -> Snapshot` and, for the types with user scans,
`async scan(client, app, settings, now) -> UsersSnapshot`; exporter.apptypes lists them."""
