//go:build tools

// Package tools pins the commands built by build-tools.sh.
package tools

import _ "github.com/prometheus/prometheus/cmd/promtool"
