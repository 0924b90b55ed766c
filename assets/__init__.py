"""The Dagster layer: thin assets over `pipeline`, partitions, IO manager, resources."""
