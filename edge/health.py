"""For the operator, not a dialect: liveness, readiness and Prometheus metrics."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request

import config

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
    """Opt-in: only with GATEPOST_METRICS_TOKEN set, and only for `Authorization: Bearer <it>`
    (the listener also serves /t/ to the whole internet)."""
    token = config.current().metrics_token
    presented = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
        abort(404)
    return Response(metrics.exposition(), mimetype="text/plain; version=0.0.4")
