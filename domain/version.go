package domain

import "runtime/debug"

// version is the release kam was built as, stamped by `make build` and `make dist`:
// -ldflags "-X kam/domain.version=$(git describe --tags --always --dirty)".
var version string

// Version names this build in `kam version`, /metrics and every workbook's
// creator: the stamped release, else the module version Go recorded ("(devel)"
// for a plain go build).
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
