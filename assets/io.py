"""A small parquet IO manager for polars frames (dagster-polars breaks on polars 2).

One file per asset and partition: BASE/<asset>/<partition>.parquet, written to
a temporary name and renamed, so a killed run never leaves half a store.
"""


from pathlib import Path

import polars as pl
from dagster import ConfigurableIOManager, InputContext, OutputContext

from assets.locking import StoreYearLock
from pipeline.outputs import write_atomic


class PolarsParquetIOManager(StoreYearLock, ConfigurableIOManager):  # a run holds its year
    base_dir: str

    def _path(self, context: OutputContext | InputContext) -> Path:
        key = context.asset_key.path
        name = context.asset_partition_key if context.has_asset_partitions else "all"
        return Path(self.base_dir).joinpath(*key) / f"{name}.parquet"

    def handle_output(self, context: OutputContext, obj: pl.DataFrame) -> None:
        path = self._path(context)
        write_atomic(path, lambda tmp: obj.write_parquet(tmp, statistics=False))
        context.add_output_metadata({"rijen": obj.height, "pad": str(path)})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        return pl.read_parquet(self._path(context))
