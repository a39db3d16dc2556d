package store_test

import (
	"errors"
	"testing"
	"time"

	"kam/store"
	"kam/store/storetest"
)

// Users are added, listed, given a new password and removed on either
// database; a name is taken once, and a missing one says so.
func TestUsers(t *testing.T) {
	now := time.Date(2026, 12, 8, 9, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	storetest.ForEachDBWith(t, store.Options{Now: clock}, func(t *testing.T, s *store.Store) {
		if us, err := s.Users(ctx); err != nil || len(us) != 0 {
			t.Fatalf("a new database's users: %v %v", us, err)
		}
		must(t, s.AddUser(ctx, store.User{Name: "张三", PasswordHash: "$2a$12$first"}))
		must(t, s.AddUser(ctx, store.User{Name: "d01-clerk", PasswordHash: "$2a$12$unit", Unit: "D01"}))
		if err := s.AddUser(ctx, store.User{Name: "张三", PasswordHash: "$2a$12$other"}); !errors.Is(err, store.ErrUserExists) {
			t.Errorf("the same name again: %v, want ErrUserExists", err)
		}
		us, err := s.Users(ctx)
		must(t, err)
		if len(us) != 2 || us[0].Name != "d01-clerk" || us[0].Unit != "D01" || us[1].Name != "张三" || us[1].Unit != "" ||
			!us[1].CreatedAt.Equal(now) || us[1].PasswordHash != "$2a$12$first" {
			t.Errorf("users %+v", us)
		}
		now = now.Add(time.Hour)
		must(t, s.SetPassword(ctx, "张三", "$2a$12$second"))
		u, err := s.UserByName(ctx, "张三")
		must(t, err)
		if u.PasswordHash != "$2a$12$second" || !u.UpdatedAt.Equal(now) || !u.CreatedAt.Equal(now.Add(-time.Hour)) {
			t.Errorf("after passwd: %+v", u)
		}
		if _, err := s.UserByName(ctx, "张"); !errors.Is(err, store.ErrNoUser) {
			t.Errorf("a prefix of a name: %v, want ErrNoUser", err)
		}
		if err := s.SetPassword(ctx, "nobody", "$2a$12$x"); !errors.Is(err, store.ErrNoUser) {
			t.Errorf("passwd of nobody: %v", err)
		}
		must(t, s.RemoveUser(ctx, "张三"))
		if err := s.RemoveUser(ctx, "张三"); !errors.Is(err, store.ErrNoUser) {
			t.Errorf("removed twice: %v", err)
		}
		if us, _ := s.Users(ctx); len(us) != 1 || us[0].Name != "d01-clerk" {
			t.Errorf("after remove: %+v", us)
		}
	})
}
