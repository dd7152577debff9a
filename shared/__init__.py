"""Plumbing every Minyi service shares: the event contract, settings, logging, Kafka, Mongo, HTTP.

No business rule of one service lives here.
"""
