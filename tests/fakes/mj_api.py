"""The fake MJ API (kept importable from here): see tests/fakes/mj/."""

from tests.fakes.mj import FAULT_KINDS, FakeMJ, FakeRequest, FakeTask
from tests.fakes.mj.buttons import grid_buttons, upscale_buttons
from tests.fakes.mj.images import make_png

__all__ = ["FAULT_KINDS", "FakeMJ", "FakeRequest", "FakeTask", "grid_buttons", "make_png", "upscale_buttons"]
