"""The cluster's command-line parts: ``nncourse worker`` and the TLS options it shares with grade."""

from __future__ import annotations

from pathlib import Path

import click

from nncourse.cluster.address import ClusterRefused, TlsFiles

_FILE = click.Path(dir_okay=False, path_type=Path)


def tls_options(command):
    """``--tls-ca/--tls-cert/--tls-key``: mutual TLS with a Dask scheduler (all three or none:
    then Dask's own configuration, e.g. ``DASK_DISTRIBUTED__COMM__TLS__CA_FILE``)."""
    for name, what in (
        ("--tls-key", "this party's private key (mode 600)"),
        ("--tls-cert", "this party's certificate"),
        ("--tls-ca", "the CA that signed the scheduler's, workers' and clients' certificates"),
    ):
        command = click.option(name, type=_FILE, default=None, help=f"TLS: {what}.")(command)
    return command


def tls_files(
    ca: Path | None, cert: Path | None, key: Path | None, *, role: str = "client"
) -> TlsFiles | None:
    """The three files; when none was given, Dask's configuration of ``role`` (``client`` or
    ``worker``: ``distributed.comm.tls.ca-file`` and ``distributed.comm.tls.<role>.cert/key``);
    None when that has none either.

    Raises:
        ClusterRefused: only some were given.
    """
    given = [ca, cert, key]
    if not any(given):
        import dask.config
        import distributed  # noqa: F401 - loads distributed's configuration defaults

        configured = [
            dask.config.get("distributed.comm.tls.ca-file", None),
            dask.config.get(f"distributed.comm.tls.{role}.cert", None),
            dask.config.get(f"distributed.comm.tls.{role}.key", None),
        ]
        if not all(configured):
            return None
        ca, cert, key = (Path(path) for path in configured)
        return TlsFiles(ca=ca, cert=cert, key=key)
    if not all(given):
        raise ClusterRefused("give all of --tls-ca, --tls-cert and --tls-key, or none")
    return TlsFiles(ca=ca, cert=cert, key=key)


@click.command("worker")
@click.argument("scheduler")
@click.option(
    "--nworkers", default=1, show_default=True, help="Worker processes, one sandbox slot each."
)
@tls_options
def worker_cli(
    scheduler: str, nworkers: int, tls_ca: Path | None, tls_cert: Path | None, tls_key: Path | None
) -> None:
    """Grade for a cluster: a Dask worker on this node (SCHEDULER: address or scheduler file).

    Run it in the course checkout; it grades with that checkout and its course secret.
    """
    from nncourse.cli import _layout
    from nncourse.cluster.worker import run_worker
    from nncourse.sandbox.launcher import SandboxUnavailable, check_sandbox

    layout = _layout()
    try:
        check_sandbox(layout.venv)  # every submission it grades runs in the sandbox
        tls = tls_files(tls_ca, tls_cert, tls_key, role="worker")
        run_worker(scheduler, layout=layout, nworkers=nworkers, tls=tls)
    except SandboxUnavailable as exc:
        click.echo(f"cannot start the worker: {exc} (a worker has no --insecure)", err=True)
        raise SystemExit(2) from None
    except ClusterRefused as exc:
        click.echo(f"cannot start the worker: {exc}", err=True)
        raise SystemExit(2) from None
