"""HTTP API and station web console."""
