"""GET /api/v1/stats: the account at a glance. `emailsThisMonth` counts recipients accepted
since the first of the month (UTC), as the group's monthly limit counts them; `campaigns.sending`
counts launched campaigns whose start has come."""
from __future__ import annotations

import clock
from dialects.autorelay import resource
from dialects.autorelay.resource import blueprint
from dialects.autorelay.vocabulary import campaign_status
from models.vocabulary import CampaignStatus
from services import campaigns, contacts, domains, sending


@blueprint.get("/stats")
def account_stats():
    user = resource.user()
    now = clock.now()
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    statuses = [campaign_status(c, now) for c in campaigns.list_for(user)]
    return {"contacts": contacts.page_of(user, limit=0)[0],
            "campaigns": {"total": len(statuses), "sending": statuses.count(CampaignStatus.SENDING),
                          "completed": statuses.count(CampaignStatus.COMPLETED)},
            "emailsThisMonth": sending.sent_since(user, month), "domains": len(domains.list_for(user))}
