package commands

// ArgCounts returns how many arguments c takes: at least min, at most max
// (any number when max < 0).
func ArgCounts(c Command) (min, max int) { return c.min, c.max }
