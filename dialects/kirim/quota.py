"""`GET /api/quota`: the account's sending limit and usage, from its user group's limits
(the monthly one, else the daily one) and the recipients accepted in that period, in the
guide's shape (`plan, limit, used, remaining, reset_at`) and the SDK's (`current_quota,
max_quota, usage_percentage`). A group without limits answers `limit`, `remaining`,
`max_quota` and `current_quota` as null ("unlimited")."""
from __future__ import annotations

import datetime

import clock
from dialects.kirim.resource import account, blueprint, iso, ok
from services import sending


@blueprint.get("/quota")
def get_quota():
    user = account()
    group, now = user.group, clock.now()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if group.send_limit_per_month or not group.send_limit_per_day:
        limit, start, period = group.send_limit_per_month, day.replace(day=1), "monthly"
        end = (start + datetime.timedelta(days=32)).replace(day=1)
    else:
        limit, start, period, end = group.send_limit_per_day, day, "daily", day + datetime.timedelta(days=1)
    used = sending.sent_since(user, start)
    remaining = max(limit - used, 0) if limit else None
    return ok({"plan": group.name, "period": period, "limit": limit or None, "used": used, "remaining": remaining,
               "reset_at": iso(end - datetime.timedelta(seconds=1)), "current_quota": remaining,
               "max_quota": limit or None,
               "usage_percentage": round(min(used * 100 / limit, 100), 2) if limit else 0})
