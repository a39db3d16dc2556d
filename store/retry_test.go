package store_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"kam/domain"
	"kam/store"
	"kam/store/storetest"
)

// Two transactions that deadlock (as two nodes' conflicting writes do on a
// cluster): the one the database refuses runs again and both commit.
func TestInTxRunsAConflictAgain(t *testing.T) {
	s := storetest.OpenMySQL(t)
	s2 := openSecond(t, s)
	must(t, s.InTx(ctx, func(tx *store.Tx) error {
		return tx.PutUnits([]domain.Unit{{Code: "A", Name: "甲", Kind: domain.District}, {Code: "B", Name: "乙", Kind: domain.District}})
	}))
	before := store.ConflictRetries()
	var ready sync.WaitGroup
	ready.Add(2)
	var attempts [2]int
	write := func(st *store.Store, i int, first, second string) error {
		return st.InTx(ctx, func(tx *store.Tx) error {
			attempts[i]++
			if _, err := tx.Tx().Exec("UPDATE units SET name = CONCAT(name, ?) WHERE code = ?", strconv.Itoa(i), first); err != nil {
				return err
			}
			if attempts[i] == 1 {
				ready.Done()
				ready.Wait() // both hold their first row: the second statements deadlock
			}
			_, err := tx.Tx().Exec("UPDATE units SET name = CONCAT(name, ?) WHERE code = ?", strconv.Itoa(i), second)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- write(s, 0, "A", "B") }()
	go func() { errs <- write(s2, 1, "B", "A") }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a deadlocked transaction was not run again: %v", err)
		}
	}
	if attempts[0]+attempts[1] != 3 || store.ConflictRetries() != before+1 {
		t.Errorf("attempts %v, retries %d, want one transaction run twice", attempts, store.ConflictRetries()-before)
	}
	var names string
	must(t, s.DB().Get(&names, "SELECT GROUP_CONCAT(name ORDER BY code) FROM units"))
	if len(names) != len("甲01,乙01") {
		t.Errorf("units after both commits: %s, want each written by both once", names)
	}
}

// When every attempt conflicts, the error says in Chinese that the retries are spent.
func TestRetriesSpentSaySo(t *testing.T) {
	s := storetest.OpenMySQL(t)
	s2 := openSecond(t, s)
	must(t, s.InTx(ctx, func(tx *store.Tx) error {
		return tx.PutUnits([]domain.Unit{{Code: "A", Name: "甲", Kind: domain.District}})
	}))
	// Another transaction holds the row for longer than all the attempts take.
	tx, err := s2.DB().Begin()
	must(t, err)
	defer tx.Rollback()
	_, err = tx.Exec("UPDATE units SET name = '丙' WHERE code = 'A'")
	must(t, err)
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Tx().Exec("SET SESSION innodb_lock_wait_timeout = 1"); err != nil {
			return err
		}
		_, err := tx.Tx().Exec("UPDATE units SET name = '丁' WHERE code = 'A'")
		return err
	})
	if !store.Conflict(err) || !strings.Contains(domain.Message(err), "重试次数已用完") || domain.KindOf(err) != domain.EInternal {
		t.Fatalf("retries spent: %v", err)
	}
	t.Log(domain.Message(err))
}
