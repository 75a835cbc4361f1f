"""Timestamps from the API (RFC 3339) and kubectl-style ages ("5m", "3h2m", "4d")."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache


def parse_time(value: object) -> datetime | None:
    """Parse an API timestamp (RFC 3339 text, or a datetime a YAML loader made of it) into an
    aware UTC datetime; None for anything missing, malformed or out of range (never raises)."""
    if isinstance(value, datetime):
        return _normal(value)
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    return _parse_text(value)


@lru_cache(maxsize=1 << 16)  # a cluster's timestamps repeat (one-second resolution)
def _parse_text(value: str) -> datetime | None:
    text = value.strip()
    if text.endswith(("Z", "z")):  # RFC 3339 allows both cases
        text = text[:-1] + "+00:00"
    # MicroTime has up to 6 fractional digits; some producers write 9 (nanoseconds).
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        text = f"{head}.{(digits + '000000')[:6]}{rest[i:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return _normal(parsed)


def _normal(t: datetime) -> datetime | None:
    """UTC, and far enough from datetime's limits that adding a deadline cannot overflow."""
    try:
        t = t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None
    return t if 1 < t.year < 9000 else None


def shift(t: datetime | None, seconds: float) -> datetime | None:
    """``t`` moved by ``seconds`` (negative: earlier); None when ``t`` is None or the result
    is outside what a datetime holds (years 1 to 9999)."""
    if t is None:
        return None
    try:
        return t + timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return None


def format_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def human_duration(seconds: float) -> str:
    """kubectl's HumanDuration, simplified: 45s, 5m, 3h2m, 4d, 2y."""
    s = int(max(seconds, 0))
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        rem = s % 60
        return f"{m}m{rem}s" if rem else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 8:
        rem = m % 60
        return f"{h}h{rem}m" if rem else f"{h}h"
    if h < 48:
        return f"{h}h"
    d = h // 24
    if d < 365 * 2:
        return f"{d}d"
    return f"{d // 365}y"


def kubectl_duration(seconds: float) -> str:
    """kubectl's AGE and "(2m ago)": duration.HumanDuration exactly
    (staging/src/k8s.io/apimachinery/pkg/util/duration/duration.go): 45s, 5m30s, 3h2m, 2d5h,
    400d, 3y20d; "0s" up to 2 s in the future (clock skew), "<invalid>" beyond."""
    s = int(seconds)  # Go's int(d.Seconds()) truncates toward zero
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    if h < 24 * 8:
        return f"{h // 24}d{h % 24}h" if h % 24 else f"{h // 24}d"
    if h < 24 * 365 * 2:
        return f"{h // 24}d"
    if h < 24 * 365 * 8:
        days = h // 24 % 365
        return f"{h // 24 // 365}y{days}d" if days else f"{h // 24 // 365}y"
    return f"{h // 24 // 365}y"


def age(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "<unknown>"
    return human_duration((now - then).total_seconds())
