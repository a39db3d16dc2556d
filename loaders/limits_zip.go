package loaders

import (
	"archive/zip"
	"fmt"
	"strings"
)

// MaxUnpackedBytes bounds what one workbook may unpack to (SPEC §3.1): a
// million-row extract unpacks to a few hundred MB, a zip bomb to gigabytes.
const MaxUnpackedBytes = 1 << 30

// xmlInMemory is the largest sheet excelize decodes from memory (about
// 250,000 rows, ~15% faster); a larger one streams from a temporary file.
const xmlInMemory = 64 << 20

// checkParts reads a workbook's zip directory, not its contents, and rejects
// what would exhaust memory or disk: parts unpacking past MaxUnpackedBytes in
// all, or a part other than a sheet or the shared strings (which excelize
// streams) larger than what is read into memory.
func checkParts(path string) *FileError {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return &FileError{Reason: reasonBadXLSX}
	}
	defer zr.Close()
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		streamed := strings.HasPrefix(name, "xl/worksheets/sheet") || name == "xl/sharedstrings.xml"
		if total > MaxUnpackedBytes || (!streamed && f.UncompressedSize64 > xmlInMemory) {
			return &FileError{Reason: fmt.Sprintf("Excel 文件解压后超过 %d MB 的上限（压缩包内「%s」解压后有 %d MB），疑似压缩炸弹或损坏的文件，已拒绝",
				MaxUnpackedBytes>>20, f.Name, f.UncompressedSize64>>20)}
		}
	}
	return nil
}
