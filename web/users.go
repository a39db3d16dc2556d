package web

import (
	"context"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"kam/domain"
	"kam/store"
)

// PasswordCost is the bcrypt cost of every password kam hashes (`kam user`).
const PasswordCost = 12

// Password length limits: bcrypt reads no more than 72 bytes.
const (
	minPassword = 8
	maxPassword = 72
)

// dummyHash is a cost-12 hash of a password nobody knows: a login with an
// unknown name is compared against it, so it takes as long to refuse as a
// known name with a wrong password (stored hashes are cost 12 too).
const dummyHash = "$2a$12$KXBWRZJJNxbojCHpinc4hOCOcCW.L9Y6/gnzYuteYA/vIhRV/NPZO"

// CheckPassword refuses a password too short to be one or too long for bcrypt.
func CheckPassword(password string) error {
	switch n := utf8.RuneCountInString(password); {
	case n < minPassword:
		return domain.Usagef("密码太短：至少 %d 个字符", minPassword)
	case len(password) > maxPassword:
		return domain.Usagef("密码太长：最多 %d 字节（约 %d 个汉字）", maxPassword, maxPassword/3)
	}
	return nil
}

// HashPassword checks a new password and hashes it at PasswordCost.
func HashPassword(password string) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("生成密码哈希: %w", err)
	}
	return string(h), nil
}

// CheckUserName refuses a name a login form could not carry plainly: empty,
// longer than 64 characters, or with spaces or control characters.
func CheckUserName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return domain.Usagef("用户名 %q 应为 1 到 64 个字符", name)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) {
			return domain.Usagef("用户名 %q 含有空白或控制字符", name)
		}
	}
	return nil
}

// account is one login as the web side knows it: from the config's
// http.users (the whole city) or the database (`kam user`, maybe a unit's).
type account struct {
	Name, Hash string
	Unit       string // "" sees the whole city
	Config     bool   // from http.users
}

// lookup finds a login by name, the config's users first; found is false for
// an unknown name, err set only when the database does not answer.
func (s *Server) lookup(ctx context.Context, name string) (a account, found bool, err error) {
	if h, ok := s.users[name]; ok {
		return account{Name: name, Hash: string(h), Config: true}, true, nil
	}
	u, err := s.app.Store.UserByName(ctx, name)
	if errors.Is(err, store.ErrNoUser) {
		return account{}, false, nil
	}
	if err != nil {
		return account{}, false, err
	}
	return account{Name: u.Name, Hash: u.PasswordHash, Unit: u.Unit}, true, nil
}

// hasUsers says whether anyone can log in: a user in the config or the database.
func (s *Server) hasUsers(ctx context.Context) (bool, error) {
	if len(s.users) > 0 {
		return true, nil
	}
	us, err := s.app.Store.Users(ctx)
	return len(us) > 0, err
}
