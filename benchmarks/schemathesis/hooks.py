"""Schemathesis hooks for run.sh: which refusals of schema-valid requests are right.

JSON Schema cannot say everything the API checks: that a polygon is valid (GEOS: rings closed, at
least four points, no self-intersection), that a replay's `to` is later than its `from`, that a
cursor is one the API handed out, that a layer is one the configuration declares, that a host
resolves, and to an address the SSRF rules let through, that a `method` or a `url` is one the
subscription's `output` uses (the document lists every output's methods in one enum).
Schemathesis' positive_data_acceptance check (ST202) generates such requests and counts their
400/422 as failures.

`filter_failure` drops an ST202 failure only when this hook, independently of Tessera, finds that
the request really breaks every rule the answer names (shapely for polygons, the same comparison for
times, the cursor format, the configured layers, the resolver, the outputs' method lists). Any other refusal, a refusal this hook cannot confirm, and every other check's failure
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
import urllib.request

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


def _polygon_is_empty(value: object) -> bool:
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        return False
    try:
        return shapely.geometry.shape(value).is_empty
    except (ValueError, TypeError, IndexError, AttributeError):
        return False


def _bbox_is_inverted(value: object) -> bool:
    if not isinstance(value, list) or len(value) != 4 or not all(isinstance(v, (int, float)) for v in value):
        return False
    west, south, east, north = value
    return west >= east or south >= north


def _bracketed_non_address(url: object) -> bool:
    """`http://[…]` whose brackets hold no IPv6 (or IPv4) address: the pattern lets it through."""
    if not isinstance(url, str):
        return False
    start, end = url.find("[") + 1, url.find("]")
    if not 0 < start < end:
        return False
    try:
        ipaddress.ip_address(url[start:end])
    except ValueError:
        return True
    return False


def _host_does_not_resolve(url: object) -> bool:
    if not isinstance(url, str):
        return False
    try:
        host = urllib.parse.urlsplit(url).hostname
    except ValueError:
        # Brackets around something that is no IP address: Tessera reads it as a name.
        start, end = url.find("[") + 1, url.find("]")
        host = url[start:end].lower() if 0 < start < end else None
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
    refused = not address.is_global or address.is_multicast
    return refused and not any(address in network for network in ALLOWED)


def _body(case) -> dict:
    body = case.body
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    return body if isinstance(body, dict) else {}


# The methods each output sends with (SubscriptionOutput.methods in TesseraCatalog).
METHODS = {"webhook": ["POST", "PUT", "PATCH"], "http-purge": ["PURGE", "DELETE", "BAN", "POST"], "expire-files": ["POST"]}


def _output_of(case, body: dict) -> str | None:
    """The output a request's settings are read for: the body's, or a create's default; None for an
    update that leaves the stored output as it is (the hook cannot know it)."""
    if isinstance(body.get("output"), str):
        return body["output"]
    if case.method.upper() == "POST":
        return "webhook"
    return _stored_output(case)


def _stored_output(case) -> str | None:
    """The output of the subscription an update names, read from the API (GET, the run's key)."""
    api, key = os.environ.get("TESSERA_SCHEMATHESIS_API"), os.environ.get("TESSERA_SCHEMATHESIS_KEY")
    subscription = (case.path_parameters or {}).get("id")
    if not api or not key or not isinstance(subscription, str):
        return None
    request = urllib.request.Request(
        f"{api}/v1/subscriptions/{urllib.parse.quote(subscription, safe='')}",
        headers={"Authorization": f"Bearer {key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            output = json.load(answer).get("output")
    except (OSError, ValueError):
        return None
    return output if isinstance(output, str) else None


def _url_wrong_for_output(output: str | None, url: object) -> bool:
    """A URL the output cannot use: a file: URL for a request output, an http(s) URL for expire-files,
    a purge URL without a tile placeholder, a file: URL outside the run's expire roots (there are none)."""
    if output is None or not isinstance(url, str):
        return False
    lower = url.lower()
    if output == "expire-files":
        return True  # this run configures no expire_roots: every expire-files URL is refused
    if lower.startswith("file:"):
        return True
    if output == "http-purge":
        return not any(p in url for p in ("{quadkey}", "{tms}")) and not (
            "{z}" in url and "{x}" in url and ("{y}" in url or "{-y}" in url)
        )
    return False


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
    if field == "filter" and reason.startswith("is an empty ") and _polygon_is_empty(body.get("filter")):
        return "an empty polygon filter"
    if field == "filter" and reason.startswith("bbox ") and _bbox_is_inverted(body.get("filter")):
        return "a bbox with west >= east or south >= north"
    if field.startswith("layers") and reason.startswith("no layer named"):
        layers = body.get("layers")
        if isinstance(layers, list) and any(name not in LAYERS for name in layers):
            return "a layer the configuration does not declare"
    if field == "method" and reason.startswith("the ") and " output sends with " in reason:
        output = _output_of(case, body)
        method = body.get("method")
        if output in METHODS and reason.startswith(f"the {output} output") and method not in METHODS[output]:
            return "a method the subscription's output does not send with"
    if field == "output" and "not available yet" in reason and body.get("output") in ("varnish-ban", "geowebcache"):
        return "an output not available yet"
    if field == "url" and _url_wrong_for_output(_output_of(case, body), body.get("url")):
        return "a URL the subscription's output cannot use"
    if field == "url" and reason.endswith("is not a valid name") and _bracketed_non_address(body.get("url")):
        return "a bracketed host that is no IP address"
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
    if not errors:
        return True
    # Every refusal the answer names must be confirmed; one that is not keeps the failure.
    reasons = [_justified(case, str(e.get("field", "")), str(e.get("reason", ""))) for e in errors]
    if any(r is None for r in reasons):
        return True
    reason = " + ".join(sorted(set(reasons)))
    dropped[reason] += 1
    path = os.environ.get("TESSERA_SCHEMATHESIS_DROPPED")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"reason": reason, "operation": failure.operation}) + "\n")
    return False
