"""The FakeMJ knobs a FakeRelay passes through to its upstream, so a test drives either fake alike."""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes.mj.tasks import FakeTask
from tests.fakes.mj.upstream import FakeMJ


class UpstreamKnobs:
    """Properties that read and write the upstream FakeMJ's knobs and state."""

    upstream: FakeMJ

    @property
    def tasks(self) -> dict[str, FakeTask]:
        """Upstream's tasks by id (the relay's rows carry the same ids)."""
        return self.upstream.tasks

    @property
    def upstream_success_at(self) -> dict[str, float]:
        """When each task reached SUCCESS upstream (monotonic); the relay shows it a refresh later."""
        return self.upstream.success_at

    @property
    def images(self) -> dict[str, bytes]:
        return self.upstream.images

    @property
    def durations(self) -> dict[str, float]:
        return self.upstream.durations

    @durations.setter
    def durations(self, durations: dict[str, float]) -> None:
        self.upstream.durations = durations

    @property
    def default_duration(self) -> float:
        return self.upstream.default_duration

    @default_duration.setter
    def default_duration(self, seconds: float) -> None:
        self.upstream.default_duration = seconds

    @property
    def queue_delay(self) -> float:
        return self.upstream.queue_delay

    @queue_delay.setter
    def queue_delay(self, seconds: float) -> None:
        self.upstream.queue_delay = seconds

    @property
    def image_size(self) -> tuple[int, int]:
        return self.upstream.image_size

    @image_size.setter
    def image_size(self, size: tuple[int, int]) -> None:
        self.upstream.image_size = size

    @property
    def big_images(self) -> bool:
        return self.upstream.big_images

    @big_images.setter
    def big_images(self, big: bool) -> None:
        self.upstream.big_images = big

    @property
    def image_bytes_for(self) -> Callable[[str], bytes | None] | None:
        return self.upstream.image_bytes_for

    @image_bytes_for.setter
    def image_bytes_for(self, hook: Callable[[str], bytes | None] | None) -> None:
        self.upstream.image_bytes_for = hook

    @property
    def chunked_images(self) -> bool:
        """Whether the CDN streams images without a Content-Length (the relay always does)."""
        return self.upstream.chunked_images

    @chunked_images.setter
    def chunked_images(self, chunked: bool) -> None:
        self.upstream.chunked_images = chunked

    @property
    def unknown_task_empty(self) -> bool:
        """Upstream's knob. Through the relay an unknown id is always 400 task_no_found."""
        return self.upstream.unknown_task_empty

    @unknown_task_empty.setter
    def unknown_task_empty(self, empty: bool) -> None:
        self.upstream.unknown_task_empty = empty

    def set_duration(self, action: str, seconds: float) -> None:
        """How long upstream tasks of `action` submitted from now on run."""
        self.upstream.set_duration(action, seconds)

    def hold(self, task_id: str) -> None:
        """Keep the upstream task IN_PROGRESS until `release`."""
        self.upstream.hold(task_id)

    def release(self, task_id: str) -> None:
        """Let a held upstream task finish."""
        self.upstream.release(task_id)

    def wall_ms(self, monotonic: float) -> int:
        return self.upstream.wall_ms(monotonic)
