package store

import "time"

// SetLeaseTiming shortens a lease's life for a test: it expires ttl after its
// last renewal, is renewed every renew and given up by its holder skew before
// it expires; restore puts the real timing back.
func SetLeaseTiming(ttl, renew, skew time.Duration) (restore func()) {
	oldTTL, oldRenew, oldSkew := leaseTTL, leaseRenewEvery, leaseSkew
	leaseTTL, leaseRenewEvery, leaseSkew = ttl, renew, skew
	return func() { leaseTTL, leaseRenewEvery, leaseSkew = oldTTL, oldRenew, oldSkew }
}
