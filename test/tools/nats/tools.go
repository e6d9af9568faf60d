//go:build tools

// Package tools pins the commands built by build-tools.sh.
package tools

import _ "github.com/nats-io/nats-server/v2"
