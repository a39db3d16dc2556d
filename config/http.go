package config

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"kam/domain"
)

// HTTP is the daemon's web side: health, metrics, the status page, downloads.
type HTTP struct {
	Listen   string     `yaml:"listen"`    // host:port; empty: no web server
	Users    []HTTPUser `yaml:"users"`     // who may log in to the page
	LinkKey  string     `yaml:"link_key"`  // signs download links in mail; env KAM_HTTP_LINK_KEY wins
	LinkDays int        `yaml:"link_days"` // how long a signed link stays valid
	BaseURL  string     `yaml:"base_url"`  // how readers reach kam, for links in mail (https://… marks cookies Secure)
}

// HTTPUser is one login: a name and a bcrypt hash of the password (never the password).
type HTTPUser struct {
	Name         string `yaml:"name"`
	PasswordHash string `yaml:"password_hash"`
}

// DefaultHTTP is the web side's defaults: loopback only, links valid 30 days.
func DefaultHTTP() HTTP { return HTTP{Listen: "127.0.0.1:8080", LinkDays: 30} }

// LinkSecret is the key that signs download links: KAM_HTTP_LINK_KEY when set, else http.link_key.
func (h HTTP) LinkSecret() string {
	if v := os.Getenv("KAM_HTTP_LINK_KEY"); v != "" {
		return v
	}
	return h.LinkKey
}

func (c *Config) validateHTTP() error {
	bad := func(key, format string, a ...any) error {
		return domain.Usagef("配置项 %s 有误: %s", key, fmt.Sprintf(format, a...))
	}
	h := c.HTTP
	if h.Listen != "" {
		if i := strings.LastIndex(h.Listen, ":"); i < 0 || i == len(h.Listen)-1 {
			return bad("http.listen", "应为 主机:端口，例如 127.0.0.1:8080，而不是 %q", h.Listen)
		}
	}
	if h.LinkDays < 1 {
		return bad("http.link_days", "至少为 1")
	}
	seen := map[string]bool{}
	for _, u := range h.Users {
		if strings.TrimSpace(u.Name) == "" || seen[u.Name] {
			return bad("http.users", "用户名 %q 为空或重复", u.Name)
		}
		seen[u.Name] = true
		if !strings.HasPrefix(u.PasswordHash, "$2") {
			return bad("http.users", "用户 %s 的 password_hash 不是 bcrypt 哈希（以 $2 开头）", u.Name)
		}
	}
	if h.BaseURL != "" {
		u, err := url.Parse(h.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("http.base_url", "应为 http:// 或 https:// 开头的地址")
		}
	}
	return nil
}
