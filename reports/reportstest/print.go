package reportstest

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// MinPrintPoints is the smallest text any printed page may carry (SPEC §5).
const MinPrintPoints = 8.0

// Office finds LibreOffice and poppler's pdftotext for the print tests. Missing,
// they skip the test on a developer's machine and fail it under CI=true, where
// .ci/run installs them: a print test that never runs proves nothing.
func Office(t testing.TB) (soffice string) {
	t.Helper()
	for _, tool := range []string{"soffice", "pdftotext", "pdfinfo"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			msg := tool + " is missing (apt-get install libreoffice-calc-nogui poppler-utils fonts-noto-cjk fonts-crosextra-carlito)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		if tool == "soffice" {
			soffice = p
		}
	}
	return soffice
}

// RenderPDFs prints files to PDF in outDir with LibreOffice headless, as a
// reader printing on A4 with default settings would, and returns each
// file's PDF by the file's path. A private profile keeps parallel runs apart.
func RenderPDFs(t testing.TB, soffice, outDir string, files ...string) map[string]string {
	t.Helper()
	profile := t.TempDir()
	args := append([]string{"-env:UserInstallation=file://" + filepath.ToSlash(profile), "--headless", "--convert-to", "pdf", "--outdir", outDir}, files...)
	cmd := exec.Command(soffice, args...)
	cmd.Env = append(os.Environ(), "HOME="+profile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	pdfs := map[string]string{}
	for _, f := range files {
		base := filepath.Base(f)
		p := filepath.Join(outDir, strings.TrimSuffix(base, filepath.Ext(base))+".pdf")
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("soffice wrote no PDF for %s: %v", f, err)
		}
		pdfs[f] = p
	}
	return pdfs
}

// PageText is what one printed page carries, as pdftotext -bbox reads it.
type PageText struct {
	// Points is the smallest font on the page, measured on words of Chinese
	// characters alone: each is one em wide whatever the font, so a word's
	// width over its characters is its size. 0 when the page has none.
	Points float64
	Word   string // the word that size was read from
	// Height is the smallest glyph box of any word (ascent to descent, larger than the size).
	Height     float64
	HeightWord string
}

var bboxWord = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>`)

// Pages reads every page of pdf.
func Pages(pdf string) ([]PageText, error) {
	out, err := exec.Command("pdftotext", "-bbox", pdf, "-").Output()
	if err != nil {
		return nil, fmt.Errorf("pdftotext %s: %w", pdf, err)
	}
	var pages []PageText
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "<page ") {
			pages = append(pages, PageText{})
			continue
		}
		m := bboxWord.FindStringSubmatch(line)
		if m == nil || len(pages) == 0 {
			continue
		}
		var box [4]float64
		for i := range box {
			box[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		word := html.UnescapeString(m[5])
		p := &pages[len(pages)-1]
		if h := box[3] - box[1]; p.HeightWord == "" || h < p.Height {
			p.Height, p.HeightWord = h, word
		}
		if n := utf8.RuneCountInString(word); n > 0 && hanOnly(word) {
			if em := (box[2] - box[0]) / float64(n); p.Word == "" || em < p.Points {
				p.Points, p.Word = em, word
			}
		}
	}
	return pages, sc.Err()
}

func hanOnly(s string) bool {
	for _, r := range s {
		if r < 0x4E00 || r > 0x9FFF {
			return false
		}
	}
	return true
}
