"""Where the stores keep their data: SQLite files (and memory), JSONL files, chosen by URL."""
