// Package admin implements the outcomesctl commands. Run returns the process exit code
// so tests can call it exactly as the binary does.
package admin

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/report"
	retentionrule "github.com/arbetsmarknad/outcomes/internal/domain/retention"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

const usage = `usage: outcomesctl <command> [flags]

commands:
  migrate            apply pending migrations to PostgreSQL and ClickHouse
  migrate-down [-to N]  revert PostgreSQL migrations above version N (default 0: all)
  seed [-n 200]      seed deterministic demo data when the demo organisation is missing
  rebuild [-org ID] [-fresh]  rewrite the warehouse from PostgreSQL (safe beside a running loader);
                     -fresh drops and recreates the warehouse tables first (all organisations only)
  reconcile [-org ID]  compare PostgreSQL with ClickHouse per organisation and month and list the
                     loader's open dead letters; exits 1 when they differ or dead letters are open
  dead-letters [-org ID] [-retry] [-id N,…]  list the participants the loader left out of the
                     warehouse and why; -retry queues them again (all open ones, or the given ids)
                     once the cause is fixed: written, their dead letters close
  erase -participant ID  erase one person from PostgreSQL; the loader removes their warehouse rows
  retention [-years N] [-dry-run]  erase everyone whose last activity is older than N years
                     (gallring; N defaults to OUTCOMES_RETENTION_YEARS)
  inactivity-exits [-org ID] [-dry-run]  exit every ongoing enrolment past its organisation's inactivity
                     gap, dated back to its last activity (also run by maintain)
  retention-rules    run each organisation's retention rule: dry-run rules count, active rules erase
                     from both stores (also run by maintain)
  import-observations -org ID|CODE -file F [-sheet NAME] [-skip-bad]
                     import outcome observations from CSV or .xlsx, all or nothing; bad lines are listed
  import-participants -org ID|CODE -file F [-sheet NAME] [-skip-bad]
                     register participants from CSV or .xlsx, all or nothing; bad lines are listed
                     (CSV: comma or semicolon, UTF-8 or Windows-1252; see docs/API.md)
  microdata -org ID|CODE[,…] -from DATE -to DATE [-measure CODE,…]
                     stream a cohort's pseudonymised microdata (one row per enrolment) as CSV
  maintain [-every D]  prune processed change events and expired idempotency keys, create audit
                     partitions ahead, archive (JSON lines + SHA-256) and drop audit months past
                     retention; once, or every D (e.g. 1h) until stopped. Runs as the schema owner
  backup -dir D [-pg-bin DIR]  pg_dump (custom format) of PostgreSQL plus a metadata file
                     (schema version, time, SHA-256) into D, as OUTCOMES_BACKUP_DATABASE_URL
  restore -file F [-pg-bin DIR] [-skip-warehouse]  restore a backup (its .json or .dump) into an
                     empty database, migrate it to this release, rebuild the warehouse, reconcile
  report -org ID|CODE -month YYYY-MM -format html|pdf|xlsx -o FILE
                     write the monthly steering report (aggregates, small counts suppressed)
  report-link -org ID|CODE -month YYYY-MM [-format html|pdf|xlsx] [-role steering] [-ttl 5m] [-base URL]
                     print a signed, single-use link that opens the report in a browser (at the
                     API of OUTCOMES_HTTP_ADDR on this machine unless -base names another)
  distributed -cluster NAME -local DB  make OUTCOMES_CLICKHOUSE_DATABASE a cluster's front: Distributed
                     tables over database DB (migrated on every shard), sharded by organisation
  token -role R [-org ID] [-orgs ID,ID] [-subject S] [-ttl 12h]
                     mint a development token (HS256, OUTCOMES_AUTH_DEV_KEY) for GraphiQL and curl;
                     -ttl at most OUTCOMES_AUTH_MAX_TOKEN_LIFETIME, as the API accepts
`

// Run executes one command.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "outcomesctl:", err)
		return 1
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "migrate":
		err = migrate(ctx, cfg, stdout)
	case "migrate-down":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		to := fs.Int("to", 0, "target version")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = migrateDown(ctx, cfg, *to, stdout)
	case "seed":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		n := fs.Int("n", 200, "participants")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = seed(ctx, cfg, *n, stdout)
	case "rebuild":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		org := fs.String("org", "", "organisation id (default: all)")
		fresh := fs.Bool("fresh", false, "drop and recreate the warehouse tables first")
		page := fs.Int("page", 2000, "participants per batch")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = rebuild(ctx, cfg, *org, *fresh, *page, stdout)
	case "reconcile":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		org := fs.String("org", "", "organisation id (default: all)")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		var differ bool
		differ, err = reconcile(ctx, cfg, *org, stdout)
		if err == nil && differ {
			return 1
		}
	case "dead-letters":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		org := fs.String("org", "", "organisation id (default: all)")
		retry := fs.Bool("retry", false, "queue the dead letters' participants for the loader again")
		ids := fs.String("id", "", "comma-separated dead letter ids to retry (default: every open one)")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = deadLetters(ctx, cfg, *org, *retry, *ids, stdout)
	case "erase":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		id := fs.String("participant", "", "participant id")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = erase(ctx, cfg, *id, stdout)
	case "retention":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		years := fs.Int("years", cfg.RetentionYears, "erase people inactive for more than this many years (default OUTCOMES_RETENTION_YEARS)")
		dry := fs.Bool("dry-run", false, "only report who would be erased")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = retention(ctx, cfg, *years, *dry, time.Now(), stdout)
	case "inactivity-exits":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		org := fs.String("org", "", "organisation id (default: every organisation with a rule)")
		dry := fs.Bool("dry-run", false, "only list whom it would exit")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = caseworkCommand(ctx, cfg, func(pool *pgxpool.Pool) error { return InactivityExits(ctx, pool, *org, *dry, time.Now(), stdout) })
	case "retention-rules":
		err = caseworkCommand(ctx, cfg, func(pool *pgxpool.Pool) error { return RetentionRules(ctx, pool, time.Now(), stdout) })
	case "import-observations", "import-participants":
		columns := importer.ObservationColumns
		if cmd == "import-participants" {
			columns = importer.ParticipantColumns
		}
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		org := fs.String("org", "", "organisation id or code")
		file := fs.String("file", "", "CSV or .xlsx file (header: "+strings.Join(columns, ",")+", or the Swedish headings)")
		sheet := fs.String("sheet", "", "the sheet of an .xlsx workbook to read (default: the first)")
		skip := fs.Bool("skip-bad", false, "import the good rows and leave the bad ones out")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		job := importJob{command: cmd, org: *org, file: *file, opts: importer.Options{Sheet: *sheet}, skip: *skip, out: stdout, progress: stderr}
		if cmd == "import-participants" {
			err = runImport(ctx, cfg, job, "participant", importer.ParseParticipants, importer.ImportParticipants)
		} else {
			err = runImport(ctx, cfg, job, "outcome_observation", importer.ParseObservations, importer.ImportObservations)
		}
	case "microdata":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		org := fs.String("org", "", "organisation ids or codes, comma-separated")
		from := fs.String("from", "", "first exit date, YYYY-MM-DD")
		to := fs.String("to", "", "exit dates before this one, YYYY-MM-DD")
		measures := fs.String("measure", "", "measure codes, comma-separated (default: all)")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = microdata(ctx, cfg, *org, *from, *to, *measures, stdout)
	case "distributed":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		cluster := fs.String("cluster", "", "the cluster's name in the servers' remote_servers")
		local := fs.String("local", "", "the database of the warehouse tables on every shard")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = distributed(ctx, cfg, *cluster, *local, stdout)
	case "token":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		role := fs.String("role", "", "admin, caseworker, evaluator, steering or regional")
		org := fs.String("org", "", "home organisation id (or code)")
		orgs := fs.String("orgs", "", "comma-separated organisations granted (evaluator, regional)")
		subject := fs.String("subject", "", "subject (user id); default dev-<role>")
		ttl := fs.Duration("ttl", auth.DefaultMaxLifetime, "validity")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = token(ctx, cfg, *role, *org, *orgs, *subject, *ttl, stdout)
	case "maintain":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		every := fs.Duration("every", 0, "run again after this long, until stopped (default: once)")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if *every > 0 {
			// A service: JSON log lines on stderr, as the API's and the loader's, and
			// its end too (maintain logged why).
			if maintain(ctx, cfg, *every, time.Now, stderr) != nil {
				return 1
			}
			return 0
		}
		err = maintain(ctx, cfg, *every, time.Now, stdout)
	case "backup":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		dir := fs.String("dir", "", "folder for the dump and its metadata")
		bin := fs.String("pg-bin", getenv("OUTCOMES_PG_BIN_DIR"), "folder of pg_dump (default: the server's version under /usr/lib/postgresql, then PATH)")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = backupCmd(ctx, cfg, *dir, *bin, stdout)
	case "restore":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		file := fs.String("file", "", "the backup's metadata (.json) or dump (.dump)")
		bin := fs.String("pg-bin", getenv("OUTCOMES_PG_BIN_DIR"), "folder of pg_restore")
		skip := fs.Bool("skip-warehouse", false, "restore PostgreSQL only; leave the warehouse alone")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = restoreCmd(ctx, cfg, *file, *bin, *skip, stdout)
	case "report":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		org := fs.String("org", "", "organisation id or code")
		month := fs.String("month", "", "report month, YYYY-MM")
		format := fs.String("format", "html", "html, pdf or xlsx")
		file := fs.String("o", "", "output file (- for standard output)")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = reportCmd(ctx, cfg, getenv, *org, *month, *format, *file, stdout)
	case "report-link":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		org := fs.String("org", "", "organisation id or code")
		month := fs.String("month", "", "report month, YYYY-MM")
		format := fs.String("format", "html", "html, pdf or xlsx")
		role := fs.String("role", "steering", "the role the link reads as")
		subject := fs.String("subject", "", "subject (user id); default dev-<role>")
		base := fs.String("base", localBase(cfg.HTTPAddr), "the API's address, by default OUTCOMES_HTTP_ADDR's on this machine")
		ttl := fs.Duration("ttl", report.LinkTTL, "validity")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		err = reportLink(ctx, cfg, *org, *month, *format, *role, *subject, *base, *ttl, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "outcomesctl: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err == nil && writesPeople[cmd] {
		announce(ctx, cfg, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "outcomesctl %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// writesPeople are the commands that may write people's records, and so queue change
// events: the loader hears of them when the command has succeeded, as of a mutation's
// (changes.Announcer), instead of at its next poll (which also finds what a command
// wrote before it failed).
var writesPeople = map[string]bool{"seed": true, "erase": true, "retention": true, "inactivity-exits": true,
	"retention-rules": true, "import-observations": true, "import-participants": true, "dead-letters": true}

// announce tells the loader that a command's writes are committed. A failure costs the
// loader no more than its poll interval, so it is only said.
func announce(ctx context.Context, cfg config.Config, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err == nil {
		err = changes.AnnounceOnce(ctx, conn)
		conn.Close(ctx) //nolint:errcheck
	}
	if err != nil {
		why := "the database did not answer"
		if code := db.SQLState(err); code != "" {
			why = "SQLSTATE " + code
		}
		fmt.Fprintf(stderr, "outcomesctl: could not tell the loader about the changes (%s); it finds them at its next poll\n", why)
	}
}

func migrate(ctx context.Context, cfg config.Config, out io.Writer) error {
	pool, err := db.Connect(ctx, cfg.MigrateDatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	pg, err := db.Migrate(ctx, pool)
	if err != nil {
		return fmt.Errorf("postgresql: %w", err)
	}
	// On a cluster: every shard, then the front's Distributed tables.
	wh, err := chstore.OpenWarehouse(ctx, chstore.OptionsFrom(cfg))
	if err != nil {
		return err
	}
	defer wh.Close()
	chv, err := wh.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("clickhouse: %w", err)
	}
	where := ""
	if wh.Cluster != nil {
		where = fmt.Sprintf(" on the %d shards of %s", len(wh.Cluster.Shards), wh.Cluster.Name)
	}
	fmt.Fprintf(out, "postgresql: applied %s\nclickhouse: applied %s%s\n", versions(pg), versions(chv), where)
	// Whether a rebuild is due is the warehouse's state, as the loader reads it: a new
	// warehouse counts as rebuilt, and one still due a rebuild is told so on every run.
	if err := wh.CheckSchema(ctx); err != nil {
		fmt.Fprintf(out, "clickhouse: %v; the loader refuses to run until then\n", err)
	}
	return nil
}

func migrateDown(ctx context.Context, cfg config.Config, to int, out io.Writer) error {
	pool, err := db.Connect(ctx, cfg.MigrateDatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	done, err := db.MigrateDown(ctx, pool, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "postgresql: reverted %s\n", versions(done))
	return nil
}

func seed(ctx context.Context, cfg config.Config, n int, out io.Writer) error {
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	s, err := demo.Seed(ctx, pool, n)
	if err != nil {
		return err
	}
	if s.Skipped {
		fmt.Fprintf(out, "demo data already present (organisation %s %s)\n", demo.OrgCode, s.OrganisationID)
	} else {
		fmt.Fprintf(out, "seeded organisation %s (%s): %d participants, %d enrolments, %d observations\n",
			demo.OrgCode, s.OrganisationID, s.Participants, s.Enrolments, s.Observations)
	}
	added, err := demo.SeedSteering(ctx, pool, s.OrganisationID)
	if err != nil {
		return err
	}
	if added > 0 {
		fmt.Fprintf(out, "seeded the steering story: %d extra-job decisions in 2018 (report %s)\n", added, demo.SteeringMonth)
	}
	return nil
}

func versions(vs []int) string {
	if len(vs) == 0 {
		return "nothing (up to date)"
	}
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

func token(ctx context.Context, cfg config.Config, role, org, orgs, subject string, ttl time.Duration, out io.Writer) error {
	r := auth.Role(role)
	if !r.Valid() {
		return fmt.Errorf("-role must be one of admin, caseworker, evaluator, steering, regional")
	}
	if len(cfg.AuthDevKey) == 0 {
		return fmt.Errorf("no development key: set OUTCOMES_AUTH_DEV_KEY (or OUTCOMES_ENV=dev)")
	}
	// The API refuses a token that has expired or lives longer than this: one minted so
	// would only ever answer UNAUTHENTICATED.
	if ttl <= 0 || ttl > cfg.AuthMaxLifetime {
		return fmt.Errorf("-ttl must be above 0 and at most %s (OUTCOMES_AUTH_MAX_TOKEN_LIFETIME), or the API refuses the token", cfg.AuthMaxLifetime)
	}
	if subject == "" {
		subject = "dev-" + role
	}
	resolve := func(ref string) (string, error) {
		if ref == "" || db.IsUUID(ref) {
			return ref, nil
		}
		pool, err := db.Connect(ctx, cfg.DatabaseURL)
		if err != nil {
			return "", err
		}
		defer pool.Close()
		o, err := organisation.NewStore(pool).ByCode(ctx, ref)
		if err != nil {
			return "", fmt.Errorf("organisation %q: %w", ref, err)
		}
		return o.ID, nil
	}
	p := auth.Principal{Subject: subject, Role: r}
	var err error
	if p.OrgID, err = resolve(org); err != nil {
		return err
	}
	if r != auth.Admin && p.OrgID == "" {
		return fmt.Errorf("-org is required for role %s", role)
	}
	for _, o := range strings.Split(orgs, ",") {
		if o = strings.TrimSpace(o); o != "" {
			id, err := resolve(o)
			if err != nil {
				return err
			}
			p.Orgs = append(p.Orgs, id)
		}
	}
	t, err := auth.MintDev(cfg.AuthDevKey, p, ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, t)
	return nil
}

func retention(ctx context.Context, cfg config.Config, years int, dry bool, now time.Time, out io.Writer) error {
	if years < 1 {
		return fmt.Errorf("-years must be at least 1")
	}
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := participant.NewStore(pool)
	// The Swedish date: just after midnight in Sweden the UTC date is still yesterday.
	today := calendar.Today(now)
	cutoff := today.AddDate(-years, 0, 0)
	stale, err := store.Inactive(ctx, cutoff, today)
	if err != nil {
		return err
	}
	perOrg := map[string]int{}
	for _, p := range stale {
		perOrg[p.OrganisationID]++
	}
	verb := "erased"
	if dry {
		verb = "would erase (dry run)"
	}
	for org, n := range perOrg {
		fmt.Fprintf(out, "organisation %s: %d\n", org, n)
	}
	if dry {
		fmt.Fprintf(out, "%s %d participants inactive since before %s\n", verb, len(stale), cutoff.Format("2006-01-02"))
		return nil
	}
	ids := make([]string, len(stale))
	for i, p := range stale {
		ids[i] = p.ID
	}
	erased, err := retentionrule.EraseEach(cliWrite(ctx, "retention", "participant"), store, ids)
	fmt.Fprintf(out, "%s %d of %d participants inactive since before %s\n", verb, erased, len(stale), cutoff.Format("2006-01-02"))
	return err
}

// importJob is one run of an import command.
type importJob struct {
	command   string
	org, file string
	opts      importer.Options
	skip      bool
	out       io.Writer // the report: counts and bad lines
	progress  io.Writer // progress while rows are written (stderr)
}

// runImport validates the whole file, lists its bad lines, and imports it all or nothing
// (or without the bad lines with -skip-bad), printing progress as rows are written.
func runImport[T any](ctx context.Context, cfg config.Config, job importJob, entity string,
	parse func(io.Reader, importer.Options, time.Time) ([]T, []importer.LineError, error),
	write func(context.Context, *pgxpool.Pool, string, []T, []importer.LineError, bool, func(done, total int)) (importer.Result, error)) error {
	if job.org == "" || job.file == "" {
		return fmt.Errorf("-org and -file are required")
	}
	f, err := os.Open(job.file)
	if err != nil {
		return err
	}
	defer f.Close()
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	orgID := job.org
	if !db.IsUUID(job.org) {
		o, err := organisation.NewStore(pool).ByCode(ctx, job.org)
		if err != nil {
			return fmt.Errorf("organisation %q: %w", job.org, err)
		}
		orgID = o.ID
	}
	rows, bad, err := parse(f, job.opts, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(job.out, "validated %d rows: %d good\n", len(rows)+badLines(bad), len(rows))
	// The import's transaction writes its audit rows: the operation and each person changed.
	res, err := write(cliWrite(ctx, job.command, entity), pool, orgID, rows, bad, job.skip, progressPrinter(job.progress))
	for _, b := range res.Bad {
		fmt.Fprintln(job.out, b)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(job.out, "imported %d rows, skipped %d bad rows\n", res.Imported, res.Skipped)
	return nil
}

// progressPrinter prints a line each time another tenth of the rows has been written,
// so that a large file shows it is moving without flooding the terminal.
func progressPrinter(w io.Writer) func(done, total int) {
	lastTenth := 0
	return func(done, total int) {
		if tenth := done * 10 / max(total, 1); tenth > lastTenth {
			lastTenth = tenth
			fmt.Fprintf(w, "imported %d/%d (%d%%)\n", done, total, done*100/max(total, 1))
		}
	}
}

// badLines counts the lines with errors (a line may have several).
func badLines(bad []importer.LineError) int {
	lines := map[int]bool{}
	for _, b := range bad {
		lines[b.Line] = true
	}
	return len(lines)
}
