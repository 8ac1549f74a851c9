"""Email validation in both spellings: the guide's `/api/validate/email`, `.../strict`,
`.../batch` and the reference's `/api/email/validate`, `.../strict`, `.../bulk`,
`.../bulk/strict`; `{email}` or `{emails: [...]}` (at most 100), over the validation service
(syntax, the domain's MX/A, disposable domains; role accounts refused in strict mode).

Each address validated counts against VALIDATIONS_PER_HOUR per account (Kirim.Email limits
validation per hour); beyond it, 429 with Retry-After.
"""
from __future__ import annotations

from limits import RateLimitItemPerHour

from dialects.kirim.resource import account, blueprint, error_response, invalid, ok, params, text
from services import address_validation, rate_limits

MAX_BATCH = 100
VALIDATIONS_PER_HOUR = RateLimitItemPerHour(1000)
SPAMTRAP = {"is_spamtrap": False, "spamtrap_score": 0}


def _budget(user, count: int):
    """None when `count` validations fit in the hour (they are counted), else the 429 answer."""
    allowed, _remaining, seconds = rate_limits.hit_with_stats(VALIDATIONS_PER_HOUR, "kirim-validate", str(user.id),
                                                              cost=count)
    if allowed:
        return None
    return error_response(429, "rate_limited", "Too many validation requests. Please try again later.",
                          {"Retry-After": str(seconds)})


def _one(strict: bool):
    user = account()
    email = text(params(), "email", required=True, limit=320)
    refused = _budget(user, 1)
    if refused is not None:
        return refused
    result = {**address_validation.validate(email, strict=strict), **SPAMTRAP}
    return ok(result, "Email is valid." if result["is_valid"] else "Email is not valid.")


def _many(strict: bool):
    user = account()
    given = params().get("emails")
    if isinstance(given, str):
        given = [e for e in given.replace("\n", ",").split(",") if e.strip()]
    if not isinstance(given, list) or not given:
        raise invalid("emails", "The emails field is required and must be an array.")
    if len(given) > MAX_BATCH:
        raise invalid("emails", f"The emails field must not have more than {MAX_BATCH} items.")
    if not all(isinstance(e, str) for e in given):
        raise invalid("emails", "Every item of emails must be a string.")
    refused = _budget(user, len(given))
    if refused is not None:
        return refused
    results = [{**address_validation.validate(e, strict=strict), **SPAMTRAP} for e in given]
    valid = sum(r["is_valid"] for r in results)
    cached = sum(r["cached"] for r in results)
    summary = {"total": len(results), "valid": valid, "invalid": len(results) - valid, "cached": cached,
               "validated": len(results) - cached}
    return ok({"results": results, "summary": summary}, results=results, summary=summary)


@blueprint.post("/validate/email")
@blueprint.post("/email/validate")
def validate_email():
    return _one(strict=False)


@blueprint.post("/validate/email/strict")
@blueprint.post("/email/validate/strict")
def validate_email_strict():
    return _one(strict=True)


@blueprint.post("/validate/email/batch")
@blueprint.post("/email/validate/bulk")
def validate_batch():
    return _many(strict=False)


@blueprint.post("/validate/email/batch/strict")
@blueprint.post("/email/validate/bulk/strict")
def validate_batch_strict():
    return _many(strict=True)
