"""`hisab-hub`: run the hub, one ingest worker, migrations, operators, tokens, a load test, a dev stack."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path

import click
import psycopg

from hub import db, users
from hub.settings import HubSettingsError, load


def _settings():
    try:
        return load()
    except HubSettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")


def _db(settings):
    try:
        return db.connect(settings.database_url, autocommit=True)
    except psycopg.OperationalError as exc:
        raise click.ClickException(f"cannot reach PostgreSQL at HUB_DATABASE_URL: {exc}".strip()) from None


@click.group(help="The Hisab hub: ingest from the boxes, merge, alerts and the fleet dashboard.")
@click.option("-v", "--verbose", is_flag=True, help="debug logging")
@click.pass_context
def main(ctx, verbose):
    ctx.obj = {"verbose": verbose}


@main.command(help="Run ingest workers, alerts and the dashboard in the foreground (HUB_* settings).")
@click.option("--workers", type=int, help="ingest workers (default HUB_INGEST_WORKERS)")
@click.option("--no-web", is_flag=True, help="do not serve the dashboard")
@click.option("--local", is_flag=True, help="also start a local Mosquitto and PostgreSQL under data/hub (= `dev`)")
@click.pass_context
def run(ctx, workers, no_web, local):
    from hub import service

    if local:
        return ctx.invoke(dev)
    _logging(ctx.obj["verbose"])
    settings = _settings()
    stop = threading.Event()
    service.stop_on_signals(stop)
    if not service.run(settings, stop, web=not no_web, workers=workers):
        sys.exit(1)  # a loop died: systemd restarts the hub


@main.command(help="Run one ingest worker (scale out by starting more, on any machine).")
@click.option("--name", default=None, help="worker name, unique in the share group (default: host-pid)")
@click.pass_context
def ingest(ctx, name):
    import os
    import socket

    from hub import service

    _logging(ctx.obj["verbose"])
    settings = _settings()
    stop = threading.Event()
    service.stop_on_signals(stop)
    if not service.run_ingest(settings, stop, name or f"{socket.gethostname()}-{os.getpid()}"):
        sys.exit(1)


@main.command(help="Create or update the hub's PostgreSQL schema.")
def migrate():
    settings = _settings()
    try:
        done = db.migrate(settings.database_url, partitions_ahead=settings.partitions_ahead,
                          retention_months=settings.retention_months)
    except psycopg.OperationalError as exc:
        raise click.ClickException(f"cannot reach PostgreSQL at HUB_DATABASE_URL: {exc}".strip()) from None
    for line in done:
        click.echo(f"events partition {line}")
    click.echo("schema up to date")


@main.group(help="Hub operators.")
def user():
    pass


@user.command("add", help="Add an operator (or change their role and password).")
@click.argument("name")
@click.option("--role", type=click.Choice(users.ROLES), default="operator", show_default=True)
@click.option("--password-stdin", is_flag=True, help="read the password from stdin (else prompt)")
def user_add(name, role, password_stdin):
    password = sys.stdin.readline().rstrip("\n") if password_stdin else click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    settings = _settings()
    db.migrate(settings.database_url)
    with _db(settings) as conn:
        try:
            users.add_user(conn, name, role, password)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"user {name} ({role}) saved", err=True)


@main.group(help="API tokens.")
def token():
    pass


@token.command("create", help="Create a bearer token for NAME; prints only the token on stdout.")
@click.argument("name")
def token_create(name):
    settings = _settings()
    with _db(settings) as conn:
        try:
            click.echo(users.create_token(conn, name))
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None


@main.command(help="Drive simulated boxes against the hub named by HUB_* (starts no hub).")
@click.option("--boxes", type=int, default=10, show_default=True)
@click.option("--invoices", type=int, default=25, show_default=True, help="per box (2 events each, plus edits)")
@click.option("--edits", type=int, default=2, show_default=True, help="edits per invoice, a burst later")
@click.option("--bursts", type=int, default=5, show_default=True, help="bursts a box's invoices arrive in")
@click.option("--spread", type=float, default=10.0, show_default=True, help="seconds the bursts are spread over")
@click.option("--preload", is_flag=True, help="all work in the journals before connecting (measures the drain)")
@click.option("--drop-share", type=float, default=0.1, show_default=True, help="share of boxes whose link drops once")
@click.option("--outage", type=float, default=0.0, help="then a fleet-wide outage of this many seconds: every box back at once")
@click.option("--outage-invoices", type=int, default=10, show_default=True, help="per box, taken during the outage")
@click.option("--boxes-per-process", type=int, default=150, show_default=True,
              help="≤ 150: paho select()s, 6 descriptors a box must stay under 1,024")
@click.option("--passwd-file", type=click.Path(path_type=Path),
              help="the broker's password file: one account per box is added (else boxes use the hub's account)")
@click.option("--broker-pid", type=int, help="SIGHUP this Mosquitto after adding the accounts")
@click.option("--hub-pid", "hub_pids", type=int, multiple=True, help="an ingest process to measure (repeatable)")
@click.option("--api-url", help="the hub dashboard, to check every box through GET /api/v1/devices too")
@click.option("--api-token", help="bearer token for --api-url (hisab-hub token create)")
@click.option("--timeout", type=float, default=600.0, show_default=True, help="seconds to wait for each drain")
@click.option("--json", "as_json", is_flag=True, help="one JSON object on stdout")
def loadtest(boxes, invoices, edits, bursts, spread, preload, drop_share, outage, outage_invoices, boxes_per_process,
             passwd_file, broker_pid, hub_pids, api_url, api_token, timeout, as_json):
    import os
    import signal

    from hub import loadtest as lt
    from hub.devstack import add_accounts

    logging.basicConfig(level=logging.WARNING)
    settings = _settings()
    plan = lt.Plan(boxes=boxes, invoices=invoices, edits=edits, bursts=bursts, spread_s=spread, preload=preload,
                   drop_share=drop_share, outage_s=outage, outage_invoices=outage_invoices,
                   boxes_per_process=boxes_per_process, timeout_s=timeout)
    accounts = None
    if passwd_file:
        def accounts(found):
            add_accounts(passwd_file, found)
            if broker_pid:
                os.kill(broker_pid, signal.SIGHUP)
            time.sleep(0.5)

    api = (api_url, api_token) if api_url and api_token else None
    if as_json:
        result = lt.run(settings, plan, accounts=accounts, hub_pids=hub_pids, api=api)
        click.echo(json.dumps(result))
    else:
        with click.progressbar(length=1, label="events acked by the hub") as bar:
            def progress(done, total):
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            result = lt.run(settings, plan, accounts=accounts, hub_pids=hub_pids, api=api, progress=progress)
        for key, value in result.items():
            click.echo(f"{key:>26}: {value}")
    if result["lost"] or result["duplicated"] or not result["complete"] or result.get("api_mismatches"):
        sys.exit(1)


@main.command(help="Start a local Mosquitto and PostgreSQL under DIR, then the hub (what `make hub` runs).")
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("data/hub"), show_default=True)
@click.option("--mqtt-port", type=int, default=1883, show_default=True)
@click.option("--pg-port", type=int, default=5433, show_default=True)
@click.option("--port", type=int, default=8090, show_default=True, help="dashboard port")
@click.pass_context
def dev(ctx, data_dir, mqtt_port, pg_port, port):
    from hub import service
    from hub.devstack import HUB_USER, Mosquitto, Postgres
    from hub.settings import HubSettings

    _logging(ctx.obj["verbose"])
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)
    broker = Mosquitto(data_dir / "mosquitto", port=mqtt_port)
    if not broker.passwd_file.exists():
        broker.write_config()
        broker.add_user(HUB_USER, "hub-secret")
    broker.passwords[HUB_USER] = "hub-secret"
    broker.start()
    pg = Postgres(data_dir / "postgres", port=pg_port).start(fast=False)
    try:
        settings = HubSettings(mqtt_url=broker.url(HUB_USER), database_url=pg.url, port=port,
                               broker_passwd_file=broker.passwd_file, broker_pid_file=broker.pid_file)
        click.echo(f"HUB_MQTT_URL={settings.mqtt_url}\nHUB_DATABASE_URL={settings.database_url}\n"
                   f"box accounts: POST /api/v1/devices (hisab-provision --hub http://127.0.0.1:{port}), or "
                   f"hisab-hub device add NAME --passwd-file {broker.passwd_file}", err=True)
        stop = threading.Event()
        service.stop_on_signals(stop)
        service.run(settings, stop)
    finally:
        broker.stop()
        pg.stop()


@main.group(help="Boxes' broker accounts.")
def device():
    pass


@device.command("add", help="Create a box's MQTT account (user = device id) in a Mosquitto password file.")
@click.argument("device_id")
@click.option("--passwd-file", type=click.Path(path_type=Path), required=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="broker host to put in the printed URL")
@click.option("--port", type=int, default=1883, show_default=True)
def device_add(device_id, passwd_file, host, port):
    import secrets

    from hub.registration import RegistrationError, set_broker_password
    from hub.settings import HubSettings

    password = secrets.token_urlsafe(24)
    try:  # the same path as POST /api/v1/devices: hashed off the command line, under the file's lock
        set_broker_password(HubSettings(broker_passwd_file=passwd_file), device_id, password)
    except RegistrationError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"mqtt://{device_id}:{password}@{host}:{port}")
    click.echo("set it as the box's HISAB_MQTT_URL; send SIGHUP to mosquitto to load the account", err=True)


if __name__ == "__main__":
    main()
