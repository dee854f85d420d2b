"""Hooks for .ci/schemathesis.

HTTP forbids control characters in header values (RFC 9110, 5.5), and the shop's HTTP
server (hyper) refuses such a request before any route sees it, with a bare 400 that no
schema can describe. Schemathesis generates them for the bearer scheme and the
Idempotency-Key header; such a request is not one a client can send through a conforming
HTTP library, so it is not generated.
"""

import schemathesis


def _legal(value) -> bool:
    return all(ch == "\t" or (" " <= ch <= "~") or ("\x80" <= ch <= "\xff") for ch in str(value))


@schemathesis.hook
def filter_headers(context, headers):
    return headers is None or all(_legal(v) for v in headers.values())
