"""GET /api/v1/stats: the account at a glance. `emailsThisMonth` counts recipients accepted
since the first of the month (UTC), as the group's monthly limit counts them."""
from __future__ import annotations

import clock
from dialects.autorelay import resource
from dialects.autorelay.resource import blueprint
from services import contacts, domains, sending


@blueprint.get("/stats")
def account_stats():
    user = resource.user()
    month = clock.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return {"contacts": contacts.page_of(user, limit=0)[0],
            "campaigns": {"total": 0, "sending": 0, "completed": 0},
            "emailsThisMonth": sending.sent_since(user, month), "domains": len(domains.list_for(user))}
