package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"kam/domain"
	"kam/store"
)

func init() {
	register(&command{
		name:  "backup",
		usage: "  kam [--config FILE] backup -o FILE               SQLite：在线备份数据库，并逐份核对归档报表\n",
		doc: "kam serve 运行时也可以备份：复制的是数据库某一时刻的完整状态（SQLite VACUUM INTO）。\n" +
			"备份文件只有属主可读写（0600）；写完后单独打开它，做 SQLite 完整性检查，并读出每一份归档报表核对 SHA-256，全部通过才以 FILE 为名保存。不覆盖已有文件。\n" +
			"MySQL/MariaDB 请用 mariadb-dump --single-transaction（见 docs/deploy.md「备份与恢复」）。\n",
		db:    noDB, // never migrates: the copy is the database as it is
		parse: parseBackup,
	})
}

func parseBackup(args []string) (*work, error) {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	out := fs.String("o", "", "备份文件")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, domain.Usagef("backup 不接受参数 %v；备份文件用 -o FILE 指定", pos)
	}
	if *out == "" {
		return nil, domain.Usagef("backup 需要 -o FILE：备份写到哪个文件")
	}
	return &work{do: func(ctx context.Context, e *env) error {
		if e.cfg.DB.DSN != "" {
			return domain.Usagef("kam backup 只备份 SQLite 数据库；当前用的是 MySQL/MariaDB（db.dsn 或 KAM_DB_DSN），请用 mariadb-dump --single-transaction 备份（见 docs/deploy.md「备份与恢复」）")
		}
		res, err := store.BackupSQLite(ctx, e.cfg.DB.SQLitePath, *out)
		if errors.Is(err, store.ErrBackupExists) {
			return domain.Usagef("%s 已存在，没有覆盖；请换一个文件名", *out)
		}
		if err != nil {
			return domain.Failed(err, "备份数据库 %s", e.cfg.DB.SQLitePath)
		}
		fmt.Fprintf(e.stdout, "已备份 %s → %s（%.1f MB）\nSQLite 完整性检查通过；归档报表 %d 份，逐份核对 SHA-256 无误\n",
			e.cfg.DB.SQLitePath, res.Path, float64(res.Size)/(1<<20), res.Reports)
		return nil
	}}, nil
}
