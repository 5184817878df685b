// Package cli implements the subcommands of the hostdir command; cmd/hostdir only dispatches to them.
package cli
