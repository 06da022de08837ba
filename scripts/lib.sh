# Helpers shared by scripts/backup and scripts/restore (sourced, not run).
DEFAULT_DATABASE_URL='sqlite://data/plinth.db?mode=rwc'
DEFAULT_STORAGE_URL='file://data/files'

die() { echo "error: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 is not installed"; }

# sqlite://data/plinth.db?mode=rwc → data/plinth.db; sqlite:///abs/x.db → /abs/x.db
sqlite_path() {
  local p=${1#sqlite:}
  p=${p#//}
  printf '%s\n' "${p%%\?*}"
}

# file://data/files → data/files; file:///srv/files → /srv/files
file_path() {
  local p=${1#file:}
  printf '%s\n' "${p#//}"
}

# A path inside a single-quoted SQLite shell argument.
sql_quote_path() {
  case "$1" in *"'"*) die "paths with a single quote are not supported: $1" ;; esac
  printf '%s\n' "$1"
}

# The URL without its password, for messages.
redact() {
  printf '%s\n' "$1" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#'
}
