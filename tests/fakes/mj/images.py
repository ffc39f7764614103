"""The images the fakes serve: real, deterministic per task, in the format asked for."""

from __future__ import annotations

import hashlib
import io
import struct

from aiohttp import web
from PIL import Image, ImageDraw

IMAGE_FORMATS = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}
EXTENSIONS = {"png": "png", "webp": "webp", "jpeg": "jpg"}
CHUNK = 16 * 1024


def make_png(task_id: str, size: tuple[int, int], noise: bool = False) -> bytes:
    """A real PNG, deterministic per task (a gradient tinted by the id's hash, and the id as text).
    `noise` makes one that compresses badly: a huge file (about 3 bytes a pixel)."""
    return make_image(task_id, size, noise, "png")


def make_image(task_id: str, size: tuple[int, int], noise: bool, image_format: str) -> bytes:
    """Like make_png, in `image_format` (png, webp or jpeg)."""
    digest = hashlib.sha256(task_id.encode()).digest()
    if noise:
        image = Image.merge("RGB", [Image.effect_noise(size, 100 + i * 10) for i in range(3)])
    else:
        gradient = Image.linear_gradient("L").resize(size).convert("RGB")
        image = Image.blend(gradient, Image.new("RGB", size, (digest[0], digest[1], digest[2])), 0.5)
    ImageDraw.Draw(image).text((10, 10), task_id, fill=(255, 255, 255))
    buffer = io.BytesIO()
    if image_format == "png":
        image.save(buffer, "PNG", compress_level=1)
    elif image_format == "webp":
        image.save(buffer, "WEBP", quality=100 if noise else 80, method=0)
    else:
        image.save(buffer, "JPEG", quality=100 if noise else 85)
    return buffer.getvalue()


async def send_image(
    request: web.Request, data: bytes, content_type: str, *, chunked: bool
) -> web.StreamResponse:
    """Answer with the bytes, with a Content-Length or streamed in chunks without one."""
    if not chunked:
        return web.Response(body=data, content_type=content_type)
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for start in range(0, len(data), CHUNK):
        await response.write(data[start : start + CHUNK])
    await response.write_eof()
    return response


def make_mp4(seed: str, size: int = 0) -> bytes:
    """A tiny, structurally valid MP4 (ISO BMFF: ftyp, moov with an mvhd, and a free box carrying
    `seed`, so each video differs), padded with an mdat box to `size` bytes when asked."""

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41")
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = box(
        b"mvhd",
        struct.pack(">IIIII", 0, 0, 0, 1000, 5000)  # version+flags, times, timescale, duration (5 s)
        + struct.pack(">IH", 0x10000, 0x100)  # rate 1.0, volume 1.0
        + bytes(10)
        + matrix
        + bytes(24)
        + struct.pack(">I", 1),  # next track id
    )
    data = ftyp + box(b"moov", mvhd) + box(b"free", seed.encode())
    if size > len(data) + 8:
        data += box(b"mdat", bytes(size - len(data) - 8))
    return data
