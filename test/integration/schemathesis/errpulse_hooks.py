"""Schemathesis hooks for the API fuzz test (api-fuzz.test.ts).

OpenAPI can state what each parameter accepts, and the document does so exactly. It cannot state the
rules that tie parameters together: `from` before `to`, a range of at most API_MAX_RANGE_DAYS, at most
API_MAX_POINTS buckets per series, and a cursor that the
API itself returned. The document's descriptions say them; this hook keeps the generated requests that
break one of them out of the run, so that "schema-valid request rejected" means what it says.

The rules are written here again, independently of the TypeScript, on purpose: an oracle that called the
API's own parser could not catch it being wrong. The limits themselves come from the test in
ERRPULSE_FUZZ_RULES (JSON), so they cannot drift from the configuration the API runs with.
"""

import base64
import json
import math
import os
import re
import time

import schemathesis

RULES = json.loads(os.environ["ERRPULSE_FUZZ_RULES"])
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
FIXED = {"s": 1000, "m": MINUTE, "h": HOUR, "d": DAY, "w": 7 * DAY}
EARLIEST, LATEST = 0, 4291747200000  # 1970-01-01 and 2106-01-01, what a ClickHouse DateTime holds
DATE_LIMIT = 8.64e15  # a JavaScript Date's range; the API's date math stops there
ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$"
)
INSTANT = re.compile(RULES["instantPattern"])
STEP = re.compile(r"([+-])(\d+)([smhdwMy])|/([smhdwMy])")
CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,2048}$")


def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


def days_in_month(y, m):
    return days_from_civil(y + (m == 12), m % 12 + 1, 1) - days_from_civil(y, m, 1)


def add(ms, amount, unit):
    if unit in FIXED:
        moved = ms + amount * FIXED[unit]
    else:
        months = amount if unit == "M" else 12 * amount
        day, rest = divmod(ms, DAY)
        y, m, d = civil_from_days(day)
        total = y * 12 + (m - 1) + months
        ty, tm = total // 12, total % 12 + 1
        moved = days_from_civil(ty, tm, min(d, days_in_month(ty, tm))) * DAY + rest
    return max(-DATE_LIMIT, min(DATE_LIMIT, moved))


def start_of(ms, unit):
    if unit in FIXED and unit != "w":
        return ms // FIXED[unit] * FIXED[unit]
    day = ms // DAY
    if unit == "w":
        return (day - (day + 3) % 7) * DAY  # Monday; 1970-01-01 was a Thursday
    y, m, _ = civil_from_days(day)
    start = days_from_civil(y, m if unit == "M" else 1, 1) * DAY
    return ms if start < -DATE_LIMIT else start


def instant(text, now, round_up):
    """Epoch milliseconds of a time parameter, or None when it is not one (a negative test case)."""
    if not isinstance(text, str) or not INSTANT.match(text):
        return None
    if text.startswith("now"):
        ms = now
        for sign, amount, unit, round_unit in STEP.findall(text[3:]):
            if round_unit:
                start = start_of(ms, round_unit)
                ms = add(start, 1, round_unit) if round_up else start
            else:
                ms = add(ms, (-1 if sign == "-" else 1) * int(amount), unit)
    else:
        m = ISO.match(text)
        if not m:
            ms = int(text)
        else:
            y, mo, d, h, mi, s, frac, zone = m.groups()
            ms = (days_from_civil(int(y), int(mo), int(d)) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + int(s or 0)) * 1000
            ms += int((frac or "")[:3].ljust(3, "0"))
            if zone and zone.upper() != "Z":
                digits = zone[1:].replace(":", "")
                offset = int(digits[:2]) * 60 + int(digits[2:] or 0)
                ms -= (-1 if zone[0] == "-" else 1) * offset * MINUTE
    return max(EARLIEST, min(LATEST, ms))


def cursor_decodes(text):
    try:
        parsed = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
    except Exception:
        return False
    if not isinstance(parsed, list) or len(parsed) != 6:
        return False
    version, time_ms, event_id, topic, partition, offset = parsed
    is_int = lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 2**53 - 1
    return (
        version == 1 and is_int(time_ms) and isinstance(event_id, str) and isinstance(topic, str) and is_int(partition)
        and isinstance(offset, str) and re.fullmatch(r"\d{1,20}", offset) is not None
    )


def single(query, name):
    value = query.get(name)
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def breaks_a_joint_rule(path, query):
    now = int(time.time() * 1000)
    defaults = RULES["rangeDefaults"].get(path)
    if defaults is not None:
        start = instant(single(query, "from") or defaults["from"], now, False)
        end = instant(single(query, "to") or defaults["to"], now, True)
        if start is not None and end is not None:
            if start >= end or end - start > RULES["maxRangeDays"] * DAY:
                return True
            interval = single(query, "interval")
            step = RULES["intervalSeconds"].get(interval) if isinstance(interval, str) else None
            if path == "/v1/rates" and step:
                step_ms = step * 1000
                if (math.ceil(end / step_ms) - start // step_ms) > RULES["maxPoints"]:
                    return True
    cursor = single(query, "cursor")
    if path == "/v1/events" and isinstance(cursor, str) and CURSOR.match(cursor) and not cursor_decodes(cursor):
        return True
    return False


# A case hook rather than a query hook: Schemathesis applies case hooks in its coverage phase too.
@schemathesis.hook
def filter_case(ctx, case):
    if not isinstance(case.query, dict):
        return True
    return not breaks_a_joint_rule(case.operation.path, case.query)
