package store

import "time"

// SetLockCheckEvery shortens how often a held MySQL lock is checked, until restore is called.
func SetLockCheckEvery(d time.Duration) (restore func()) {
	old := lockCheckEvery
	lockCheckEvery = d
	return func() { lockCheckEvery = old }
}
