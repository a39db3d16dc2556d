package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is one login of the web side kept in the database (`kam user`).
type User struct {
	Name         string    `db:"name"`
	PasswordHash string    `db:"password_hash"` // bcrypt
	Unit         string    `db:"unit_code"`     // "" sees the whole city; a unit's code only that unit's part
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
}

var (
	// ErrUserExists reports a name already taken.
	ErrUserExists = errors.New("已有同名的用户")
	// ErrNoUser reports a name no user has.
	ErrNoUser = errors.New("没有这个用户")
)

const userColumns = `name, password_hash, unit_code, created_at, updated_at`

// AddUser stores a new user; ErrUserExists when the name is taken.
func (s *Store) AddUser(ctx context.Context, u User) error {
	now := s.now().UTC()
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?)`,
		u.Name, u.PasswordHash, u.Unit, now, now)
	if isUniqueViolation(err) {
		return ErrUserExists
	}
	if err != nil {
		return fmt.Errorf("添加用户 %s: %w", u.Name, err)
	}
	return nil
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var out []User
	if err := s.db.SelectContext(ctx, &out, `SELECT `+userColumns+` FROM users ORDER BY name`); err != nil {
		return nil, fmt.Errorf("读取用户: %w", err)
	}
	return out, nil
}

// UserByName reads one user; ErrNoUser when there is none of that name.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE name = ?`, name)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNoUser
	}
	if err != nil {
		return u, fmt.Errorf("读取用户 %s: %w", name, err)
	}
	return u, nil
}

// SetPassword replaces a user's password hash; ErrNoUser when there is none of that name.
func (s *Store) SetPassword(ctx context.Context, name, hash string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?`, hash, s.now().UTC(), name)
	return userChanged(res, err, "修改用户 "+name+" 的密码")
}

// RemoveUser deletes a user; ErrNoUser when there is none of that name.
func (s *Store) RemoveUser(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM users WHERE name = ?`, name)
	return userChanged(res, err, "删除用户 "+name)
}

func userChanged(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return ErrNoUser
	}
	return nil
}
