package jobs

import (
	"path/filepath"

	"kam/domain"
	"kam/pipeline/core"
)

// Every file a run writes is named here and placed with core.FileIn, which
// proves it lies inside its folder: the temporary folder, reports/ and
// reports/<单位编码>/, a dry run's folder (-o) and its 各单位/<单位编码>/.

// unitFileName names a unit's workbook after the city's: grades_2026Q2 → grades_2026Q2_D01.xlsx.
func unitFileName(base, code string) string { return base + "_" + code + ".xlsx" }

// unitFolder is the folder of dir a unit's own workbooks go to. A code that
// is no plain folder name (`.`, `..`, a path, too long) is refused, naming it.
func unitFolder(dir, unit string) (string, error) {
	folder, err := core.FileIn(dir, unit)
	if err != nil {
		return "", unitRefused(unit, err)
	}
	return folder, nil
}

// unitRefused says whose workbook a refused name was for: the code is the
// unit's, and fixing it in the units extract is the way out.
func unitRefused(unit string, err error) error {
	return domain.Failed(err, "为单位编码「%s」写出报表", core.ShownName(unit))
}

// placeFile is where a run's file goes: the city's in cityDir, a unit's in
// unitsDir/<单位编码>/, as the unit's files come in through inbox/<单位编码>/.
func placeFile(cityDir, unitsDir string, f artifact) (string, error) {
	folder := cityDir
	if f.unit != "" {
		var err error
		if folder, err = unitFolder(unitsDir, f.unit); err != nil {
			return "", err
		}
	}
	return core.FileIn(folder, f.name)
}

// dryRunTarget checks a dry run's -o names a file to write: not a folder
// (x/, ., ..) nor a name longer than a file system takes.
func dryRunTarget(path string) error {
	dir, file := filepath.Split(path)
	if _, err := core.FileIn(dir, file); err != nil {
		return domain.Usagef("-o %s 不是可以写出的文件名：%s", path, domain.Message(err))
	}
	return nil
}
