// Package link signs and checks the expiring download links kam puts in a
// mail whose workbook is over the attachment limit: HMAC-SHA256 over the
// report id and the expiry, so the link needs no login and cannot be bent
// to another report or a later date.
package link

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Prefix is the path every signed link starts with.
const Prefix = "/d/"

// Why a link is refused.
var (
	ErrTampered = errors.New("下载链接无效：链接不完整或被改动过")
	ErrExpired  = errors.New("下载链接已过期")
)

func mac(key []byte, id, exp int64) string {
	h := hmac.New(sha256.New, key)
	fmt.Fprintf(h, "kam-report:%d:%d", id, exp)
	return hex.EncodeToString(h.Sum(nil))
}

// Path is the signed path for report id, valid until exp: /d/ID/EXPIRY/MAC.
func Path(key []byte, id int64, exp time.Time) string {
	e := exp.Unix()
	return fmt.Sprintf("%s%d/%d/%s", Prefix, id, e, mac(key, id, e))
}

// URL is Path under base (https://kam.example.cn, without the trailing slash).
func URL(base string, key []byte, id int64, exp time.Time) string {
	return strings.TrimRight(base, "/") + Path(key, id, exp)
}

// Check reads a signed path and returns the report id it grants, as of now:
// ErrTampered when the path is malformed or the MAC does not match, ErrExpired
// when it matches but its time is up.
func Check(key []byte, path string, now time.Time) (int64, time.Time, error) {
	parts := strings.Split(strings.TrimPrefix(path, Prefix), "/")
	if len(key) == 0 || !strings.HasPrefix(path, Prefix) || len(parts) != 3 {
		return 0, time.Time{}, ErrTampered
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	e, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return 0, time.Time{}, ErrTampered
	}
	if !hmac.Equal([]byte(parts[2]), []byte(mac(key, id, e))) {
		return 0, time.Time{}, ErrTampered
	}
	exp := time.Unix(e, 0)
	if !now.Before(exp) {
		return id, exp, ErrExpired
	}
	return id, exp, nil
}
