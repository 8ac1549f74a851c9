"""For the operator, not a dialect: liveness, readiness and Prometheus metrics."""
from __future__ import annotations

from flask import Blueprint, Response

from models.db import pending_migrations
from services import metrics

blueprint = Blueprint("health", __name__)
RETRY_AFTER = "30"


@blueprint.get("/healthz")
def healthz():
    """The process is up (no database touched): for load balancers, and the bare baseline of bench/."""
    return {"status": "ok"}


@blueprint.get("/readyz")
def readyz():
    """Ready for traffic: the database answers and every migration is applied."""
    pending = pending_migrations()
    if pending:
        return {"status": "migrations pending", "pending": pending}, 503, {"Retry-After": RETRY_AFTER}
    return {"status": "ready"}


@blueprint.get("/metrics")
def prometheus():
    return Response(metrics.exposition(), mimetype="text/plain; version=0.0.4")
