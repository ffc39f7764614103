"""Vary (Region): masks, editor links and the editor page the bot serves."""
