#!/bin/bash
# SPDX-License-Identifier: ISC
# Runs the vm.conf golden tests (tests/config) under `make check`.
exec "$(dirname "${BASH_SOURCE[0]}")/../config/config.t" "$@"
