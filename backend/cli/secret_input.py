"""Secrets for `connect` and `helpdesk add` without putting them in shell history or `ps`.

One convention for every secret option --X: `--X VALUE` (kept for scripts that use it), `--X -`
(read from stdin), `--X-file PATH` (read from a file), or the environment variable
CHARGEDESK_<KIND>_<X> (e.g. CHARGEDESK_STRIPE_API_KEY); a required secret still missing is
prompted for (hidden) when stdin is a terminal. A trailing newline is dropped.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from .common import CommandError

MAX_SECRET_BYTES = 64 * 1024


@dataclass(frozen=True)
class SecretOption:
    """One secret option of a command: its --flag, the --flag-file twin and its environment variable."""

    name: str  # snake_case parameter name, e.g. api_key
    kind: str  # gateway or helpdesk name, for the environment variable
    help: str
    required: bool = True
    multiple: bool = False  # one secret per line (webhook secrets during a rotation)

    @property
    def flag(self) -> str:
        return f"--{self.name.replace('_', '-')}"

    @property
    def envvar(self) -> str:
        return f"CHARGEDESK_{self.kind.upper()}_{self.name.upper()}"

    def params(self) -> list[click.Option]:
        value_help = f"{self.help.rstrip('.')}. Use '-' to read it from stdin, {self.flag}-file PATH, or set {self.envvar}."
        return [click.Option([self.flag, self.name], multiple=self.multiple, help=value_help),
                click.Option([f"{self.flag}-file", f"{self.name}__file"], metavar="PATH",
                             type=click.Path(dir_okay=False, path_type=Path),
                             help=f"Read {self.flag} from this file.")]

    def resolve(self, given: dict) -> list[str] | str | None:
        """The secret(s) from the flag, stdin, the file, the environment or a prompt; pops both params."""
        value, file = given.pop(self.name, None), given.pop(f"{self.name}__file", None)
        values = [v for v in (value or ())] if self.multiple else ([value] if value is not None else [])
        if file is not None and values:
            raise CommandError(f"give {self.flag} or {self.flag}-file, not both")
        if file is not None:
            found = self._split(_read_file(self, file))
        elif values:
            found = [line for v in values for line in (self._split(_read_stdin(self)) if v == "-" else [v])]
        elif os.environ.get(self.envvar):
            found = self._split(os.environ[self.envvar])
        elif self.required and _can_prompt():
            found = [click.prompt(f"{self.flag.lstrip('-')}", hide_input=True)]
        elif self.required:
            raise CommandError(f"missing {self.flag}: give {self.flag} VALUE, {self.flag} - (stdin), "
                               f"{self.flag}-file PATH, or set {self.envvar}")
        else:
            found = []
        if any(not v.strip() for v in found) or (self.required and not found):
            raise CommandError(f"{self.flag} is empty")
        return found if self.multiple else (found[0] if found else None)

    def _split(self, text: str) -> list[str]:
        """Several secrets one per line, or the one secret without its trailing newline."""
        if not self.multiple:
            return [text.strip()]
        return [line.strip() for line in text.splitlines() if line.strip()] or [""]




def _can_prompt() -> bool:
    """A person at a terminal (test runs never wait for one, even when started from a terminal)."""
    return sys.stdin.isatty() and os.environ.get("CHARGEDESK_ENV", "").lower() != "test"


_stdin_used: list[str] = []


def _read_stdin(option: SecretOption) -> str:
    if _stdin_used:
        raise CommandError(f"only one option can read stdin ({_stdin_used[0]} already did)")
    _stdin_used.append(option.flag)
    return sys.stdin.read(MAX_SECRET_BYTES + 1)


def _read_file(option: SecretOption, path: Path) -> str:
    try:
        if path.is_file() and path.stat().st_size > MAX_SECRET_BYTES:
            raise CommandError(f"{option.flag}-file {path}: larger than 64 KiB; is it the right file?")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a UTF-8 text file"
        raise CommandError(f"cannot read {option.flag}-file {path}: {reason}") from None
