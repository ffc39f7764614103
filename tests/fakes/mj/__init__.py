"""Loopback fakes of the MJ API: FakeMJ (the proxy: spec or trueai behaviour) and FakeRelay (new-api in
front of a trueai FakeMJ)."""

from tests.fakes.mj.recording import FAULT_KINDS, FakeRequest
from tests.fakes.mj.relay import FakeRelay
from tests.fakes.mj.tasks import FakeTask
from tests.fakes.mj.upstream import FakeMJ

__all__ = ["FAULT_KINDS", "FakeMJ", "FakeRelay", "FakeRequest", "FakeTask"]
