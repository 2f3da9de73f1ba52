#!/usr/bin/env bash
# mdm-config.sh - prints the mdm config file `make bench` uses (new format,
# see app/mdm_appconfig.h):
#
#   mdm-config.sh postgresql DSN   the PostgreSQL backend on the server DSN
#                                  reaches (ci/pg.sh's throwaway server);
#                                  datasets in databases mdm_<name>
#
# Nothing else is set: pools, PRAGMAs and the rest keep the defaults users get.
set -euo pipefail
case "${1:-}" in
    postgresql)
        dsn=${2:?usage: mdm-config.sh postgresql DSN}
        printf 'storage:\n'
        printf '  default_backend: postgresql\n'
        printf '  backends:\n'
        printf '    postgresql:\n'
        printf '      options:\n'
        printf '        dsn: "%s"\n' "${dsn//\"/\\\"}"
        ;;
    *)
        echo "usage: mdm-config.sh postgresql DSN" >&2
        exit 2
        ;;
esac
