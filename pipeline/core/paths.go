package core

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"kam/domain"
)

// MaxNameBytes is what common file systems allow one file or folder name to be.
const MaxNameBytes = 255

// FileIn is the one way a code or a name becomes part of a path kam writes:
// folder joined with name, proved to lie directly inside folder. A name that
// is empty, only dots (`.`, `..`), holds a separator of either OS (/ or \),
// NUL or another control character, is not UTF-8, is a name Windows keeps
// for a device (NUL, CON) or is longer than a file system takes is refused
// with an ERefused domain.Error naming it and the folder; callers that give
// a name room (an error workbook's name, a clash suffix) shorten it first
// with ShortenName.
func FileIn(folder, name string) (string, error) {
	if why := nameFault(name); why != "" {
		return "", refusedName(folder, name, why)
	}
	path := filepath.Join(folder, name)
	// The proof: after cleaning, the path is folder and one element, name itself.
	if filepath.Dir(path) != filepath.Clean(folder) || filepath.Base(path) != name || !filepath.IsLocal(name) {
		return "", refusedName(folder, name, "在本系统上它不是文件夹中的一个普通名称（Windows 不接受名称中的冒号，也不接受留给设备的 NUL、CON 等）")
	}
	return path, nil
}

// nameFault says, in Chinese, why name cannot be one file name; "" when it can.
func nameFault(name string) string {
	switch {
	case name == "":
		return "名称为空"
	case strings.Trim(name, ". ") == "":
		return "「.」「..」这样只有点的名称指的是文件夹本身或它的上一级"
	case strings.ContainsAny(name, `/\`):
		return "名称中含有路径分隔符（/ 或 \\），会指向别的文件夹"
	case !utf8.ValidString(name):
		return "名称中含有无法识别的字符"
	case strings.ContainsFunc(name, unicode.IsControl):
		return "名称中含有控制字符（如 NUL）"
	case len(name) > MaxNameBytes:
		return fmt.Sprintf("名称长 %d 字节，超过文件系统允许的 %d 字节", len(name), MaxNameBytes)
	}
	return ""
}

func refusedName(folder, name, why string) error {
	where := folder
	if where == "" {
		where = "当前目录"
	}
	return domain.Refusedf("「%s」不能用作 %s 中的文件或文件夹名：%s", ShownName(name), where, why)
}

// ShownName is a name as a message can show it: control characters escaped, at most 60 characters.
func ShownName(name string) string {
	if !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		name = strings.Trim(strconv.QuoteToGraphic(name), `"`)
	}
	if utf8.RuneCountInString(name) > 60 {
		name = string([]rune(name)[:60]) + "…"
	}
	return name
}

// ShortenName cuts name to at most n bytes without splitting a character.
func ShortenName(name string, n int) string {
	if len(name) <= n {
		return name
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(name[n]) {
		n--
	}
	return name[:n]
}
