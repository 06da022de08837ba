# Plinth tasks. `just --list` shows them all.

set dotenv-load := false

pg_url := env_var_or_default("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# Start the server on the embedded default (SQLite + data/files).
run:
    cargo run

# All tests on SQLite (PostgreSQL suites skip without TEST_DATABASE_URL).
test:
    cargo test --workspace

# All tests, PostgreSQL suites included.
test-pg:
    TEST_DATABASE_URL={{pg_url}} cargo test --workspace

# Formatting and clippy with warnings denied.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all

# Regenerate the committed OpenAPI document.
openapi:
    cargo run --quiet -- openapi > docs/openapi.json

# Benchmarks on a release build, SQLite and PostgreSQL: writes docs/benchmarks.md.
# `just bench --help` lists the options (e.g. --loco DIR for the comparison with Loco).
bench *args:
    scripts/bench {{args}}

# Run migrations: just migrate up|down|status
migrate direction="up":
    cargo run --quiet -- migrate {{direction}}

# Back up the database (online) and a local storage folder into DIR (see docs/operations.md).
backup dir:
    scripts/backup {{dir}}

# Restore a backup made by `just backup` into DATABASE_URL / STORAGE_URL (stop plinth first).
restore dir:
    scripts/restore {{dir}}

# Prove backup and restore on SQLite and PostgreSQL (what CI runs).
backup-check:
    .ci/backup-check

# Contract conformance: OpenAPI lint, schemathesis, /docs in headless Chromium (what CI runs).
conformance:
    .ci/conformance

# Browser sessions in headless Chromium: cookies from another origin, CSRF refusal (what CI runs).
browser-cookies:
    .ci/browser-cookies

# The PyJWT example of docs/verifying-tokens.md against a running plinth (what CI runs).
verify-token:
    .ci/verify-token

# The whole CI, as it runs on a fresh machine.
ci:
    bash .ci/run
