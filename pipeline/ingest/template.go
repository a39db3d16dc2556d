package ingest

import (
	"context"
	"os"
	"path/filepath"

	"kam/domain"
	"kam/loaders"
	"kam/pipeline/core"
)

// TemplateName is the file staff find a kind's import template under.
func TemplateName(k domain.Kind) string { return domain.KindLabels[k] + "导入模板.xlsx" }

// TemplatesDir is the shared folder beside the inbox that holds the import templates.
func TemplatesDir(a *core.App) string {
	return filepath.Join(filepath.Dir(filepath.Clean(a.Cfg.Paths.Inbox)), "templates")
}

// WriteTemplates writes the import template of each kind into dir, with the
// unit codes and staff ids stored now in its drop-downs; each file appears
// whole (written beside, then renamed). It returns the paths written.
func WriteTemplates(ctx context.Context, a *core.App, dir string, kinds []domain.Kind) ([]string, error) {
	units, err := a.Store.Units(ctx)
	if err != nil {
		return nil, domain.Failed(err, "读取单位")
	}
	managers, err := a.Store.Managers(ctx)
	if err != nil {
		return nil, domain.Failed(err, "读取客户经理")
	}
	refs := loaders.TemplateRefs{Lines: a.Cfg.BusinessLines}
	for _, u := range units {
		refs.Units = append(refs.Units, u.Code)
	}
	for _, m := range managers {
		if m.Status == domain.Active {
			refs.Managers = append(refs.Managers, m.StaffID)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, domain.Failed(err, "创建模板目录 %s", dir)
	}
	var paths []string
	for _, k := range kinds {
		dst, err := core.FileIn(dir, TemplateName(k))
		if err != nil {
			return paths, err
		}
		tmp, err := os.CreateTemp(dir, ".kam-template-*")
		if err != nil {
			return paths, domain.Failed(err, "写入模板 %s", dst)
		}
		err = tmp.Chmod(a.SharedMode()) // staff open the templates: paths.file_mode, not CreateTemp's 0600
		if err == nil {
			err = loaders.WriteTemplate(tmp, k, refs)
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), dst)
		}
		if err != nil {
			os.Remove(tmp.Name())
			return paths, domain.Failed(err, "写入模板 %s", dst)
		}
		paths = append(paths, dst)
	}
	return paths, nil
}
