//go:build tools

package graph

// Keeps gqlgen's generator in go.mod, so `go generate ./...` works from a clean clone.
import _ "github.com/99designs/gqlgen"
