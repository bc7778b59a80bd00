// Command outcomesctl is the admin CLI: migrate both stores, seed demo data, and (as
// the loader grows) rebuild and reconcile the warehouse.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := admin.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
