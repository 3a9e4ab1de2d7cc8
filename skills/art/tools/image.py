#!/usr/bin/env python3
"""Generate one image from a prompt with the OpenAI Images API and save it to a file.

Needs OPENAI_API_KEY (the art skill declares it, so pai passes it to this tool only); honours
OPENAI_BASE_URL for a proxy or a compatible server. Prints the saved file's path."""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import re
import sys
import tempfile
from pathlib import Path

SIZE = re.compile(r"^(auto|\d{2,5}x\d{2,5})$")
DEFAULT_MODEL = "gpt-image-1"


class Failure(Exception):
    """Why no image was saved; the message is for the user."""


def generate(prompt: str, model: str, size: str, quality: str | None) -> bytes:
    """The image's bytes, from the API's base64 answer."""
    import openai  # after the argument checks: `--help` and usage errors stay instant

    client = openai.OpenAI(timeout=180.0, max_retries=2)
    request: dict[str, object] = {"model": model, "prompt": prompt, "size": size, "n": 1}
    if quality:
        request["quality"] = quality
    if model.startswith("dall-e"):
        request["response_format"] = "b64_json"  # gpt-image models always answer in base64
    try:
        answer = client.images.generate(**request)  # type: ignore[call-overload]
    except openai.APIStatusError as error:
        raise Failure(f"the Images API refused ({error.status_code}): "
                      f"{_message(error)}") from None
    except openai.APIConnectionError as error:
        raise Failure(f"cannot reach the Images API at {client.base_url} ({error})") from None
    if not answer.data or not answer.data[0].b64_json:
        raise Failure("the Images API answered without image data (b64_json)")
    try:
        return base64.b64decode(answer.data[0].b64_json, validate=True)
    except (binascii.Error, ValueError):
        raise Failure("the Images API answered with data that is not base64") from None


def _message(error: object) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(error, "message", error))


def save(data: bytes, target: Path) -> None:
    """Write atomically: a failed run never leaves half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="image", description=__doc__,
        epilog='Example: image "a lighthouse at dawn, watercolor" --out lighthouse.png')
    parser.add_argument("prompt", help="what to draw")
    parser.add_argument("--out", required=True, type=Path, help="the file to write (.png)")
    parser.add_argument("--size", default="1024x1024",
                        help="WIDTHxHEIGHT or auto (default 1024x1024; gpt-image-1 also takes "
                             "1536x1024 and 1024x1536)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"default {DEFAULT_MODEL}")
    parser.add_argument("--quality", choices=("low", "medium", "high", "auto", "standard", "hd"),
                        help="the model's quality setting (default: the API's)")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    options = parser.parse_args(argv)
    if not options.prompt.strip():
        parser.error("the prompt is empty")
    if not SIZE.match(options.size):
        parser.error(f"--size {options.size!r} is not WIDTHxHEIGHT (like 1024x1024) or auto")
    if options.out.exists() and not options.force:
        print(f"image: {options.out} exists (choose another --out, or --force)", file=sys.stderr)
        return 1
    if not os.environ.get("OPENAI_API_KEY", "").strip():
        print("image: OPENAI_API_KEY is not set: put your OpenAI key in the environment or in "
              "$PAI_HOME/secrets.toml (the art skill declares it in needs-keys, so pai passes "
              "it to this tool)", file=sys.stderr)
        return 2
    try:
        data = generate(options.prompt, options.model, options.size, options.quality)
        save(data, options.out)
    except Failure as failure:
        print(f"image: {failure}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"image: cannot write {options.out}: {error.strerror}", file=sys.stderr)
        return 1
    print(options.out)
    print(f"image: {len(data)} bytes, {options.size}, {options.model}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
