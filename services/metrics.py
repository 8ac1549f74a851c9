"""Prometheus metrics. Counters and histograms count what this process did (under gunicorn,
set PROMETHEUS_MULTIPROC_DIR and they are summed across workers); the queue gauges are read
from the database at scrape time, so every process reports the same, true figure."""
from __future__ import annotations

import os

from peewee import fn
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

import clock
from models import Delivery, WebhookDelivery
from models.vocabulary import OutboxStatus, PENDING_DELIVERY

REQUESTS = Counter("gatepost_http_requests_total", "HTTP requests by dialect, command or route, and status",
                   ["dialect", "endpoint", "status"])
ACCEPTED = Counter("gatepost_messages_accepted_total", "Messages accepted, by way in", ["source"])
DELIVERIES = Counter("gatepost_deliveries_total", "Delivery attempts by outcome", ["result"])
DELIVERY_LATENCY = Histogram("gatepost_delivery_latency_seconds", "From acceptance (or SendAt) to the 2xx",
                             buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400))
WEBHOOKS = Counter("gatepost_webhook_posts_total", "Webhook POSTs by outcome", ["result"])


class QueueCollector:
    """Queue depth by state and the age of the oldest due delivery, from the database."""

    def collect(self):
        depth = GaugeMetricFamily("gatepost_queue_deliveries", "Deliveries waiting, by state", labels=["state"])
        counts = dict(Delivery.select(Delivery.status, fn.COUNT(Delivery.id))
                      .where(Delivery.status.in_(PENDING_DELIVERY)).group_by(Delivery.status).tuples())
        for state in PENDING_DELIVERY:
            depth.add_metric([state], counts.get(state, 0))
        yield depth
        now = clock.now()
        first_due = fn.MIN(Delivery.next_attempt_at).python_value(Delivery.next_attempt_at.python_value)
        oldest = Delivery.select(first_due).where(Delivery.status.in_(PENDING_DELIVERY), Delivery.next_attempt_at <= now).scalar()
        yield GaugeMetricFamily("gatepost_queue_oldest_due_seconds", "How long the oldest due delivery has waited",
                                value=(now - oldest).total_seconds() if oldest else 0)
        yield GaugeMetricFamily("gatepost_webhook_outbox_pending", "Webhook deliveries waiting",
                                value=WebhookDelivery.select().where(WebhookDelivery.status == OutboxStatus.PENDING).count())


def exposition() -> bytes:
    """The text format for /metrics: this process's (or all workers') counters and the queue."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, ACCEPTED, DELIVERIES, DELIVERY_LATENCY, WEBHOOKS):
            registry.register(collector)
    registry.register(QueueCollector())
    return generate_latest(registry)
