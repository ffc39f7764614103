"""Loopback fakes of the MJ API: FakeMJ, the proxy, with the spec's or trueai's behaviour."""

from tests.fakes.mj.recording import FAULT_KINDS, FakeRequest
from tests.fakes.mj.tasks import FakeTask
from tests.fakes.mj.upstream import FakeMJ

__all__ = ["FAULT_KINDS", "FakeMJ", "FakeRequest", "FakeTask"]
