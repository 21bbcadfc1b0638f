"""Secrets Manager rotation rules, NextRotationDate, and what DescribeSecret/ListSecrets show of them.

RotationRules as in the RotationRulesType reference:
- AutomaticallyAfterDays: 1 to 1000;
- ScheduleExpression: rate(N days) with N 1-1000, rate(N hours) with N 4-24, or cron(min hour
  day-of-month month day-of-week year); not together with AutomaticallyAfterDays;
- Duration: the rotation window, "1h" to "24h".
Invalid rules are InvalidParameterException.

NextRotationDate: for days and rate() schedules, the previous rotation (or now, before the first)
plus the interval; for cron(), the next time the expression matches after now. moto keeps only
AutomaticallyAfterDays and shows `RotationRules: {AutomaticallyAfterDays: 0}`, `LastRotatedDate:
null` and `NextRotationDate: null` where AWS omits them; describe() below fixes that for both
DescribeSecret and ListSecrets (both serialise FakeSecret.to_dict).

Dates follow the server's clock (use faketime to move it); tests use simulated dates elsewhere.
"""
import calendar
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from moto.secretsmanager.exceptions import InvalidParameterException
from moto.secretsmanager.models import FakeSecret

DAY = 86_400
HOUR = 3_600
RATE = re.compile(r"^rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)$")
CRON = re.compile(r"^cron\((.+)\)$")
DURATION = re.compile(r"^(\d{1,2})h$")
MONTHS = {name: i + 1 for i, name in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


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


# --- cron(): Minutes Hours Day-of-month Month Day-of-week Year, as in EventBridge ----------------


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """The values one cron field allows: *, ?, N, A-B, */S, A/S, A-B/S and comma lists."""
    out: set[int] = set()
    for part in field.upper().split(","):
        step = 1
        if "/" in part:
            part, raw_step = part.split("/", 1)
            step = int(raw_step)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _number(a, names), _number(b, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high and step >= 1):
            raise ValueError(part)
        out.update(range(start, end + 1, step))
    return out


def _number(token: str, names: dict[str, int] | None) -> int:
    if names is not None and token[:3] in names:
        return names[token[:3]]
    return int(token)


def _cron_matcher(expression: str) -> Callable[[datetime], bool]:
    """A predicate on UTC minutes. Supports L (last day of month) in day-of-month; not W or #."""
    fields = expression.split()
    if len(fields) != 6:
        raise ValueError("six fields")
    minute, hour, dom, month, dow, year = fields
    minutes, hours = _values(minute, 0, 59), _values(hour, 0, 23)
    months = _values(month, 1, 12, MONTHS)
    years = _values(year, 1970, 2199)
    last_dom = dom.upper() == "L"
    doms = None if dom in ("?", "*") or last_dom else _values(dom, 1, 31)
    dows = None if dow in ("?", "*") else _values(dow, 1, 7, WEEKDAYS)

    def matches(t: datetime) -> bool:
        if t.minute not in minutes or t.hour not in hours or t.month not in months or t.year not in years:
            return False
        if last_dom and t.day != calendar.monthrange(t.year, t.month)[1]:
            return False
        if doms is not None and t.day not in doms:
            return False
        # EventBridge numbers days of the week 1 (SUN) to 7 (SAT); Python's weekday() is 0 for Monday.
        return dows is None or (t.weekday() + 1) % 7 + 1 in dows

    return matches


def _next_cron(expression: str, after: int) -> int | None:
    match = CRON.match(expression.strip())
    if match is None:
        return None
    matches = _cron_matcher(match.group(1))
    t = datetime.fromtimestamp(after, timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
    # Hour by hour (minute by minute inside a matching hour), at most about two years ahead.
    for _ in range(24 * 800):
        if any(matches(t.replace(minute=m)) for m in range(60)):
            for m in range(t.minute, 60):
                if matches(t.replace(minute=m)):
                    return int(t.replace(minute=m).timestamp())
        t = (t + timedelta(hours=1)).replace(minute=0)
    return None


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
        valid = _rate_seconds(str(expression)) is not None
        if not valid:
            try:
                valid = _next_cron(str(expression), int(time.time())) is not None
            except ValueError:
                valid = False
        if not valid:
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
    expression = rules_of(secret).get("ScheduleExpression")
    if interval is not None:
        secret.next_rotation_date = (secret.last_rotation_date or now) + interval
    elif expression:
        secret.next_rotation_date = _next_cron(str(expression), now)


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
