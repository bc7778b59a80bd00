package admin

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
)

// withLoader opens both stores and gives fn a loader on them.
func withLoader(ctx context.Context, cfg config.Config, fn func(*loader.Loader) error) error {
	l, closeFn, err := loader.Open(ctx, cfg, zerolog.Nop())
	if err != nil {
		return err
	}
	defer closeFn()
	return fn(l)
}

func rebuild(ctx context.Context, cfg config.Config, org string, fresh bool, page int, out io.Writer) error {
	if fresh && org != "" {
		return fmt.Errorf("-fresh rebuilds every organisation; leave out -org")
	}
	return withLoader(ctx, cfg, func(l *loader.Loader) error {
		if fresh {
			if err := l.Warehouse().Recreate(ctx); err != nil {
				return err
			}
			fmt.Fprintln(out, "warehouse tables recreated")
		}
		st, err := l.Rebuild(ctx, loader.RebuildOptions{OrgID: org, PageSize: page, Progress: out, Fresh: fresh})
		if err != nil || org != "" {
			return err
		}
		// Only a rebuild of everything satisfies a migration that needs one.
		return l.Warehouse().RecordRebuild(ctx, st.Participants, st.Rows)
	})
}

func reconcile(ctx context.Context, cfg config.Config, org string, out io.Writer) (bool, error) {
	var differ bool
	err := withLoader(ctx, cfg, func(l *loader.Loader) error {
		diffs, pending, err := l.Reconcile(ctx, org)
		if err != nil {
			return err
		}
		dead, err := l.DeadLetters(ctx, org)
		if err != nil {
			return err
		}
		for _, d := range diffs {
			fmt.Fprintln(out, d)
		}
		// A dead letter's participant is missing from (or stale in) the warehouse: say
		// who and why, beside the differences it causes.
		for _, d := range dead {
			fmt.Fprintln(out, d)
		}
		if pending > 0 {
			fmt.Fprintf(out, "note: %d changes are still pending in the outbox; differences may close when the loader catches up\n", pending)
		}
		if len(dead) > 0 {
			fmt.Fprintf(out, "%d open dead letters: fix the cause, then `outcomesctl dead-letters -retry`\n", len(dead))
			differ = true
		}
		if len(diffs) == 0 {
			if len(dead) == 0 {
				fmt.Fprintln(out, "postgresql and clickhouse agree")
			}
			return nil
		}
		fmt.Fprintf(out, "%d differences\n", len(diffs))
		differ = true
		return nil
	})
	return differ, err
}

// deadLetters lists the loader's open dead letters, or queues them for another try.
func deadLetters(ctx context.Context, cfg config.Config, org string, retry bool, idList string, out io.Writer) error {
	var ids []int64
	for _, f := range strings.FieldsFunc(idList, func(r rune) bool { return r == ',' || r == ' ' }) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return fmt.Errorf("-id: %q is not a dead letter id", f)
		}
		ids = append(ids, id)
	}
	if len(ids) > 0 && !retry {
		return fmt.Errorf("-id needs -retry")
	}
	return withLoader(ctx, cfg, func(l *loader.Loader) error {
		if retry {
			n, err := l.RetryDeadLetters(ctx, org, ids)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "queued %d participants for the loader; each dead letter closes once their rows are written\n", n)
			return nil
		}
		dead, err := l.DeadLetters(ctx, org)
		if err != nil {
			return err
		}
		for _, d := range dead {
			fmt.Fprintln(out, d)
		}
		fmt.Fprintf(out, "%d open dead letters\n", len(dead))
		return nil
	})
}

func erase(ctx context.Context, cfg config.Config, id string, out io.Writer) error {
	if id == "" {
		return fmt.Errorf("-participant is required")
	}
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := participant.NewStore(pool).Erase(cliWrite(ctx, "erase", "participant"), id); err != nil {
		return err
	}
	fmt.Fprintf(out, "participant %s erased; the loader removes their warehouse rows\n", id)
	return nil
}

// cliWrite returns ctx under which an admin command's writes audit themselves in their
// own transaction (audit.BeginWrite), under the operating system user.
func cliWrite(ctx context.Context, operation, entity string) context.Context {
	ctx = auth.With(ctx, auth.Principal{Subject: "cli:" + cliUser(), Role: auth.Admin, System: true})
	ctx = audit.WithRequestID(ctx, fmt.Sprintf("cli-%d", time.Now().UnixNano()))
	return audit.BeginWrite(ctx, operation, entity)
}

func cliUser() string {
	user := os.Getenv("SUDO_USER")
	if user == "" {
		user = os.Getenv("USER")
	}
	if user == "" {
		user = "unknown"
	}
	return user
}

// auditCLI records an admin command's reads in the audit log, under the operating
// system user who ran it, as the role of the CLI's data commands (OUTCOMES_DATABASE_URL,
// outcomes_api in production): the loader's role, which the warehouse commands read
// with, may not touch the audit log.
func auditCLI(ctx context.Context, cfg config.Config, entries ...audit.Entry) error {
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	return audit.NewStore(pool).AppendSystem(ctx, "cli:"+cliUser(), fmt.Sprintf("cli-%d", time.Now().UnixNano()), entries...)
}
