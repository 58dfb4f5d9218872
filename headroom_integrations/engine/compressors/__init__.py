"""Content compressors and the router that picks one per kind of content."""
