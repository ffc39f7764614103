"""Every path that pays for a job: /imagine, a permutation prompt, a click on a result's button, a Remix or
Custom Zoom window, Retry and Edit prompt. Each goes through the same gate (gate.py) first."""
