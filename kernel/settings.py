"""Typed configuration, read once at start-up from the environment (and `.env` in development).

Every setting is an environment variable prefixed with ``MINSIDE_``; the README's configuration
table lists them all. Secrets are :class:`pydantic.SecretStr` so they never print.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    AnyHttpUrl,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    create_model,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel.systems import SYSTEMS, System
from kernel.systems import system as registered

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EXTERNAL_SERVICES_FILE = PROJECT_ROOT / "config" / "external_services.toml"
DEFAULT_APPLICATION_TYPES_FILE = PROJECT_ROOT / "config" / "application_types.toml"
DEFAULT_DOCUMENT_VISIBILITY_FILE = PROJECT_ROOT / "config" / "document_visibility.toml"
DEFAULT_PARTNERS_FILE = PROJECT_ROOT / "config" / "partners.toml"
ENV_PREFIX = "MINSIDE_"
#: What Public 360 accepts per file and per document by default: the gateway's upload limits
#: (``upload_max_file_bytes``, ``upload_max_application_bytes``) and the P360 simulator's
#: refusal threshold start from the same numbers, so an upload that passes is archivable.
ARCHIVE_MAX_FILE_BYTES = 5 * 1024 * 1024
ARCHIVE_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# The internal callers of development mode (MINSIDE_INTERNAL_NETWORKS).
LOOPBACK_NETWORKS = (ip_network("127.0.0.0/8"), ip_network("::1/128"))


class SettingsError(Exception):
    """Start-up configuration is missing or malformed; the message names the variables."""


class CommonSettings(BaseSettings):
    """The gateway's configuration but for the per-system fields (see :class:`Settings`)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    # --- the gateway process -------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Interface the gateway listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Gateway port.")
    public_url: AnyHttpUrl = Field(
        AnyHttpUrl("http://127.0.0.1:8000"),
        description="Public base URL of the gateway (used in links it hands out).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of the gateway and simulators."
    )
    external_services_file: Path = Field(
        DEFAULT_EXTERNAL_SERVICES_FILE,
        description="TOML file with the 'Andre tjenester' links.",
    )
    readiness_timeout_s: float = Field(
        1.0, gt=0, le=30, description="Deadline for each dependency check of /readyz."
    )
    graphql_max_depth: int = Field(12, ge=2, le=50, description="Deepest query accepted.")
    graphql_max_cost: int = Field(
        25_000,
        ge=1,
        le=10_000_000,
        description="Highest static cost of an operation (schema.cost: field weights times "
        "list sizes); a costlier one is refused before it executes.",
    )
    graphql_max_aliases: int = Field(
        30, ge=0, le=100_000, description="Most aliased fields in one operation."
    )
    graphql_max_fields: int = Field(
        500,
        ge=1,
        le=1_000_000,
        description="Most field selections in one operation (fragments counted where spread).",
    )
    graphql_max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        le=104_857_600,
        description="Largest non-upload /graphql request body (a query with its variables).",
    )

    # --- production or development mode (README "Production mode") -------------------------
    mode: Literal["production", "development"] = Field(
        "production",
        description="'production': no GraphiQL or introspection unless switched on, bearer "
        "tokens must carry MINSIDE_IDPORTEN_AUDIENCE (required), /readyz details only "
        "internally; 'development' (what `minside demo` runs): all of them open.",
    )
    graphiql: bool | None = Field(
        None,
        description="Serve the GraphiQL IDE at GET /graphql (default: on in development, off "
        "in production).",
    )
    introspection: bool | None = Field(
        None,
        description="Answer introspection queries (__schema, __type; default: on in "
        "development, off in production, where they get INTROSPECTION_DISABLED).",
    )
    web_page: bool | None = Field(
        None,
        description="Serve Min side's reference citizen web page at / (gateway.web; default: "
        "on in development, off in production); off: / is 404.",
    )
    internal_networks: list[IPvAnyNetwork] | None = Field(
        None,
        description="Callers (CIDRs, JSON list) whose /readyz shows each dependency's state; "
        'default: ["127.0.0.0/8", "::1/128"] in development, none in production (use '
        "MINSIDE_METRICS_PORT's /readyz).",
    )

    @property
    def development(self) -> bool:
        """Whether the gateway runs in development mode (``MINSIDE_MODE``)."""
        return self.mode == "development"

    @property
    def graphiql_enabled(self) -> bool:
        """``MINSIDE_GRAPHIQL``, or the mode's default."""
        return self.development if self.graphiql is None else self.graphiql

    @property
    def web_page_enabled(self) -> bool:
        """``MINSIDE_WEB_PAGE``, or the mode's default."""
        return self.development if self.web_page is None else self.web_page

    @property
    def introspection_enabled(self) -> bool:
        """``MINSIDE_INTROSPECTION``, or the mode's default."""
        return self.development if self.introspection is None else self.introspection

    @property
    def internal_callers(self) -> list[IPv4Network | IPv6Network]:
        """``MINSIDE_INTERNAL_NETWORKS``, or the mode's default (loopback in development)."""
        if self.internal_networks is not None:
            return list(self.internal_networks)
        return list(LOOPBACK_NETWORKS) if self.development else []

    # --- every back-office system (each one's own fields are generated, see below) ---------
    system_retries: int = Field(
        2, ge=0, le=5, description="Retries of an idempotent read (jittered back-off)."
    )
    system_max_concurrency: int = Field(
        20, ge=1, le=1000, description="Calls in flight per back-office system."
    )
    breaker_failure_threshold: int = Field(
        5, ge=1, le=1000, description="Consecutive transport failures that open a breaker."
    )
    breaker_reset_s: float = Field(
        10.0, gt=0, le=3600, description="Seconds an open breaker waits before a probe call."
    )

    # --- keys and links ------------------------------------------------------------------
    secret_key: SecretStr | None = Field(
        None,
        description="Server secret (32+ characters) that encrypts file links and pseudonymises "
        "viewers in stores; unset: one is generated once into var/secret_key (one host only).",
    )
    file_link_ttl_s: int = Field(
        300, ge=10, le=86400, description="Lifetime of a file or PDF download link, seconds."
    )

    # --- ID-porten -----------------------------------------------------------------------
    idporten_issuer: AnyHttpUrl = Field(
        AnyHttpUrl("http://127.0.0.1:8100"),
        description="ID-porten issuer (https://idporten.no, https://test.idporten.no, or the "
        "local stand-in).",
    )
    idporten_client_id: str = Field(
        "minside-gateway", description="Client id registered at ID-porten (Digdir self-service)."
    )
    idporten_client_secret: SecretStr = Field(
        SecretStr("minside-dev-secret"),
        description="Client secret (client_secret_basic); unused with private_key_jwt.",
    )
    idporten_client_key_file: Path | None = Field(
        None,
        description="Private key (PEM or JWK) for private_key_jwt client authentication; "
        "when set it replaces the client secret.",
    )
    idporten_client_key_id: str | None = Field(
        None, description="kid of the private_key_jwt key as registered (default: the key's)."
    )
    idporten_redirect_uri: AnyHttpUrl | None = Field(
        None, description="Login redirect URI (default: <public_url>/auth/callback)."
    )
    idporten_post_logout_redirect_uri: AnyHttpUrl | None = Field(
        None, description="Where ID-porten sends the browser after logout (default: <public_url>/)."
    )
    idporten_scopes: str = Field(
        "openid profile minside:api", description="Scopes asked for at login (space separated)."
    )
    idporten_required_scope: str = Field(
        "minside:api", description="Scope every bearer token must carry to use this API."
    )
    idporten_audience: str | None = Field(
        None,
        description="Audience bearer tokens must carry (RFC 8707 resource); also sent at login.",
    )
    partners_file: Path = Field(
        DEFAULT_PARTNERS_FILE,
        description="TOML catalogue of partner portals: client_id, names, scopes, CORS origins, "
        "trusted documents and rate limit of each (bearer tokens of other clients are refused).",
    )
    idporten_minimum_acr: Literal["idporten-loa-substantial", "idporten-loa-high"] = Field(
        "idporten-loa-substantial", description="Lowest level of assurance accepted."
    )
    idporten_clock_skew_s: float = Field(
        10.0, ge=0, le=300, description="Leeway for exp/nbf/iat between us and ID-porten."
    )
    idporten_max_token_age_s: float = Field(
        3600.0,
        gt=0,
        le=86400,
        description="Oldest iat a bearer token may carry (plus the clock skew), even when its "
        "exp is later.",
    )
    idporten_metadata_cache_s: float = Field(
        86400.0, gt=0, description="How long the discovery document and JWKS are cached."
    )
    idporten_jwks_min_refresh_s: float = Field(
        60.0,
        ge=0,
        description="How long a kid the issuer did not publish is refused without asking "
        "again (kids not seen before may look again after 5 s, so rotated keys pass at once).",
    )
    idporten_frontchannel_frame_ancestors: str | None = Field(
        None,
        description="Who may frame /auth/frontchannel-logout (default: the issuer's origin).",
    )
    session_idle_timeout_s: float = Field(
        1800.0, gt=0, description="A browser session ends after this long without use."
    )
    session_max_lifetime_s: float = Field(
        28800.0, gt=0, description="A browser session ends this long after login at the latest."
    )
    session_cookie_name: str = Field("minside_session", description="Session cookie name.")
    session_cookie_secure: bool | None = Field(
        None,
        description="Mark cookies Secure (default: when public_url is https; set false only "
        "for plain-http local development).",
    )

    # --- persisted queries (gateway.persisted_queries) ------------------------------------
    persisted_queries: Literal["apq", "trusted-only", "off"] = Field(
        "apq",
        description="'apq': automatic persisted queries (Apollo Client, urql) registered on "
        "first use; 'trusted-only': only the documents of MINSIDE_TRUSTED_DOCUMENTS_FILE run; "
        "'off': hashes are not accepted (clients fall back to full queries).",
    )
    trusted_documents_file: Path | None = Field(
        None,
        description='JSON manifest {"<hash hex>": "<query>"}: GraphQL Codegen\'s '
        "persisted-documents.json (SHA-256 or SHA-1) or Relay's persisted queries file (MD5); "
        "each key checked at start-up; needed by MINSIDE_PERSISTED_QUERIES=trusted-only.",
    )
    graphql_get_queries: Literal["persisted", "all"] = Field(
        "persisted",
        description="Queries over GET: 'persisted' only by hash (a full query over GET gets "
        "405), 'all' any query.",
    )

    # --- stores: the outbox of accepted citizen writes and its delivery ---------------------
    outbox_url: str = Field(
        "sqlite:///var/outbox.sqlite3",
        description="Outbox store: sqlite:///<relative path> or sqlite:////<absolute path>.",
    )
    delivery_lease_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="How long a delivery attempt owns a record unless renewed (a running "
        "delivery renews it every third of this); a dead worker's records wait this long.",
    )
    delivery_concurrency: int = Field(8, ge=1, le=256, description="Deliveries in flight.")
    delivery_backoff_max_s: float = Field(
        300.0, ge=1, le=86400, description="Longest wait between delivery retries."
    )
    delivery_max_age_s: float | None = Field(
        7 * 86400.0,
        gt=0,
        description="Reject a write still undeliverable this long after it was "
        "accepted (default 7 days; the citizen's receipt then says REJECTED with the reason, "
        "instead of PENDING for ever).",
    )
    # --- retention: personal data in the outbox kept no longer than needed ---------------
    outbox_payload_retention_s: float = Field(
        0.0,
        ge=0,
        le=366 * 86400,
        description="How long a record's personal payload (the applicant's fødselsnummer, the "
        "attachment bytes) is kept after it was DELIVERED or REJECTED; 0 (default): dropped at "
        "that moment. Undelivered records keep it until then. The receipt stays.",
    )
    outbox_receipt_retention_s: float = Field(
        548 * 86400.0,
        gt=0,
        description="How long a DELIVERED record's receipt (ids, status, case number, times) is "
        "kept after delivery before the purge deletes it (default 18 months).",
    )
    outbox_rejected_retention_s: float = Field(
        90 * 86400.0,
        gt=0,
        description="How long a REJECTED record (its receipt and reason) is kept before the "
        "purge deletes it (default 90 days).",
    )
    purge_interval_s: float = Field(
        3600.0,
        ge=10,
        le=7 * 86400,
        description="How often each delivery worker runs the retention purge of every store "
        "(stores.retention: the outbox and the access log; `minside purge` runs it once).",
    )

    delivery_max_lost_leases: int = Field(
        3,
        ge=1,
        le=100,
        description="A record whose delivery never ended this many times (its worker died "
        "each time) is parked FAILED instead of being claimed again.",
    )

    # --- the citizen's access log (stores.access_log) -----------------------------------------
    access_log_retention_days: int = Field(
        548,
        ge=1,
        le=3650,
        description="Days an access log entry is kept (548: 18 months); older ones are purged.",
    )
    access_log_queue_max: int = Field(
        10_000,
        ge=1,
        le=1_000_000,
        description="Access log entries waiting to be written, at most; more are dropped "
        "(counted, and logged as a WARNING) rather than slowing a citizen's answer.",
    )
    access_log_batch_max: int = Field(
        500,
        ge=1,
        le=10_000,
        description="Access log entries written in one transaction, at most.",
    )

    # --- scale-out: shared stores for many workers ----------------------------------------
    redis_url: SecretStr | None = Field(
        None,
        description="Redis (redis://host:6379/0 or rediss://) shared by every worker for "
        "sessions, the read cache and ID-porten's metadata; unset: in-process (one worker). "
        "A secret: it may hold a password.",
    )
    redis_key_prefix: str = Field(
        "minside:",
        min_length=1,
        max_length=64,
        description="Prefix of every Redis key (lets one Redis serve several gateways).",
    )
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL (postgresql://user@host:5432/db) for the outbox; unset: the "
        "SQLite file of MINSIDE_OUTBOX_URL. A secret: it may hold a password.",
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Gateway processes `minside serve` starts on one port (more than one "
        "needs MINSIDE_REDIS_URL).",
    )
    shutdown_grace_s: float = Field(
        20.0,
        ge=0,
        le=600,
        description="On SIGTERM, how long in-flight requests may take to finish.",
    )

    # --- observability: metrics, traces, logs -------------------------------------------------
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Serve /metrics on this port (worker i of N on port + i) instead of the "
        "public one; unset: /metrics on the gateway port (demo).",
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines: 'text' for people, 'json' for a log pipeline."
    )
    tracing: Literal["off", "otlp"] = Field(
        "off", description="OpenTelemetry traces: 'otlp' exports them to MINSIDE_OTLP_ENDPOINT."
    )
    otlp_endpoint: AnyHttpUrl = Field(
        AnyHttpUrl("http://127.0.0.1:4318/v1/traces"),
        description="OTLP/HTTP traces endpoint (an OpenTelemetry Collector).",
    )
    service_name: str = Field(
        "minside-gateway", description="service.name of traces and JSON logs."
    )

    # --- what citizens may see of their cases ---------------------------------------------
    document_visibility_file: Path = Field(
        DEFAULT_DOCUMENT_VISIBILITY_FILE,
        description="TOML rule of which journal entries a case party sees (categories, final "
        "journal statuses, access codes); internal notes, drafts and exempt documents are hidden.",
    )

    # --- citizen submissions: meter readings and applications ----------------------------
    application_types_file: Path = Field(
        DEFAULT_APPLICATION_TYPES_FILE,
        description="TOML catalogue of the application types citizens can submit.",
    )
    submission_wait_s: float = Field(
        2.0,
        ge=0,
        le=30,
        description="How long a mutation waits for the back-office to confirm "
        "delivery before it answers PENDING.",
    )
    meter_unusual_factor: float = Field(
        3.0,
        gt=1,
        le=100,
        description="A reading implying more than this multiple of the "
        "previous year's consumption (pro rata) needs confirmUnusual.",
    )
    meter_default_annual_m3: float = Field(
        250.0,
        gt=0,
        le=1_000_000,
        description="Yearly consumption assumed for the unusual-"
        "reading check when a meter has no complete year of history (m³).",
    )
    upload_max_file_bytes: int = Field(
        ARCHIVE_MAX_FILE_BYTES,
        ge=1024,
        le=200 * 1024 * 1024,
        description="Largest uploaded attachment, whatever an application type allows. Set it "
        "to what the deployment's Public 360 accepts per file (the P360 simulator refuses "
        "larger files with a SOAP Client fault; both default to 5 MiB).",
    )
    upload_max_application_bytes: int = Field(
        ARCHIVE_MAX_DOCUMENT_BYTES,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest application: its files together, the form PDF included, as one "
        "Public 360 document. Set it to what the archive accepts per document (the P360 "
        "simulator's default agrees: 20 MiB).",
    )
    upload_max_request_bytes: int = Field(
        25 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest multipart GraphQL request (all files together).",
    )

    # --- the local stack (demo, simulators, stand-in) ------------------------------------
    idporten_standin_port: int = Field(8100, ge=1, le=65535, description="Stand-in port.")
    population_seed: int = Field(2026, description="Seed of the simulators' synthetic people.")
    population_size: int = Field(
        1000, ge=10, le=1_000_000, description="Number of synthetic citizens in the simulators."
    )

    # --- the back-office read cache (resolvers.read_cache) -------------------------------
    cache: Literal["on", "off"] = Field(
        "on", description="Back-office read cache; 'off' asks every system on every query."
    )
    cache_max_entries: int = Field(
        20_000, ge=1, le=10_000_000, description="Most reads kept (least recently used go)."
    )
    cache_stale_s: float = Field(
        86_400.0,
        ge=0,
        description="How long past its TTL a read is kept, served only while its system fails.",
    )
    cache_ttl_s: dict[str, float] = Field(
        {},  # pydantic copies the default per instance
        description="TTLs per operation replacing the built-in ones, JSON: "
        '{"p360.cases": 30, "matrikkel.owned": 3600}.',
    )

    # --- overload: admission control and the request time budget (gateway.admission) --------
    # 256: executions mostly wait on back-offices; with Public 360 at 1 s, 64 left 1,000
    # concurrent dashboards a p99 of 93 s, 256 one of 26 s in 224 MB (bench.overload).
    graphql_max_concurrency: int = Field(
        256, ge=1, le=10_000, description="GraphQL requests executed at once per worker."
    )
    graphql_queue_max: int = Field(
        512,
        ge=0,
        le=100_000,
        description="GraphQL requests waiting for an execution slot at most; more get 503.",
    )
    graphql_queue_wait_s: float = Field(
        10.0,
        ge=0,
        le=300,
        description="Longest wait for an execution slot before a 503 with Retry-After.",
    )
    graphql_request_budget_s: float = Field(
        20.0,
        gt=0,
        le=600,
        description="Time budget of one GraphQL request from arrival (queue wait included): "
        "back-office calls still running then end, their fields null with SOURCE_TIMEOUT.",
    )
    overload_retry_after_s: int = Field(
        2, ge=1, le=3600, description="Retry-After (seconds) of a 503 answered when overloaded."
    )

    # --- rate limits (gateway.rate_limit): cost units of schema.cost per window ------------
    rate_limit_window_s: int = Field(
        60, ge=1, le=86400, description="Length of a rate-limit window, seconds."
    )
    rate_limit_viewer_cost: int = Field(
        100_000,
        ge=0,
        description="Operation cost (schema.cost) one logged-in citizen may spend per window, "
        "over all clients; over it: 429 RATE_LIMITED. 0: no viewer limit.",
    )
    rate_limit_anonymous_cost: int = Field(
        100_000,
        ge=0,
        description="Operation cost requests without credentials may spend per window and "
        "client IP address. 0: no limit.",
    )
    rate_limit_client_cost: int = Field(
        5_000_000,
        ge=0,
        description="Operation cost a partner portal (a bearer token's client_id) without a "
        "rate_limit of its own in MINSIDE_PARTNERS_FILE may spend per window, over all its "
        "citizens. 0: no limit.",
    )
    rate_limit_own_client_cost: int = Field(
        0,
        ge=0,
        description="Per-window cost budget of Min side's own client (browser sessions, and "
        "tokens issued to MINSIDE_IDPORTEN_CLIENT_ID). 0: none (each citizen's limit only).",
    )


@dataclass(frozen=True)
class SystemSettings:
    """One back-office system's settings (``MINSIDE_<NAME>_*``)."""

    system: System
    url: str
    username: str
    password: SecretStr
    deadline_s: float
    sim_port: int
    batch_size: int | None


def _system_fields(system: System) -> dict[str, Any]:
    """The settings fields of one registered system, with its defaults."""
    name, title = system.name, system.title
    hint = f" ({system.url_hint})" if system.url_hint else ""
    fields: dict[str, Any] = {
        f"{name}_url": (
            AnyHttpUrl,
            Field(
                AnyHttpUrl(system.local_url(system.port)),
                description=f"{title}: base URL{hint}.",
            ),
        ),
        f"{name}_username": (str, Field("minside", description=f"{title}: user (HTTP Basic).")),
        f"{name}_password": (
            SecretStr,
            Field(SecretStr("minside"), description=f"{title}: password (HTTP Basic)."),
        ),
        f"{name}_deadline_s": (
            float,
            Field(system.deadline_s, gt=0, le=60, description=f"{title}: call deadline."),
        ),
        f"{name}_sim_port": (
            int,
            Field(system.port, ge=1, le=65535, description=f"{title}: simulator port (demo)."),
        ),
    }
    if system.batch_size is not None:
        fields[f"{name}_batch_size"] = (
            int,
            Field(system.batch_size, ge=1, le=5000, description=f"{title}: {system.batch_hint}"),
        )
    return fields


if TYPE_CHECKING:
    _WithSystems = CommonSettings
else:
    _WithSystems = create_model(
        "_WithSystems",
        __base__=CommonSettings,
        **{k: v for system in SYSTEMS for k, v in _system_fields(system).items()},
    )


class Settings(_WithSystems):
    """All of the gateway's configuration. Field ``foo_bar`` is variable ``MINSIDE_FOO_BAR``.

    Each system registered in :mod:`kernel.systems` adds its fields ``<name>_url``,
    ``<name>_username``, ``<name>_password``, ``<name>_deadline_s``, ``<name>_sim_port`` (and
    ``<name>_batch_size``); code reads them through :meth:`system`.
    """

    def system(self, name: str) -> SystemSettings:
        """The settings of the registered system ``name``."""
        system = registered(name)
        batch_size: int | None = getattr(self, f"{name}_batch_size", None)
        return SystemSettings(
            system=system,
            url=str(getattr(self, f"{name}_url")),
            username=getattr(self, f"{name}_username"),
            password=getattr(self, f"{name}_password"),
            deadline_s=getattr(self, f"{name}_deadline_s"),
            sim_port=getattr(self, f"{name}_sim_port"),
            batch_size=batch_size,
        )

    def with_system(self, name: str, **changes: object) -> Settings:
        """A copy with some of system ``name``'s settings changed (``url=``, ``sim_port=``…)."""
        unknown = set(changes) - set(_SYSTEM_FIELDS)
        if unknown:
            raise TypeError(f"not a system setting: {sorted(unknown)}")
        registered(name)
        updates = {f"{name}_{field}": value for field, value in changes.items()}
        # Validated like the environment would be (a URL string becomes an AnyHttpUrl).
        return type(self).model_validate({**dict(self), **updates})


_SYSTEM_FIELDS = ("url", "username", "password", "deadline_s", "sim_port", "batch_size")


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; raise :class:`SettingsError` naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ENV_PREFIX + "_".join(str(part) for part in error["loc"][:1]).upper()
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
