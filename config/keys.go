package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"kam/domain"
)

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// checkKeys walks a parsed file against Config's yaml tags and names, in file
// order, the first key kam does not know or the first value of the wrong type,
// in Chinese and by its key path (yaml's own errors name Go types, in English).
func checkKeys(doc *yaml.Node, file string, jobs []JobKeys) error {
	if doc.Kind == 0 { // an empty file
		return nil
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		doc = doc.Content[0]
	}
	w := keyWalker{extra: jobFields(jobs)}
	if err := w.walkNode(doc, reflect.TypeFor[Config](), ""); err != nil {
		return domain.Usagef("%s（%s 第 %d 行）", err.msg, file, err.line)
	}
	return nil
}

type keyError struct {
	msg  string
	line int
}

// keyWalker checks a file's keys; extra are the keys a section takes beyond
// its struct's own: the jobs' keys under schedule: and recipients:.
type keyWalker struct {
	extra map[string]map[string]reflect.StructField
}

// jobFields are the jobs' keys as fields: a cron spec under schedule:, a list of mailboxes under recipients:.
func jobFields(jobs []JobKeys) map[string]map[string]reflect.StructField {
	extra := map[string]map[string]reflect.StructField{"schedule": {}, "recipients": {}}
	for _, j := range jobs {
		extra["schedule"][j.Schedule] = reflect.StructField{Name: j.Schedule, Type: reflect.TypeFor[string]()}
		extra["recipients"][j.Recipients] = reflect.StructField{Name: j.Recipients, Type: reflect.TypeFor[[]string]()}
	}
	return extra
}

func (w keyWalker) walkNode(n *yaml.Node, t reflect.Type, path string) *keyError {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // an empty value keeps the default
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil // the type reads its own values and Validate names a bad one
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return wrongType(n, path, "一组子项（例如 "+firstKey(t)+": …）")
		}
		fields := yamlFields(t)
		for k, f := range w.extra[path] {
			fields[k] = f
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				return &keyError{unknownKey(key, path, fields), k.Line}
			}
			if err := w.walkNode(v, f.Type, key); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map: // keys are free (unit codes): each value is checked against the element type
		if n.Kind != yaml.MappingNode {
			return wrongType(n, path, "一组子项（例如 D01: [d01@example.cn]）")
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := w.walkNode(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return wrongType(n, path, "一个列表（例如 [a, b] 或每行一个 - a）")
		}
		for i, e := range n.Content {
			if err := w.walkNode(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return wrongType(n, path, scalarExpected(t))
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		return wrongType(n, path, scalarExpected(t))
	}
	return nil
}

func wrongType(n *yaml.Node, path, expected string) *keyError {
	got := "一组子项"
	switch n.Kind {
	case yaml.SequenceNode:
		got = "一个列表"
	case yaml.ScalarNode:
		got = fmt.Sprintf("%q", n.Value)
	}
	if path == "" {
		return &keyError{fmt.Sprintf("配置文件应为一组配置项（例如 timezone: Asia/Shanghai），而不是%s", got), n.Line}
	}
	return &keyError{fmt.Sprintf("配置项 %s 有误：应为%s，而不是%s", path, expected, got), n.Line}
}

func scalarExpected(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "整数"
	case reflect.Bool:
		return " true 或 false"
	case reflect.Float32, reflect.Float64:
		return "数字"
	}
	return "一个值（文字）"
}

// yamlFields maps each yaml key of struct t to its field.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		out[name] = f
	}
	return out
}

func firstKey(t reflect.Type) string {
	keys := sortedKeys(yamlFields(t))
	if len(keys) == 0 {
		return "key"
	}
	return keys[0]
}

func sortedKeys(fields map[string]reflect.StructField) []string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// unknownKey names the closest valid key beside it, or lists the valid ones when none is close.
func unknownKey(key, parent string, fields map[string]reflect.StructField) string {
	name := key[strings.LastIndex(key, ".")+1:]
	best, bestDist := "", -1
	for _, k := range sortedKeys(fields) {
		if d := editDistance(name, k); bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" && bestDist <= max(2, len([]rune(name))/3) {
		return fmt.Sprintf("未知配置项 %s，是否想写 %s？", key, join(parent, best))
	}
	where := "顶层"
	if parent != "" {
		where = parent + " 下"
	}
	return fmt.Sprintf("未知配置项 %s；%s可用的配置项：%s", key, where, strings.Join(sortedKeys(fields), "、"))
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// editDistance is the Levenshtein distance between a and b, counted in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
