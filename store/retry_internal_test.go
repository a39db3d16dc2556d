package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"kam/domain"
)

// What a Galera node answered a commit with while the cluster formed a new
// view after a node was SIGKILLed (the cluster test, crashtest/cluster_test.go).
var notPrimaryErr = &mysql.MySQLError{Number: 1180,
	Message: "Error while appending streaming replication fragment(provider status: Not connected to Primary Component)"}

func TestNotPrimaryIsRetriedUntilTheClusterIsBack(t *testing.T) {
	s, err := Open(context.Background(), Options{SQLitePath: filepath.Join(t.TempDir(), "kam.db"), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, refused := range []error{notPrimaryErr, &mysql.MySQLError{Number: 1047, Message: "WSREP has not yet prepared node for application use"}} {
		calls := 0
		before := ConflictRetries()
		// More refusals than conflictAttempts: a re-forming cluster does not spend a conflict's attempts.
		err := s.Retry(context.Background(), "写入", func() error {
			if calls++; calls <= conflictAttempts+1 {
				return refused
			}
			return nil
		})
		if err != nil || calls != conflictAttempts+2 || ConflictRetries()-before != conflictAttempts+1 {
			t.Errorf("%v: err %v after %d calls, %d retries counted", refused, err, calls, ConflictRetries()-before)
		}
	}
	if NotPrimary(&mysql.MySQLError{Number: 1062, Message: "Duplicate entry"}) || NotPrimary(errors.New("primary component")) {
		t.Error("NotPrimary takes other errors for a re-forming cluster")
	}
}

func TestNotPrimaryForTooLongSaysSo(t *testing.T) {
	s, err := Open(context.Background(), Options{SQLitePath: filepath.Join(t.TempDir(), "kam.db"), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := clusterWait
	clusterWait = 1200 * time.Millisecond
	defer func() { clusterWait = old }()
	began := time.Now()
	err = s.Retry(context.Background(), "写入数据库", func() error { return notPrimaryErr })
	if took := time.Since(began); took < clusterWait || took > clusterWait+2*time.Second {
		t.Errorf("gave up after %v, want about %v", took, clusterWait)
	}
	if !NotPrimary(err) || domain.KindOf(err) != domain.EInternal || !strings.Contains(domain.Message(err), "不在主组件中") {
		t.Errorf("a cluster that stays cut off: %v", err)
	}
}
