"""`hisab-provision`: the technician's command — provision a box, update it, check it.

Thin: parses options, calls provisioning.provision / provisioning.update, prints the
report. Exit codes: 0 done (or nothing to do), 1 a step failed or the update was rolled
back, 2 bad usage. Secrets (the hub token, MQTT password, keys) are never printed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provisioning.identity import ProvisionError
from provisioning.provision import ProvisionRequest, provision
from provisioning.target import Target
from provisioning.update import ROLLED_BACK, UpdateRequest, update

HERE = Path(__file__).resolve().parent.parent  # the checkout (or release) this command runs from

target_option = click.option("--target", "root", type=click.Path(file_okay=False, path_type=Path), default="/",
                             show_default=True, help="root of the box: / on the box, or a mounted SD card")


@click.group()
def main() -> None:
    """Provision and update Hisab boxes (run as root)."""


@main.command("provision")
@target_option
@click.option("--device-id", required=True, help="the box's name, e.g. dhaka-karim-01 (lower case, digits, '-')")
@click.option("--hub", metavar="URL", help="the hub's web address, e.g. https://hub.example.com; omit for offline")
@click.option("--hub-token", metavar="TOKEN", envvar="HISAB_HUB_TOKEN",
              help="operator token from `hisab-hub token create` (or HISAB_HUB_TOKEN, kept out of shell history)")
@click.option("--reregister", is_flag=True, help="ask the hub for new MQTT credentials even if the box has some")
@click.option("--source", type=click.Path(file_okay=False, exists=True, path_type=Path), default=HERE,
              show_default=True, help="release or checkout to deploy (with its .venv)")
@click.option("--version", "version", help="release name (default: the source's VERSION file or app version)")
@click.option("--model", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="GGUF model file (default: the bundled model, assembled from the venv)")
@click.option("--smoke-url", metavar="URL", help="the box's web address to smoke-test, e.g. http://127.0.0.1:8080")
@click.option("--smoke-llm/--smoke-no-llm", default=True, help="use the LLM in the smoke extraction")
@click.option("--smoke-timeout", default=90.0, show_default=True, help="seconds to wait for a healthy box")
@click.option("--dry-run", is_flag=True, help="check and say what would happen; change nothing")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def provision_command(root: Path, device_id: str, hub: str | None, hub_token: str | None, reregister: bool,
                      source: Path, version: str | None, model: Path | None, smoke_url: str | None,
                      smoke_llm: bool, smoke_timeout: float, dry_run: bool, as_json: bool) -> None:
    """Turn TARGET into a working box: identity, hub registration, app, units, smoke test.

    Safe to run again: what is already right is left alone and reported "unchanged".
    """
    request = ProvisionRequest(target=Target(root), device_id=device_id, source=source.resolve(), hub=hub,
                               hub_token=hub_token, reregister=reregister, version=version, model=model,
                               smoke_url=smoke_url, smoke_llm=smoke_llm, smoke_timeout_s=smoke_timeout,
                               dry_run=dry_run)
    try:
        report = provision(request)
    except ProvisionError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report.json() if as_json else report.text())
    sys.exit(1 if report.failed else 0)


@main.command("update")
@target_option
@click.option("--release", "release_dir", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="the new release (a checkout or built release with its .venv)")
@click.option("--version", "version", help="release name (default: its VERSION file or app version)")
@click.option("--model", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="GGUF model file")
@click.option("--health-cmd", metavar="CMD",
              help="shell command that exits 0 when the updated box is healthy (default: poll --health-url)")
@click.option("--health-url", default="http://127.0.0.1:8080", show_default=True, help="the box's web address")
@click.option("--health-timeout", default=90.0, show_default=True, help="seconds to wait for health")
@click.option("--keep", default=3, show_default=True, help="releases to keep on the box")
@click.option("--json", "as_json", is_flag=True, help="print the result record as JSON")
def update_command(root: Path, release_dir: Path, version: str | None, model: Path | None, health_cmd: str | None,
                   health_url: str, health_timeout: float, keep: int, as_json: bool) -> None:
    """Install a new release beside the running one, switch, check health, roll back if unhealthy."""
    import json

    request = UpdateRequest(target=Target(root), release=release_dir.resolve(), version=version, model=model,
                            health_cmd=health_cmd, health_url=health_url, health_timeout_s=health_timeout, keep=keep)
    try:
        report, record = update(request)
    except ProvisionError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(record, indent=2) if as_json else report.text())
    sys.exit(1 if record["result"] == ROLLED_BACK else 0)


@main.command("health")
@click.option("--url", default="http://127.0.0.1:8080", show_default=True, help="the box's web address")
@click.option("--timeout", default=60.0, show_default=True, help="seconds to keep trying")
@click.option("--expect-version", help="fail unless the box runs this app version")
def health_command(url: str, timeout: float, expect_version: str | None) -> None:
    """Wait until the box's /api/v1/health says every process is alive."""
    from provisioning.smoke import check_health

    ok, why = check_health(url, timeout, expect_version)
    click.echo(why)
    sys.exit(0 if ok else 1)


@main.command("status")
@target_option
def status_command(root: Path) -> None:
    """Which release runs, which came before, and the last update's result."""
    import json

    from provisioning import release
    from provisioning.update import read_result

    target = Target(root)
    click.echo(f"current:  {release.current_version(target) or 'none'}")
    click.echo(f"previous: {release.previous_version(target) or 'none'}")
    result = read_result(target)
    click.echo("last update: " + (json.dumps(result) if result else "none"))


if __name__ == "__main__":
    main()
