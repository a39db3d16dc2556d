package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"kam/store"
	"kam/store/storetest"
)

// docs/deploy.md's MySQL backup, done as it says: mariadb-dump
// --single-transaction of a kam database, restored into a new database with
// the mariadb client, and a workbook read back from it by the real binary
// (kam reports get checks it against its SHA-256) byte for byte.
func TestMySQLDumpRestoresAndReadsBack(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kam and runs the MariaDB client tools")
	}
	srcDSN := storetest.NewMySQLDatabase(t) // skips without KAM_TEST_MYSQL_DSN
	dump, client := firstTool("mariadb-dump", "mysqldump"), firstTool("mariadb", "mysql")
	if dump == "" || client == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("the MariaDB client tools (mariadb-dump, mariadb) are not installed")
		}
		t.Skip("the MariaDB client tools (mariadb-dump, mariadb) are not installed")
	}
	ctx := context.Background()
	src, err := store.Open(ctx, store.Options{DSN: srcDSN, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	// A workbook's bytes are binary: every byte value, over two archive chunks.
	var body bytes.Buffer
	for body.Len() < 5<<20 {
		for b := range 256 {
			body.WriteByte(byte(b))
		}
		body.WriteString("东莞邮政 ")
	}
	now := time.Date(2026, 7, 10, 3, 0, 0, 0, time.UTC)
	run, err := src.StartRun(ctx, "grade", "2026Q2", "manual", now)
	if err != nil {
		t.Fatal(err)
	}
	var rep store.Report
	err = src.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if rep, err = tx.ArchiveReport(store.Report{RunID: run, Job: "grade", Period: "2026Q2", FileName: "grades_2026Q2.xlsx"}, bytes.NewReader(body.Bytes())); err != nil {
			return err
		}
		return tx.SucceedRun(run, nil, "", now)
	})
	src.Close()
	if err != nil {
		t.Fatal(err)
	}

	cfg, err := mysql.ParseDSN(srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dumpFile := filepath.Join(dir, "kam.sql")
	out, err := os.Create(dumpFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dump, append(clientArgs(cfg), "--single-transaction", "--quick", "--hex-blob", "--default-character-set=utf8mb4", cfg.DBName)...)
	cmd.Stdout, cmd.Env = out, clientEnv(cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", dump, err, stderr.String())
	}
	out.Close()
	if fi, err := os.Stat(dumpFile); err != nil || fi.Size() < int64(body.Len()) {
		t.Fatalf("the dump holds %v bytes (%v), less than the workbook", fi.Size(), err)
	}

	// A fresh database, as a restore after losing the server starts.
	restore := "kam_restore_" + strings.TrimPrefix(cfg.DBName, "kamtest_")
	admin := cfg.Clone()
	admin.DBName = ""
	db, err := sql.Open("mysql", admin.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the drop below (cleanups run last first)
	if _, err := db.Exec("CREATE DATABASE " + restore + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + restore); err != nil {
			t.Errorf("drop %s: %v", restore, err)
		}
	})
	in, err := os.Open(dumpFile)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd = exec.Command(client, append(clientArgs(cfg), "--default-character-set=utf8mb4", restore)...)
	cmd.Stdin, cmd.Env = in, clientEnv(cfg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s < dump: %v\n%s", client, err, out)
	}

	bin := buildKam(t)
	to := admin.Clone()
	to.DBName = restore
	kamYAML := filepath.Join(dir, "kam.yaml")
	if err := os.WriteFile(kamYAML, []byte("db:\n  sqlite_path: "+filepath.Join(dir, "unused.db")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(dir, "got.xlsx")
	t.Setenv("KAM_DB_DSN", "mysql://"+to.FormatDSN()) // as docs/deploy.md has it: the DSN in the environment
	said := kamCmd(t, bin, kamYAML, "reports", "get", strconv.FormatInt(rep.ID, 10), "-o", got)
	if !strings.Contains(said, rep.SHA256) {
		t.Errorf("kam reports get said %q, want the SHA-256 %s", said, rep.SHA256)
	}
	b, err := os.ReadFile(got)
	if err != nil || !bytes.Equal(b, body.Bytes()) {
		t.Errorf("the workbook read back from the restored database: %d bytes (%v), want the %d archived", len(b), err, body.Len())
	}
}

func firstTool(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// clientArgs are the MariaDB client tools' options for the server in cfg (TCP).
func clientArgs(cfg *mysql.Config) []string {
	host, port := cfg.Addr, "3306"
	if h, p, ok := strings.Cut(cfg.Addr, ":"); ok {
		host, port = h, p
	}
	return []string{"--protocol=tcp", "-h", host, "-P", port, "-u", cfg.User}
}

// clientEnv gives the tools the password without putting it on a command line.
func clientEnv(cfg *mysql.Config) []string {
	env := os.Environ()
	if cfg.Passwd != "" {
		env = append(env, "MYSQL_PWD="+cfg.Passwd)
	}
	return env
}
