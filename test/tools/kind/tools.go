//go:build tools

// Package tools pins the commands built by build-tools.sh.
package tools

import _ "sigs.k8s.io/kind"
