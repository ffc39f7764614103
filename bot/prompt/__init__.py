"""Midjourney prompt checking, split by concern; `bot.prompt_params` is the public entry point."""
