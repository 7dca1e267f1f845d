"""Command-line interface: `python -m dlbasics COMMAND ...`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dlbasics import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlbasics", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dlbasics {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    from dlbasics.style_transfer.cli import add_cli_parser as add_style_transfer

    add_style_transfer(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    handler = getattr(args, "handler", None)
    if handler is None:  # pragma: no cover - every subcommand sets one
        parser.error(f"unknown command {args.command!r}")
    return int(handler(args))


if __name__ == "__main__":
    sys.exit(main())
