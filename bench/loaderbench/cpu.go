package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is the CPU time used so far by each process a side of a pair spends: this
// program (the loader), this stack's PostgreSQL (postmaster and backends) and its
// ClickHouse server. On a shared machine the wall-clock rates move with the other work;
// the CPU seconds per side say what each side costs whatever the load. The server's
// background merges are counted on the side during which they run.
type cpuSample struct {
	self, postgres, clickhouse time.Duration
	client                     time.Duration // clickhouse-client (raw side only; set by the caller)
}

func (a cpuSample) since(b cpuSample) cpuSample {
	return cpuSample{self: a.self - b.self, postgres: a.postgres - b.postgres, clickhouse: a.clickhouse - b.clickhouse}
}

func (c cpuSample) String() string {
	total := c.self + c.postgres + c.clickhouse + c.client
	if c.client > 0 {
		return fmt.Sprintf("clickhouse-client %.1f + PostgreSQL %.1f + ClickHouse server %.1f = %.1f",
			c.client.Seconds(), c.postgres.Seconds(), c.clickhouse.Seconds(), total.Seconds())
	}
	return fmt.Sprintf("loader %.1f + PostgreSQL %.1f + ClickHouse server %.1f = %.1f",
		c.self.Seconds(), c.postgres.Seconds(), c.clickhouse.Seconds(), total.Seconds())
}

// sampleCPU reads the CPU times; a process it cannot find counts 0.
func sampleCPU() cpuSample {
	var s cpuSample
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	// scripts/bench-loader.sh runs from the repository, whose .data (or OUTCOMES_DATA_DIR)
	// is the stack; scripts/stack.sh starts ClickHouse by the folder's physical path.
	data := os.Getenv("OUTCOMES_DATA_DIR")
	if data == "" {
		root, _ := os.Getwd()
		data = filepath.Join(root, ".data")
	}
	if p, err := filepath.EvalSymlinks(data); err == nil {
		data = p
	}
	chConf := filepath.Join(data, "clickhouse")
	// The postmaster is the pid its postmaster.pid names (its command line names no
	// data folder: scripts/stack.sh passes it in PGDATA).
	postmaster := ""
	if b, err := os.ReadFile(filepath.Join(data, "postgres", "postmaster.pid")); err == nil {
		postmaster, _, _ = strings.Cut(string(b), "\n")
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	type proc struct {
		pid, ppid string
		cpu       time.Duration
	}
	var all []proc
	for _, dir := range procs {
		cmd, err := os.ReadFile(dir + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.ReplaceAll(string(cmd), "\x00", " ")
		pid := filepath.Base(dir)
		ppid, cpu, children, ok := procStat(dir)
		if !ok {
			continue
		}
		switch {
		case strings.Contains(args, "clickhouse-server") && strings.Contains(args, chConf):
			s.clickhouse += cpu
		case pid == postmaster:
			s.postgres += cpu + children // backends that exited are the postmaster's children
		}
		all = append(all, proc{pid, ppid, cpu})
	}
	for _, p := range all {
		if postmaster != "" && p.ppid == postmaster {
			s.postgres += p.cpu
		}
	}
	return s
}

// procStat reads a process's parent, its CPU time and its waited-for children's.
func procStat(dir string) (ppid string, cpu, children time.Duration, ok bool) {
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return "", 0, 0, false
	}
	// The command name is in parentheses and may hold spaces: fields start after it.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 15 {
		return "", 0, 0, false
	}
	tick := func(i int) time.Duration {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(v) * time.Second / 100 // USER_HZ
	}
	// f[0] is the state; utime, stime, cutime, cstime are fields 14-17 of stat.
	return f[1], tick(11) + tick(12), tick(13) + tick(14), true
}
