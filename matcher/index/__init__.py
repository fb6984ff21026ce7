"""index stage of the matching pipeline."""
