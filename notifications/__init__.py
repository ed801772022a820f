"""Delivery of notifications: it knows people and agencies, nothing of incidents.

The outbox, its backends and webhooks arrive with the escalation and notifications work (DESIGN,
"Notifications"); the app exists now so the dependency direction is fixed from the start.
"""
