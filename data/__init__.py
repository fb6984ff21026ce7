"""Reference tables shipped with the project and the sample-data generator."""
