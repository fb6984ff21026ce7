"""features stage of the matching pipeline."""
