"""The event contract: the CloudEvents envelope and one model per event type."""
