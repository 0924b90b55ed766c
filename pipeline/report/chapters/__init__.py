"""One module per chapter of the report: ``build(ctx) -> Chapter``."""
