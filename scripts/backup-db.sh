#!/usr/bin/env bash
# The nightly backup (docs/DEPLOY.md, "Backups"): one `pg_dump -Fc` of DATABASE_URL into
# BACKUP_DIR, checked to be a readable archive, then dumps older than BACKUP_KEEP_DAYS removed.
#
#   DATABASE_URL=postgres://clinic@db.internal:5432/clinic BACKUP_DIR=/var/backups/isocourse \
#     scripts/backup-db.sh
#
# BACKUP_DIR defaults to /var/backups/isocourse, BACKUP_KEEP_DAYS to 30 (a dump made 30 or
# more days ago is removed). Keep the password in ~/.pgpass of the user running this rather
# than in the URL, where `ps` would show it. Needs pg_dump and pg_restore (postgresql-client).
# Copy the dumps off this machine as well.
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL (postgres://user@host:5432/name)}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/isocourse}
KEEP_DAYS=${BACKUP_KEEP_DAYS:-30}
[[ $KEEP_DAYS =~ ^[0-9]+$ && $KEEP_DAYS -ge 1 ]] || { echo "BACKUP_KEEP_DAYS must be 1 or more" >&2; exit 1; }

umask 077  # dumps hold patient data: readable by this user only
mkdir -p "$BACKUP_DIR"
name=$(printf '%s' "$DATABASE_URL" | sed -E 's#.*/([^/?]+)(\?.*)?$#\1#')
file=$BACKUP_DIR/$name-$(date -u +%Y%m%dT%H%M%SZ).dump

trap 'rm -f "$file.partial"' EXIT  # a failed run leaves nothing half-written behind
pg_dump --format=custom --file="$file.partial" --dbname="$DATABASE_URL"
pg_restore --list "$file.partial" >/dev/null  # a complete, readable archive
mv "$file.partial" "$file"
echo "backup: $file ($(du -h "$file" | cut -f1))"

find "$BACKUP_DIR" -maxdepth 1 -name "$name-*.dump" -mtime "+$((KEEP_DAYS - 1))" -print -delete \
  | sed 's/^/backup: removed old /'
