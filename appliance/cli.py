"""The `hisab` command: runs the box's processes and its maintenance jobs.

Thin on purpose: each command parses arguments, opens what it needs and calls into the
modules that own the work. Errors a person can fix are one-sentence ClickExceptions.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import click

from appliance import __version__
from appliance.config import Settings, SettingsError, load

log = logging.getLogger("hisab")


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


@click.group()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="where the box keeps its data")
@click.option("--port", type=int, help="port of the web UI")
@click.version_option(__version__)
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, port: int | None) -> None:
    """Hisab: the in-shop invoice box."""
    from appliance.lifecycle import setup_logging

    setup_logging(os.environ.get("HISAB_LOG_LEVEL", "INFO"))
    ctx.ensure_object(dict)
    ctx.obj["overrides"] = {"data_dir": data_dir, "port": port}
    try:
        ctx.obj["settings"] = load(**ctx.obj["overrides"])
        ctx.obj["settings_error"] = None
    except SettingsError as exc:
        ctx.obj["settings"] = None
        ctx.obj["settings_error"] = exc
        if ctx.invoked_subcommand not in ("web", "worker", "relay", "run"):
            raise click.ClickException(f"{exc} — fix the settings file or HISAB_* variable.") from None


def _data_options(func):
    """Let `--data-dir/--port` also follow the subcommand, as the README shows them."""
    func = click.option("--port", "sub_port", type=int, help="port of the web UI")(func)
    return click.option("--data-dir", "sub_data_dir", type=click.Path(file_okay=False, path_type=Path),
                        help="where the box keeps its data")(func)


def _resolve(ctx: click.Context, sub_data_dir: Path | None, sub_port: int | None) -> Settings:
    overrides = dict(ctx.obj["overrides"])
    if sub_data_dir:
        overrides["data_dir"] = sub_data_dir
    if sub_port is not None:
        overrides["port"] = sub_port
    try:
        settings = load(**overrides)
    except SettingsError:
        if ctx.obj["settings_error"] is None:
            raise
        settings = None
    ctx.obj["settings"] = settings
    return settings


def _safe_mode(ctx: click.Context, process: str) -> None:
    """A broken settings file: say which key, and stay up (no crash loop on a screenless box)."""
    from appliance.safemode import serve

    error = ctx.obj["settings_error"]
    log.error("process=%s safe_mode setting=%s problem=%s", process, error.key, error.message)
    serve(process, error, port=ctx.obj["overrides"].get("port"))


@main.command()
@_data_options
@click.pass_context
def run(ctx: click.Context, sub_data_dir: Path | None, sub_port: int | None) -> None:
    """Run every box process (web, worker, relay) in the foreground."""
    settings = _resolve(ctx, sub_data_dir, sub_port)
    if settings is None:
        return _safe_mode(ctx, "run")
    from appliance.box import open_box
    from appliance.users import ensure_first_owner

    box = open_box(settings)
    password = ensure_first_owner(box.journal, box.settings.data_dir)
    box.close()
    url = f"http://{'localhost' if settings.host in ('0.0.0.0', '::') else settings.host}:{settings.port}/"
    click.echo(f"Hisab {__version__} — data in {settings.data_dir.resolve()}")
    click.echo(f"Open {url} in a browser on this machine or the shop LAN.")
    if password:
        click.echo(f"First login: user 'owner', password '{password}' "
                   f"(also in {settings.data_dir / 'initial-password.txt'}; change it under Users).")
    else:
        click.echo("Log in with your user name and password.")
    if not settings.mqtt_url:
        click.echo("No hub configured (HISAB_MQTT_URL): the box works offline.")
    env = {**os.environ, "HISAB_DATA_DIR": str(settings.data_dir), "HISAB_PORT": str(settings.port),
           "HISAB_DEVICE_ID": box.settings.device_id}
    _supervise_children(["web", "worker", "relay"], env)


def _supervise_children(names: list[str], env: dict[str, str]) -> None:
    """Foreground runner for a laptop; on the box each process is its own systemd unit."""
    stop = threading.Event()
    children: dict[str, subprocess.Popen] = {}

    def start(name: str) -> None:
        children[name] = subprocess.Popen([sys.executable, "-m", "appliance", name], env=env)

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for name in names:
        start(name)
    while not stop.wait(1.0):
        for name, child in list(children.items()):
            if child.poll() is not None:
                log.warning("process=%s exited code=%s; restarting", name, child.returncode)
                start(name)
    for child in children.values():
        child.terminate()
    for child in children.values():
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()


@main.command()
@_data_options
@click.pass_context
def web(ctx: click.Context, sub_data_dir: Path | None, sub_port: int | None) -> None:
    """Serve the UI and JSON API (one gunicorn worker with threads)."""
    settings = _resolve(ctx, sub_data_dir, sub_port)
    if settings is None:
        return _safe_mode(ctx, "web")
    from appliance.web.server import main as serve_web

    serve_web(settings)


@main.command()
@_data_options
@click.option("--once", is_flag=True, help="drain the backlog and exit")
@click.pass_context
def worker(ctx: click.Context, sub_data_dir: Path | None, sub_port: int | None, once: bool) -> None:
    """Extract received invoices."""
    settings = _resolve(ctx, sub_data_dir, sub_port)
    if settings is None:
        return _safe_mode(ctx, "worker")
    from appliance.worker import main as run_worker

    run_worker(settings, once=once)


@main.command()
@_data_options
@click.pass_context
def relay(ctx: click.Context, sub_data_dir: Path | None, sub_port: int | None) -> None:
    """Sync the journal with the hub over MQTT (waits while no hub is configured)."""
    settings = _resolve(ctx, sub_data_dir, sub_port)
    if settings is None:
        return _safe_mode(ctx, "relay")
    from appliance.relay import main as run_relay

    run_relay(settings)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="JSON Lines per invoice.schema.json")
@click.option("--no-llm", is_flag=True, help="rules only, without the small language model")
@click.pass_context
def extract(ctx: click.Context, files: tuple[Path, ...], as_json: bool, no_llm: bool) -> None:
    """Read invoice FILES and print their fields."""
    from tqdm import tqdm

    from appliance.ocr import ExtractOptions, Extractor

    settings = _settings(ctx)
    extractor = Extractor(ExtractOptions(use_llm=settings.use_llm and not no_llm, model_path=settings.model_path,
                                         tesseract_timeout_s=settings.tesseract_timeout_s,
                                         threads=settings.worker_threads))
    failures = 0
    for path in tqdm(files, desc="extracting", unit="file", disable=len(files) < 2, file=sys.stderr):
        try:
            data = path.read_bytes()
        except OSError as exc:
            data = b""
            click.echo(f"{path}: cannot read ({exc.strerror})", err=True)
        result = extractor.extract(data, str(path))
        failures += bool(result.get("error"))
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        else:
            _print_result(result)
    if failures == len(files):
        sys.exit(2)


def _print_result(result: dict) -> None:
    click.echo(f"== {result['source']}")
    if result.get("error"):
        click.echo(f"  error: {result['error']}")
        return
    for key in ("supplier_name", "supplier_bin", "invoice_number", "invoice_date", "subtotal", "discount",
                "vat_rate", "vat_amount", "total"):
        conf = result.get("confidence", {}).get(key)
        click.echo(f"  {key:15} {result.get(key)!s:40} {'' if conf is None else f'{conf:.2f}'}")
    click.echo(f"  line items: {len(result.get('line_items') or [])}   needs review: "
               f"{', '.join(result.get('needs_review') or []) or 'nothing'}")


@main.group()
def user() -> None:
    """Manage the people who log in."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["owner", "staff", "technician"]), required=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME with a role."""
    from appliance.box import open_box
    from appliance.queue.journal import Rejected
    from appliance.users import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    box = open_box(_settings(ctx))
    try:
        add_user(box.journal, name, role, password)
    except Rejected as exc:
        raise click.ClickException(exc.message) from None
    finally:
        box.close()
    click.echo(f"User '{name}' added as {role}.", err=True)


@main.group()
def token() -> None:
    """Manage bearer tokens for the JSON API."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="", help="what the token is for")
@click.pass_context
def token_create(ctx: click.Context, name: str, label: str) -> None:
    """Create a token for user NAME and print it alone on stdout."""
    from appliance.box import open_box
    from appliance.queue.journal import Rejected
    from appliance.users import create_token

    box = open_box(_settings(ctx))
    try:
        click.echo(create_token(box.journal, name, label))
    except Rejected as exc:
        raise click.ClickException(exc.message) from None
    finally:
        box.close()


@main.command()
@click.pass_context
def rebuild(ctx: click.Context) -> None:
    """Rebuild the read model from the journal (stop `hisab web` first)."""
    from tqdm import tqdm

    from appliance.box import open_box
    from appliance.readmodel import ReadModel

    settings = _settings(ctx)
    box = open_box(settings)
    path = settings.readmodel_path
    for stale in (path, Path(str(path) + ".wal")):
        stale.unlink(missing_ok=True)
    try:
        model = ReadModel(path, box.journal)
    except Exception as exc:  # duckdb raises IOException when the web process holds the file
        raise click.ClickException(f"Cannot open the read model ({exc}); stop `hisab web` first.") from None
    with tqdm(total=box.journal.last_seq(), unit="event", desc="replaying", file=sys.stderr) as bar:
        count = model.catch_up(progress=bar.update)
    model.close()
    box.close()
    click.echo(f"Read model rebuilt from {count} events.", err=True)


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Back up the journal, then bring journal and read model to this version's schema."""
    import sqlite3

    from appliance.box import open_box

    settings = _settings(ctx)
    if settings.journal_path.exists():
        copy = settings.data_dir / "backups" / "pre-migrate.sqlite3"
        copy.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(settings.journal_path)
        dst = sqlite3.connect(copy)
        src.backup(dst)
        dst.close()
        src.close()
    box = open_box(settings)
    box.journal.migrate()
    box.close()
    click.echo("Journal is up to date.", err=True)


@main.command("check-config")
@click.pass_context
def check_config(ctx: click.Context) -> None:
    """Validate the settings file and HISAB_* variables."""
    settings = _settings(ctx)
    click.echo(settings.model_dump_json(indent=2, exclude={"backup_key"}))
