"""`chargedesk documents render|backfill`: receipts and credit notes for operators."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from pathlib import Path

import click
from sqlalchemy import select

from ..db import session
from ..models import Charge, Refund
from .common import CommandError, app_from_env, find_account


@click.group("documents")
def documents_group() -> None:
    """Receipts and credit notes (PDFs with gapless numbers)."""


@documents_group.command("render")
@click.argument("charge_ref", metavar="CHARGE_ID")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Also write the receipt's PDF to this file.")
def documents_render(charge_ref: str, output: Path | None) -> None:
    """Issue (unsent) and render the receipt and credit notes of a charge (our id or the gateway's)."""
    from ..documents.issue import DocumentError, issue_credit_note, issue_receipt
    from ..documents.numbering import NumberFormatError
    from ..documents.store import ensure_pdf, read_pdf

    with app_from_env().app_context():
        charge = _find_charge(charge_ref)
        s = session()
        try:
            receipt = issue_receipt(s, charge, auto_send=False).document
            refunds = s.scalars(select(Refund).where(Refund.charge_id == charge.id, Refund.status == "succeeded")
                                .order_by(Refund.gateway_created_at, Refund.id)).all()
            docs = [receipt] + [issue_credit_note(s, r, auto_send=False).document for r in refunds]
        except (DocumentError, NumberFormatError) as exc:
            raise CommandError(str(exc)) from None
        for doc in docs:
            doc = ensure_pdf(doc.id)
            click.echo(f"{doc.kind} {doc.display_number} (document {doc.id}): {doc.storage_key}")
        if output is not None:
            try:
                output.write_bytes(read_pdf(receipt))
            except OSError as exc:
                raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from None
            click.echo(f"wrote {output}")


def _find_charge(ref: str) -> Charge:
    s = session()
    if ref.isdigit():
        charge = s.get(Charge, int(ref))
        if charge is not None:
            return charge
    matches = s.scalars(select(Charge).where(Charge.external_id == ref).limit(2)).all()
    if len(matches) > 1:
        raise CommandError(f"gateway charge id {ref!r} exists in several connections; pass our charge id")
    if not matches:
        raise CommandError(f"no charge with id {ref!r}")
    return matches[0]


@documents_group.command("backfill")
@click.argument("account_ref", metavar="ACCOUNT")
@click.option("--since", "since", required=True, metavar="DATE", help="First payment day (YYYY-MM-DD), UTC.")
@click.option("--until", "until", metavar="DATE", help="Day after the last payment day (YYYY-MM-DD), UTC.")
@click.option("--render/--no-render", default=True, show_default=True, help="Render the PDFs now.")
def documents_backfill(account_ref: str, since: str, until: str | None, render: bool) -> None:
    """Receipts and credit notes for past payments of ACCOUNT (id or slug); never emailed."""
    from ..documents.history import issue_history
    from ..documents.numbering import NumberFormatError

    start, end = _day(since, "--since"), _day(until, "--until") if until else None
    if end is not None and end <= start:
        raise CommandError("--until must be after --since")
    with app_from_env().app_context():
        account = find_account(account_ref)
        try:
            report = issue_history(account.id, since=start, until=end, render=render)
        except NumberFormatError as exc:
            raise CommandError(str(exc)) from None
        for reason in report.skipped:
            click.echo(f"skipped: {reason}", err=True)
        click.echo(f"{account.slug}: {report.issued['receipt']} receipts and {report.issued['credit_note']} credit "
                   f"notes issued (unsent), {len(report.skipped)} skipped")


def _day(value: str, option: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=timezone.utc)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a date (use YYYY-MM-DD)") from None


def register(cli: click.Group) -> None:
    cli.add_command(documents_group)
