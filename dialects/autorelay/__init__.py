"""The generic `/api/v1` dialect (seed 003, "AutoRelay"): account keys `sk_live_…`/`sk_test_…`
as `Authorization: Bearer`, camelCase JSON, `{"error": {"code", "message"}}` on failure (see
resource.py), a request budget per key by the plan of the user's group.

It shares `/api/v1/` with Octeth's REST layer (`api_v1/`), and both have `/api/v1/webhooks`: the
presented key decides. A Bearer `sk_` key gets this dialect (an app-level before_request answers
with this dialect's view before Octeth's route runs); anything else, such as an Octeth
sender-domain key, gets Octeth's. For that, app.DIALECTS lists this dialect before `api_v1`, so its
hook runs first and `owns` is asked first.

This module stays light (no Flask import): the worker imports `payload` (the webhook format)
without loading the web routes.
"""
from __future__ import annotations

NAME = "autorelay"


def owns(path: str) -> bool:
    from dialects.autorelay import paths

    return paths.owns(path)


def render_error(status: int, text: str, headers: dict):
    from dialects.autorelay.resource import error_response

    return error_response(status, None, text, headers)


def init_app(app, settings) -> None:
    from dialects.autorelay import campaigns, contacts, domains, emails, payload, stats, webhooks  # noqa: F401
    from dialects.autorelay import resource

    resource.init_app(app, settings)
    app.before_request(webhooks.answer_shared_path)
    app.register_blueprint(resource.blueprint)
