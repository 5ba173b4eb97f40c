package tenantctx

// Verifications reports how many tokens v has fully verified (cache misses).
func Verifications(v *Verifier) int64 { return v.verifications.Load() }
