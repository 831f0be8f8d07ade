"""What the httpx-based backends (Alertmanager, the Wazuh indexer) share: the client
built from a backend's `HttpAuth`, one request with its transport failures mapped to a
one-line SourceError, and the reasons in a few words.

httpx is imported inside the functions: only contexts with such a backend pay for it.
"""

from __future__ import annotations

from typing import Any

from obsconsole.config import HttpAuth
from obsconsole.model import SourceError


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


async def send(client: Any, where: str, timeout_s: float, method: str, path: str, **kwargs: Any) -> Any:
    """One request; the `httpx.Response`, or SourceError in one line naming `where`.

    A server that closes the connection before a whole answer was reachable: that is a
    bad answer (`bad_response`), not `unreachable` (Alertmanager said unreachable before
    this was shared with the Wazuh indexer). Statuses are the caller's to read."""
    import httpx

    try:
        return await client.request(method, path, **kwargs)
    except httpx.TimeoutException:
        raise SourceError("timeout", f"{where}: no answer in {timeout_s:g} s") from None
    except httpx.RemoteProtocolError:
        raise SourceError("bad_response", f"{where}: the connection closed before a whole answer") from None
    except httpx.HTTPError as exc:
        raise SourceError("unreachable", f"{where}: {reason(exc)}") from None


def reason(exc: BaseException) -> str:
    """A transport failure in a few words."""
    text = " ".join(str(exc).split())
    if type(exc).__name__ == "ConnectError":
        # httpx says "All connection attempts failed" for a refused port
        return "cannot connect (refused, or the host is down)"
    return text[:160] or type(exc).__name__
