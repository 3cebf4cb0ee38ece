"""``portal openapi``: print (or write) the OpenAPI document generated from the app."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from portal.app import create_app
from portal.http.openapi import openapi_yaml
from portal.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("openapi", help="print the generated OpenAPI document (YAML)")
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
    parser.set_defaults(func=run_openapi)


def generated_openapi() -> str:
    """The document; building the app needs no database (the lifespan is not run)."""
    return openapi_yaml(create_app(Settings(database_url="postgresql://unused")))


def run_openapi(args: argparse.Namespace) -> int:
    text = generated_openapi()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
