"""The real bot as processes of their own (bench/bot_process.py: `python -m bot`'s composition root with
the tests' faster timing), for tests where one must die by SIGKILL while another carries on."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.test_metrics import free_port

ROOT = Path(__file__).resolve().parents[1]
TIMING_SCALE = 10.0  # the bot's production timing divided by this, as the benchmark runs it


@dataclass
class BotProcess:
    """One bot process; its stderr goes to a file the test shows when something fails."""

    name: str
    env: dict[str, str]
    folder: Path
    metrics_port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / f"{self.name}.log"

    async def start(self) -> None:
        env = {**os.environ, **self.env, "INSTANCE_NAME": self.name, "METRICS_PORT": str(self.metrics_port)}
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.bot_process", str(self.folder / f"{self.name}.json"),
                "--scale", str(TIMING_SCALE), cwd=ROOT, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    def log_tail(self, size: int = 3000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- {self.name} ---\n{text[-size:]}"
