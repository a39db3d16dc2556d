package link

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignedLink(t *testing.T) {
	key := []byte("test key")
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	exp := now.AddDate(0, 0, 30)
	p := Path(key, 42, exp)
	if id, got, err := Check(key, p, now); err != nil || id != 42 || !got.Equal(exp) {
		t.Fatalf("Check(%s) = %d, %v, %v", p, id, got, err)
	}
	if strings.Contains(p, string(key)) {
		t.Errorf("the key shows in the link %s", p)
	}
	if _, _, err := Check(key, p, exp); !errors.Is(err, ErrExpired) {
		t.Errorf("at its expiry: %v, want ErrExpired", err)
	}
	parts := strings.Split(p, "/") // "", "d", id, exp, mac
	later := strings.Join([]string{"", "d", parts[2], "9999999999", parts[4]}, "/")
	other := strings.Join([]string{"", "d", "43", parts[3], parts[4]}, "/")
	flipped := p[:len(p)-1] + map[bool]string{true: "0", false: "1"}[p[len(p)-1] != '0']
	for name, bad := range map[string]string{"later expiry": later, "other report": other, "flipped mac": flipped,
		"no mac": Prefix + parts[2] + "/" + parts[3], "junk": "/d/x/y/z"} {
		if _, _, err := Check(key, bad, now); !errors.Is(err, ErrTampered) {
			t.Errorf("%s %s: %v, want ErrTampered", name, bad, err)
		}
	}
	if _, _, err := Check([]byte("other key"), p, now); !errors.Is(err, ErrTampered) {
		t.Errorf("another key: %v, want ErrTampered", err)
	}
	if _, _, err := Check(nil, p, now); !errors.Is(err, ErrTampered) {
		t.Errorf("no key: %v, want ErrTampered", err)
	}
}
