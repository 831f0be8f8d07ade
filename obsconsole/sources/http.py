"""What the httpx-based backends (Alertmanager, the Wazuh indexer) share: the client
built from a backend's `HttpAuth`, and one-line reasons for transport failures.

httpx is imported inside the functions: only contexts with such a backend pay for it.
"""

from __future__ import annotations

from typing import Any

from obsconsole.config import HttpAuth


def auth_headers(auth: HttpAuth) -> dict[str, str]:
    """Extra headers plus the Authorization header of a bearer token or an API key
    (basic auth goes through httpx's `auth=`)."""
    headers = dict(auth.headers)
    if auth.bearer_token:
        headers["Authorization"] = f"Bearer {auth.bearer_token}"
    elif auth.api_key:
        headers["Authorization"] = f"ApiKey {auth.api_key}"
    return headers


def tls_verify(url: str, auth: HttpAuth) -> Any:
    """httpx's `verify=` for a backend: its CA bundle, or whether to verify at all.

    A plain-http URL gets False: no TLS happens on it, and building the default context
    loads the whole CA store (~30 ms of start-up on every SSH login). httpx does not
    follow redirects unless asked, so an http URL never turns into an unverified https
    one.
    """
    if url.lower().startswith("http://"):
        return False
    return auth.ca_bundle or auth.verify_tls


def async_client(url: str, auth: HttpAuth, timeout_s: float, **kwargs: Any) -> Any:
    """An `httpx.AsyncClient` for one backend URL."""
    import httpx

    basic = (auth.username, auth.password or "") if auth.username else None
    return httpx.AsyncClient(
        base_url=url,
        headers=auth_headers(auth),
        auth=basic,
        verify=tls_verify(url, auth),
        timeout=timeout_s,
        **kwargs,
    )


def reason(exc: BaseException) -> str:
    """A transport failure in a few words."""
    text = " ".join(str(exc).split())
    if type(exc).__name__ == "ConnectError":
        # httpx says "All connection attempts failed" for a refused port
        return "cannot connect (refused, or the host is down)"
    return text[:160] or type(exc).__name__
