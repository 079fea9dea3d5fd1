"""Webhooks: subscriptions, deliveries and the sender thread."""
