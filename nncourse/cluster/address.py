"""Which scheduler, and whether it may be used: loopback as is, anything else over mutual TLS only.

Student code never reaches the scheduler from the sandbox (no network namespace), but a scheduler
runs whatever a client sends it, so a cluster beyond this machine must refuse clients without a
certificate: ``tls://`` with a CA, a certificate and a key on every side.
"""

from __future__ import annotations

import ipaddress
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path


class ClusterRefused(ValueError):
    """This scheduler address cannot be used safely as given (the message says why)."""


@dataclass(frozen=True)
class TlsFiles:
    """Mutual TLS: the CA that signed every party's certificate, and this party's certificate and key."""

    ca: Path
    cert: Path
    key: Path


def scheduler_address(scheduler: str) -> str:
    """The address itself, or the ``address`` of a Dask scheduler file (``--scheduler-file``)."""
    path = Path(scheduler)
    if "://" not in scheduler and path.is_file():
        try:
            return str(json.loads(path.read_text())["address"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ClusterRefused(f"{scheduler} is not a Dask scheduler file ({exc})") from None
    return scheduler


def is_loopback(address: str) -> bool:
    """Whether ``scheme://host:port`` names this machine (127.0.0.0/8, ::1, localhost)."""
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: remote, whatever it resolves to today


def check_cluster(address: str, *, tls: TlsFiles | None, insecure: bool = False) -> None:
    """Refuse what is unsafe before connecting.

    Raises:
        ClusterRefused: an unknown scheme; a remote scheduler without ``tls://`` and certificates,
            or with ``--insecure``; ``tls://`` without all three files; a key others can read.
    """
    scheme = address.split("://", 1)[0] if "://" in address else "tcp"
    if scheme not in ("tcp", "tls"):
        raise ClusterRefused(f"{address}: use tcp:// (this machine only) or tls://")
    remote = not is_loopback(address)
    if remote and insecure:
        raise ClusterRefused(
            f"--insecure is refused with a remote cluster ({address}): without the sandbox, "
            "student code could reach the scheduler and other workers"
        )
    if remote and scheme != "tls":
        raise ClusterRefused(
            f"{address} is not on this machine: a remote scheduler needs tls:// with mutual "
            "certificates (--tls-ca, --tls-cert, --tls-key)"
        )
    if scheme == "tls" and tls is None:
        raise ClusterRefused(
            f"{address} is tls://: give --tls-ca, --tls-cert and --tls-key (the scheduler "
            "accepts only clients and workers with a certificate of its CA)"
        )
    if tls is not None:
        for name, path in (("CA", tls.ca), ("certificate", tls.cert), ("key", tls.key)):
            if not path.is_file():
                raise ClusterRefused(f"the TLS {name} {path} does not exist")
        if os.stat(tls.key).st_mode & (stat.S_IRGRP | stat.S_IROTH):
            raise ClusterRefused(
                f"the TLS key {tls.key} is readable by others: chmod 600 it (the sandbox's "
                "slot users must never read it)"
            )


def security(tls: TlsFiles | None):
    """Dask's Security for a client or worker with these files (None: Dask's defaults)."""
    from distributed.security import Security

    if tls is None:
        return Security()
    return Security(
        tls_ca_file=str(tls.ca),
        tls_client_cert=str(tls.cert),
        tls_client_key=str(tls.key),
        tls_worker_cert=str(tls.cert),
        tls_worker_key=str(tls.key),
        require_encryption=True,
    )
