package crashtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A MariaDB outage mid-ingest, mid-run and under kam serve: the command fails
// with a clear message, nothing partial remains, and once the server is back
// the work completes as if there had been no outage.
func TestDatabaseOutage(t *testing.T) {
	trials(t)
	db := newMariaDB(t)
	h := newHarness(t, db.dsn())
	clean := h.newEnv("clean")
	h.finish(clean)
	want := h.snapshot(clean)

	for _, phase := range []string{"ingest", "run"} {
		t.Run(phase, func(t *testing.T) {
			e := h.newEnv("outage-" + phase)
			for _, p := range phases {
				if p == phase {
					break
				}
				if p != "serve" {
					must(t, h.command(e, p).Run())
				}
			}
			cmd := h.command(e, phase)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			must(t, cmd.Start())
			time.Sleep(h.elapsed[phase] / 3)
			db.kill()
			err := cmd.Wait()
			db.start()
			if err == nil {
				t.Logf("kam %s finished before the outage struck", phase)
			} else if !strings.Contains(out.String(), "数据库") {
				t.Errorf("kam %s during the outage (%v) says:\n%s", phase, err, out.String())
			}
			h.finish(e)
			if d := want.diff(h.snapshot(e)); d != "" {
				t.Errorf("after the outage and a rerun:\n%s", d)
			}
		})
	}

	t.Run("serve", func(t *testing.T) {
		e := h.newEnv("outage-serve")
		// The files arrive while the database is down; serve must wait them out.
		inbox := filepath.Join(e.dir, "inbox")
		held := filepath.Join(e.dir, "held")
		must(t, os.Rename(inbox, held))
		must(t, os.MkdirAll(inbox, 0o755))
		must(t, h.command(e, "migrate").Run())
		serve := h.command(e, "serve")
		var out bytes.Buffer
		serve.Stdout, serve.Stderr = &out, &out
		must(t, serve.Start())
		exited := make(chan error, 1)
		go func() { exited <- serve.Wait() }()
		time.Sleep(time.Second)
		db.kill()
		entries, _ := os.ReadDir(held)
		for _, en := range entries {
			must(t, os.Rename(filepath.Join(held, en.Name()), filepath.Join(inbox, en.Name())))
		}
		select {
		case err := <-exited:
			t.Fatalf("kam serve stopped during the outage: %v\n%s", err, out.String())
		case <-time.After(4 * time.Second):
		}
		db.start()
		deadline := time.Now().Add(60 * time.Second)
		for {
			left, _ := os.ReadDir(inbox)
			if len(left) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("serve left %d files in the inbox after the outage\n%s", len(left), out.String())
			}
			time.Sleep(500 * time.Millisecond)
		}
		_ = serve.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			t.Errorf("kam serve after the outage: %v\n%s", err, out.String())
		}
		h.finish(e)
		if d := want.diff(h.snapshot(e)); d != "" {
			t.Errorf("after serve rode out the outage:\n%s", d)
		}
	})
}
