"""The Midjourney proxy API client: typed models, one exception family, one HTTP choke point."""
