#!/usr/bin/env bash
exec node --import tsx "$(dirname "${BASH_SOURCE[0]}")/../cli/bin.ts" up "$@"
