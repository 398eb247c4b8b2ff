"""Schemathesis hooks for run.sh: which refusals of schema-valid requests are right.

JSON Schema cannot say everything the API checks: that a polygon is valid (GEOS: rings closed, at
least four points, no self-intersection), that a replay's `to` is later than its `from`, that a
cursor is one the API handed out, that a layer is one the configuration declares, that a host
resolves, and to an address the SSRF rules let through. Schemathesis' positive_data_acceptance check (ST202) generates such requests and counts
their 400/422 as failures.

`filter_failure` drops an ST202 failure only when the answer names exactly one kind of such a
refusal AND this hook, independently of Tessera, finds the request really breaks that rule (shapely
for polygons, the same comparison for times, the cursor format, the configured layers, the
resolver). Any other refusal, a refusal this hook cannot confirm, and every other check's failure
stay failures. run.sh prints how many were dropped, by reason.
"""

from __future__ import annotations

import base64
import collections
import datetime
import ipaddress
import json
import os
import socket
import urllib.parse

import schemathesis
import shapely.geometry

# The networks serve.json's allow_networks lets through (run.sh).
ALLOWED = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128")]
# The layers serve.json declares (run.sh).
LAYERS = set(filter(None, os.environ.get("TESSERA_SCHEMATHESIS_LAYERS", "buildings").split(",")))

dropped: collections.Counter[str] = collections.Counter()


def _cursor_issued_by_api(value: str) -> bool:
    # PageRequest.encode: the row id in decimal, base64url without padding.
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return False
    return text.lstrip("-").isdigit() and -(2**63) <= int(text) < 2**63


def _timestamp(value: object) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def _polygon_is_invalid(value: object) -> bool:
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        return False
    try:
        shape = shapely.geometry.shape(value)
    except (ValueError, TypeError, IndexError, AttributeError):
        return True  # shapely cannot even build it: too few points in a ring, say
    return not shape.is_valid


def _bbox_is_inverted(value: object) -> bool:
    if not isinstance(value, list) or len(value) != 4 or not all(isinstance(v, (int, float)) for v in value):
        return False
    west, south, east, north = value
    return west >= east or south >= north


def _host_does_not_resolve(url: object) -> bool:
    if not isinstance(url, str):
        return False
    host = urllib.parse.urlsplit(url).hostname
    if not host:
        return False
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return True
    return False


def _address_is_refused(url: object, reason: str) -> bool:
    """`address A is refused: …`: the URL's host is or resolves to A, and A is not a global address
    nor in allow_networks (Python's ipaddress decides, from the IANA special-purpose registries)."""
    if not isinstance(url, str) or not reason.startswith("address "):
        return False
    try:
        address = ipaddress.ip_address(reason.split()[1])
        host = urllib.parse.urlsplit(url).hostname or ""
        resolved = {info[4][0].split("%")[0] for info in socket.getaddrinfo(host, None)}
    except (ValueError, IndexError, socket.gaierror, UnicodeError):
        return False
    if str(address) not in {str(ipaddress.ip_address(a)) for a in resolved}:
        return False
    return not address.is_global and not any(address in network for network in ALLOWED)


def _body(case) -> dict:
    body = case.body
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    return body if isinstance(body, dict) else {}


def _justified(case, field: str, reason: str) -> str | None:
    """The rule the request breaks, when the refusal names it and the request breaks it; else None."""
    body = _body(case)
    if field == "cursor" and reason == "is not a cursor this API returned":
        cursor = (case.query or {}).get("cursor")
        if isinstance(cursor, str) and not _cursor_issued_by_api(cursor):
            return "a cursor the API never issued"
    if field == "to" and reason == "must be later than from":
        start, end = _timestamp(body.get("from")), _timestamp(body.get("to"))
        if start is not None and end is not None and start.tzinfo and end.tzinfo and start >= end:
            return "a replay window whose end is not after its start"
    if field == "filter" and reason.startswith("is not a valid polygon") and _polygon_is_invalid(body.get("filter")):
        return "a polygon GEOS finds invalid"
    if field == "filter" and reason.startswith("bbox ") and _bbox_is_inverted(body.get("filter")):
        return "a bbox with west >= east or south >= north"
    if field.startswith("layers") and reason.startswith("no layer named"):
        layers = body.get("layers")
        if isinstance(layers, list) and any(name not in LAYERS for name in layers):
            return "a layer the configuration does not declare"
    if field == "url" and "does not resolve" in reason and _host_does_not_resolve(body.get("url")):
        return "a host that does not resolve"
    if field == "url" and " is refused: " in reason and _address_is_refused(body.get("url"), reason):
        return "an address the SSRF rules refuse (not global, not in allow_networks)"
    return None


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    if getattr(failure, "code", None) != "ST202" or response.status_code not in (400, 422):
        return True
    try:
        errors = json.loads(response.content).get("errors") or []
    except (ValueError, AttributeError):
        return True
    if len(errors) != 1:
        return True
    reason = _justified(case, str(errors[0].get("field", "")), str(errors[0].get("reason", "")))
    if reason is None:
        return True
    dropped[reason] += 1
    path = os.environ.get("TESSERA_SCHEMATHESIS_DROPPED")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"reason": reason, "operation": failure.operation}) + "\n")
    return False
