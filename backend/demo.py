"""`chargedesk demo`: the product on its embedded default, seeded so there is something to see.

SQLite in the instance folder, jobs on an in-process thread, gateways played by our loopback
sandboxes. Every start is fresh (unless --keep) because the sandboxes keep state in memory.
"""
from __future__ import annotations

from pathlib import Path

import click
from werkzeug.serving import make_server

from . import create_app, db, schema
from .demo_seed import seed_demo


def run_demo(*, host: str, port: int, keep: bool) -> None:
    instance = Path.cwd() / "instance"
    instance.mkdir(exist_ok=True)
    db_path = instance / "demo.sqlite3"
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    server = make_server(host, port, None, threaded=True)  # bind first: a busy port fails early
    base_url = f"http://{host}:{server.port}"
    app = create_app({"ENV": "demo", "DATABASE_URL": f"sqlite:///{db_path}", "REDIS_URL": "",
                      "INSTANCE_PATH": str(instance), "BASE_URL": base_url})
    server.app = app
    with app.app_context():
        schema.upgrade(db.engine())
        seeded = seed_demo(app, keep=keep)
    app.config["HOME_LINKS"] = seeded.links
    click.echo(f"ChargeDesk demo running at {base_url}/")
    click.echo(f"  demo account: {seeded.account_slug}   API key: {seeded.api_key}")
    for label, path in seeded.links:
        click.echo(f"  {label}: {base_url}{path}")
    click.echo(f"  try: curl -H 'Authorization: Bearer {seeded.api_key}' {base_url}/api/v1/customers?email={seeded.sample_email}")
    click.echo("Press Ctrl+C to stop.")
    try:
        server.serve_forever()
    finally:
        seeded.stop()
