"""The two faces: what the Elasticsearch 8 and the OpenSearch (Wazuh indexer) answers
differ in: ``GET /``, the product header, the media types each accepts (with ES's
``compatible-with`` checks), and authentication with each one's 401."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import _EsError, _cause, _error


@dataclass(frozen=True)
class _Face:
    """What differs between the Elasticsearch and the OpenSearch answers."""

    flavor: str
    version: str
    info: dict[str, Any]
    product_headers: tuple[tuple[str, str], ...]
    json_type: str
    body_media_types: frozenset[str]
    compat_media_types: bool
    """ES 7.11+ accepts application/vnd.elasticsearch+json; compatible-with=N."""
    id_fielddata: bool
    """OpenSearch (forked from ES 7.10) still loads field data on _id; ES 8 refuses."""
    legacy_interval: bool
    """OpenSearch still accepts the deprecated date_histogram ``interval``."""
    doc_error_type: str


def _elasticsearch_face(version: str | None) -> _Face:
    version = version or "8.19.3"
    return _Face(
        flavor="elasticsearch",
        version=version,
        info={
            "name": "standin-es-01",
            "cluster_name": "aigym-logs",
            "cluster_uuid": "dDNaSG8zUWF5U0ZmV3N0YW5kaW4",
            "version": {
                "number": version,
                "build_flavor": "default",
                "build_type": "docker",
                "build_hash": "0000000000000000000000000000000000000000",
                "build_date": "2025-09-01T00:00:00.000000000Z",
                "build_snapshot": False,
                "lucene_version": "9.12.2" if version.startswith("8.") else "10.2.2",
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "You Know, for Search",
        },
        product_headers=(("X-Elastic-Product", "Elasticsearch"),),
        json_type="application/json",
        body_media_types=frozenset(
            {
                "application/json",
                "application/x-ndjson",
                "application/vnd.elasticsearch+json",
                "application/vnd.elasticsearch+x-ndjson",
            }
        ),
        compat_media_types=True,
        id_fielddata=False,
        legacy_interval=False,
        doc_error_type="document_parsing_exception",
    )


def _opensearch_face(version: str | None) -> _Face:
    version = version or "2.19.1"
    return _Face(
        flavor="opensearch",
        version=version,
        info={
            "name": "wazuh-indexer-01",
            "cluster_name": "wazuh-cluster",
            "cluster_uuid": "b3BlbnNlYXJjaC1zdGFuZGluLTAx",
            "version": {
                "distribution": "opensearch",
                "number": version,
                "build_type": "rpm",
                "build_hash": "0000000000000000000000000000000000000000",
                "build_date": "2025-03-01T00:00:00.000000Z",
                "build_snapshot": False,
                "lucene_version": "9.12.1",
                "minimum_wire_compatibility_version": "7.10.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "The OpenSearch Project: https://opensearch.org/",
        },
        product_headers=(),
        json_type="application/json; charset=UTF-8",
        body_media_types=frozenset({"application/json", "application/x-ndjson"}),
        compat_media_types=False,
        id_fielddata=True,
        legacy_interval=True,
        doc_error_type="mapper_parsing_exception",
    )


def _compat_version(media_type: str) -> int | None:
    match = re.search(r"compatible-with\s*=\s*(\d+)", media_type)
    return int(match.group(1)) if match else None


def _negotiate(face: _Face, headers: Mapping[str, str], has_body: bool) -> str:
    """Check Accept/Content-Type as the server does; return the answer's media type."""
    accept = headers.get("Accept") or ""
    content_type = headers.get("Content-Type")
    if has_body:
        base = (content_type or "").split(";")[0].strip().lower()
        if base not in face.body_media_types:
            message = (
                "Content-Type header is missing"
                if content_type is None
                else f"Content-Type header [{content_type}] is not supported"
            )
            raise _EsError(406, {"error": message, "status": 406})
    if not face.compat_media_types:
        return face.json_type
    major = int(face.version.split(".")[0])
    accept_version = _compat_version(accept)
    body_version = _compat_version(content_type or "") if has_body else None

    def refuse(reason: str) -> _EsError:
        header_reason = "Invalid media-type value on headers [Content-Type, Accept]"
        return _error(
            400,
            "media_type_header_exception",
            header_reason,
            caused_by=_cause("status_exception", reason),
        )

    allowed = (major, major - 1)
    if accept_version is not None and accept_version not in allowed:
        raise refuse(
            f"Accept version must be either version {major} or {major - 1}, "
            f"but found {accept_version}. Accept={accept}"
        )
    if has_body:
        if body_version is not None and body_version not in allowed:
            raise refuse(
                f"Content-Type version must be either version {major} or {major - 1}, "
                f"but found {body_version}. Content-Type={content_type}"
            )
        if (body_version is None) != (accept_version is None):
            raise refuse(
                "A compatible version is required on both Content-Type and Accept "
                "headers if either one has requested a compatible version. "
                f"Accept={accept}, Content-Type={content_type}"
            )
        if body_version != accept_version:
            raise refuse(
                "Content-Type and Accept version requested have to match. "
                f"Accept={accept}, Content-Type={content_type}"
            )
    if accept_version is None:
        return face.json_type
    return f"application/vnd.elasticsearch+json;compatible-with={accept_version}"


def _authenticate(
    face: _Face,
    users: Mapping[str, str],
    api_keys: Mapping[str, str],
    headers: Mapping[str, str],
    target: str,
) -> None:
    """Basic auth (and API keys on the Elasticsearch face) with each face's 401."""
    if not users and not api_keys:
        return
    scheme, _, credentials = (headers.get("Authorization") or "").partition(" ")
    decoded = _b64_pair(credentials.strip())
    if scheme.lower() == "basic" and decoded and users.get(decoded[0]) == decoded[1]:
        return
    if scheme.lower() == "apikey" and decoded and api_keys.get(decoded[0]) == decoded[1]:
        return
    if face.flavor == "opensearch":
        challenge = [("WWW-Authenticate", 'Basic realm="OpenSearch Security"')]
        raise _EsError(401, "Unauthorized", challenge)
    challenges = ['Basic realm="security", charset="UTF-8"', "ApiKey"]
    extra: dict[str, Any] = {"header": {"WWW-Authenticate": challenges}}
    if not scheme:
        reason = f"missing authentication credentials for REST request [{target}]"
    elif scheme.lower() == "basic" and decoded:
        reason = f"unable to authenticate user [{decoded[0]}] for REST request [{target}]"
    else:
        reason = (
            "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
        )
        if scheme.lower() == "apikey" and decoded:
            extra["additional_unsuccessful_credentials"] = f"API key: unable to find apikey with id {decoded[0]}"
    raise _error(
        401,
        "security_exception",
        reason,
        headers=[("WWW-Authenticate", value) for value in challenges],
        **extra,
    )


def _b64_pair(credentials: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, secret = decoded.partition(":")
    return (name, secret) if colon else None
