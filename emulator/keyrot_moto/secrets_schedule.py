"""Secrets Manager rotation rules, NextRotationDate, and what DescribeSecret/ListSecrets show of them.

RotationRules as in the RotationRulesType reference:
- AutomaticallyAfterDays: 1 to 1000;
- ScheduleExpression: rate(N days) with N 1-1000, rate(N hours) with N 4-24, or cron(...); not
  together with AutomaticallyAfterDays. keyrot sets AutomaticallyAfterDays only, so the emulator
  does not evaluate cron(): RotateSecret with one is refused, saying so, rather than run wrongly;
- Duration: the rotation window, "1h" to "24h".
Invalid rules are InvalidParameterException.

NextRotationDate: the previous rotation (or now, before the first) plus the interval. moto keeps only
AutomaticallyAfterDays and shows `RotationRules: {AutomaticallyAfterDays: 0}`, `LastRotatedDate:
null` and `NextRotationDate: null` where AWS omits them; describe() below fixes that for both
DescribeSecret and ListSecrets (both serialise FakeSecret.to_dict).

Dates follow the emulator's clock (clock.py).
"""
import re
import time
from typing import Any, Callable

from moto.secretsmanager.exceptions import InvalidParameterException
from moto.secretsmanager.models import FakeSecret

DAY = 86_400
HOUR = 3_600
RATE = re.compile(r"^rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)$")
CRON = re.compile(r"^cron\((.+)\)$")
DURATION = re.compile(r"^(\d{1,2})h$")


def _rate_seconds(expression: str) -> int | None:
    match = RATE.match(expression.strip())
    if match is None:
        return None
    n, unit = int(match.group(1)), match.group(2)
    if unit.startswith("day"):
        if not 1 <= n <= 1000:
            raise InvalidParameterException("The rate expression must be between 1 and 1000 days.")
        return n * DAY
    if not 4 <= n <= 24:
        raise InvalidParameterException("The rate expression must be between 4 and 24 hours.")
    return n * HOUR


# --- validation, storage, next date -----------------------------------------------------------


def validate_rules(rules: dict[str, Any] | None) -> dict[str, Any] | None:
    """The rules as given, checked; None when the call gave none."""
    if not rules:
        return None
    days = rules.get("AutomaticallyAfterDays")
    expression = rules.get("ScheduleExpression")
    duration = rules.get("Duration")
    if days is not None and expression is not None:
        raise InvalidParameterException(
            "You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules."
        )
    if days is not None and not (isinstance(days, int) and 1 <= days <= 1000):
        raise InvalidParameterException("RotationRules.AutomaticallyAfterDays must be within 1-1000.")
    if expression is not None:
        if CRON.match(str(expression).strip()):
            raise InvalidParameterException(
                f"ScheduleExpression {expression}: this emulator does not evaluate cron() schedules (keyrot sets "
                "AutomaticallyAfterDays); use rate() or AutomaticallyAfterDays"
            )
        if _rate_seconds(str(expression)) is None:
            raise InvalidParameterException(f"Invalid ScheduleExpression: {expression}")
    if duration is not None:
        match = DURATION.match(str(duration))
        if match is None or not 1 <= int(match.group(1)) <= 24:
            raise InvalidParameterException(f"Invalid Duration: {duration}; use 1h to 24h")
    return {k: v for k, v in rules.items() if k in ("AutomaticallyAfterDays", "ScheduleExpression", "Duration")}


def store_rules(secret: FakeSecret, rules: dict[str, Any] | None) -> None:
    """Keeps the given rules (the previous ones when none are given) and moto's own days field."""
    if rules is None:
        return
    secret.keyrot_rules = rules  # type: ignore[attr-defined]
    secret.auto_rotate_after_days = interval_days(secret) or 0


def rules_of(secret: Any) -> dict[str, Any]:
    rules = getattr(secret, "keyrot_rules", None)
    if rules is not None:
        return dict(rules)
    days = getattr(secret, "auto_rotate_after_days", 0)
    return {"AutomaticallyAfterDays": days} if days else {}


def _interval_seconds(secret: Any) -> int | None:
    rules = rules_of(secret)
    if rules.get("AutomaticallyAfterDays"):
        return int(rules["AutomaticallyAfterDays"]) * DAY
    if rules.get("ScheduleExpression"):
        return _rate_seconds(str(rules["ScheduleExpression"]))
    return None


def interval_seconds(secret: Any) -> int | None:
    return _interval_seconds(secret)


def interval_days(secret: Any) -> int | None:
    seconds = _interval_seconds(secret)
    return seconds // DAY if seconds is not None and seconds % DAY == 0 else None


def update_next_rotation(secret: Any, now: int | None = None) -> None:
    now = int(time.time()) if now is None else now
    interval = _interval_seconds(secret)
    if interval is not None:
        secret.next_rotation_date = (secret.last_rotation_date or now) + interval


def describe(original: Callable[[FakeSecret], dict[str, Any]]) -> Callable[[FakeSecret], dict[str, Any]]:
    def to_dict(self: FakeSecret) -> dict[str, Any]:
        dct = original(self)
        if self.rotation_requested:
            rules = rules_of(self)
            # For a rate() schedule in days, AWS also reports it as AutomaticallyAfterDays.
            days = interval_days(self)
            if days is not None:
                rules["AutomaticallyAfterDays"] = days
            if rules:
                dct["RotationRules"] = rules
            else:
                dct.pop("RotationRules", None)
            if not self.rotation_lambda_arn:
                dct.pop("RotationLambdaARN", None)
        # DescribeSecret lists only versions that carry a staging label.
        if isinstance(dct.get("VersionIdsToStages"), dict):
            dct["VersionIdsToStages"] = {v: s for v, s in dct["VersionIdsToStages"].items() if s}
        for optional in ("LastRotatedDate", "NextRotationDate", "LastAccessedDate", "DeletedDate"):
            if dct.get(optional) is None:
                dct.pop(optional, None)
        return dct

    return to_dict


def install() -> None:
    FakeSecret.to_dict = describe(FakeSecret.to_dict)  # type: ignore[method-assign]
