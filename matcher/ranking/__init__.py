"""ranking stage of the matching pipeline."""
