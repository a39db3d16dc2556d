package store

// UseLoadData switches MySQL revenue writes between LOAD DATA and multi-row INSERT, so tests cover both.
func UseLoadData(s *Store, on bool) { s.loadData = on && s.dialect == MySQL }

// LoadsWithLoadData reports which way MySQL revenue writes go.
func LoadsWithLoadData(s *Store) bool { return s.loadData }

// TxFileID is the file t tags revenue rows with (set by RecordFile), 0 before.
func TxFileID(t *Tx) int64 { return t.fileID }
